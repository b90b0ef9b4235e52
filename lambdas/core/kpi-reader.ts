/**
 * Reading KPIs back: the port the CLI, reports and tests use, and merge helpers. Hours and days
 * are stored as items of their own, so a range at a granularity is one query; merging buckets
 * (a week of days, a month for MAU) merges their KpiSets.
 */
import { KpiSet } from './aggregates';
import type { KpiCatalog } from './catalog';
import { type ExportRow, exportRows } from './export';
import type { Granularity } from './time/buckets';

/** A range query: the buckets of `granularity` overlapping [fromMs, toMs) (as `bucketsBetween`). */
export interface KpiQuery {
  /** Tenant id, or `*` for the fleet. */
  readonly tenant: string;
  readonly granularity: Granularity;
  readonly fromMs: number;
  readonly toMs: number;
}

/** One stored bucket. */
export interface KpiBucket {
  readonly bucketStartMs: number;
  readonly set: KpiSet;
}

/** Where KPIs are read from. */
export interface KpiSource {
  /** The buckets with data in the range, in time order. */
  read(q: KpiQuery): Promise<KpiBucket[]>;
  /**
   * A source for one run (a report invocation) that may keep, for that run only, what cannot change
   * what the run reads (the DynamoDB reader's open-period marks); reads give the same buckets.
   * Callers make one per run and drop it after. Absent: the source itself serves every run.
   */
  forRun?(): KpiSource;
}

/** The merge of all `buckets` (an empty set when there are none). */
export function mergeBuckets(catalog: KpiCatalog, buckets: readonly KpiBucket[]): KpiSet {
  const out = new KpiSet(catalog);
  for (const b of buckets) out.mergeFrom(b.set);
  return out;
}

/** Reads a range and merges it into one KpiSet (e.g. 30 days -> MAU). */
export async function readMerged(source: KpiSource, catalog: KpiCatalog, q: KpiQuery): Promise<KpiSet> {
  return mergeBuckets(catalog, await source.read(q));
}

/** Reads a range and returns its export rows, bucket by bucket. */
export async function readExportRows(source: KpiSource, q: KpiQuery): Promise<ExportRow[]> {
  const buckets = await source.read(q);
  return buckets.flatMap((b) => exportRows(q.tenant, q.granularity, b.bucketStartMs, b.set));
}
