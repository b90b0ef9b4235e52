import fc from 'fast-check';
import {
  expiresAtSeconds,
  FLEET_TENANT,
  InvalidKpiKeyError,
  itemId,
  kpiItemKey,
  parseKpiItemKey,
} from '../../lambdas/core/aggregation/keys';
import { compareSequenceNumbers, InvalidSequenceNumberError } from '../../lambdas/core/aggregation/sequence';
import { bucketStart, GRANULARITIES } from '../../lambdas/core/time/buckets';
import { arbTenantId } from '../support/events';

const arbAddress = fc
  .record({
    tenant: fc.oneof(arbTenantId(), fc.constant(FLEET_TENANT)),
    granularity: fc.constantFrom(...GRANULARITIES),
    ms: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  })
  .map(({ tenant, granularity, ms }) => ({ tenant, granularity, bucketStartMs: bucketStart(ms, granularity) }));

describe('KPI item keys', () => {
  it('round-trip, and distinct (tenant, granularity, bucket) never share a key', () => {
    fc.assert(
      fc.property(arbAddress, arbAddress, (a, b) => {
        expect(parseKpiItemKey(kpiItemKey(a))).toEqual(a);
        const same = a.tenant === b.tenant && a.granularity === b.granularity && a.bucketStartMs === b.bucketStartMs;
        expect(itemId(kpiItemKey(a)) === itemId(kpiItemKey(b))).toBe(same);
      }),
    );
  });

  it('look like kpi#<tenant>#<granularity> / ISO bucket start', () => {
    expect(kpiItemKey({ tenant: 'acme', granularity: 'hour', bucketStartMs: Date.UTC(2026, 10, 22, 8) })).toEqual({
      pk: 'kpi#acme#hour',
      sk: '2026-11-22T08:00:00Z',
    });
    expect(kpiItemKey({ tenant: '*', granularity: 'day', bucketStartMs: Date.UTC(2026, 10, 22) }).pk).toBe('kpi#*#day');
  });

  it('refuse tenant ids that could forge another key, and unaligned buckets', () => {
    for (const tenant of ['acme#hour', 'a*', '', 'Acme', '-x']) {
      expect(() => kpiItemKey({ tenant, granularity: 'minute', bucketStartMs: 0 })).toThrow(InvalidKpiKeyError);
    }
    expect(() => kpiItemKey({ tenant: 'acme', granularity: 'hour', bucketStartMs: 60_000 })).toThrow(
      InvalidKpiKeyError,
    );
    expect(() => parseKpiItemKey({ pk: 'kpi#acme#hour#x', sk: '2026-11-22T08:00:00Z' })).toThrow(InvalidKpiKeyError);
  });

  it('expire at the bucket end plus the retention of the granularity', () => {
    const start = Date.UTC(2026, 10, 22, 8);
    expect(expiresAtSeconds({ tenant: 'acme', granularity: 'minute', bucketStartMs: start })).toBe(
      (start + 60_000) / 1000 + 14 * 86_400,
    );
    expect(
      expiresAtSeconds(
        { tenant: 'acme', granularity: 'day', bucketStartMs: Date.UTC(2026, 10, 22) },
        {
          minuteDays: 1,
          hourDays: 2,
          dayDays: 3,
        },
      ),
    ).toBe(Date.UTC(2026, 10, 23) / 1000 + 3 * 86_400);
  });
});

describe('sequence numbers', () => {
  it('compare exactly beyond 2^53', () => {
    const a = '49590338271490256608559692538361571095921575989136588898';
    const b = '49590338271490256608559692538361571095921575989136588899';
    expect(Number(a)).toBe(Number(b));
    expect(compareSequenceNumbers(a, b)).toBe(-1);
    expect(compareSequenceNumbers(b, a)).toBe(1);
    expect(compareSequenceNumbers(a, a)).toBe(0);
    expect(() => compareSequenceNumbers('1e5', a)).toThrow(InvalidSequenceNumberError);
  });
});
