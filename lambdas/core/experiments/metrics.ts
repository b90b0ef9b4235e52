/**
 * The per-variant CloudWatch metric of an experiment: what the aggregator publishes for the
 * experiment items it writes (`lambdas/adapters/metrics-emf-experiments.ts`) and what the fleet
 * dashboard's experiment widget reads (`lib/constructs/dashboards.ts`).
 *
 * - Namespace: the configuration's `metricsNamespace`, as every KPI metric.
 * - Dimensions exactly {@link EXPERIMENT_DIMENSION} and {@link VARIANT_DIMENSION}, with the
 *   configured experiment id and variant id only: events naming an unknown experiment or
 *   variant feed `_unknown` items, which are never published. So the metrics stay bounded by the
 *   configuration: one per (experiment, variant), {@link experimentMetricCount}.
 * - Only the primary KPI, the widget's one reader: secondary KPIs are read from the KPI table
 *   by `kpi experiment` and the report, and a metric nobody graphs would only cost.
 * - Metric name: the KPI's catalog metric (`ResolutionRate`; a second time series beside the
 *   fleet's, told apart by its dimensions), or the KPI name in PascalCase for a KPI the catalog
 *   does not publish.
 * - Values follow the KPI metric contract (`lambdas/core/alarms/metric-contract.ts`): rates and
 *   means as event-weighted samples (`Average`), quantile KPIs as a distribution (`p50`).
 *
 * Pure: no SDK, no environment; time comes in as an argument.
 */
import { METRIC_UNIT } from '../catalog/builders';
import type { KpiCatalog } from '../catalog/catalog';
import type { KpiDefinition } from '../catalog/types';
import type { ExperimentConfig } from './config';

/** The dimension naming the experiment. */
export const EXPERIMENT_DIMENSION = 'Experiment';
/** The dimension naming the variant. */
export const VARIANT_DIMENSION = 'Variant';

/** The published metric of one experiment's primary KPI, one time series per variant. */
export interface ExperimentMetric {
  readonly experiment: string;
  /** The configured title, else the id. */
  readonly title: string;
  /** Configured variant ids, the control first. */
  readonly variants: readonly string[];
  readonly control: string;
  readonly kpi: KpiDefinition;
  readonly metricName: string;
  /** A CloudWatch unit, e.g. `Milliseconds`, `None`. */
  readonly unit: string;
  /** What the widget draws: `p50` for quantile KPIs (the U test compares distributions), else `Average`. */
  readonly statistic: 'Average' | 'p50';
}

/** The part of an experiment's configuration its metric needs. */
export type MetricExperiment = Pick<
  ExperimentConfig,
  'id' | 'title' | 'variants' | 'control' | 'primaryKpi' | 'start' | 'end'
>;

/** A KPI's metric name: the catalog's, or the KPI name in PascalCase when the catalog publishes none. */
function metricNameOf(kpi: KpiDefinition): string {
  if (kpi.metric !== undefined) return kpi.metric.name;
  return kpi.name
    .split('_')
    .map((p) => (p === '' ? '' : p[0]!.toUpperCase() + p.slice(1)))
    .join('');
}

/**
 * The metric of each experiment, in configuration order. Experiments whose primary KPI is not
 * in `catalog` are left out (the configuration schema refuses them before this runs).
 */
export function experimentMetrics(
  experiments: readonly MetricExperiment[],
  catalog: Pick<KpiCatalog, 'get'>,
): ExperimentMetric[] {
  const out: ExperimentMetric[] = [];
  for (const e of experiments) {
    const kpi = catalog.get(e.primaryKpi);
    if (kpi === undefined) continue;
    const ids = e.variants.map((v) => v.id);
    out.push({
      experiment: e.id,
      title: e.title ?? e.id,
      variants: [e.control, ...ids.filter((v) => v !== e.control)],
      control: e.control,
      kpi,
      metricName: metricNameOf(kpi),
      unit: kpi.metric?.unit ?? METRIC_UNIT[kpi.unit],
      statistic: kpi.aggregation === 'quantiles' ? 'p50' : 'Average',
    });
  }
  return out;
}

/** Experiments that are running or yet to start at `nowMs`: no end, or an end after `nowMs`. */
export function runningExperiments<E extends Pick<ExperimentConfig, 'end'>>(
  experiments: readonly E[],
  nowMs: number,
): E[] {
  return experiments.filter((e) => e.end === undefined || Date.parse(e.end) > nowMs);
}

/**
 * Custom metrics the experiments add, at most: one per (experiment, variant). A metric is billed
 * for the hours it receives data, so an experiment that has ended stops costing within the month.
 */
export function experimentMetricCount(experiments: ReadonlyArray<Pick<ExperimentConfig, 'variants'>>): number {
  return experiments.reduce((n, e) => n + e.variants.length, 0);
}

/** The dimensions of one variant's time series. */
export function experimentDimensions(experiment: string, variant: string): Record<string, string> {
  return { [EXPERIMENT_DIMENSION]: experiment, [VARIANT_DIMENSION]: variant };
}
