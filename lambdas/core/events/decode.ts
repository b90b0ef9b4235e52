/**
 * Decoding one Kinesis record into an accepted {@link AgentEvent} or a {@link Rejection}.
 *
 * The validator is ajv: the schemas are compiled once into plain functions, which keeps
 * validation cheap on the aggregator's hot path (millions of records), and its errors carry a
 * JSON path we turn into `data.handleTimeMs` + a rule a producer can act on. Rules a JSON Schema
 * cannot say well (score ranges per feedback kind, the sign of an MRR delta, calendar-correct
 * timestamps) are checked in code right after.
 *
 * Accepted events are rebuilt from the contract's fields only: unknown envelope attributes,
 * unknown `data` fields and keys such as `__proto__` never reach the KPIs.
 */
import { isUtf8 } from 'node:buffer';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { CustomFieldKind, KpiCatalog } from '../catalog';
import {
  type AgentEvent,
  type BuiltInEventType,
  CUSTOM_EVENT_PREFIX,
  EVENT_TYPES,
  EXPERIMENT_ID_PATTERN,
  REVENUE_KINDS,
  SALES_STAGES,
  SESSION_CHANNELS,
  TENANT_ID_PATTERN,
  TICKET_PRIORITIES,
  VARIANT_ID_PATTERN,
} from './contract';
import { parseRfc3339 } from './rfc3339';

/** Machine-readable rejection reasons, as stored with quarantined records and counted per tenant. */
export const REJECTION_REASONS = [
  'invalid_json',
  'too_large',
  'schema',
  'unknown_type',
  'bad_tenant',
  'late',
  'future',
] as const;
/** Why a record was rejected. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A rejected record: why, in words a producer can act on. */
export interface Rejection {
  readonly reason: RejectionReason;
  /** E.g. `data.handleTimeMs must be a finite number >= 0`. */
  readonly message: string;
  /** JSON path of the offending field, e.g. `data.handleTimeMs`, when one field is at fault. */
  readonly field?: string;
  /** The rule broken, e.g. `must be a finite number >= 0`. */
  readonly rule?: string;
  /** Set only when the envelope's `tenantid` itself is valid (so it is safe to key by). */
  readonly tenantId?: string;
  /** The envelope `id`, when it is a string of 1-128 chars. */
  readonly eventId?: string;
}

/** What decoding needs besides the record. */
export interface DecodeContext {
  /** Processing time (epoch ms): late/future are relative to it. */
  readonly nowMs: number;
  /** Decides which types (custom ones included) are known. */
  readonly catalog: KpiCatalog;
  /** @default 65536 */
  readonly maxRecordBytes?: number;
  /** @default 7 days */
  readonly maxPastMs?: number;
  /** @default 5 minutes */
  readonly maxFutureMs?: number;
}

/** The outcome of {@link decodeEvent}. */
export type DecodeResult =
  | { readonly ok: true; readonly event: AgentEvent; readonly eventTimeMs: number }
  | { readonly ok: false; readonly rejection: Rejection };

/** Default record size limit (64 KiB), from the contract. */
export const DEFAULT_MAX_RECORD_BYTES = 65536;
/** Default lateness limit (7 days). */
export const DEFAULT_MAX_PAST_MS = 7 * 24 * 3600 * 1000;
/** Default clock-skew limit (5 minutes). */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60 * 1000;
/** Longest string accepted in an identifier-like `data` field (ids, routes, features). */
export const MAX_DATA_STRING = 256;
/** Most top-level fields kept from a custom event's `data`. */
export const MAX_CUSTOM_FIELDS = 64;
/**
 * Longest duration accepted, in ms: 366 days. Every number of the contract has a bound so that
 * no sum, mean, square or sketch of accepted events can leave the finite doubles: even 10^15
 * events at the bound sum to about 3e25, and EMF, the export format and its CSV parser only
 * ever see finite values. A ticket resolved after a year is the longest real duration.
 */
export const MAX_DURATION_MS = 31_622_400_000;
/** Largest money amount in absolute value, in US dollars (one trillion). */
export const MAX_ABS_USD = 1e12;
/** Largest absolute value of a numeric field a custom KPI measures. */
export const MAX_ABS_CUSTOM_NUMBER = 1e15;

type JsonSchema = Record<string, unknown>;
const str: JsonSchema = { type: 'string', minLength: 1, maxLength: MAX_DATA_STRING };
const ms: JsonSchema = { type: 'number', minimum: 0, maximum: MAX_DURATION_MS };
const bool: JsonSchema = { type: 'boolean' };
const money: JsonSchema = { type: 'number', minimum: -MAX_ABS_USD, maximum: MAX_ABS_USD };
const oneOf = (values: readonly string[]): JsonSchema => ({ type: 'string', enum: [...values] });

/** `data` schemas per built-in type: [properties, required]. Extra fields are allowed and dropped. */
const DATA_SCHEMAS: Record<BuiltInEventType, [Record<string, JsonSchema>, string[]]> = {
  'agent.session.completed': [
    {
      sessionId: str,
      channel: oneOf(SESSION_CHANNELS),
      handleTimeMs: ms,
      resolved: bool,
      firstContact: bool,
      escalated: bool,
      userId: str,
    },
    ['sessionId', 'channel', 'handleTimeMs', 'resolved', 'firstContact', 'escalated'],
  ],
  'agent.turn.completed': [
    { sessionId: str, totalMs: ms, sttMs: ms, llmMs: ms, ttsMs: ms, cacheHit: bool, ok: bool },
    ['sessionId', 'totalMs', 'ok'],
  ],
  'voice.synthesis.completed': [
    { latencyMs: ms, ok: bool, cacheHit: bool, qualityScore: { type: 'number', minimum: 0, maximum: 1 } },
    ['latencyMs', 'ok', 'cacheHit'],
  ],
  'api.request.completed': [
    { route: str, method: str, status: { type: 'integer', minimum: 100, maximum: 599 }, latencyMs: ms },
    ['route', 'method', 'status', 'latencyMs'],
  ],
  'healthcheck.completed': [{ target: str, ok: bool, latencyMs: ms }, ['target', 'ok', 'latencyMs']],
  'feedback.submitted': [
    { kind: oneOf(['csat', 'nps']), score: { type: 'integer', minimum: 0, maximum: 10 }, sessionId: str },
    ['kind', 'score'],
  ],
  'escalation.reviewed': [
    { sessionId: str, predicted: bool, actual: bool, category: str },
    ['sessionId', 'predicted', 'actual'],
  ],
  'user.active': [{ userId: str, feature: str }, ['userId']],
  'sales.stage.changed': [
    { leadId: str, stage: oneOf(SALES_STAGES), valueUsd: money, channel: str },
    ['leadId', 'stage'],
  ],
  'revenue.recorded': [{ kind: oneOf(REVENUE_KINDS), mrrDeltaUsd: money }, ['kind', 'mrrDeltaUsd']],
  'support.ticket.updated': [
    {
      ticketId: str,
      status: oneOf(['opened', 'resolved']),
      priority: oneOf(TICKET_PRIORITIES),
      resolutionMs: ms,
    },
    ['ticketId', 'status'],
  ],
};

/** The envelope schema (tenantid and type are checked before, with their own reasons). */
function envelopeSchema(data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: { type: 'string', minLength: 1, maxLength: 128 },
      source: { type: 'string', minLength: 1, maxLength: 256 },
      time: { type: 'string', maxLength: 64 },
      data,
    },
    required: ['specversion', 'id', 'source', 'time', 'data'],
  };
}

// strictNumbers makes `number` reject NaN/Infinity (JSON.parse turns 1e999 into Infinity).
const ajv = new Ajv({ allErrors: false, strict: true, strictNumbers: true, coerceTypes: false });

const VALIDATORS = new Map<string, ValidateFunction>(
  EVENT_TYPES.map((t) => {
    const [properties, required] = DATA_SCHEMAS[t];
    return [t, ajv.compile(envelopeSchema({ type: 'object', properties, required }))];
  }),
);
const CUSTOM_VALIDATOR = ajv.compile(envelopeSchema({ type: 'object' }));

const TYPE_WORDS: Record<string, string> = {
  number: 'a finite number',
  integer: 'an integer',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'a JSON object',
};

/** Turns ajv's first error into a field path and a rule. */
function describeAjvError(e: ErrorObject): { field: string; rule: string } {
  const base = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        field: base === '' ? String(p.missingProperty) : `${base}.${String(p.missingProperty)}`,
        rule: 'is required',
      };
    case 'type':
      return { field: base, rule: `must be ${TYPE_WORDS[String(p.type)] ?? `of type ${String(p.type)}`}` };
    case 'minimum':
      return { field: base, rule: `must be a finite number >= ${String(p.limit)}` };
    case 'maximum':
      return { field: base, rule: `must be a finite number <= ${String(p.limit)}` };
    case 'minLength':
      return { field: base, rule: 'must not be empty' };
    case 'maxLength':
      return { field: base, rule: `must be at most ${String(p.limit)} characters` };
    case 'enum':
      return { field: base, rule: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { field: base, rule: `must be "${String(p.allowedValue)}"` };
    default:
      return { field: base, rule: e.message ?? `breaks the ${e.keyword} rule` };
  }
}

function reject(
  reason: RejectionReason,
  message: string,
  extra: { field?: string; rule?: string; tenantId?: string; eventId?: string } = {},
): DecodeResult {
  const rejection: Rejection = { reason, message };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) Object.assign(rejection, { [k]: v });
  return { ok: false, rejection };
}

function fieldError(field: string, rule: string, tenantId: string, eventId: string | undefined): DecodeResult {
  return reject('schema', `${field} ${rule}`, { field, rule, tenantId, eventId });
}

type Json = Record<string, unknown>;

/** Copies the declared fields (only those present) into a fresh object. */
function pick(src: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) {
    const v = src[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const CUSTOM_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Keeps a custom event's scalar top-level fields; checks the fields custom KPIs measure. */
function customData(
  data: Json,
  kinds: ReadonlyMap<string, CustomFieldKind>,
): { data: Json } | { field: string; rule: string } {
  for (const [field, kind] of kinds) {
    if (!Object.hasOwn(data, field)) continue;
    const v = data[field];
    const ok =
      kind === 'boolean'
        ? typeof v === 'boolean'
        : kind === 'number'
          ? typeof v === 'number'
          : kind === 'non_negative_number'
            ? typeof v === 'number' && v >= 0
            : typeof v === 'string' || typeof v === 'number';
    if (!ok) {
      const want =
        kind === 'boolean'
          ? 'a boolean'
          : kind === 'number'
            ? 'a finite number'
            : kind === 'non_negative_number'
              ? 'a finite number >= 0'
              : 'a string or number';
      return { field: `data.${field}`, rule: `must be ${want} (a custom KPI measures it)` };
    }
    if (
      typeof v === 'number' &&
      (kind === 'number' || kind === 'non_negative_number') &&
      Math.abs(v) > MAX_ABS_CUSTOM_NUMBER
    ) {
      const low = kind === 'non_negative_number' ? '0' : `-${MAX_ABS_CUSTOM_NUMBER}`;
      return {
        field: `data.${field}`,
        rule: `must be a finite number ${low}..${MAX_ABS_CUSTOM_NUMBER} (a custom KPI measures it)`,
      };
    }
    if (typeof v === 'string' && v.length > MAX_DATA_STRING) {
      return { field: `data.${field}`, rule: `must be at most ${MAX_DATA_STRING} characters` };
    }
  }
  const out: Json = {};
  let n = 0;
  for (const k of Object.keys(data)) {
    if (n >= MAX_CUSTOM_FIELDS) break;
    if (FORBIDDEN_KEYS.has(k) || !CUSTOM_KEY.test(k)) continue;
    const v = data[k];
    if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string') {
      out[k] = v;
      n++;
    }
  }
  return { data: out };
}

/** Rules beyond the JSON Schema: returns a field error or undefined. */
function semanticError(type: BuiltInEventType, data: Json): { field: string; rule: string } | undefined {
  if (type === 'feedback.submitted') {
    const score = data.score as number;
    if (data.kind === 'csat' && (score < 1 || score > 5)) {
      return { field: 'data.score', rule: 'must be an integer 1..5 for kind csat' };
    }
  } else if (type === 'revenue.recorded') {
    const d = data.mrrDeltaUsd as number;
    if ((data.kind === 'new' || data.kind === 'expansion') && d < 0) {
      return { field: 'data.mrrDeltaUsd', rule: `must be >= 0 for kind ${String(data.kind)}` };
    }
    if ((data.kind === 'contraction' || data.kind === 'churn') && d > 0) {
      return { field: 'data.mrrDeltaUsd', rule: `must be <= 0 for kind ${String(data.kind)}` };
    }
  }
  return undefined;
}

function byteLength(raw: Uint8Array | string): number {
  if (typeof raw !== 'string') return raw.byteLength;
  return Buffer.byteLength(raw, 'utf8');
}

/**
 * The record's text, or `undefined` when its bytes are not UTF-8. Decoding replaces bad bytes with
 * U+FFFD, which would let a corrupted id or tenant name through; the contract says UTF-8 JSON.
 */
function toText(raw: Uint8Array | string): string | undefined {
  if (typeof raw === 'string') return raw;
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/**
 * Decodes and validates one record (the Kinesis record's data, already base64-decoded).
 * Never throws: every failure, whatever the input, is a {@link Rejection}.
 */
export function decodeEvent(raw: Uint8Array | string, ctx: DecodeContext): DecodeResult {
  try {
    return decodeUnsafe(raw, ctx);
  } catch (err) {
    // Defence in depth: no input may crash the batch. Nothing above is expected to throw.
    return reject('invalid_json', `record could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function decodeUnsafe(raw: Uint8Array | string, ctx: DecodeContext): DecodeResult {
  const envelope = parseEnvelope(raw, ctx);
  if ('ok' in envelope) return envelope;
  const env = envelope.env;
  const eventId =
    typeof env.id === 'string' && env.id.length >= 1 && env.id.length <= 128 ? (env.id as string) : undefined;
  const tenant = env.tenantid;
  if (typeof tenant !== 'string' || !TENANT_ID_PATTERN.test(tenant)) {
    const rule = 'must match ^[a-z0-9][a-z0-9-]{1,62}$ (lowercase letters, digits, dashes; 2-63 chars)';
    const msg = tenant === undefined ? 'tenantid is required' : `tenantid ${rule}`;
    return reject('bad_tenant', msg, { field: 'tenantid', rule: tenant === undefined ? 'is required' : rule, eventId });
  }
  const type = env.type;
  if (typeof type !== 'string') {
    return fieldError('type', type === undefined ? 'is required' : 'must be a string', tenant, eventId);
  }
  const custom = type.startsWith(CUSTOM_EVENT_PREFIX);
  const validate = custom ? CUSTOM_VALIDATOR : VALIDATORS.get(type);
  if (validate === undefined || (custom && !ctx.catalog.isKnownEventType(type))) {
    const hint = custom
      ? 'declare a custom KPI over it in the configuration (customKpis)'
      : `expected one of ${EVENT_TYPES.join(', ')} or a declared custom.* type`;
    return reject('unknown_type', `unknown event type "${type.slice(0, 140)}": ${hint}`, {
      field: 'type',
      rule: 'must be a known event type',
      tenantId: tenant,
      eventId,
    });
  }
  if (!validate(env)) {
    const first = validate.errors?.[0];
    const { field, rule } = first === undefined ? { field: '', rule: 'breaks the schema' } : describeAjvError(first);
    return fieldError(field, rule, tenant, eventId);
  }
  const timeMs = parseRfc3339(env.time as string);
  if (timeMs === undefined) {
    return fieldError('time', 'must be an RFC 3339 timestamp with zone, e.g. 2026-11-22T08:00:00Z', tenant, eventId);
  }
  const checked = eventData(type, custom, env.data as Json, ctx);
  if ('field' in checked) return fieldError(checked.field, checked.rule, tenant, eventId);
  const data = checked.data;
  const assignment = experimentAttributes(env);
  if ('field' in assignment) return fieldError(assignment.field, assignment.rule, tenant, eventId);
  const outside = timeWindowError(env.time as string, timeMs, ctx, tenant, eventId);
  if (outside !== undefined) return outside;
  const event = {
    specversion: '1.0',
    id: env.id as string,
    source: env.source as string,
    type,
    time: env.time as string,
    tenantid: tenant,
    ...assignment,
    data,
  } as AgentEvent;
  return { ok: true, event, eventTimeMs: timeMs };
}

/**
 * The record as a JSON object, or its rejection: too large, not UTF-8, not JSON, not an object.
 * Size is checked first, so a record that would be rejected anyway is never parsed.
 */
function parseEnvelope(raw: Uint8Array | string, ctx: DecodeContext): { env: Json } | DecodeResult {
  const maxBytes = ctx.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  // Size first: never parse a record we would reject anyway.
  if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) {
    return reject('invalid_json', 'record must be bytes or text');
  }
  const quickLength = typeof raw === 'string' ? raw.length : raw.byteLength;
  if (quickLength > maxBytes || (typeof raw === 'string' && raw.length * 3 > maxBytes && byteLength(raw) > maxBytes)) {
    return reject('too_large', `record is larger than ${maxBytes} bytes; split it or drop large fields`);
  }
  const text = toText(raw);
  if (text === undefined) return reject('invalid_json', 'record is not UTF-8 text; encode the JSON as UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return reject('invalid_json', `record is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('schema', 'record must be a JSON object (a CloudEvent in structured mode)', {
      rule: 'must be a JSON object',
    });
  }
  return { env: parsed as Json };
}

/** The event's data as kept (custom fields checked by kind, built-in ones checked and picked), or the field that breaks a rule. */
function eventData(
  type: string,
  custom: boolean,
  rawData: Json,
  ctx: DecodeContext,
): { data: Json } | { field: string; rule: string } {
  if (custom) return customData(rawData, ctx.catalog.customFieldKinds(type));
  const bt = type as BuiltInEventType;
  const semantic = semanticError(bt, rawData);
  if (semantic !== undefined) return semantic;
  return { data: pick(rawData, DATA_KEYS[bt]) };
}

/** Rejects an event time too far in the past (`late`) or the future (`future`); undefined when inside the window. */
function timeWindowError(
  time: string,
  timeMs: number,
  ctx: DecodeContext,
  tenant: string,
  eventId: string | undefined,
): DecodeResult | undefined {
  const maxPast = ctx.maxPastMs ?? DEFAULT_MAX_PAST_MS;
  const maxFuture = ctx.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (timeMs < ctx.nowMs - maxPast) {
    return reject('late', `time ${time} is more than ${Math.round(maxPast / 3600000)} h in the past`, {
      field: 'time',
      rule: `must be at most ${Math.round(maxPast / 3600000)} h old`,
      tenantId: tenant,
      eventId,
    });
  }
  if (timeMs > ctx.nowMs + maxFuture) {
    return reject(
      'future',
      `time ${time} is more than ${Math.round(maxFuture / 1000)} s in the future; check the producer clock`,
      {
        field: 'time',
        rule: `must be at most ${Math.round(maxFuture / 1000)} s in the future`,
        tenantId: tenant,
        eventId,
      },
    );
  }
  return undefined;
}

/**
 * The optional `experiment` and `variant` extension attributes: both or neither, each matching
 * its pattern. Returns the pair to keep (empty without them) or the attribute that breaks a rule.
 */
function experimentAttributes(env: Json): { experiment?: string; variant?: string } | { field: string; rule: string } {
  const { experiment, variant } = env;
  if (experiment === undefined && variant === undefined) return {};
  if (experiment === undefined) return { field: 'experiment', rule: 'is required when variant is present' };
  if (variant === undefined) return { field: 'variant', rule: 'is required when experiment is present' };
  if (typeof experiment !== 'string' || !EXPERIMENT_ID_PATTERN.test(experiment)) {
    return {
      field: 'experiment',
      rule: 'must match ^[a-z0-9][a-z0-9_-]{0,62}$ (lowercase, digits, _ and -; 1-63 chars)',
    };
  }
  if (typeof variant !== 'string' || !VARIANT_ID_PATTERN.test(variant)) {
    return { field: 'variant', rule: 'must match ^[a-z0-9][a-z0-9_-]{0,31}$ (lowercase, digits, _ and -; 1-32 chars)' };
  }
  return { experiment, variant };
}

const DATA_KEYS = Object.fromEntries(EVENT_TYPES.map((t) => [t, Object.keys(DATA_SCHEMAS[t][0])])) as Record<
  BuiltInEventType,
  string[]
>;
