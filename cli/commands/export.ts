/**
 * `kpi export`: KPIs of a tenant (or the fleet) over a time range, in the contract's export
 * format, as CSV or JSON Lines, to stdout or a file.
 */
import { writeFileSync } from 'node:fs';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { isKpiTenant } from '../../lambdas/core/aggregation';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { type ExportRow, toCsv, toJsonLines } from '../../lambdas/core/export';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import type { Granularity } from '../../lambdas/core/time/buckets';
import { loadConfigFile } from '../../lib/config/load';
import { kpiReadFailure, UsageError } from '../errors';
import type { CliIo } from '../io';
import { parseInstant, resolveTarget } from '../wiring';
import type { TargetCliOptions } from './options';

/** Options of `kpi export`. */
export interface ExportCliOptions extends TargetCliOptions {
  tenant: string;
  from: string;
  to: string;
  granularity: Granularity;
  format: 'csv' | 'jsonl';
  kpi?: string[];
  out?: string;
  kpiTable?: string;
}

/** Most buckets one export may span, so a typo in --from cannot start a year of minute queries. */
export const MAX_EXPORT_BUCKETS = 50_000;

/** Renders rows in the chosen format (CSV with its header). */
export function renderExport(rows: readonly ExportRow[], format: 'csv' | 'jsonl'): string {
  return format === 'csv' ? toCsv(rows, { header: true }) : toJsonLines(rows);
}

/** Runs `kpi export`. */
export async function runExportCommand(opts: ExportCliOptions, io: CliIo): Promise<void> {
  const config = loadConfigFile(opts.config);
  const fromMs = parseInstant(opts.from, '--from');
  const toMs = parseInstant(opts.to, '--to');
  if (toMs <= fromMs) throw new UsageError('--to must be after --from (the range is [from, to)).');
  // No aliases: `*` is the fleet, every other value a tenant id (a tenant may be called `fleet`).
  const tenant = opts.tenant;
  if (!isKpiTenant(tenant))
    throw new UsageError(`--tenant "${opts.tenant}" is not a tenant id; use a tenant id or "*" for the fleet.`);
  const size = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[opts.granularity];
  if ((toMs - fromMs) / size > MAX_EXPORT_BUCKETS) {
    throw new UsageError(
      `The range spans more than ${MAX_EXPORT_BUCKETS} ${opts.granularity} buckets; use a coarser --granularity or a shorter range.`,
    );
  }
  const catalog = catalogFor(config);
  if (opts.kpi !== undefined) {
    const unknown = opts.kpi.filter((k) => catalog.get(k) === undefined);
    if (unknown.length > 0) throw new UsageError(`Unknown KPI(s): ${unknown.join(', ')}. See README, KPI catalog.`);
  }
  const target = resolveTarget(opts, config);
  const client = target.dynamodb();
  try {
    const reader = new DynamoDbKpiReader({
      client,
      tableName: opts.kpiTable ?? target.resources.kpiTable,
      catalog,
      consistentRead: true,
    });
    let rows = await readExportRows(reader, { tenant, granularity: opts.granularity, fromMs, toMs });
    if (opts.kpi !== undefined) {
      const wanted = new Set(opts.kpi);
      rows = rows.filter((r) => wanted.has(r.kpi));
    }
    const text = renderExport(rows, opts.format);
    if (opts.out === undefined) io.out(text);
    else {
      writeFileSync(opts.out, text);
      io.err(`Wrote ${rows.length} rows to ${opts.out}.\n`);
    }
  } catch (err) {
    throw kpiReadFailure(err);
  } finally {
    client.destroy();
  }
}
