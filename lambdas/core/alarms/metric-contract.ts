/**
 * The CloudWatch metric contract: what the aggregator publishes (Powertools EMF) and what the
 * alarms, the dashboards and the local alarm evaluator read. Names are derived from the KPI
 * catalog, so adding a KPI adds its metric without an edit here.
 *
 * - Namespace: `config.metricsNamespace` (default `AgentKpi`).
 * - One dimension, {@link TENANT_DIMENSION} (`Tenant`): {@link FLEET_TENANT} (`ALL`) for the
 *   fleet, or the tenant id for tenants whose tier has `perTenantAlarms` (each tenant x metric is
 *   a billed custom metric, so only those tiers get one).
 * - Every KPI with `metric` in the catalog is published once per minute bucket under
 *   `metric.name` with `metric.unit`:
 *   - rate KPIs as the bucket's share, a fraction 0..1 (alarms use `Average`);
 *   - quantile KPIs as the bucket's distribution, an EMF array of values (EMF takes at most 100
 *     values per metric and document): the raw values when there are at most 100, else the 100
 *     quantiles (i + 0.5)% (i = 0..99) of the bucket's sketch, so CloudWatch percentile statistics
 *     (`p95`, `p99.9`) over a period approximate the bucket's percentiles. A publisher that sends
 *     only one value per minute sends the bucket's p95; the 1-minute p95 alarms still hold, as a
 *     percentile of one value is that value;
 *   - other KPIs as the bucket's value.
 * - SLO burn-rate math needs the event counts behind a rate, not the per-minute shares (a quiet
 *   minute must weigh less than a busy one). For every rate KPI named by `config.alarms.slos` the
 *   aggregator also publishes, per minute bucket, two `Count` metrics:
 *   `<metric>Total` (events in the rate's denominator) and `<metric>Hits` (events matching the
 *   rate's `hit` condition), both always together, `Hits` = 0 when none matched. Bad events are
 *   `Hits` for a `lower_is_better` rate (errors) and `Total - Hits` for a `higher_is_better` one
 *   (passed health checks). See {@link sloCountMetrics}.
 *
 * Pure: no SDK, no environment.
 */
import type { KpiCatalog, KpiDefinition } from '../catalog';
import type { PipelineConfig } from '../config/schema';

/** The one metric dimension. */
export const TENANT_DIMENSION = 'Tenant';
/** Value of {@link TENANT_DIMENSION} for fleet-wide metrics. */
export const FLEET_TENANT = 'ALL';

/** A KPI's SLO or alarm set-up that the metric contract cannot serve. */
export class MetricContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricContractError';
  }
}

/** The count metrics behind one rate KPI, for SLO burn-rate math. */
export interface RateCountMetrics {
  /** The rate KPI, e.g. `availability`. */
  readonly kpi: string;
  /** Events in the denominator, e.g. `AvailabilityTotal` (unit Count, statistic Sum). */
  readonly total: string;
  /** Events matching the rate's `hit` condition, e.g. `AvailabilityHits` (unit Count, statistic Sum). */
  readonly hits: string;
  /** Which of the two counts are the bad events: `hits` (errors) or `total-minus-hits` (successes). */
  readonly bad: 'hits' | 'total-minus-hits';
}

/** The dimension value for a scope: `ALL` for the fleet (`*`), else the tenant id. */
export function tenantDimensionValue(tenant: string): string {
  return tenant === '*' ? FLEET_TENANT : tenant;
}

/**
 * The count metric names of a rate KPI.
 * @throws MetricContractError when the KPI is not a published rate, or when its direction does
 * not say which events are bad
 */
export function rateCountMetrics(kpi: KpiDefinition): RateCountMetrics {
  if (kpi.aggregation !== 'rate' || kpi.metric === undefined) {
    throw new MetricContractError(
      `KPI "${kpi.name}" cannot back an SLO: it must be a published rate KPI (aggregation "rate" with a metric), ` +
        `it is "${kpi.aggregation}"${kpi.metric === undefined ? ' without a metric' : ''}`,
    );
  }
  if (kpi.direction === 'neutral') {
    throw new MetricContractError(
      `KPI "${kpi.name}" cannot back an SLO: its direction is neutral, so neither hits nor misses are the bad events`,
    );
  }
  return {
    kpi: kpi.name,
    total: `${kpi.metric.name}Total`,
    hits: `${kpi.metric.name}Hits`,
    bad: kpi.direction === 'lower_is_better' ? 'hits' : 'total-minus-hits',
  };
}

/**
 * The count metrics the aggregator must publish for the SLOs of the configuration, one entry per
 * distinct SLO KPI, in configuration order.
 * @throws MetricContractError when an SLO names a KPI that is missing or not a published rate
 */
export function sloCountMetrics(config: PipelineConfig, catalog: KpiCatalog): RateCountMetrics[] {
  const out: RateCountMetrics[] = [];
  const seen = new Set<string>();
  for (const slo of config.alarms.slos) {
    if (seen.has(slo.kpi)) continue;
    seen.add(slo.kpi);
    const kpi = catalog.get(slo.kpi);
    if (kpi === undefined) {
      throw new MetricContractError(`alarms.slos "${slo.id}" names KPI "${slo.kpi}", which is not in the catalog`);
    }
    out.push(rateCountMetrics(kpi));
  }
  return out;
}
