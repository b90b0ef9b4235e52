/**
 * `kpi report KIND --date D --out FILE.html`: renders a scheduled report from the KPI and
 * incidents tables of a target, without mailing it.
 */
import { DynamoDbIncidentStore } from '../../lambdas/adapters/incident-store-dynamodb';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import type { ReportKind } from '../../lambdas/core/config/schema';
import { loadConfigFile } from '../../lib/config/load';
import { CommandFailedError, UsageError } from '../errors';
import type { CliIo } from '../io';
import { renderReportToFile } from '../report-preview';
import { parseInstant, resolveTarget } from '../wiring';
import type { TargetCliOptions } from './options';

/** Options of `kpi report`. */
export interface ReportCliOptions extends TargetCliOptions {
  date: string;
  out: string;
  kpiTable?: string;
  incidentTable?: string;
}

/** Runs `kpi report`. */
export async function runReportCommand(kind: string, opts: ReportCliOptions, io: CliIo): Promise<void> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) throw new UsageError(`--date "${opts.date}" must be YYYY-MM-DD.`);
  const dateMs = parseInstant(opts.date, '--date');
  const config = loadConfigFile(opts.config);
  const target = resolveTarget(opts, config);
  const client = target.dynamodb();
  try {
    const catalog = catalogFor(config);
    const kpiTable = opts.kpiTable ?? target.resources.kpiTable;
    // One command is one report run: the open-period marks are read once for all its reads.
    const source = new DynamoDbKpiReader({ client, tableName: kpiTable, catalog }).forRun();
    // Experiment items live in the KPI table; the executive summary reads them through the store.
    const experimentStore = new DynamoDbKpiStore({ client, tableName: kpiTable, catalog });
    const incidents = new DynamoDbIncidentStore(client, {
      tableName: opts.incidentTable ?? target.resources.incidentTable,
    });
    await renderReportToFile(kind as ReportKind, dateMs, source, incidents, config, opts.out, { experimentStore });
    io.out(`Wrote the ${kind} report for ${opts.date} to ${opts.out}.\n`);
  } catch (err) {
    throw new CommandFailedError(
      `Rendering the report failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}. ` +
        'Check the target (--local / --region) and the table names.',
      { cause: err },
    );
  } finally {
    client.destroy();
  }
}
