import { type ExportRow, toCsv } from '../export';
import type { KpiReading } from '../health/types';
import { formatBucket } from '../time/buckets';
import type { ReportModel } from './model';

/** Export rows of one tenant's day bucket, the same rows `exportRows` gives for its KpiSet. */
function rowsOf(tenant: string, bucketStartMs: number, values: readonly KpiReading[]): ExportRow[] {
  const bucketStart = formatBucket(bucketStartMs);
  return values.map((v) => ({
    tenant,
    kpi: v.kpi,
    granularity: 'day',
    bucketStart,
    value: v.value,
    count: v.count,
    ...(v.p50 === undefined ? {} : { p50: v.p50 }),
    ...(v.p95 === undefined ? {} : { p95: v.p95 }),
    ...(v.p99 === undefined ? {} : { p99: v.p99 }),
  }));
}

/**
 * The CSV attachment: the fleet's day buckets of the period in the export format, so it opens in
 * the same tools as `kpi export`. Fleet rows only, which keeps the size flat for any fleet size.
 */
export function reportCsv(model: ReportModel): string {
  return toCsv(model.fleetDays.flatMap((d) => rowsOf('*', d.bucketStartMs, d.values)));
}
