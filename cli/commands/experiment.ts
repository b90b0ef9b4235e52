/**
 * `kpi experiment ID`: an experiment's result per KPI and variant against the control (lift with
 * 95% intervals, p-value, verdict) and its sample-ratio check, from the experiment items of the
 * KPI table, locally or in AWS.
 */
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import type { KpiUnit } from '../../lambdas/core/catalog/types';
import {
  analyzeExperiment,
  EXPERIMENT_COLUMNS,
  type ExperimentResult,
  type ExperimentRow,
  experimentRows,
  formatPValue,
  formatRelativeLift,
  readExperiment,
  VERDICT_WORDS,
} from '../../lambdas/core/experiments';
import { isFleet, scopeLabel } from '../../lambdas/core/vocabulary';
import { loadConfigFile } from '../../lib/config/load';
import { kpiReadFailure, UsageError } from '../errors';
import type { CliIo } from '../io';
import { parseInstant, resolveTarget } from '../wiring';
import { formatKpiValue, renderTable } from './format';
import type { TargetCliOptions } from './options';

/** Options of `kpi experiment`. */
export interface ExperimentCliOptions extends TargetCliOptions {
  /** Only check that the experiment runs in this tenant (the scope comes from the configuration). */
  tenant?: string;
  from?: string;
  to?: string;
  format?: string;
  kpiTable?: string;
}

const FORMATS = ['table', 'json', 'csv'] as const;
const DAY_MS = 86_400_000;

/** Runs `kpi experiment`. */
export async function runExperimentCommand(id: string, opts: ExperimentCliOptions, io: CliIo): Promise<void> {
  const config = loadConfigFile(opts.config);
  const exp = config.experiments.find((e) => e.id === id);
  if (exp === undefined) {
    const known = config.experiments.map((e) => e.id).join(', ') || 'none';
    throw new UsageError(`no experiment "${id}" in ${opts.config} (experiments[]: ${known}).`);
  }
  if (opts.tenant !== undefined && opts.tenant !== exp.tenant) {
    throw new UsageError(
      `experiment "${id}" runs in ${isFleet(exp.tenant) ? 'the fleet (*)' : `tenant ${exp.tenant}`}, not ${opts.tenant}.`,
    );
  }
  const format = opts.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}.`);
  const nowMs = io.now();
  const fromMs = opts.from === undefined ? Date.parse(exp.start) : parseInstant(opts.from, '--from');
  const endMs = exp.end === undefined ? nowMs : Math.min(nowMs, Date.parse(exp.end));
  // --to is a day, inclusive: `--to 2026-11-30` includes that day.
  const toMs = opts.to === undefined ? endMs : parseInstant(opts.to, '--to') + (opts.to.length <= 10 ? DAY_MS : 0);
  if (toMs <= fromMs) throw new UsageError('--to must be after --from.');
  const catalog = catalogFor(config);
  const target = resolveTarget(opts, config);
  const client = target.dynamodb();
  let result: ExperimentResult;
  let unknown: number;
  try {
    const store = new DynamoDbKpiStore({ client, tableName: opts.kpiTable ?? target.resources.kpiTable, catalog });
    const data = await readExperiment(store, catalog, exp, fromMs, toMs);
    result = analyzeExperiment(exp, catalog, data.sets, nowMs);
    unknown = data.unknownVariantEvents;
  } catch (err) {
    throw kpiReadFailure(err);
  } finally {
    client.destroy();
  }
  const rows = experimentRows(result);
  if (format === 'json') io.out(`${JSON.stringify({ ...result, unknownVariantEvents: unknown, rows }, null, 2)}\n`);
  else if (format === 'csv') io.out(experimentCsv(rows));
  else io.out(experimentText(result, rows, unknown, catalog.get.bind(catalog)));
}

/** The rows as CSV with {@link EXPERIMENT_COLUMNS} as header; numbers unrounded. */
export function experimentCsv(rows: readonly ExperimentRow[]): string {
  const cell = (v: string | number | null) => (v === null ? '' : String(v));
  return `${[EXPERIMENT_COLUMNS.join(','), ...rows.map((r) => EXPERIMENT_COLUMNS.map((c) => cell(r[c])).join(','))].join('\n')}\n`;
}

/** The human table: verdict per KPI, then the sample-ratio check and the caveats. */
export function experimentText(
  result: ExperimentResult,
  rows: readonly ExperimentRow[],
  unknownVariantEvents: number,
  kpi: (name: string) => { unit: KpiUnit } | undefined,
): string {
  const scope = isFleet(result.scope) ? scopeLabel(result.scope) : `tenant ${result.scope}`;
  const lines = [
    `Experiment ${result.id} (${scope}, ${result.status}, since ${result.start.slice(0, 10)}), control ${result.control}, alpha ${result.alpha}`,
    '',
  ];
  const table: string[][] = [
    ['KPI', 'variant', 'control', 'variant value', 'n (c / v)', 'relative lift [95% CI]', 'p', 'verdict'],
  ];
  for (const r of rows) {
    const unit = kpi(String(r.kpi))?.unit ?? 'count';
    table.push([
      `${r.kpi}${r.role === 'primary' ? ' (primary)' : ''}`,
      String(r.variant),
      formatKpiValue(r.control_value as number | null, unit),
      formatKpiValue(r.variant_value as number | null, unit),
      `${r.n_control} / ${r.n_variant}`,
      formatRelativeLift(r.rel_lift as number | null, r.rel_ci_low as number | null, r.rel_ci_high as number | null),
      formatPValue(r.p_adjusted as number | null),
      VERDICT_WORDS[r.verdict as keyof typeof VERDICT_WORDS],
    ]);
  }
  lines.push(renderTable(table));
  const srm = result.srm;
  const split = srm.observed
    .map((o) => `${o.variant} ${o.units} (${(o.plannedShare * 100).toFixed(0)}% planned)`)
    .join(', ');
  lines.push(
    srm.mismatch
      ? `SAMPLE RATIO MISMATCH (chi-square p = ${formatPValue(srm.pValue)}): ${split}. The split is not the planned one; do not trust these results until the assignment is fixed.`
      : `Sample ratio: ${split}; chi-square p = ${formatPValue(srm.pValue)}, no mismatch.`,
  );
  lines.push('p-values of secondary KPIs are Holm-adjusted; the primary KPI is tested on its own.');
  for (const k of result.kpis) if (k.unitNote !== undefined) lines.push(`Note: ${k.unitNote}.`);
  if (unknownVariantEvents > 0)
    lines.push(`${unknownVariantEvents} events named this experiment with an unconfigured variant.`);
  return `${lines.join('\n')}\n`;
}
