/**
 * Fuzzing the record decoder: whatever bytes a producer (or an attacker holding producer
 * credentials) puts on the stream, `decodeEvent` returns an outcome instead of throwing, a
 * rejection always names one of the documented reasons, accepted events carry only finite
 * numbers and a valid tenant, and nothing can write to `Object.prototype`.
 *
 * The properties below generate about 150,000 records in total (counted, and checked by the
 * last test); the file takes about 20 s on two idle cores.
 */
import fc from 'fast-check';
import { KpiCatalog } from '../../lambdas/core/catalog';
import {
  type DecodeContext,
  type DecodeResult,
  decodeEvent,
  REJECTION_REASONS,
  TENANT_ID_PATTERN,
} from '../../lambdas/core/events';
import { arbEvent, DEFAULT_EVENT_TIME_MS, encodeEvent } from '../support/events';

const catalog = KpiCatalog.builtIn();
const ctx: DecodeContext = { nowMs: DEFAULT_EVENT_TIME_MS + 3_600_000, catalog };
/** A context whose size limit lets megabyte payloads reach the JSON parser and the schema. */
const bigCtx: DecodeContext = { ...ctx, maxRecordBytes: 4 * 1024 * 1024 };

const REASONS: ReadonlySet<string> = new Set(REJECTION_REASONS);
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'polluted'];

let generated = 0;

/** Every number reachable from `v` is finite (accepted events must never carry NaN/Infinity). */
function allNumbersFinite(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v !== null && typeof v === 'object') return Object.values(v).every(allNumbersFinite);
  return true;
}

/** No object reachable from `v` has an own hostile key or a prototype other than Object's. */
function noHostileShape(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  if (Object.hasOwn(v, '__proto__') || Object.hasOwn(v, 'constructor') || Object.hasOwn(v, 'prototype')) return false;
  return Object.values(v).every(noHostileShape);
}

function assertPrototypeIntact(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
}

/** A failed invariant; fast-check shrinks and reports the record that broke it. */
class InvariantError extends Error {}

function check(condition: boolean, what: string, raw: Uint8Array | string): void {
  if (!condition) throw new InvariantError(`${what} (record starts ${JSON.stringify(String(raw).slice(0, 120))})`);
}

/**
 * Decodes `raw` and checks the invariants every outcome must satisfy; returns the outcome.
 * Plain checks instead of `expect` here: this runs 100,000+ times and must stay cheap.
 */
function decodeChecked(raw: Uint8Array | string, c: DecodeContext = ctx): DecodeResult {
  generated++;
  let r: DecodeResult;
  try {
    r = decodeEvent(raw, c);
  } catch (err) {
    throw new InvariantError(`decodeEvent threw ${String(err)}`);
  }
  if (r.ok) {
    check(TENANT_ID_PATTERN.test(r.event.tenantid), 'accepted event has an invalid tenant', raw);
    check(Number.isFinite(r.eventTimeMs), 'accepted event has a non-finite time', raw);
    check(allNumbersFinite(r.event.data), 'accepted event carries NaN or Infinity', raw);
    check(noHostileShape(r.event), 'accepted event carries a hostile key or prototype', raw);
  } else {
    check(REASONS.has(r.rejection.reason), `undocumented rejection reason ${r.rejection.reason}`, raw);
    check(r.rejection.message.length > 0, 'rejection without a message', raw);
    const t = r.rejection.tenantId;
    check(t === undefined || TENANT_ID_PATTERN.test(t), 'rejection keyed by an invalid tenant', raw);
  }
  return r;
}

const text = (v: unknown): string => JSON.stringify(v);

/** A valid event as a plain JSON object, so tests can mutate it. */
const arbEventObject = arbEvent().map((e) => JSON.parse(text(e)) as Record<string, unknown>);

/** Sets `value` at `path` (creating objects on the way), returning a mutated copy. */
function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = JSON.parse(text(obj)) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(cur, key) ? cur[key] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const fresh: Record<string, unknown> = {};
      Object.defineProperty(cur, key, { value: fresh, enumerable: true, writable: true, configurable: true });
      cur = fresh;
    } else {
      cur = next as Record<string, unknown>;
    }
  }
  Object.defineProperty(cur, path[path.length - 1] as string, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

describe('decodeEvent under fuzzing', () => {
  afterEach(() => {
    assertPrototypeIntact();
  });

  it('never throws on byte garbage and rejects it with a documented reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = decodeChecked(bytes);
        // Random bytes are almost never a JSON object with a valid tenant; when they are, fine.
        if (!r.ok) expect(r.rejection.reason).not.toBe('late');
      }),
      { numRuns: 20_000 },
    );
  });

  it('rejects every truncated or byte-flipped valid event without throwing', () => {
    fc.assert(
      fc.property(arbEvent(), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (event, cut, flip) => {
        const bytes = encodeEvent(event);
        // Cutting anywhere inside a record (possibly inside a multi-byte character) breaks the JSON.
        const at = Math.min(bytes.length - 1, Math.floor(cut * bytes.length));
        const truncated = bytes.subarray(0, at);
        expect(decodeChecked(truncated).ok).toBe(false);
        const flipped = Uint8Array.from(bytes);
        flipped[Math.abs(flip) % flipped.length] ^= 0x80 | (flip & 0x7f);
        decodeChecked(flipped);
      }),
      { numRuns: 10_000 },
    );
  });

  it('rejects text cut in the middle of multi-byte UTF-8 characters', () => {
    fc.assert(
      fc.property(
        arbEvent(),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        fc.nat(),
        (event, label, cut) => {
          const bytes = encodeEvent({ ...event, source: `/${label}` });
          const at = 1 + (cut % (bytes.length - 1));
          const r = decodeChecked(bytes.subarray(0, at));
          expect(r.ok).toBe(false);
          // Lone surrogates and invalid sequences as a whole record also stay rejections.
          decodeChecked(Buffer.concat([bytes.subarray(0, at), Buffer.from([0xf0, 0x9f, 0x98])]));
        },
      ),
      { numRuns: 8_000 },
    );
  });

  it('survives deep nesting of arrays and objects, in the envelope and in data', () => {
    fc.assert(
      fc.property(
        arbEventObject,
        fc.integer({ min: 1, max: 20_000 }),
        fc.constantFrom('[', '{"a":'),
        fc.constantFrom('data', 'envelope', 'whole'),
        (event, depth, open, where) => {
          const close = open === '[' ? ']' : '}';
          const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
          const base = text(event);
          const raw =
            where === 'whole'
              ? nested
              : where === 'data'
                ? base.replace('"data":{', `"data":{"deep":${nested},`)
                : `{"deep":${nested},${base.slice(1)}`;
          decodeChecked(raw, bigCtx);
          decodeChecked(raw);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('rejects megabyte records as too_large, and decodes them safely when the limit allows', () => {
    fc.assert(
      fc.property(
        arbEventObject,
        fc.integer({ min: 1_000_000, max: 1_100_000 }),
        fc.constantFrom('a', 'é', '😀', '\\u0000'),
        (event, size, unit) => {
          const filler = unit.repeat(Math.ceil(size / Buffer.byteLength(unit)));
          const raw = text(event).replace('"data":{', `"data":{"blob":"${filler}",`);
          const r = decodeChecked(raw);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.rejection.reason).toBe('too_large');
          // Same record with the limit lifted: parsed, and the unknown huge field is dropped.
          const big = decodeChecked(raw, bigCtx);
          if (big.ok) expect(text(big.event).length).toBeLessThan(10_000);
          // As bytes too (the handler passes Uint8Array).
          expect(decodeChecked(Buffer.from(raw, 'utf8')).ok).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never lets hostile keys pollute prototypes or reach accepted events', () => {
    const hostileValue = fc.oneof(
      fc.constant({ polluted: true, isAdmin: true }),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(
        arbEventObject,
        fc.array(
          fc.tuple(fc.constantFrom([], ['data'], ['data', 'nested']), fc.constantFrom(...HOSTILE_KEYS), hostileValue),
          { minLength: 1, maxLength: 4 },
        ),
        (event, injections) => {
          let mutated = event;
          for (const [prefix, key, value] of injections) mutated = setPath(mutated, [...prefix, key], value);
          // JSON.stringify keeps an own "__proto__" key; JSON.parse then creates it as own data.
          const raw = text(mutated);
          const r = decodeChecked(raw);
          decodeChecked(Buffer.from(raw, 'utf8'));
          if (r.ok) {
            expect(Object.keys(r.event.data)).not.toContain('__proto__');
            expect((r.event.data as Record<string, unknown>).polluted).toBeUndefined();
          }
          // Hand-written variants: the literal text producers could send.
          for (const key of ['__proto__', 'constructor', 'prototype']) {
            const literal = `{"${key}":{"polluted":1},${text(event).slice(1)}`;
            decodeChecked(literal);
            decodeChecked(literal.replace('"data":{', `"data":{"${key}":{"prototype":{"polluted":1}},`));
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('never accepts NaN, Infinity or out-of-range numbers in numeric fields', () => {
    const numericFields = [
      'handleTimeMs',
      'totalMs',
      'sttMs',
      'llmMs',
      'ttsMs',
      'latencyMs',
      'qualityScore',
      'status',
      'score',
      'valueUsd',
      'mrrDeltaUsd',
      'resolutionMs',
    ];
    fc.assert(
      fc.property(
        arbEventObject,
        fc.constantFrom(...numericFields),
        fc.constantFrom(
          '1e999',
          '-1e999',
          'NaN',
          'Infinity',
          '-Infinity',
          '1e308',
          '-0',
          '0x10',
          '1_000',
          '"12"',
          '9'.repeat(400),
        ),
        (event, field, literal) => {
          const raw = text(event).replace('"data":{', `"data":{"${field}":${literal},`);
          // Duplicate keys: JSON.parse keeps the last one, so put the hostile literal last too.
          const last = text(event).replace(/}}$/, `,"${field}":${literal}}}`);
          for (const r of [decodeChecked(raw), decodeChecked(last)]) {
            if (r.ok) expect(allNumbersFinite(r.event)).toBe(true);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('rejects huge strings in identifier fields and the envelope', () => {
    fc.assert(
      fc.property(
        arbEventObject,
        fc.constantFrom(
          ['id'],
          ['source'],
          ['type'],
          ['time'],
          ['tenantid'],
          ['data', 'sessionId'],
          ['data', 'userId'],
          ['data', 'route'],
        ),
        fc.integer({ min: 257, max: 60_000 }),
        fc.constantFrom('x', 'ß', '\u202e', '\ud83d'),
        (event, path, length, unit) => {
          const r = decodeChecked(text(setPath(event, path, unit.repeat(length))));
          if (!r.ok) {
            expect(r.rejection.message.length).toBeLessThan(2_000);
          } else {
            // Only a field the event's type does not declare may be long: it is dropped.
            expect(text(r.event).length).toBeLessThan(10_000);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('accepts or rejects valid events with one field replaced by anything, never throwing', () => {
    fc.assert(
      fc.property(
        arbEventObject,
        fc.nat(),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.constantFrom(undefined, -1, 0, 1.5, 1e21, -1e21, '', ' ', 'NaN', true, false, null, [], {}),
          fc.string({ unit: 'grapheme', maxLength: 80 }),
        ),
        (event, pick, value) => {
          const data = event.data as Record<string, unknown>;
          const paths = [...Object.keys(event).map((k) => [k]), ...Object.keys(data).map((k) => ['data', k])];
          const path = paths[pick % paths.length] as string[];
          const mutated = setPath(event, path, value);
          const r = decodeChecked(text(mutated));
          if (r.ok) {
            // Whatever was accepted decodes again to the same event (decoding is a projection).
            const again = decodeChecked(text(r.event));
            expect(again.ok && text(again.event)).toBe(text(r.event));
          } else if (r.rejection.field !== undefined) {
            expect(r.rejection.message).toContain(r.rejection.field);
          }
        },
      ),
      { numRuns: 15_000 },
    );
  });

  it('accepts every valid event unchanged in its contract fields', () => {
    fc.assert(
      fc.property(arbEvent(), (event) => {
        const r = decodeChecked(encodeEvent(event));
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.event.tenantid).toBe(event.tenantid);
          expect(r.event.id).toBe(event.id);
          // Compared as JSON: the record went through JSON, so -0 arrives as 0.
          expect(text(r.event.data)).toBe(text(event.data));
        }
      }),
      { numRuns: 4_000 },
    );
  });

  it('never throws on arbitrary JSON documents and unicode text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json({ maxDepth: 4 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc
            .jsonValue({ maxDepth: 3 })
            .map((v) => text({ specversion: '1.0', tenantid: 'acme', type: 'user.active', data: v })),
        ),
        (raw) => {
          decodeChecked(raw);
        },
      ),
      { numRuns: 15_000 },
    );
  });

  it('generated at least 100,000 records across the properties above', () => {
    // The figure RELIABILITY.md quotes.
    console.log(`decodeEvent fuzzed with ${generated} records`);
    expect(generated).toBeGreaterThanOrEqual(100_000);
  });
});
