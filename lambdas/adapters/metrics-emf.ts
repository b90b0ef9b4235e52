/**
 * KPI metrics to CloudWatch through Powertools Metrics (Embedded Metric Format in the logs).
 *
 * What is published, per minute bucket of newly applied events (so a redelivered record is not
 * published twice), for every KPI with a `metric` in the catalog, under dimensions exactly
 * `{ Tenant: 'ALL' }` (fleet) and `{ Tenant: '<id>' }` for tenants whose tier has per-tenant
 * alarms (each tenant x metric is a billed custom metric, so others get none):
 *
 * - counts and sums: the batch's total once; alarms and dashboards use the `Sum` statistic.
 * - quantile KPIs: a value distribution, so CloudWatch percentiles (p50/p95/p99) work. One value
 *   per event up to `maxValuesPerMetric` (default 1,000, the default batch size: exact for a whole
 *   default batch), read from the batch's sketch at evenly spaced ranks; above the cap the same
 *   number of evenly spaced quantiles stands in for the batch. Sketch values are within 1% of
 *   the raw values, well inside CloudWatch's own percentile approximation, and the cap bounds the
 *   log volume per invocation (EMF takes at most 100 values per metric per document, so values
 *   are split over several documents).
 * - rates and means (error rate, availability, CSAT, NPS, precision...): samples whose Average is
 *   the KPI's value with the batch's weight: for a rate, `hits` ones and `n - hits` zeros; for a
 *   mean-like KPI, the value repeated once per contributing event (both capped like quantiles).
 *   Alarms use the `Average` statistic, which is then weighted by events across batches.
 * - distinct counts: the batch's distinct value once (CloudWatch cannot merge distinct sets; the
 *   KPI table is the source of truth for DAU/MAU).
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KpiSet } from '../core/aggregates';
import type { AppliedMinuteDelta, KpiMetricsSink } from '../core/aggregation';
import type { KpiCatalog, KpiDefinition } from '../core/catalog';

/** The dimension value of fleet metrics. */
export const FLEET_DIMENSION_VALUE = 'ALL';
/** The dimension name. */
export const TENANT_DIMENSION = 'Tenant';
/** The default namespace. */
export const DEFAULT_METRICS_NAMESPACE = 'AgentKpi';
/** EMF documents hold at most 100 values per metric; Powertools flushes (and drops dimensions) at 100. */
const VALUES_PER_DOCUMENT = 99;
/** EMF documents hold at most 100 metrics. */
const METRICS_PER_DOCUMENT = 100;

/** Settings of {@link EmfKpiMetrics}. */
export interface EmfKpiMetricsProps {
  /** A Powertools Metrics instance; its namespace is used (configure `AgentKpi` by default). */
  readonly metrics: Metrics;
  readonly catalog: KpiCatalog;
  /** Tenants whose tier has per-tenant alarms. @default none */
  readonly perTenantAlarmTenants?: Iterable<string>;
  /** Most values per metric, dimension and minute per invocation. @default 1000 */
  readonly maxValuesPerMetric?: number;
}

/** One metric's values for one (minute, dimension). */
export interface MetricValues {
  readonly name: string;
  /** A Powertools/CloudWatch unit, e.g. `Milliseconds`, `Count`, `None`. */
  readonly unit: string;
  readonly values: readonly number[];
}

/** {@link KpiMetricsSink} emitting EMF through Powertools Metrics. */
export class EmfKpiMetrics implements KpiMetricsSink {
  private readonly metrics: Metrics;
  private readonly defs: readonly KpiDefinition[];
  private readonly perTenant: ReadonlySet<string>;
  private readonly cap: number;

  constructor(props: EmfKpiMetricsProps) {
    this.metrics = props.metrics;
    // Powertools adds a `service` dimension by default; alarms address metrics by Tenant alone.
    this.metrics.clearDefaultDimensions();
    this.defs = props.catalog.all().filter((d) => d.metric !== undefined);
    this.perTenant = new Set(props.perTenantAlarmTenants ?? []);
    this.cap = props.maxValuesPerMetric ?? 1000;
  }

  publish(deltas: readonly AppliedMinuteDelta[]): void {
    for (const d of deltas) {
      const dimension = d.tenant === '*' ? FLEET_DIMENSION_VALUE : this.perTenant.has(d.tenant) ? d.tenant : undefined;
      if (dimension === undefined) continue;
      this.emit(dimension, d.bucketStartMs, this.metricValues(d.set));
    }
  }

  /** The metric values of one KpiSet, per the rules in the module comment. */
  metricValues(set: KpiSet): MetricValues[] {
    const out: MetricValues[] = [];
    for (const def of this.defs) {
      const v = set.value(def.name);
      if (v === undefined || v.value === null || v.count === 0) continue;
      const metric = def.metric!;
      const values = this.valuesOf(def, set, v.value, v.count);
      if (values.length > 0) out.push({ name: metric.name, unit: metric.unit, values });
    }
    return out;
  }

  private valuesOf(def: KpiDefinition, set: KpiSet, value: number, count: number): number[] {
    const k = Math.min(count, this.cap);
    switch (def.aggregation) {
      case 'count':
      case 'sum':
      case 'distinct':
        return [value];
      case 'quantiles': {
        const out: number[] = [];
        for (let i = 0; i < k; i++) {
          const q = set.quantile(def.name, (i + 0.5) / k);
          if (q !== undefined) out.push(q);
        }
        return out;
      }
      case 'rate': {
        const ones = Math.round(value * k);
        return [...new Array<number>(ones).fill(1), ...new Array<number>(k - ones).fill(0)];
      }
      default:
        return new Array<number>(k).fill(value);
    }
  }

  private emit(dimension: string, timestampMs: number, metrics: readonly MetricValues[]): void {
    // Split into documents of <= 100 metrics and < 100 values per metric, each with the dimension.
    let offset = 0;
    for (;;) {
      const page = metrics
        .filter((m) => m.values.length > offset)
        .map((m) => ({ ...m, values: m.values.slice(offset, offset + VALUES_PER_DOCUMENT) }));
      if (page.length === 0) break;
      for (let i = 0; i < page.length; i += METRICS_PER_DOCUMENT) {
        this.metrics.addDimension(TENANT_DIMENSION, dimension);
        this.metrics.setTimestamp(timestampMs);
        for (const m of page.slice(i, i + METRICS_PER_DOCUMENT)) {
          for (const value of m.values) {
            this.metrics.addMetric(m.name, m.unit as Parameters<Metrics['addMetric']>[1], value);
          }
        }
        this.metrics.publishStoredMetrics();
      }
      offset += VALUES_PER_DOCUMENT;
    }
  }
}
