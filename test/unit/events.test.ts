import fc from 'fast-check';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { EVENT_TYPES, isValidTenantId } from '../../lambdas/core/events/contract';
import { type DecodeContext, type DecodeResult, decodeEvent, type Rejection } from '../../lambdas/core/events/decode';
import { arbEvent, DEFAULT_EVENT_TIME_MS, encodeEvent, makeCustomEvent, makeEvent } from '../support/events';

const catalog = KpiCatalog.create([
  { name: 'calls_booked', eventType: 'custom.booking.made', aggregation: 'sum', field: 'seats' },
  { name: 'booking_ok_rate', eventType: 'custom.booking.made', aggregation: 'rate', field: 'ok' },
  { name: 'booking_seats_spread', eventType: 'custom.booking.made', aggregation: 'quantiles', field: 'seats' },
]);
const ctx: DecodeContext = { nowMs: DEFAULT_EVENT_TIME_MS, catalog };

function rejected(result: DecodeResult): Rejection {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.rejection;
}

function decodeJson(value: unknown): DecodeResult {
  return decodeEvent(JSON.stringify(value), ctx);
}

describe('decodeEvent: valid events', () => {
  it.each(EVENT_TYPES)('accepts a valid %s and returns its fields and event time', (type) => {
    const event = makeEvent(type);
    const result = decodeEvent(encodeEvent(event), ctx);
    expect(result).toEqual({ ok: true, event, eventTimeMs: DEFAULT_EVENT_TIME_MS });
  });

  it('accepts every generated valid event, bytes or text', () => {
    fc.assert(
      fc.property(arbEvent({ fromMs: DEFAULT_EVENT_TIME_MS - 3_600_000, toMs: DEFAULT_EVENT_TIME_MS }), (event) => {
        const fromBytes = decodeEvent(encodeEvent(event), ctx);
        const fromText = decodeEvent(JSON.stringify(event), ctx);
        expect(fromBytes).toEqual({ ok: true, event, eventTimeMs: Date.parse(event.time) });
        expect(fromText).toEqual(fromBytes);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores unknown envelope attributes and unknown data fields', () => {
    const event = makeEvent('api.request.completed');
    const result = decodeJson({ ...event, traceparent: '00-abc', data: { ...event.data, extra: { deep: 1 } } });
    expect(result).toEqual({ ok: true, event, eventTimeMs: DEFAULT_EVENT_TIME_MS });
  });

  it('accepts optional fields being absent', () => {
    const event = makeEvent('agent.turn.completed', {
      data: { sttMs: undefined, llmMs: undefined, ttsMs: undefined, cacheHit: undefined },
    });
    expect(decodeJson(event)).toMatchObject({ ok: true, event });
  });

  it('accepts time zones other than Z and fractional seconds', () => {
    const event = makeEvent('healthcheck.completed', { time: '2026-11-22T09:00:00.250+01:00' });
    expect(decodeJson(event)).toMatchObject({ ok: true, eventTimeMs: DEFAULT_EVENT_TIME_MS + 250 });
  });

  it('keeps only scalar top-level data fields of declared custom events', () => {
    const event = makeCustomEvent('custom.booking.made', { seats: 3, ok: true, note: 'x' });
    const result = decodeJson({ ...event, data: { ...event.data, nested: { a: 1 }, list: [1] } });
    expect(result).toMatchObject({
      ok: true,
      event: { type: 'custom.booking.made', data: { seats: 3, ok: true, note: 'x' } },
    });
    if (result.ok) expect(Object.keys(result.event.data).sort()).toEqual(['note', 'ok', 'seats']);
  });
});

describe('decodeEvent: rejection reasons', () => {
  it('invalid_json: not JSON at all, with no tenant', () => {
    expect(rejected(decodeEvent('{"specversion":', ctx))).toMatchObject({ reason: 'invalid_json' });
    expect(rejected(decodeEvent('', ctx)).reason).toBe('invalid_json');
    expect(rejected(decodeEvent(new Uint8Array([0xff, 0xfe, 0x00]), ctx)).reason).toBe('invalid_json');
  });

  it('too_large: records above the limit are rejected before parsing', () => {
    const big = makeEvent('user.active', { data: { feature: 'x'.repeat(70_000) } });
    const r = rejected(decodeEvent(encodeEvent(big), ctx));
    expect(r.reason).toBe('too_large');
    expect(r.message).toContain('65536');
    // Not even parsed: invalid JSON over the limit is still too_large.
    expect(rejected(decodeEvent(`{${' '.repeat(70_000)}`, ctx)).reason).toBe('too_large');
    // Multi-byte characters count as bytes, not characters.
    expect(rejected(decodeEvent(`"${'é'.repeat(40_000)}"`, ctx)).reason).toBe('too_large');
    // The limit is configurable.
    expect(rejected(decodeEvent(encodeEvent(makeEvent('user.active')), { ...ctx, maxRecordBytes: 100 })).reason).toBe(
      'too_large',
    );
  });

  it('schema: names the field and the rule, and keeps the tenant and event id', () => {
    const event = makeEvent('agent.session.completed', { id: 'e-42', data: { handleTimeMs: -5 } });
    expect(rejected(decodeJson(event))).toEqual({
      reason: 'schema',
      message: 'data.handleTimeMs must be a finite number >= 0',
      field: 'data.handleTimeMs',
      rule: 'must be a finite number >= 0',
      tenantId: 'acme',
      eventId: 'e-42',
    });
  });

  it.each([
    ['missing data field', makeEvent('agent.turn.completed', { data: { ok: undefined } }), 'data.ok', 'is required'],
    [
      'wrong enum',
      makeEvent('agent.session.completed', { data: { channel: 'fax' as 'voice' } }),
      'data.channel',
      'must be one of voice, chat, email, whatsapp, web',
    ],
    [
      'status out of range',
      makeEvent('api.request.completed', { data: { status: 600 } }),
      'data.status',
      'must be a finite number <= 599',
    ],
    [
      'non-integer status',
      makeEvent('api.request.completed', { data: { status: 200.5 } }),
      'data.status',
      'must be an integer',
    ],
    [
      'csat score above 5',
      makeEvent('feedback.submitted', { data: { kind: 'csat', score: 9 } }),
      'data.score',
      'must be an integer 1..5 for kind csat',
    ],
    [
      'nps score above 10',
      makeEvent('feedback.submitted', { data: { kind: 'nps', score: 11 } }),
      'data.score',
      'must be a finite number <= 10',
    ],
    [
      'churn with positive delta',
      makeEvent('revenue.recorded', { data: { kind: 'churn', mrrDeltaUsd: 10 } }),
      'data.mrrDeltaUsd',
      'must be <= 0 for kind churn',
    ],
    [
      'quality above 1',
      makeEvent('voice.synthesis.completed', { data: { qualityScore: 1.5 } }),
      'data.qualityScore',
      'must be a finite number <= 1',
    ],
    ['bad specversion', { ...makeEvent('user.active'), specversion: '0.3' }, 'specversion', 'must be "1.0"'],
    ['empty id', makeEvent('user.active', { id: '' }), 'id', 'must not be empty'],
    ['missing source', { ...makeEvent('user.active'), source: undefined }, 'source', 'is required'],
    [
      'time without zone',
      makeEvent('user.active', { time: '2026-11-22T08:00:00' }),
      'time',
      'must be an RFC 3339 timestamp with zone, e.g. 2026-11-22T08:00:00Z',
    ],
    [
      'impossible date',
      makeEvent('user.active', { time: '2026-02-30T08:00:00Z' }),
      'time',
      'must be an RFC 3339 timestamp with zone, e.g. 2026-11-22T08:00:00Z',
    ],
    ['data not an object', { ...makeEvent('user.active'), data: 'hello' }, 'data', 'must be a JSON object'],
    [
      'custom field of the wrong type',
      makeCustomEvent('custom.booking.made', { seats: 'three' }),
      'data.seats',
      'must be a finite number >= 0 (a custom KPI measures it)',
    ],
    [
      'negative value of a field a custom quantile KPI measures',
      makeCustomEvent('custom.booking.made', { seats: -2 }),
      'data.seats',
      'must be a finite number >= 0 (a custom KPI measures it)',
    ],
  ])('schema: %s', (_name, value, field, rule) => {
    const r = rejected(decodeJson(value));
    expect(r).toMatchObject({ reason: 'schema', field, rule, message: `${field} ${rule}` });
  });

  it('schema: a JSON value that is not an object', () => {
    for (const text of ['42', 'null', '[]', '"event"', 'true']) {
      expect(rejected(decodeEvent(text, ctx))).toMatchObject({ reason: 'schema', rule: 'must be a JSON object' });
    }
  });

  it('unknown_type: unknown built-in names and undeclared custom types', () => {
    const r = rejected(decodeJson({ ...makeEvent('user.active'), type: 'agent.session.started' }));
    expect(r).toMatchObject({ reason: 'unknown_type', tenantId: 'acme', field: 'type' });
    const c = rejected(decodeJson(makeCustomEvent('custom.not.declared', { a: 1 })));
    expect(c.reason).toBe('unknown_type');
    expect(c.message).toContain('customKpis');
    // An undeclared custom type is unknown even for a catalog without custom KPIs.
    const builtIn = decodeEvent(JSON.stringify(makeCustomEvent('custom.booking.made', {})), {
      ...ctx,
      catalog: KpiCatalog.builtIn(),
    });
    expect(rejected(builtIn).reason).toBe('unknown_type');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['uppercase', 'Acme'],
    ['with #', 'acme#other'],
    ['with /', 'acme/other'],
    ['unicode', 'acmé'],
    ['too short', 'a'],
    ['leading dash', '-acme'],
    ['too long', `a${'b'.repeat(63)}`],
    ['a number', 42],
    ['an object', { toString: 'acme' }],
    ['with a newline', 'acme\n'],
  ])('bad_tenant: %s tenant id; the rejection carries no tenant', (_name, tenantid) => {
    const r = rejected(decodeJson({ ...makeEvent('user.active', { id: 'e-1' }), tenantid }));
    expect(r.reason).toBe('bad_tenant');
    expect(r.field).toBe('tenantid');
    expect(r.tenantId).toBeUndefined();
    expect(r.eventId).toBe('e-1');
  });

  it('late and future: relative to processing time, limits configurable', () => {
    const old = makeEvent('user.active', { time: new Date(DEFAULT_EVENT_TIME_MS - 8 * 86_400_000).toISOString() });
    expect(rejected(decodeJson(old))).toMatchObject({ reason: 'late', tenantId: 'acme', field: 'time' });
    const soon = makeEvent('user.active', { time: new Date(DEFAULT_EVENT_TIME_MS + 6 * 60_000).toISOString() });
    expect(rejected(decodeJson(soon))).toMatchObject({ reason: 'future', tenantId: 'acme' });
    const edge = makeEvent('user.active', { time: new Date(DEFAULT_EVENT_TIME_MS + 4 * 60_000).toISOString() });
    expect(decodeJson(edge).ok).toBe(true);
    expect(decodeEvent(JSON.stringify(old), { ...ctx, maxPastMs: 30 * 86_400_000 }).ok).toBe(true);
    expect(rejected(decodeEvent(JSON.stringify(edge), { ...ctx, maxFutureMs: 60_000 })).reason).toBe('future');
  });
});

describe('decodeEvent: hostile input', () => {
  it('__proto__ and constructor keys neither pollute prototypes nor reach the event', () => {
    const text = JSON.stringify(makeEvent('user.active'))
      .replace('"data":{', '"data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},')
      .replace('{"specversion"', '{"__proto__":{"polluted":true},"specversion"');
    const result = decodeEvent(text, ctx);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.keys(result.event.data).sort()).toEqual(['feature', 'userId']);
      expect(Object.getPrototypeOf(result.event.data)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(result.event)).toBe(Object.prototype);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('__proto__ in custom data is dropped', () => {
    const text = `{"specversion":"1.0","id":"1","source":"s","type":"custom.booking.made","time":"2026-11-22T08:00:00Z","tenantid":"acme","data":{"__proto__":{"seats":"x"},"prototype":1,"seats":2}}`;
    const result = decodeEvent(text, ctx);
    expect(result).toMatchObject({ ok: true, event: { data: { seats: 2 } } });
    if (result.ok) expect(Object.keys(result.event.data)).toEqual(['seats']);
    expect(({} as Record<string, unknown>).seats).toBeUndefined();
  });

  it.each([
    ['the string "NaN"', 'NaN'],
    ['the string "Infinity"', 'Infinity'],
    ['a numeric string', '120'],
    ['null', null],
    ['a boolean', true],
    ['an array', [1]],
  ])('numbers given as %s are rejected', (_name, value) => {
    const r = rejected(
      decodeJson(makeEvent('api.request.completed', { data: { latencyMs: value as unknown as number } })),
    );
    expect(r).toMatchObject({ reason: 'schema', field: 'data.latencyMs', rule: 'must be a finite number' });
  });

  it.each([
    [
      'a turn of 1e308 ms',
      makeEvent('agent.turn.completed', { data: { totalMs: 1e308 } }),
      'data.totalMs',
      '<= 31622400000',
    ],
    [
      'a session over 366 days',
      makeEvent('agent.session.completed', { data: { handleTimeMs: 31_622_400_001 } }),
      'data.handleTimeMs',
      '<= 31622400000',
    ],
    [
      'a won deal of 1e308 USD',
      makeEvent('sales.stage.changed', { data: { stage: 'won', valueUsd: 1e308 } }),
      'data.valueUsd',
      '<= 1000000000000',
    ],
    [
      'a churn of -1e308 USD',
      makeEvent('revenue.recorded', { data: { kind: 'churn', mrrDeltaUsd: -1e308 } }),
      'data.mrrDeltaUsd',
      '>= -1000000000000',
    ],
    [
      'a resolution time of 1e300 ms',
      makeEvent('support.ticket.updated', { data: { status: 'resolved', resolutionMs: 1e300 } }),
      'data.resolutionMs',
      '<= 31622400000',
    ],
    [
      'a measured custom field of 1e300',
      makeCustomEvent('custom.booking.made', { seats: 1e300 }),
      'data.seats',
      '0..1000000000000000',
    ],
  ])('schema: %s is out of bounds, and the message names the bound', (_name, value, field, bound) => {
    const r = rejected(decodeJson(value));
    expect(r).toMatchObject({ reason: 'schema', field });
    expect(r.message).toContain(bound);
  });

  it('accepts values at the bounds', () => {
    const longest = makeEvent('agent.turn.completed', { data: { totalMs: 31_622_400_000 } });
    const richest = makeEvent('sales.stage.changed', { data: { stage: 'won', valueUsd: 1e12 } });
    expect(decodeJson(longest).ok).toBe(true);
    expect(decodeJson(richest).ok).toBe(true);
  });

  it('invalid_json: bytes that are not UTF-8, even inside a string value of valid JSON', () => {
    const text = JSON.stringify(makeEvent('user.active', { data: { userId: 'u-XX' } }));
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('XX');
    bytes[at] = 0xc3; // a lead byte followed by ASCII: not UTF-8
    const r = rejected(decodeEvent(bytes, ctx));
    expect(r).toMatchObject({ reason: 'invalid_json' });
    expect(r.message).toContain('not UTF-8');
  });

  it('1e999 (parsed as Infinity) is rejected as not finite', () => {
    const text = JSON.stringify(makeEvent('api.request.completed')).replace('"latencyMs":120', '"latencyMs":1e999');
    expect(rejected(decodeEvent(text, ctx))).toMatchObject({ reason: 'schema', field: 'data.latencyMs' });
  });

  it('huge strings in ids are rejected with the limit', () => {
    const r = rejected(decodeJson(makeEvent('user.active', { data: { userId: 'u'.repeat(5000) } })));
    expect(r).toMatchObject({ reason: 'schema', field: 'data.userId', rule: 'must be at most 256 characters' });
  });

  it('deep nesting does not crash the decoder', () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    expect(rejected(decodeEvent(deep, ctx)).reason).toBe('schema');
    const inData = JSON.stringify(makeEvent('user.active')).replace(
      '"data":{',
      `"data":{"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},`,
    );
    expect(decodeEvent(inData, ctx).ok).toBe(true);
  });

  it('wrong types for envelope fields are schema rejections', () => {
    expect(rejected(decodeJson({ ...makeEvent('user.active'), id: 7 }))).toMatchObject({ field: 'id' });
    expect(rejected(decodeJson({ ...makeEvent('user.active'), type: ['user.active'] }))).toMatchObject({
      reason: 'schema',
      field: 'type',
    });
    expect(rejected(decodeJson({ ...makeEvent('user.active'), time: 1795334400000 }))).toMatchObject({ field: 'time' });
  });

  it('never throws for arbitrary text, bytes or JSON values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .record({
              specversion: fc.anything(),
              tenantid: fc.anything(),
              type: fc.constantFrom(...EVENT_TYPES),
              data: fc.anything(),
            })
            .map((v) => JSON.stringify(v) ?? ''),
        ),
        (input) => {
          const result = decodeEvent(input, ctx);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok && result.rejection.tenantId !== undefined) {
            expect(isValidTenantId(result.rejection.tenantId)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws for mutated valid events (any field replaced by any JSON value)', () => {
    fc.assert(
      fc.property(
        arbEvent(),
        fc.constantFrom('id', 'source', 'time', 'tenantid', 'data', 'type'),
        fc.jsonValue(),
        (e, key, v) => {
          const result = decodeJson({ ...e, [key]: v });
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('isValidTenantId', () => {
  it('accepts the contract pattern and nothing else', () => {
    expect(isValidTenantId('acme-eu-1')).toBe(true);
    expect(isValidTenantId('0a')).toBe(true);
    for (const bad of ['A', 'a', 'a_b', 'a b', '', undefined, null, 1]) expect(isValidTenantId(bad)).toBe(false);
  });
});
