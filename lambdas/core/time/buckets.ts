/**
 * UTC time buckets. Every KPI is kept per minute, hour and day; a bucket is named by its start
 * (epoch ms, or `2026-11-22T08:00:00Z` in exports and keys).
 */

/** Bucket granularities, finest first. */
export const GRANULARITIES = ['minute', 'hour', 'day'] as const;
/** A bucket granularity. */
export type Granularity = (typeof GRANULARITIES)[number];

/** Length of a bucket in milliseconds. UTC has no DST, and leap seconds do not exist in epoch time. */
export const GRANULARITY_MS: Record<Granularity, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** A bucket string that is not `YYYY-MM-DDTHH:MM:SSZ`. */
export class InvalidBucketError extends Error {
  constructor(text: string) {
    super(`"${text.slice(0, 64)}" is not a bucket start; expected UTC like 2026-11-22T08:00:00Z`);
    this.name = 'InvalidBucketError';
  }
}

/** Start (epoch ms) of the `g` bucket holding `epochMs`. Works for times before 1970 too. */
export function bucketStart(epochMs: number, g: Granularity): number {
  const size = GRANULARITY_MS[g];
  return Math.floor(epochMs / size) * size;
}

/** `2026-11-22T08:00:00Z`: second precision, the form used in exports and storage keys. */
export function formatBucket(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

const BUCKET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/**
 * Inverse of {@link formatBucket}.
 * @throws InvalidBucketError for any other text
 */
export function parseBucket(s: string): number {
  const m = BUCKET.exec(s);
  if (m === null) throw new InvalidBucketError(s);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  // Round-trip check catches 2026-02-30 and 25:00:00, which Date.UTC would roll over.
  if (formatBucket(ms) !== s) throw new InvalidBucketError(s);
  return ms;
}

/**
 * Starts of the `g` buckets overlapping [fromMs, toMs): the first is the bucket holding
 * `fromMs`, the last starts before `toMs`. Empty when `toMs <= fromMs`.
 */
export function bucketsBetween(fromMs: number, toMs: number, g: Granularity): number[] {
  const out: number[] = [];
  const size = GRANULARITY_MS[g];
  for (let t = bucketStart(fromMs, g); t < toMs; t += size) out.push(t);
  return out;
}

/** The `g` buckets whose merge makes the coarser bucket starting at `start` (e.g. the 60 minutes of an hour). */
export function childBuckets(start: number, coarse: Granularity, fine: Granularity): number[] {
  return bucketsBetween(start, start + GRANULARITY_MS[coarse], fine);
}
