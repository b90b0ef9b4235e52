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

function cell(v: string | number | null): string {
  const t = v === null ? '' : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/**
 * The incidents attachment: every incident the report lists, with its alarm name (the mail itself
 * titles incidents in words), so an engineer can find the alarm.
 */
export function incidentsCsv(model: ReportModel): string {
  const head = 'id,severity,title,alarm_name,tenant,state,opened_at,ack_ms,resolve_ms';
  const rows = model.incidents.all.map((r) =>
    [
      r.id,
      r.severity,
      r.title,
      r.alarmName,
      r.tenant,
      r.state,
      new Date(r.openedAtMs).toISOString(),
      r.ackMs,
      r.resolveMs,
    ]
      .map(cell)
      .join(','),
  );
  return `${[head, ...rows].join('\r\n')}\r\n`;
}
