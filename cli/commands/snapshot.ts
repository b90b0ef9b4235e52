/**
 * `kpi snapshot`: the current KPIs of a tenant or the fleet, as a readable table: today so far
 * (the day bucket) next to the last full hour.
 */
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { FLEET_TENANT, isKpiTenant } from '../../lambdas/core/aggregation';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import { bucketStart } from '../../lambdas/core/time/buckets';
import { loadConfigFile } from '../../lib/config/load';
import { kpiReadFailure, UsageError } from '../errors';
import type { CliIo } from '../io';
import { parseInstant, resolveTarget } from '../wiring';
import { kpiTableRows, renderTable } from './format';
import type { TargetCliOptions } from './options';

/** Options of `kpi snapshot`. */
export interface SnapshotCliOptions extends TargetCliOptions {
  tenant: string;
  at?: string;
  kpiTable?: string;
}

const HOUR_MS = 3_600_000;

/** Runs `kpi snapshot`. */
export async function runSnapshotCommand(opts: SnapshotCliOptions, io: CliIo): Promise<void> {
  const config = loadConfigFile(opts.config);
  // No aliases: `*` is the fleet, every other value a tenant id (a tenant may be called `fleet`).
  const tenant = opts.tenant;
  if (!isKpiTenant(tenant))
    throw new UsageError(`--tenant "${opts.tenant}" is not a tenant id; use a tenant id or "*" for the fleet.`);
  const atMs = opts.at === undefined ? io.now() : parseInstant(opts.at, '--at');
  const catalog = catalogFor(config);
  const target = resolveTarget(opts, config);
  const client = target.dynamodb();
  try {
    const reader = new DynamoDbKpiReader({ client, tableName: opts.kpiTable ?? target.resources.kpiTable, catalog });
    const dayStart = bucketStart(atMs, 'day');
    const lastHour = bucketStart(atMs, 'hour') - HOUR_MS;
    const [today, hour] = await Promise.all([
      readExportRows(reader, { tenant, granularity: 'day', fromMs: dayStart, toMs: dayStart + 24 * HOUR_MS }),
      readExportRows(reader, { tenant, granularity: 'hour', fromMs: lastHour, toMs: lastHour + HOUR_MS }),
    ]);
    const who = tenant === FLEET_TENANT ? 'fleet (all tenants)' : `tenant ${tenant}`;
    io.out(`KPIs of the ${who}, ${new Date(dayStart).toISOString().slice(0, 10)} so far (UTC)\n\n`);
    const rows = kpiTableRows(
      catalog,
      today,
      { label: `${new Date(lastHour).toISOString().slice(11, 16)} hour`, rows: hour },
      'today',
    );
    if (rows.length <= 1) {
      io.out('No KPIs yet for this day. Send events (`kpi send`) or pick another day with --at.\n');
      return;
    }
    io.out(renderTable(rows, { colour: io.isTTY }));
  } catch (err) {
    throw kpiReadFailure(err);
  } finally {
    client.destroy();
  }
}
