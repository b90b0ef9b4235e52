import fc from 'fast-check';
import {
  bucketStart,
  bucketsBetween,
  childBuckets,
  formatBucket,
  GRANULARITIES,
  GRANULARITY_MS,
  InvalidBucketError,
  parseBucket,
} from '../../lambdas/core/time/buckets';

const T = Date.UTC(2026, 10, 22, 8, 37, 12, 345);

describe('UTC buckets', () => {
  it('starts minute, hour and day buckets at UTC boundaries', () => {
    expect(formatBucket(bucketStart(T, 'minute'))).toBe('2026-11-22T08:37:00Z');
    expect(formatBucket(bucketStart(T, 'hour'))).toBe('2026-11-22T08:00:00Z');
    expect(formatBucket(bucketStart(T, 'day'))).toBe('2026-11-22T00:00:00Z');
  });

  it('handles times before 1970 (floor, not truncation)', () => {
    expect(formatBucket(bucketStart(Date.UTC(1969, 11, 31, 23, 59, 30), 'minute'))).toBe('1969-12-31T23:59:00Z');
  });

  it('a bucket start is in its own bucket, at most one bucket before the time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), fc.constantFrom(...GRANULARITIES), (t, g) => {
        const s = bucketStart(t, g);
        expect(s).toBeLessThanOrEqual(t);
        expect(t - s).toBeLessThan(GRANULARITY_MS[g]);
        expect(bucketStart(s, g)).toBe(s);
        expect(parseBucket(formatBucket(s))).toBe(s);
      }),
    );
  });

  it('parses only the export form and rejects impossible dates', () => {
    expect(parseBucket('2026-11-22T08:00:00Z')).toBe(Date.UTC(2026, 10, 22, 8));
    for (const bad of [
      '2026-11-22T08:00:00.000Z',
      '2026-11-22 08:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-11-22T25:00:00Z',
      '',
    ]) {
      expect(() => parseBucket(bad)).toThrow(InvalidBucketError);
    }
  });

  it('lists the buckets overlapping a range', () => {
    const from = Date.UTC(2026, 10, 22, 8, 30);
    expect(bucketsBetween(from, from + 3 * 3_600_000, 'hour').map(formatBucket)).toEqual([
      '2026-11-22T08:00:00Z',
      '2026-11-22T09:00:00Z',
      '2026-11-22T10:00:00Z',
      '2026-11-22T11:00:00Z',
    ]);
    expect(bucketsBetween(from, from, 'minute')).toEqual([]);
    expect(childBuckets(Date.UTC(2026, 10, 22), 'day', 'hour')).toHaveLength(24);
    expect(childBuckets(Date.UTC(2026, 10, 22, 8), 'hour', 'minute')).toHaveLength(60);
  });
});
