/**
 * KpiSet: every KPI state of ONE (tenant, bucket), the unit stored as one DynamoDB item.
 *
 * States are mergeable (counts and sums add, sketches merge), so an hour is the merge of its
 * minutes and a fleet bucket the merge of its tenants, whatever the order or grouping.
 *
 * Size bound: {@link MAX_SERIALIZED_BYTES}. What can grow: quantile sketches (bounded by the
 * value range at 1% accuracy: ~1,000 bins from 1 ms to a day), distinct sketches (at most 16 KiB
 * each when dense) and grouped distinct counts (`feature_adoption:<feature>`), which are capped
 * at {@link MAX_GROUPS_PER_KPI} groups per KPI with the rest folded into `<kpi>:_other`.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DDSketch } from '@datadog/sketches-js';
import type { KpiCatalog, KpiCondition, KpiDefinition } from '../catalog';
import type { AgentEvent } from '../events/contract';
import type { RejectionReason } from '../events/decode';
import { AggregateDecodeError, ByteReader, ByteWriter } from './codec';
import { HyperLogLog } from './hyperloglog';

/** Relative accuracy of quantile sketches (1%, from the contract). */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;
/** Most groups kept per grouped KPI; more fold into `<kpi>:_other` so an item stays bounded. */
export const MAX_GROUPS_PER_KPI = 16;
/** The group that collects groups beyond {@link MAX_GROUPS_PER_KPI}. */
export const OTHER_GROUP = '_other';
/**
 * Upper bound of {@link KpiSet.serialize} for the built-in catalog (tested with every state at
 * its worst): leaves room under DynamoDB's 400 KB item limit for keys and attributes. Each custom
 * distinct KPI can add up to 16 KiB, each custom quantile KPI a few KiB.
 */
export const MAX_SERIALIZED_BYTES = 200_000;
/**
 * Bodies above this are deflated. Below it an item (body plus ~200 bytes of keys, version and
 * watermarks) fits in one 1 KB write unit anyway, so deflating would cost ~40 µs of CPU per item
 * (zlib's per-call setup dominates at this size) and save no capacity.
 */
const COMPRESS_ABOVE = 768;
/** Format 1 wrote every key as text; format 2 names built-in KPIs by {@link KEY_WORDS} index. */
const FORMAT_V1 = 1;
const FORMAT_V2 = 2;
/**
 * Format 3 is format 2 plus mean states that keep a sum of squares (kind 7). Only a set that holds
 * such a state writes it, so regular KPI items stay format 2, byte for byte.
 */
const FORMAT_V3 = 3;
/**
 * Format 2's key dictionary: a key naming one of these is written as its index, not its text.
 * FROZEN: bytes already stored refer to these positions, so entries are never removed, reordered
 * or renamed; new names go at the end (older readers then fail loudly on the unknown index,
 * which is why the format version would need a bump only if the meaning of an index changed).
 * Names absent from the list (custom KPIs) are written as text.
 */
const KEY_WORDS: readonly string[] = [
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

/** One KPI's value in a bucket. */
export interface KpiValue {
  /** KPI name, or `name:key` for sub-keyed KPIs (`feature_adoption:search`, `rejected_events:schema`). */
  readonly kpi: string;
  /** The headline value; `null` when empty (a rate whose denominator is 0). */
  readonly value: number | null;
  /** Events that contributed (the denominator for rates). */
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

/** Options of a {@link KpiSet}. */
export interface KpiSetOptions {
  /**
   * Mean KPIs also keep the sum of squares of their values, so a variance (and Welch's t-test)
   * can be computed. Costs 9 bytes per mean KPI in the serialized set.
   * @default false
   */
  readonly secondMoments?: boolean;
}

/** The moments of a mean KPI that keeps a sum of squares (see {@link KpiSetOptions.secondMoments}). */
export interface KpiMoments {
  /** Values observed. */
  readonly n: number;
  /** Their sum. */
  readonly sum: number;
  /** The sum of their squares. */
  readonly sumOfSquares: number;
}

type CountState = { k: 0; n: number };
type SumState = { k: 1; n: number; sum: number };
type RateState = { k: 2; n: number; hits: number };
type QuantileState = { k: 3; n: number; sum: number; sketch: DDSketch };
type DistinctState = { k: 4; n: number; hll: HyperLogLog };
type NpsState = { k: 5; n: number; promoters: number; detractors: number };
type ConfusionState = { k: 6; tp: number; fp: number; fn: number; tn: number };
type MomentsState = { k: 7; n: number; sum: number; sumsq: number };
type State =
  | CountState
  | SumState
  | RateState
  | QuantileState
  | DistinctState
  | NpsState
  | ConfusionState
  | MomentsState;

type Data = Readonly<Record<string, unknown>>;
type Pred = (d: Data) => boolean;
type Observer = (set: KpiSet, d: Data) => void;

function compileCondition(c: KpiCondition): Pred {
  const f = c.field;
  const v = c.value;
  switch (c.op) {
    case 'eq':
      return (d) => d[f] === v;
    case 'ne':
      return (d) => d[f] !== undefined && d[f] !== v;
    case 'present':
      return (d) => d[f] !== undefined;
    case 'gt':
      return (d) => typeof d[f] === 'number' && (d[f] as number) > (v as number);
    case 'gte':
      return (d) => typeof d[f] === 'number' && (d[f] as number) >= (v as number);
    case 'lt':
      return (d) => typeof d[f] === 'number' && (d[f] as number) < (v as number);
    case 'lte':
      return (d) => typeof d[f] === 'number' && (d[f] as number) <= (v as number);
  }
}

function compileAll(conds: readonly KpiCondition[] | undefined): Pred {
  if (conds === undefined || conds.length === 0) return () => true;
  const preds = conds.map(compileCondition);
  if (preds.length === 1) return preds[0]!;
  return (d) => preds.every((p) => p(d));
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** The state kind each measure keeps (undefined: derived at read time, or fed another way). */
function stateKind(def: KpiDefinition): State['k'] | undefined {
  switch (def.measure.kind) {
    case 'count':
    case 'rejections':
      return 0;
    case 'sum':
    case 'mean':
      return 1;
    case 'rate':
      return 2;
    case 'quantiles':
      return 3;
    case 'distinct':
      return 4;
    case 'nps':
      return 5;
    case 'confusion':
      return 6;
    case 'conversion':
      return undefined;
  }
}

/** Turns a KPI definition into the function that feeds it from one event's data. */
function compileObserver(def: KpiDefinition, slot: number): Observer | undefined {
  const name = def.name;
  const m = def.measure;
  switch (m.kind) {
    case 'count': {
      const where = compileAll(m.where);
      return (s, d) => {
        if (where(d)) s.slotCount(slot).n++;
      };
    }
    case 'sum': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (isNumber(v) && where(d)) {
          const st = s.slotSum(slot);
          st.n++;
          st.sum += v;
        }
      };
    }
    case 'mean': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (isNumber(v) && where(d)) {
          const st = s.slotMean(slot);
          st.n++;
          st.sum += v;
          // Checked per state, not per set: a state that has a sum of squares keeps it exact.
          if (st.k === 7) st.sumsq += v * v;
        }
      };
    }
    case 'rate': {
      const where = compileAll(m.where);
      const hit = compileAll(m.hit);
      return (s, d) => {
        if (!where(d)) return;
        const st = s.slotRate(slot);
        st.n++;
        if (hit(d)) st.hits++;
      };
    }
    case 'quantiles': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (isNumber(v) && where(d)) s.slotQuantile(slot, v);
      };
    }
    case 'distinct': {
      const where = compileAll(m.where);
      const f = m.field;
      const g = m.groupBy;
      return (s, d) => {
        const v = d[f];
        if ((typeof v !== 'string' && !isNumber(v)) || !where(d)) return;
        let key = name;
        if (g !== undefined) {
          const group = d[g];
          if (typeof group !== 'string' && !isNumber(group)) return;
          key = `${name}:${String(group)}`;
        }
        const st = s.stateDistinct(key, name);
        st.n++;
        st.hll.add(v);
      };
    }
    case 'nps': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (!isNumber(v) || !where(d)) return;
        const st = s.slotNps(slot);
        st.n++;
        if (v >= 9) st.promoters++;
        else if (v <= 6) st.detractors++;
      };
    }
    case 'confusion': {
      const { predicted, actual } = m;
      return (s, d) => {
        const p = d[predicted];
        const a = d[actual];
        if (typeof p !== 'boolean' || typeof a !== 'boolean') return;
        const st = s.slotConfusion(slot);
        if (p && a) st.tp++;
        else if (p) st.fp++;
        else if (a) st.fn++;
        else st.tn++;
      };
    }
    case 'conversion':
    case 'rejections':
      return undefined;
  }
}

interface Plan {
  readonly observers: ReadonlyMap<string, readonly Observer[]>;
  readonly rejectionKpis: readonly string[];
  /** Base KPI name -> index of its state in {@link StateTable.slots}. */
  readonly slotOf: ReadonlyMap<string, number>;
  readonly names: readonly string[];
  /** Per slot, the state kind its KPI keeps (undefined: none, e.g. conversions). */
  readonly kinds: ReadonlyArray<State['k'] | undefined>;
  /** Slots in the order of their names (serialization writes keys sorted). */
  readonly sortedSlots: readonly number[];
  /** Per slot, its format-2 key code (see {@link writeKey}): 2 * (word + 1), or 0 when written as text. */
  readonly slotCodes: readonly number[];
  /** Per {@link KEY_WORDS} index, the catalog slot of that name, if the catalog has it. */
  readonly wordSlots: ReadonlyArray<number | undefined>;
}

/** One compiled plan per catalog: observing an event is then a map lookup and a few closures. */
const PLANS = new WeakMap<KpiCatalog, Plan>();

function planFor(catalog: KpiCatalog): Plan {
  let plan = PLANS.get(catalog);
  if (plan === undefined) {
    const observers = new Map<string, Observer[]>();
    const rejectionKpis: string[] = [];
    const names = catalog.all().map((d) => d.name);
    const slotOf = new Map(names.map((n, i) => [n, i]));
    for (const def of catalog.all()) {
      if (def.measure.kind === 'rejections') rejectionKpis.push(def.name);
      const obs = compileObserver(def, slotOf.get(def.name)!);
      if (obs === undefined) continue;
      const list = observers.get(def.eventType) ?? [];
      list.push(obs);
      observers.set(def.eventType, list);
    }
    const kinds = catalog.all().map(stateKind);
    const sortedSlots = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
    const slotCodes = names.map((n) => {
      const w = WORD_INDEX.get(n);
      return w === undefined ? 0 : 2 * (w + 1);
    });
    const wordSlots = KEY_WORDS.map((w) => slotOf.get(w));
    plan = { observers, rejectionKpis, slotOf, names, kinds, sortedSlots, slotCodes, wordSlots };
    PLANS.set(catalog, plan);
  }
  return plan;
}

/**
 * The states of one set: base KPIs in an array indexed by catalog position (the hot path does
 * no string hashing), sub-keyed states (`name:key`) in a map.
 */
class StateTable {
  readonly slots: Array<State | undefined>;
  private readonly subs = new Map<string, State>();
  size = 0;

  constructor(private readonly plan: Plan) {
    this.slots = new Array<State | undefined>(plan.names.length);
  }

  get(key: string): State | undefined {
    const i = this.plan.slotOf.get(key);
    return i === undefined ? this.subs.get(key) : this.slots[i];
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets the state of a base KPI by slot (no key hashing). */
  setSlot(slot: number, st: State): void {
    if (this.slots[slot] === undefined) this.size++;
    this.slots[slot] = st;
  }

  set(key: string, st: State): void {
    const i = this.plan.slotOf.get(key);
    if (i === undefined) {
      if (!this.subs.has(key)) this.size++;
      this.subs.set(key, st);
    } else {
      if (this.slots[i] === undefined) this.size++;
      this.slots[i] = st;
    }
  }

  *entries(): IterableIterator<[string, State]> {
    for (let i = 0; i < this.slots.length; i++) {
      const st = this.slots[i];
      if (st !== undefined) yield [this.plan.names[i]!, st];
    }
    yield* this.subs;
  }

  subKeys(): IterableIterator<string> {
    return this.subs.keys();
  }

  /** The sub-keyed states (`name:key`). */
  subEntries(): ReadonlyMap<string, State> {
    return this.subs;
  }
}

function baseName(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

/** Growth step of a sketch's bins while observing (DenseStore's default, 128, is mostly empty space in a minute). */
const OBSERVE_CHUNK = 32;

function newSketch(): DDSketch {
  const sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
  sketch.store.chunkSize = OBSERVE_CHUNK;
  sketch.negativeStore.chunkSize = OBSERVE_CHUNK;
  return sketch;
}

/**
 * Sketch bins as (key delta, count) varint pairs. The package's own `toProto` writes every count
 * as a double and needs protobufjs at run time; this form is 2-3 bytes per used bin and only
 * uses the sketch's public store API, so the bins (and quantiles) come back exactly.
 */
/** Positions of the used bins of the sketch being written (grown as needed, reused: serialize is synchronous). */
let usedBins = new Int32Array(256);

function writeBins(w: ByteWriter, store: DDSketch['store']): void {
  const bins = store.bins;
  // Bins outside [minKey, maxKey] are empty; one scan of that range collects the used ones.
  const from = Math.max(0, store.minKey - store.offset);
  const to = Math.min(bins.length - 1, store.maxKey - store.offset);
  if (to - from + 1 > usedBins.length) usedBins = new Int32Array(to - from + 1);
  let used = 0;
  for (let i = from; i <= to; i++) if (bins[i]! > 0) usedBins[used++] = i;
  w.varint(used);
  let prev = 0;
  for (let j = 0; j < used; j++) {
    const i = usedBins[j]!;
    const key = i + store.offset;
    const delta = key - prev;
    w.varint(delta >= 0 ? delta * 2 : -delta * 2 - 1);
    w.varint(bins[i]!);
    prev = key;
  }
}

/** Bin keys a sketch may hold: far beyond any finite double at 1% accuracy, so only corrupt data exceeds it. */
const MAX_BIN_KEY = 100_000;

/*
 * Stores built here (read, copied, merged) hold exactly their key range, [minKey, maxKey] at
 * offset minKey, where DenseStore itself grows by 128 bins: most sketches of a minute or an item
 * hold a few values, and 128-bin arrays per sketch were most of the garbage the aggregator made.
 * DenseStore accepts any such layout (it grows from whatever length it finds), and serialization
 * and quantiles depend only on the non-zero bins, so results are unchanged.
 */

/**
 * Reads {@link writeBins}' pairs straight into the store's bins: one allocation sized to the key
 * range, where `store.add` per bin would grow and re-centre the array many times.
 */
function readBins(r: ByteReader, store: DDSketch['store']): void {
  const n = r.varint();
  if (n === 0) return;
  if (n > 2 * MAX_BIN_KEY + 1) throw new AggregateDecodeError('too many sketch bins');
  const keys = new Array<number>(n);
  const counts = new Array<number>(n);
  let key = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const z = r.varint();
    key += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    const c = r.varint();
    if (c === 0 || Math.abs(key) > MAX_BIN_KEY) throw new AggregateDecodeError('sketch bin out of range');
    keys[i] = key;
    counts[i] = c;
    if (key < min) min = key;
    if (key > max) max = key;
  }
  const bins = new Array<number>(max - min + 1).fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    bins[keys[i]! - min] += counts[i]!;
    total += counts[i]!;
  }
  if (!Number.isSafeInteger(total)) throw new AggregateDecodeError('sketch count out of range');
  store.bins = bins;
  store.offset = min;
  store.minKey = min;
  store.maxKey = max;
  store.count = total;
}

/** Copies a store's used bins (DenseStore.copy spreads all of them through a generic helper, several times slower). */
function copyStore(dst: DDSketch['store'], src: DDSketch['store']): void {
  dst.count = src.count;
  dst.minKey = src.minKey;
  dst.maxKey = src.maxKey;
  if (src.count === 0 || src.maxKey < src.minKey) {
    dst.bins = [];
    dst.offset = 0;
    return;
  }
  dst.bins = src.bins.slice(src.minKey - src.offset, src.maxKey - src.offset + 1);
  dst.offset = src.minKey;
}

function writeSketch(w: ByteWriter, sketch: DDSketch): void {
  w.varint(sketch.zeroCount);
  writeBins(w, sketch.store);
  writeBins(w, sketch.negativeStore);
}

function readSketch(r: ByteReader): DDSketch {
  const sketch = newSketch();
  sketch.zeroCount = r.varint();
  readBins(r, sketch.store);
  readBins(r, sketch.negativeStore);
  sketch.count = sketch.zeroCount + sketch.store.count + sketch.negativeStore.count;
  return sketch;
}

/** Spare bins on each side when a merge grows a store. */
const MERGE_SLACK = 8;

/**
 * Adds `src`'s bins into `dst`, growing `dst` once to the union of both key ranges. Same result
 * as DenseStore.merge, which re-centres its array (slice + unshift, two allocations) each time
 * the range grows: merging many minute sketches into an hour did that over and over.
 */
function mergeStore(dst: DDSketch['store'], src: DDSketch['store']): void {
  if (src.count === 0) return;
  if (dst.count === 0) {
    copyStore(dst, src);
    return;
  }
  const min = src.minKey < dst.minKey ? src.minKey : dst.minKey;
  const max = src.maxKey > dst.maxKey ? src.maxKey : dst.maxKey;
  if (min < dst.offset || max >= dst.offset + dst.bins.length) {
    // A little room on both sides: merging many minutes widens a range a few bins at a time.
    const offset = min - MERGE_SLACK;
    const bins = new Array<number>(max - min + 1 + 2 * MERGE_SLACK).fill(0);
    const old = dst.bins;
    for (let k = dst.minKey; k <= dst.maxKey; k++) bins[k - offset] = old[k - dst.offset]!;
    dst.bins = bins;
    dst.offset = offset;
  }
  dst.minKey = min;
  dst.maxKey = max;
  const bins = dst.bins;
  const from = src.bins;
  const shift = src.offset - dst.offset;
  for (let i = src.minKey - src.offset; i <= src.maxKey - src.offset; i++) {
    const c = from[i]!;
    if (c !== 0) bins[i + shift] += c;
  }
  dst.count += src.count;
}

/** Copies everything DDSketch.merge copies into an empty sketch (its `_copy`). */
function copySketch(dst: DDSketch, src: DDSketch): void {
  copyStore(dst.store, src.store);
  copyStore(dst.negativeStore, src.negativeStore);
  dst.zeroCount = src.zeroCount;
  dst.min = src.min;
  dst.max = src.max;
  dst.count = src.count;
  dst.sum = src.sum;
}

/**
 * DDSketch.merge with {@link mergeStore}. Kept faithful to the package, including that it merges
 * only the positive store when both sketches hold data (negative values cannot reach a sketch:
 * the event schemas require durations >= 0).
 */
function mergeSketch(dst: DDSketch, src: DDSketch): void {
  if (src.count === 0) return;
  if (dst.count === 0) {
    copySketch(dst, src);
    return;
  }
  mergeStore(dst.store, src.store);
  dst.zeroCount += src.zeroCount;
  dst.count += src.count;
  dst.sum += src.sum;
  if (src.min < dst.min) dst.min = src.min;
  if (src.max > dst.max) dst.max = src.max;
}

function cloneState(st: State): State {
  switch (st.k) {
    case 3: {
      const sketch = newSketch();
      mergeSketch(sketch, st.sketch);
      return { k: 3, n: st.n, sum: st.sum, sketch };
    }
    case 4:
      return { k: 4, n: st.n, hll: st.hll.clone() };
    default:
      return { ...st };
  }
}

/**
 * The state of `dst` after adding `src`: `dst` itself, a new state, or undefined when the kinds
 * do not combine (the KPI changed kind; `src` is dropped). A mean with a sum of squares merged
 * with a plain mean becomes a plain mean: n and sum stay exact, the sum of squares is unknown.
 */
function combine(dst: State, src: State): State | undefined {
  if (dst.k === src.k) {
    mergeState(dst, src);
    return dst;
  }
  if ((dst.k === 1 && src.k === 7) || (dst.k === 7 && src.k === 1)) {
    return { k: 1, n: dst.n + src.n, sum: dst.sum + src.sum };
  }
  return undefined;
}

/** Whether a stored state of kind `k` can be valued by a KPI slot that keeps kind `slotKind`. */
function fits(slotKind: State['k'] | undefined, k: State['k']): boolean {
  return slotKind === k || (slotKind === 1 && k === 7);
}

/** Adds `src` into `dst` (same kind). */
function mergeState(dst: State, src: State): void {
  switch (dst.k) {
    case 0:
      dst.n += (src as CountState).n;
      return;
    case 1:
      dst.n += (src as SumState).n;
      dst.sum += (src as SumState).sum;
      return;
    case 2:
      dst.n += (src as RateState).n;
      dst.hits += (src as RateState).hits;
      return;
    case 3:
      dst.n += (src as QuantileState).n;
      dst.sum += (src as QuantileState).sum;
      mergeSketch(dst.sketch, (src as QuantileState).sketch);
      return;
    case 4:
      dst.n += (src as DistinctState).n;
      dst.hll.merge((src as DistinctState).hll);
      return;
    case 5: {
      const s = src as NpsState;
      dst.n += s.n;
      dst.promoters += s.promoters;
      dst.detractors += s.detractors;
      return;
    }
    case 6: {
      const s = src as ConfusionState;
      dst.tp += s.tp;
      dst.fp += s.fp;
      dst.fn += s.fn;
      dst.tn += s.tn;
      return;
    }
    case 7: {
      const s = src as MomentsState;
      dst.n += s.n;
      dst.sum += s.sum;
      dst.sumsq += s.sumsq;
      return;
    }
  }
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** All KPI states for one (tenant, bucket). */
export class KpiSet {
  private readonly states: StateTable;
  /** Groups per grouped KPI, to enforce {@link MAX_GROUPS_PER_KPI}. */
  private readonly groups = new Map<string, number>();
  private readonly plan: Plan;
  private events = 0;
  private keepsMoments: boolean;

  /**
   * An empty set.
   * @param options `secondMoments: true` makes mean KPIs keep a sum of squares (see {@link moments}).
   */
  constructor(
    private readonly catalog: KpiCatalog,
    options: KpiSetOptions = {},
  ) {
    this.plan = planFor(catalog);
    this.states = new StateTable(this.plan);
    this.keepsMoments = options.secondMoments ?? false;
  }

  /**
   * Whether new mean states keep a sum of squares: set by the option, by reading bytes that hold
   * such states, or by merging in a set that has it.
   */
  get secondMoments(): boolean {
    return this.keepsMoments;
  }

  /** Feeds every KPI of the event's type. Events of types the catalog does not know are counted only. */
  observe(event: AgentEvent): void {
    this.events++;
    const obs = this.plan.observers.get(event.type);
    if (obs === undefined) return;
    const d = event.data as Data;
    for (let i = 0; i < obs.length; i++) obs[i]!(this, d);
  }

  /** Counts a rejected record in `rejected_events` and `rejected_events:<reason>`. */
  observeRejection(reason: RejectionReason): void {
    for (const name of this.plan.rejectionKpis) {
      this.stateCount(name).n++;
      this.stateCount(`${name}:${reason}`).n++;
    }
  }

  /** @internal Slot accessors for the compiled observers (no string keys on the hot path). */
  slotCount(slot: number): CountState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 0, n: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as CountState;
  }

  /** @internal */
  slotSum(slot: number): SumState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 1, n: 0, sum: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as SumState;
  }

  /** @internal A mean KPI's state: with a sum of squares when the set keeps second moments. */
  slotMean(slot: number): SumState | MomentsState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = this.keepsMoments ? { k: 7, n: 0, sum: 0, sumsq: 0 } : { k: 1, n: 0, sum: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as SumState | MomentsState;
  }

  /** @internal */
  slotRate(slot: number): RateState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 2, n: 0, hits: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as RateState;
  }

  /** @internal */
  slotQuantile(slot: number, value: number): void {
    let st = this.states.slots[slot] as QuantileState | undefined;
    if (st === undefined) {
      st = { k: 3, n: 0, sum: 0, sketch: newSketch() };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    st.n++;
    st.sum += value;
    st.sketch.accept(value);
  }

  /** @internal */
  slotNps(slot: number): NpsState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 5, n: 0, promoters: 0, detractors: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as NpsState;
  }

  /** @internal */
  slotConfusion(slot: number): ConfusionState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 6, tp: 0, fp: 0, fn: 0, tn: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as ConfusionState;
  }

  /** @internal state accessors by key (sub-keyed states, rejections). */
  stateCount(key: string): CountState {
    let st = this.states.get(key);
    if (st === undefined) {
      st = { k: 0, n: 0 };
      this.states.set(key, st);
    }
    return st as CountState;
  }

  /** @internal The distinct state under `key`, folding new groups beyond the cap into `_other`. */
  stateDistinct(key: string, base: string): DistinctState {
    const st = this.states.get(key);
    if (st === undefined) {
      if (key !== base) {
        const groups = this.groups.get(base) ?? 0;
        if (groups >= MAX_GROUPS_PER_KPI) {
          const other = `${base}:${OTHER_GROUP}`;
          return key === other ? this.newDistinct(other) : this.stateDistinct(other, base);
        }
        this.groups.set(base, groups + 1);
      }
      return this.newDistinct(key);
    }
    return st as DistinctState;
  }

  private newDistinct(key: string): DistinctState {
    let st = this.states.get(key) as DistinctState | undefined;
    if (st === undefined) {
      st = { k: 4, n: 0, hll: new HyperLogLog() };
      this.states.set(key, st);
    }
    return st;
  }

  /** Adds `other` into this set. Commutative and associative (sums up to float rounding). */
  mergeFrom(other: KpiSet): void {
    this.events += other.events;
    if (other.keepsMoments) this.keepsMoments = true;
    if (other.plan === this.plan) {
      // Same catalog: base KPIs line up slot by slot, no key lookups.
      const dstSlots = this.states.slots;
      const srcSlots = other.states.slots;
      for (let i = 0; i < srcSlots.length; i++) {
        const src = srcSlots[i];
        if (src === undefined) continue;
        const dst = dstSlots[i];
        if (dst === undefined) this.states.setSlot(i, cloneState(src));
        else {
          const merged = combine(dst, src);
          if (merged !== undefined && merged !== dst) this.states.setSlot(i, merged);
        }
      }
      for (const [key, src] of other.states.subEntries()) this.mergeKey(key, src);
      return;
    }
    for (const [key, src] of other.states.entries()) this.mergeKey(key, src);
  }

  private mergeKey(key: string, src: State): void {
    let target = key;
    if (src.k === 4 && key.includes(':') && !this.states.has(key)) {
      // Route through the cap so merged sets stay bounded too.
      target = this.groupKeyFor(key);
    }
    const dst = this.states.get(target);
    if (dst === undefined) this.states.set(target, cloneState(src));
    else {
      const merged = combine(dst, src);
      if (merged !== undefined && merged !== dst) this.states.set(target, merged);
    }
  }

  private groupKeyFor(key: string): string {
    const base = baseName(key);
    const groups = this.groups.get(base) ?? 0;
    if (key === `${base}:${OTHER_GROUP}`) return key;
    if (groups >= MAX_GROUPS_PER_KPI) return `${base}:${OTHER_GROUP}`;
    this.groups.set(base, groups + 1);
    return key;
  }

  /** Whether nothing was observed (no events, no rejections). */
  isEmpty(): boolean {
    return this.events === 0 && this.states.size === 0;
  }

  /** Accepted events observed (rejections not included). */
  eventCount(): number {
    return this.events;
  }

  /** Every KPI with data, in catalog order; sub-keys of one KPI sorted by key. */
  values(): KpiValue[] {
    const out: KpiValue[] = [];
    const subKeys = new Map<string, string[]>();
    for (const key of this.states.subKeys()) {
      const i = key.indexOf(':');
      if (i < 0) continue;
      const base = key.slice(0, i);
      const l = subKeys.get(base) ?? [];
      l.push(key);
      subKeys.set(base, l);
    }
    for (const def of this.catalog.all()) {
      if (def.measure.kind === 'conversion') {
        const v = this.conversionValue(def.name, def.measure.from, def.measure.to);
        if (v !== undefined) out.push(v);
        continue;
      }
      const own = this.valueOfKey(def, def.name);
      if (own !== undefined) out.push(own);
      const subs = subKeys.get(def.name);
      if (subs === undefined) continue;
      subs.sort();
      for (const key of subs) {
        const v = this.valueOfKey(def, key);
        if (v !== undefined) out.push(v);
      }
    }
    return out;
  }

  /** The value of one KPI (`name` or `name:key`), or undefined when it has no data. */
  value(kpi: string): KpiValue | undefined {
    const def = this.catalog.get(baseName(kpi));
    if (def === undefined) return undefined;
    if (def.measure.kind === 'conversion') {
      return kpi === def.name ? this.conversionValue(def.name, def.measure.from, def.measure.to) : undefined;
    }
    return this.valueOfKey(def, kpi);
  }

  /** Any quantile `q` in [0, 1] (e.g. 0.999) of a quantile KPI; undefined when it has no data. */
  quantile(kpi: string, q: number): number | undefined {
    const st = this.states.get(kpi);
    if (st === undefined || st.k !== 3 || st.n === 0 || !(q >= 0 && q <= 1)) return undefined;
    return st.sketch.getValueAtQuantile(q);
  }

  /**
   * n, sum and sum of squares of a mean KPI, or undefined when it has no data or its state has no
   * sum of squares (a set without {@link KpiSetOptions.secondMoments}, or merged with one).
   */
  moments(kpi: string): KpiMoments | undefined {
    const st = this.states.get(kpi);
    if (st === undefined || st.k !== 7) return undefined;
    return { n: st.n, sum: st.sum, sumOfSquares: st.sumsq };
  }

  private conversionValue(name: string, from: string, to: string): KpiValue | undefined {
    const f = this.states.get(from) as CountState | undefined;
    const t = this.states.get(to) as CountState | undefined;
    if (f === undefined && t === undefined) return undefined;
    const fn = f?.n ?? 0;
    return { kpi: name, value: ratio(t?.n ?? 0, fn), count: fn };
  }

  private valueOfKey(def: KpiDefinition, key: string): KpiValue | undefined {
    const st = this.states.get(key);
    if (st === undefined) return undefined;
    switch (st.k) {
      case 0:
        return { kpi: key, value: st.n, count: st.n };
      case 1:
      case 7:
        return { kpi: key, value: def.measure.kind === 'mean' ? ratio(st.sum, st.n) : st.sum, count: st.n };
      case 2:
        return { kpi: key, value: ratio(st.hits, st.n), count: st.n };
      case 3:
        return {
          kpi: key,
          value: ratio(st.sum, st.n),
          count: st.n,
          p50: st.sketch.getValueAtQuantile(0.5),
          p95: st.sketch.getValueAtQuantile(0.95),
          p99: st.sketch.getValueAtQuantile(0.99),
        };
      case 4:
        return { kpi: key, value: Math.round(st.hll.estimate()), count: st.n };
      case 5:
        return { kpi: key, value: st.n === 0 ? null : (100 * (st.promoters - st.detractors)) / st.n, count: st.n };
      case 6: {
        const m = def.measure.kind === 'confusion' ? def.measure.metric : 'accuracy';
        if (m === 'precision') return { kpi: key, value: ratio(st.tp, st.tp + st.fp), count: st.tp + st.fp };
        if (m === 'recall') return { kpi: key, value: ratio(st.tp, st.tp + st.fn), count: st.tp + st.fn };
        const total = st.tp + st.fp + st.fn + st.tn;
        return { kpi: key, value: ratio(st.tp + st.tn, total), count: total };
      }
    }
  }

  /** A deep copy. */
  clone(): KpiSet {
    const c = new KpiSet(this.catalog);
    c.mergeFrom(this);
    return c;
  }

  /**
   * Compact binary form: a format byte, a flags byte (bit 0: deflated), then the event count and
   * each state (key, kind, payload; sketches as varint bins). Keys are written in sorted order so
   * equal sets serialize to equal bytes; a key naming a built-in KPI is written as its
   * {@link KEY_WORDS} index (plus the text after `:` for sub-keys), any other key as text. The
   * format byte is 3 when a state has a sum of squares, else 2.
   */
  serialize(): Uint8Array {
    const w = new ByteWriter();
    w.byte(FORMAT_V2);
    w.byte(0);
    w.varint(this.events);
    w.varint(this.states.size);
    const plan = this.plan;
    const slots = this.states.slots;
    const subs = this.states.subEntries();
    const subKeys = subs.size === 0 ? [] : [...subs.keys()].sort();
    let format = FORMAT_V2;
    let j = 0;
    for (const i of plan.sortedSlots) {
      const st = slots[i];
      if (st === undefined) continue;
      const name = plan.names[i]!;
      for (; j < subKeys.length && subKeys[j]! < name; j++) {
        writeKey(w, subKeys[j]!);
        writeState(w, subs.get(subKeys[j]!)!);
      }
      const code = plan.slotCodes[i]!;
      w.varint(code);
      if (code === 0) w.string(name);
      writeState(w, st);
      if (st.k === 7) format = FORMAT_V3;
    }
    for (; j < subKeys.length; j++) {
      writeKey(w, subKeys[j]!);
      writeState(w, subs.get(subKeys[j]!)!);
    }
    const all = w.finish();
    all[0] = format;
    if (all.length - 2 <= COMPRESS_ABOVE) return all;
    const payload = deflateRawSync(all.subarray(2));
    if (payload.length >= all.length - 2) return all;
    const out = new Uint8Array(payload.length + 2);
    out[0] = format;
    out[1] = 1;
    out.set(payload, 2);
    return out;
  }

  /**
   * Reads {@link serialize}'s output (formats 2 and 3, and format 1, which wrote every key as
   * text). A set read from format 3 keeps second moments for new mean states too. States of KPIs the catalog no longer has (a removed custom KPI) or whose kind changed
   * are dropped: they could not be valued.
   * @throws AggregateDecodeError when the bytes are not a serialized KpiSet
   */
  static deserialize(bytes: Uint8Array, catalog: KpiCatalog): KpiSet {
    if (bytes.length < 2) throw new AggregateDecodeError('too short');
    const format = bytes[0];
    if (format !== FORMAT_V1 && format !== FORMAT_V2 && format !== FORMAT_V3) {
      throw new AggregateDecodeError(`unknown format version ${format}`);
    }
    let body = bytes.subarray(2);
    if (bytes[1] === 1) {
      try {
        body = inflateRawSync(body, { maxOutputLength: 8 * 1024 * 1024 });
      } catch (err) {
        throw new AggregateDecodeError(`bad compressed body (${err instanceof Error ? err.message : String(err)})`);
      }
    } else if (bytes[1] !== 0) throw new AggregateDecodeError(`unknown flags ${bytes[1]}`);
    const r = new ByteReader(body);
    const set = new KpiSet(catalog, { secondMoments: format === FORMAT_V3 });
    const plan = set.plan;
    set.events = r.varint();
    const n = r.varint();
    for (let i = 0; i < n; i++) {
      let key: string;
      let slot: number | undefined;
      if (format === FORMAT_V1) key = r.string();
      else {
        const code = r.varint();
        if (code === 0) key = r.string();
        else {
          const word = Math.floor(code / 2) - 1;
          if (word >= KEY_WORDS.length) throw new AggregateDecodeError(`unknown key index ${word}`);
          key = KEY_WORDS[word]!;
          if (code % 2 === 1) key = `${key}:${r.string()}`;
          else slot = plan.wordSlots[word];
        }
      }
      const st = readState(r, key, format);
      const colon = key.indexOf(':');
      if (colon < 0) {
        slot ??= plan.slotOf.get(key);
        if (slot !== undefined && fits(plan.kinds[slot], st.k)) set.states.setSlot(slot, st);
        continue;
      }
      const base = key.slice(0, colon);
      const baseSlot = plan.slotOf.get(base);
      if (baseSlot === undefined || !fits(plan.kinds[baseSlot], st.k)) continue;
      if (st.k === 4 && !key.endsWith(`:${OTHER_GROUP}`)) set.groups.set(base, (set.groups.get(base) ?? 0) + 1);
      set.states.set(key, st);
    }
    if (!r.done()) throw new AggregateDecodeError('trailing bytes');
    return set;
  }
}

/** Writes a key that has no catalog slot (a sub-key `name:key`) in format 2. */
function writeKey(w: ByteWriter, key: string): void {
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
  switch (st.k) {
    case 0:
      w.varint(st.n);
      return;
    case 1:
      w.varint(st.n);
      w.f64(st.sum);
      return;
    case 2:
      w.varint(st.n);
      w.varint(st.hits);
      return;
    case 3:
      w.varint(st.n);
      w.f64(st.sum);
      writeSketch(w, st.sketch);
      return;
    case 4:
      w.varint(st.n);
      st.hll.write(w);
      return;
    case 5:
      w.varint(st.n);
      w.varint(st.promoters);
      w.varint(st.detractors);
      return;
    case 6:
      w.varint(st.tp);
      w.varint(st.fp);
      w.varint(st.fn);
      w.varint(st.tn);
      return;
    case 7:
      w.varint(st.n);
      w.f64(st.sum);
      w.f64(st.sumsq);
      return;
  }
}

function readState(r: ByteReader, key: string, format: number): State {
  const k = r.byte();
  switch (k) {
    case 0:
      return { k, n: r.varint() };
    case 1:
      return { k, n: r.varint(), sum: r.f64() };
    case 2:
      return { k, n: r.varint(), hits: r.varint() };
    case 3: {
      const n = r.varint();
      const sum = r.f64();
      return { k, n, sum, sketch: readSketch(r) };
    }
    case 4:
      return { k, n: r.varint(), hll: HyperLogLog.read(r) };
    case 5:
      return { k, n: r.varint(), promoters: r.varint(), detractors: r.varint() };
    case 6:
      return { k, tp: r.varint(), fp: r.varint(), fn: r.varint(), tn: r.varint() };
    case 7:
      // Kind 7 exists from format 3 on: in older bytes it can only be corruption.
      if (format < FORMAT_V3) break;
      return { k, n: r.varint(), sum: r.f64(), sumsq: r.f64() };
  }
  throw new AggregateDecodeError(`unknown state kind ${k} for ${key.slice(0, 80)}`);
}
