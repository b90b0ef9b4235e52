/**
 * `kpi backtest --metrics FILE`: replays recorded metrics (the aggregator's EMF log lines, or the
 * metrics.ndjson `kpi local --export-dir` writes) against the alarms the configuration would
 * deploy (CloudWatch's, plus the per-tenant and silent-tenant rules the pipeline evaluates
 * itself), and prints what would have fired, when, at which severity.
 */
import { readFileSync } from 'node:fs';
import { AlarmEvaluationError, backtest, formatBacktest } from '../../lambdas/core/alarm-evaluator';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { tenantAlarmDefinitions } from '../../lambdas/core/tenant-alarms';
import { loadConfigFile } from '../../lib/config/load';
import { UsageError } from '../errors';
import type { CliIo } from '../io';
import { synthesizeTemplates, withLocalReferences } from '../synth';

/** Options of `kpi backtest`. */
export interface BacktestCliOptions {
  metrics: string;
  config: string;
  json?: boolean;
}

/** Runs `kpi backtest`. */
export async function runBacktestCommand(opts: BacktestCliOptions, io: CliIo): Promise<void> {
  let text: string;
  try {
    text = readFileSync(opts.metrics, 'utf8');
  } catch (err) {
    throw new UsageError(
      `Cannot read --metrics ${opts.metrics}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`,
    );
  }
  const config = loadConfigFile(opts.config);
  io.err('Synthesizing the alarms of this configuration...\n');
  const templates = synthesizeTemplates(config);
  // Alarms live in one stack today; merging keeps backtest right if they are ever split. Alarms
  // on metrics a recording cannot hold (AWS/Lambda errors) stay without data, as in CloudWatch.
  const merged = withLocalReferences({
    Resources: Object.assign({}, ...Object.values(templates).map((t) => t.Resources ?? {})),
  });
  // The per-tenant rules and the silent-tenant rule run in the pipeline's own evaluator, not in
  // CloudWatch: replay them too, or a backtest misses what they would have paged.
  const pipelineAlarms = tenantAlarmDefinitions(config, catalogFor(config), perTenantAlarmTenants(config));
  try {
    const report = backtest(merged, text.split('\n'), { pipelineAlarms });
    const out = formatBacktest(report, opts.json === true ? 'json' : 'table');
    io.out(out.endsWith('\n') ? out : `${out}\n`);
  } catch (err) {
    if (err instanceof AlarmEvaluationError) throw new UsageError(err.message);
    throw err;
  }
}
