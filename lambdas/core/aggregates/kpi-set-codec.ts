/**
 * The frozen binary form of a KpiSet, as stored in KPI items. Every format version ever written
 * stays readable; golden-bytes tests (test/unit/kpi-set-golden.test.ts) hold each one.
 *
 * Layout: a format byte, a flags byte (bit 0: the rest is deflated), then the event count, the
 * number of states and each state (key, kind byte, payload). Keys are written in sorted order so
 * equal sets serialize to equal bytes.
 * - Format 1: every key as text.
 * - Format 2: a key naming a built-in KPI as its {@link KEY_WORDS} index (plus the text after
 *   `:` for sub-keys), any other key as text.
 * - Format 3: format 2 plus {@link StateKind.MeanMoments} states. Only a set that holds one
 *   writes it, so regular KPI items stay format 2, byte for byte.
 * - Format 4: format 3 plus {@link StateKind.QuantileValues} states (experiment items), likewise
 *   written only by a set that holds one.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AggregateDecodeError, ByteReader, ByteWriter } from './codec';
import type { Plan } from './observers';
import { fits, isStateKind, opsOf, type State, StateKind } from './state-kinds';
import type { StateTable } from './state-table';

/**
 * Bodies above this are deflated. Below it an item (body plus ~200 bytes of keys, version and
 * watermarks) fits in one 1 KB write unit anyway, so deflating would cost ~40 µs of CPU per item
 * (zlib's per-call setup dominates at this size) and save no capacity.
 */
const COMPRESS_ABOVE = 768;
const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
const FORMAT_V3 = 3;
const FORMAT_V4 = 4;
/**
 * Format 2's key dictionary: a key naming one of these is written as its index, not its text.
 * FROZEN: bytes already stored refer to these positions, so entries are never removed, reordered
 * or renamed; new names go at the end (older readers then fail loudly on the unknown index,
 * which is why the format version would need a bump only if the meaning of an index changed).
 * Names absent from the list (custom KPIs) are written as text.
 */
export const KEY_WORDS: readonly string[] = [
  'sessions',
  'handle_time',
  'fcr_rate',
  'resolution_rate',
  'escalation_rate',
  'turns',
  'response_latency',
  'stt_latency',
  'llm_latency',
  'tts_latency',
  'turn_error_rate',
  'cache_hit_rate',
  'syntheses',
  'synthesis_latency',
  'synthesis_success_rate',
  'synthesis_cache_hit_rate',
  'synthesis_quality',
  'synthesis_under_1s_share',
  'synthesis_over_2s_share',
  'api_requests',
  'api_latency',
  'api_error_rate',
  'availability',
  'csat',
  'nps',
  'escalation_precision',
  'escalation_recall',
  'escalation_accuracy',
  'active_users',
  'feature_adoption',
  'funnel_lead',
  'funnel_contacted',
  'funnel_qualified',
  'funnel_proposal',
  'funnel_won',
  'funnel_lost',
  'won_value_usd',
  'mrr_new_usd',
  'mrr_expansion_usd',
  'mrr_contraction_usd',
  'mrr_churn_usd',
  'net_new_mrr_usd',
  'tickets_opened',
  'tickets_resolved',
  'ticket_resolution_time',
  'rejected_events',
];
const WORD_INDEX = new Map(KEY_WORDS.map((w, i) => [w, i]));

/** A plan's key codes for format 2 and later. */
interface KeyCodes {
  /** Per slot, its key code (see {@link writeSubKey}): 2 * (word + 1), or 0 when written as text. */
  readonly slotCodes: readonly number[];
  /** Per {@link KEY_WORDS} index, the catalog slot of that name, if the catalog has it. */
  readonly wordSlots: ReadonlyArray<number | undefined>;
}

const CODES = new WeakMap<Plan, KeyCodes>();

function codesFor(plan: Plan): KeyCodes {
  let codes = CODES.get(plan);
  if (codes === undefined) {
    const slotCodes = plan.names.map((n) => {
      const w = WORD_INDEX.get(n);
      return w === undefined ? 0 : 2 * (w + 1);
    });
    codes = { slotCodes, wordSlots: KEY_WORDS.map((w) => plan.slotOf.get(w)) };
    CODES.set(plan, codes);
  }
  return codes;
}

/** Writes a key that has no catalog slot (a sub-key `name:key`): its word code + 1 and the sub-key, or text. */
function writeSubKey(w: ByteWriter, key: string): void {
  const colon = key.indexOf(':');
  const word = colon < 0 ? undefined : WORD_INDEX.get(key.slice(0, colon));
  if (word === undefined) {
    w.varint(0);
    w.string(key);
    return;
  }
  w.varint(2 * (word + 1) + 1);
  w.string(key.slice(colon + 1));
}

function writeState(w: ByteWriter, st: State): void {
  w.byte(st.k);
  opsOf(st.k).write(w, st);
}

/** The states of `table` (and the event count) in the newest format the states need. */
export function encodeStates(table: StateTable, events: number): Uint8Array {
  const w = new ByteWriter();
  w.byte(FORMAT_V2);
  w.byte(0);
  w.varint(events);
  w.varint(table.size);
  const { plan, slots } = table;
  const { slotCodes } = codesFor(plan);
  const subs = table.subEntries();
  const subKeys = subs.size === 0 ? [] : [...subs.keys()].sort();
  let format = FORMAT_V2;
  let j = 0;
  // Base keys and sub-keys interleaved in sorted order.
  for (const i of plan.sortedSlots) {
    const st = slots[i];
    if (st === undefined) continue;
    const name = plan.names[i]!;
    for (; j < subKeys.length && subKeys[j]! < name; j++) {
      writeSubKey(w, subKeys[j]!);
      writeState(w, subs.get(subKeys[j]!)!);
    }
    const code = slotCodes[i]!;
    w.varint(code);
    if (code === 0) w.string(name);
    writeState(w, st);
    if (st.k === StateKind.MeanMoments) format = Math.max(format, FORMAT_V3);
    else if (st.k === StateKind.QuantileValues) format = FORMAT_V4;
  }
  for (; j < subKeys.length; j++) {
    writeSubKey(w, subKeys[j]!);
    writeState(w, subs.get(subKeys[j]!)!);
  }
  const all = w.finish();
  all[0] = format;
  return compressed(all);
}

/** `all` with its body deflated when that pays (see {@link COMPRESS_ABOVE}). */
function compressed(all: Uint8Array): Uint8Array {
  if (all.length - 2 <= COMPRESS_ABOVE) return all;
  const payload = deflateRawSync(all.subarray(2));
  if (payload.length >= all.length - 2) return all;
  const out = new Uint8Array(payload.length + 2);
  out[0] = all[0]!;
  out[1] = 1;
  out.set(payload, 2);
  return out;
}

/** The format version and the (inflated) body of stored bytes. */
function readHeader(bytes: Uint8Array): { format: number; body: Uint8Array } {
  if (bytes.length < 2) throw new AggregateDecodeError('too short');
  const format = bytes[0]!;
  if (format !== FORMAT_V1 && format !== FORMAT_V2 && format !== FORMAT_V3 && format !== FORMAT_V4) {
    throw new AggregateDecodeError(`unknown format version ${format}`);
  }
  const body = bytes.subarray(2);
  if (bytes[1] === 0) return { format, body };
  if (bytes[1] !== 1) throw new AggregateDecodeError(`unknown flags ${bytes[1]}`);
  try {
    return { format, body: inflateRawSync(body, { maxOutputLength: 8 * 1024 * 1024 }) };
  } catch (err) {
    throw new AggregateDecodeError(`bad compressed body (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * Reads a key into {@link readKeyOut} (decoding writes no object per key: a set holds ~40 keys and
 * the aggregator decodes every stored item it updates).
 */
const readKeyOut: { key: string; slot: number | undefined } = { key: '', slot: undefined };

function readKey(r: ByteReader, format: number, codes: KeyCodes): void {
  readKeyOut.slot = undefined;
  const code = format === FORMAT_V1 ? 0 : r.varint();
  if (code === 0) {
    readKeyOut.key = r.string();
    return;
  }
  const word = Math.floor(code / 2) - 1;
  if (word >= KEY_WORDS.length) throw new AggregateDecodeError(`unknown key index ${word}`);
  const name = KEY_WORDS[word]!;
  if (code % 2 === 1) readKeyOut.key = `${name}:${r.string()}`;
  else {
    readKeyOut.key = name;
    readKeyOut.slot = codes.wordSlots[word];
  }
}

function readState(r: ByteReader, key: string, format: number): State {
  const k = r.byte();
  // A kind newer than the bytes' format can only be corruption.
  if (!isStateKind(k) || opsOf(k).since > format) {
    throw new AggregateDecodeError(`unknown state kind ${k} for ${key.slice(0, 80)}`);
  }
  return opsOf(k).read(r);
}

/**
 * Reads {@link encodeStates}' output (any format version) into the empty `table` and returns
 * the event count. States of KPIs the catalog no longer has (a removed custom KPI) or whose kind
 * changed are dropped: they could not be valued. A table read from format 3 keeps second moments,
 * one read from format 4 exact values too.
 * @throws AggregateDecodeError when the bytes are not a serialized KpiSet
 */
export function decodeStates(bytes: Uint8Array, table: StateTable): number {
  const { format, body } = readHeader(bytes);
  const { plan } = table;
  const codes = codesFor(plan);
  table.secondMoments = format >= FORMAT_V3;
  table.exactValues = format >= FORMAT_V4;
  const r = new ByteReader(body);
  const events = r.varint();
  const n = r.varint();
  for (let i = 0; i < n; i++) {
    readKey(r, format, codes);
    const { key, slot } = readKeyOut;
    const st = readState(r, key, format);
    const colon = key.indexOf(':');
    if (colon < 0) {
      const at = slot ?? plan.slotOf.get(key);
      if (at !== undefined && fits(plan.kinds[at], st.k)) table.setSlot(at, st);
      continue;
    }
    const baseSlot = plan.slotOf.get(key.slice(0, colon));
    if (baseSlot !== undefined && fits(plan.kinds[baseSlot], st.k)) table.restore(key, st);
  }
  if (!r.done()) throw new AggregateDecodeError('trailing bytes');
  return events;
}
