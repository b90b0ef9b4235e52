/**
 * The executive report's Experiments section: every configured experiment that ran during the
 * period, its primary KPI lift with the 95% interval, p-value, verdict and sample-ratio check (as
 * `analyzeExperiment` computes them over the experiment's days up to the period's end), and the
 * daily primary KPI per variant for the chart. Pure apart from awaiting the KPI store port.
 */
import type { KpiStore } from '../aggregation';
import type { KpiCatalog } from '../catalog/catalog';
import type { KpiUnit } from '../catalog/types';
import {
  analyzeExperiment,
  type ExperimentConfig,
  type ExperimentResult,
  type ExperimentRow,
  experimentRows,
  formatPValue,
  formatRelativeLift,
  readExperiment,
  VERDICT_WORDS,
  type Verdict,
} from '../experiments';
import { formatValue } from './format';
import { utcDate } from './period';
import type { ReportPeriod } from './types';

/** Reads experiment day items: the `read` of the KPI store port (the DynamoDB KPI store in the handler). */
export type ReportExperimentStore = Pick<KpiStore, 'read'>;

/** One experiment as collected for a report: the analysis and its daily primary KPI per variant. */
export interface ReportExperimentData {
  readonly result: ExperimentResult;
  /** The primary KPI's value per variant and UTC day of the period (days without data are absent). */
  readonly daily: ReadonlyArray<{ readonly date: string; readonly variant: string; readonly value: number }>;
}

/** One experiment of the section. */
export interface ExperimentSummary
  extends Pick<ExperimentResult, 'id' | 'title' | 'scope' | 'status' | 'start' | 'end' | 'control'> {
  readonly primaryKpi: string;
  readonly primaryTitle: string;
  readonly unit: KpiUnit;
  /** The primary KPI's rows of `experimentRows`, one per treatment variant. */
  readonly rows: readonly ExperimentRow[];
  readonly srm: { readonly pValue: number; readonly mismatch: boolean };
  readonly daily: ReportExperimentData['daily'];
  /** Set when the primary KPI's events are not the randomized units. */
  readonly unitNote?: string;
}

/** Whether an experiment's schedule overlaps [startMs, endMs). */
function ranDuring(exp: ExperimentConfig, startMs: number, endMs: number): boolean {
  const end = exp.end === undefined ? Number.POSITIVE_INFINITY : Date.parse(exp.end);
  return Date.parse(exp.start) < endMs && end > startMs;
}

/**
 * Analyses the experiments that ran during the period, from their start to the period's end; the
 * status is the one at the period's end.
 * @throws KpiStoreError when the items cannot be read
 */
export async function collectExperiments(
  store: ReportExperimentStore,
  catalog: KpiCatalog,
  experiments: readonly ExperimentConfig[],
  period: ReportPeriod,
): Promise<ReportExperimentData[]> {
  const out: ReportExperimentData[] = [];
  for (const exp of experiments) {
    if (!ranDuring(exp, period.startMs, period.endMs)) continue;
    const data = await readExperiment(store, catalog, exp, Date.parse(exp.start), period.endMs);
    const result = analyzeExperiment(exp, catalog, data.sets, period.endMs);
    const daily = data.days
      .filter((d) => d.dayMs >= period.startMs)
      .map((d) => ({ date: utcDate(d.dayMs), variant: d.variant, value: d.set.value(exp.primaryKpi)?.value ?? null }))
      .filter(
        (d): d is { date: string; variant: string; value: number } => d.value !== null && Number.isFinite(d.value),
      )
      .sort((a, b) => a.date.localeCompare(b.date) || a.variant.localeCompare(b.variant));
    out.push({ result, daily });
  }
  return out;
}

/** The section's summaries, one per collected experiment, in configuration order. */
export function experimentSummaries(data: readonly ReportExperimentData[]): ExperimentSummary[] {
  return data.map(({ result, daily }) => {
    const primary = result.kpis.find((k) => k.role === 'primary');
    return {
      id: result.id,
      title: result.title,
      scope: result.scope,
      status: result.status,
      start: result.start,
      ...(result.end === undefined ? {} : { end: result.end }),
      control: result.control,
      primaryKpi: primary?.kpi ?? '',
      primaryTitle: primary?.title ?? 'primary KPI',
      unit: primary?.unit ?? 'count',
      rows: experimentRows(result).filter((r) => r.role === 'primary'),
      srm: { pValue: result.srm.pValue, mismatch: result.srm.mismatch },
      daily,
      ...(primary?.unitNote === undefined ? {} : { unitNote: primary.unitNote }),
    };
  });
}

const num = (v: string | number | null): number | null => (typeof v === 'number' ? v : null);

/** The experiment's heading: title, scope and schedule. */
export function experimentHeading(e: ExperimentSummary): string {
  const scope = e.scope === '*' ? 'fleet' : `tenant ${e.scope}`;
  const until = e.end === undefined ? '' : ` to ${e.end.slice(0, 10)}`;
  return `${e.title} (${e.status}, ${scope}, ${e.start.slice(0, 10)}${until})`;
}

/** The section's lines for one experiment: the numbers of the HTML, the text part and the chart's alternative. */
export function experimentLines(e: ExperimentSummary): string[] {
  const out = e.rows.map((r) => {
    const verdict = VERDICT_WORDS[(r.verdict ?? 'no_data') as Verdict];
    return (
      `${e.primaryTitle}, ${r.variant} vs ${e.control}: ${formatValue(num(r.variant_value), e.unit)} vs ` +
      `${formatValue(num(r.control_value), e.unit)}, lift ${formatRelativeLift(num(r.rel_lift), num(r.rel_ci_low), num(r.rel_ci_high))} ` +
      `(95% CI), p ${formatPValue(num(r.p_value))}: ${verdict} (n ${r.n_variant} vs ${r.n_control})`
    );
  });
  out.push(
    e.srm.mismatch
      ? `Sample ratio mismatch (p ${formatPValue(e.srm.pValue)}): the split is not the planned one, do not trust the result`
      : `Sample ratio as planned (p ${formatPValue(e.srm.pValue)})`,
  );
  if (e.unitNote !== undefined) out.push(e.unitNote);
  return out;
}

/** Chart file id of an experiment (ids are lower-case letters, digits, `-` and `_`). */
export function experimentChartId(e: ExperimentSummary): string {
  return `experiment-${e.id.replace(/_/g, '-')}`;
}

/** The chart's text alternative: each variant's daily values. */
export function experimentChartAlt(e: ExperimentSummary): string {
  const variants = [...new Set(e.daily.map((d) => d.variant))];
  const parts = variants.map(
    (v) =>
      `${v} ${e.daily
        .filter((d) => d.variant === v)
        .map((d) => `${d.date.slice(5)} ${formatValue(d.value, e.unit)}`)
        .join(', ')}`,
  );
  return `${e.title}: daily ${e.primaryTitle} per variant; ${parts.join('; ')}`;
}
