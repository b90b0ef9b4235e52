/**
 * Per-variant metrics of running experiments to CloudWatch through Powertools Metrics (EMF), as
 * `lambdas/core/experiments/metrics.ts` defines them for the fleet dashboard's experiment widget:
 * the primary KPI of each configured experiment, dimensions exactly `{ Experiment, Variant }`,
 * values by the KPI metric contract (event samples for rates and means, a distribution for
 * quantile KPIs; see `metrics-emf.ts`).
 *
 * The aggregator hands over the contributions it newly applied to experiment items (so a
 * redelivered record is not published twice); every other contribution goes to the wrapped
 * sink unchanged. Only configured experiments and variants are published: `_unknown` items,
 * and experiments or variants the configuration no longer names, never become a metric.
 *
 * Timestamp: experiment items are day items, so a contribution is stamped with the clock's
 * minute, kept inside the item's UTC day (the day's last minute for late events of an earlier
 * day). The aggregator runs seconds behind the stream, so the stamp is the events' minute but
 * for late ones; the widget's hourly points absorb the difference.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { AppliedMinuteDelta, KpiMetricsSink } from '../core/aggregation';
import type { KpiCatalog } from '../core/catalog';
import {
  type ExperimentMetric,
  experimentDimensions,
  experimentMetrics,
  type MetricExperiment,
} from '../core/experiments';
import { bucketStart } from '../core/time/buckets';
import { emitMetricDocuments, metricSamples } from './metrics-emf';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Settings of {@link EmfExperimentMetrics}. */
export interface EmfExperimentMetricsProps {
  /** The sink of every contribution that is not an experiment item's (the KPI metrics). */
  readonly inner: KpiMetricsSink;
  /** A Powertools Metrics instance in the KPI metrics' namespace (its default dimensions are cleared). */
  readonly metrics: Metrics;
  readonly catalog: KpiCatalog;
  /** The configured experiments. */
  readonly experiments: readonly MetricExperiment[];
  /** Stamps the contributions (epoch ms). */
  readonly now: () => number;
  /** Most values per variant and invocation. @default 1000, as the KPI metrics */
  readonly maxValuesPerMetric?: number;
}

/** {@link KpiMetricsSink} publishing experiment items per variant, and the rest through `inner`. */
export class EmfExperimentMetrics implements KpiMetricsSink {
  private readonly inner: KpiMetricsSink;
  private readonly metrics: Metrics;
  private readonly byId: ReadonlyMap<string, ExperimentMetric>;
  private readonly now: () => number;
  private readonly cap: number;

  constructor(props: EmfExperimentMetricsProps) {
    this.inner = props.inner;
    this.metrics = props.metrics;
    // Powertools adds a `service` dimension by default; the widget addresses Experiment and Variant alone.
    this.metrics.clearDefaultDimensions();
    this.byId = new Map(experimentMetrics(props.experiments, props.catalog).map((m) => [m.experiment, m]));
    this.now = props.now;
    this.cap = props.maxValuesPerMetric ?? 1000;
  }

  publish(deltas: readonly AppliedMinuteDelta[]): void {
    this.inner.publish(deltas);
    const nowMs = this.now();
    for (const d of deltas) {
      const cell = d.experiment;
      if (cell === undefined) continue;
      const m = this.byId.get(cell.id);
      if (m === undefined || !m.variants.includes(cell.variant)) continue;
      const v = d.set.value(m.kpi.name);
      if (v === undefined || v.value === null || v.count === 0) continue;
      const values = metricSamples(m.kpi, d.set, v.value, v.count, this.cap);
      if (values.length === 0) continue;
      const day = bucketStart(d.bucketStartMs, 'day');
      const stamp = Math.min(Math.max(bucketStart(nowMs, 'minute'), day), day + DAY_MS - MINUTE_MS);
      emitMetricDocuments(this.metrics, experimentDimensions(m.experiment, cell.variant), stamp, [
        { name: m.metricName, unit: m.unit, values },
      ]);
    }
  }
}
