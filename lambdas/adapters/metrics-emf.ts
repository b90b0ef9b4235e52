/**
 * KPI metrics to CloudWatch through Powertools Metrics (Embedded Metric Format in the logs), as
 * the metric contract (`lambdas/core/alarms/metric-contract.ts`) says the alarms, the dashboards
 * and the local alarm evaluator read them.
 *
 * What is published, per minute bucket of newly applied events (so a redelivered record is not
 * published twice), for every KPI with a `metric` in the catalog, under `metric.name` and
 * `metric.unit`, with dimensions exactly `{ Tenant: 'ALL' }` (fleet) and `{ Tenant: '<id>' }` for
 * tenants whose tier has per-tenant alarms (each tenant x metric is a billed custom metric, so
 * others get none):
 *
 * - counts and sums: the batch's total once; alarms and dashboards use the `Sum` statistic.
 * - quantile KPIs: a value distribution, so CloudWatch percentiles (p50/p95/p99) work. One value
 *   per event up to `maxValuesPerMetric` (default 1,000, the default batch size: exact for a whole
 *   default batch), read from the batch's sketch at evenly spaced ranks; above the cap the same
 *   number of evenly spaced quantiles stands in for the batch. Sketch values are within 1% of
 *   the raw values, well inside CloudWatch's own percentile approximation, and the cap bounds the
 *   log volume per invocation.
 * - rates and means (error rate, availability, CSAT, NPS, precision...): samples whose Average is
 *   the KPI's value with the batch's weight: for a rate, one sample per event, 1 for a hit and 0
 *   for a miss; for a mean-like KPI, the value repeated once per contributing event. Above the
 *   cap a rate keeps `cap` samples whose mean is still the batch's exact share (one sample
 *   carries the fractional remainder), so a small error rate is not rounded to 0 or doubled.
 *   Alarms (burn-rate windows included) use `Average`, which is then weighted by events across
 *   batches and minutes.
 * - distinct counts: the batch's distinct value once (CloudWatch cannot merge distinct sets; the
 *   KPI table is the source of truth for DAU/MAU).
 *
 * EMF takes at most 100 values per metric and 100 metrics per document, so a bucket is split
 * over several documents, each carrying the dimension and the bucket's timestamp.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KpiSet } from '../core/aggregates';
import type { AppliedMinuteDelta, KpiMetricsSink } from '../core/aggregation';
import {
  FLEET_DIMENSION_VALUE as CONTRACT_FLEET_DIMENSION_VALUE,
  TENANT_DIMENSION as CONTRACT_TENANT_DIMENSION,
} from '../core/alarms/metric-contract';
import type { KpiCatalog, KpiDefinition } from '../core/catalog';
import { isFleet } from '../core/vocabulary';

/** The dimension value of fleet metrics (the metric contract's). */
export const FLEET_DIMENSION_VALUE = CONTRACT_FLEET_DIMENSION_VALUE;
/** The dimension name (the metric contract's). */
export const TENANT_DIMENSION = CONTRACT_TENANT_DIMENSION;
/** The default namespace. */
export const DEFAULT_METRICS_NAMESPACE = 'AgentKpi';
/**
 * EMF documents hold at most 100 values per metric. Powertools publishes on its own when a
 * metric reaches 100 values, and that publication clears the dimensions and the timestamp: the
 * rest of the document would go out without `Tenant`. 99 keeps every flush ours.
 */
const VALUES_PER_DOCUMENT = 99;
/**
 * EMF documents hold at most 100 metrics. Powertools publishes on its own before storing any
 * value while 100 metrics are stored, even a further value of a stored metric: with 100 metrics,
 * the 100th metric's second value would start a document without `Tenant` (a dimensionless
 * metric no alarm reads). 99 keeps every flush ours.
 */
const METRICS_PER_DOCUMENT = 99;

/** Settings of {@link EmfKpiMetrics}. */
export interface EmfKpiMetricsProps {
  /** A Powertools Metrics instance; its namespace is used (configure `AgentKpi` by default). */
  readonly metrics: Metrics;
  readonly catalog: KpiCatalog;
  /**
   * Tenants that get per-tenant metrics (`perTenantMetricTenants`: tiers with a per-tenant
   * dashboard, the only reader of them). @default none
   */
  readonly perTenantAlarmTenants?: Iterable<string>;
  /**
   * Metric names published per tenant (`tenantMetricNames`: what the tenant dashboard draws); the
   * fleet always gets every metric.
   * @default every metric
   */
  readonly perTenantMetricNames?: Iterable<string>;
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
  private readonly perTenantNames: ReadonlySet<string> | undefined;
  private readonly cap: number;

  constructor(props: EmfKpiMetricsProps) {
    this.metrics = props.metrics;
    // Powertools adds a `service` dimension by default; alarms address metrics by Tenant alone.
    this.metrics.clearDefaultDimensions();
    this.defs = props.catalog.all().filter((d) => d.metric !== undefined);
    this.perTenant = new Set(props.perTenantAlarmTenants ?? []);
    this.perTenantNames = props.perTenantMetricNames === undefined ? undefined : new Set(props.perTenantMetricNames);
    this.cap = props.maxValuesPerMetric ?? 1000;
  }

  publish(deltas: readonly AppliedMinuteDelta[]): void {
    for (const d of deltas) {
      // Experiment items are a variant's share of traffic the tenant and fleet deltas already hold.
      if (d.experiment !== undefined) continue;
      const dimension = isFleet(d.tenant) ? FLEET_DIMENSION_VALUE : this.perTenant.has(d.tenant) ? d.tenant : undefined;
      if (dimension === undefined) continue;
      const values = this.metricValues(d.set);
      const names = this.perTenantNames;
      emitMetricDocuments(
        this.metrics,
        { [TENANT_DIMENSION]: dimension },
        d.bucketStartMs,
        isFleet(d.tenant) || names === undefined ? values : values.filter((m) => names.has(m.name)),
      );
    }
  }

  /** The metric values of one KpiSet, per the rules in the module comment. */
  metricValues(set: KpiSet): MetricValues[] {
    const out: MetricValues[] = [];
    for (const def of this.defs) {
      const v = set.value(def.name);
      if (v === undefined || v.value === null || v.count === 0) continue;
      const metric = def.metric!;
      const values = metricSamples(def, set, v.value, v.count, this.cap);
      if (values.length > 0) out.push({ name: metric.name, unit: metric.unit, values });
    }
    return out;
  }
}

/**
 * The values one KPI is published with, for a set where it has `count` contributions and the
 * value `value`: per the rules in the module comment, at most `cap` per metric.
 */
export function metricSamples(def: KpiDefinition, set: KpiSet, value: number, count: number, cap: number): number[] {
  const k = Math.min(count, cap);
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
      // k = count (no cap): exactly `hits` ones. Under the cap, value * k is fractional in
      // general; rounding it would move the share by up to 0.5 / k (0.06% read as 0.1%), so
      // one sample carries the remainder and the mean stays the exact share.
      const exact = value * k;
      const ones = Math.min(k, Math.floor(exact + 1e-9));
      const remainder = exact - ones;
      const out = new Array<number>(k).fill(0);
      out.fill(1, 0, ones);
      if (ones < k && remainder > 1e-9) out[ones] = remainder;
      return out;
    }
    default:
      return new Array<number>(k).fill(value);
  }
}

/**
 * Writes `values` as EMF documents of at most 99 metrics and 99 values per metric, each with
 * `dimensions` and the timestamp: documents Powertools never has to flush on its own.
 */
export function emitMetricDocuments(
  metrics: Metrics,
  dimensions: Readonly<Record<string, string>>,
  timestampMs: number,
  values: readonly MetricValues[],
): void {
  // Split into documents of at most 99 metrics and 99 values per metric, each with the dimensions.
  let offset = 0;
  for (;;) {
    const page = values
      .filter((m) => m.values.length > offset)
      .map((m) => ({ ...m, values: m.values.slice(offset, offset + VALUES_PER_DOCUMENT) }));
    if (page.length === 0) break;
    for (let i = 0; i < page.length; i += METRICS_PER_DOCUMENT) {
      for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
      metrics.setTimestamp(timestampMs);
      for (const m of page.slice(i, i + METRICS_PER_DOCUMENT)) {
        for (const value of m.values) {
          metrics.addMetric(m.name, m.unit as Parameters<Metrics['addMetric']>[1], value);
        }
      }
      metrics.publishStoredMetrics();
    }
    offset += VALUES_PER_DOCUMENT;
  }
}
