/**
 * The CloudWatch metric contract: what the aggregator publishes (Powertools EMF, see
 * `lambdas/adapters/metrics-emf.ts`) and what the alarms, the dashboards and the local alarm
 * evaluator read. Names come from the KPI catalog (`metric.name`), so adding a KPI adds its metric
 * without an edit here.
 *
 * - Namespace: `config.metricsNamespace` (default `AgentKpi`).
 * - KPI metrics have one dimension, {@link TENANT_DIMENSION} (`Tenant`): {@link FLEET_DIMENSION_VALUE}
 *   (`ALL`) for the fleet, or the tenant id for tenants whose tier has `perTenantAlarms` (each
 *   tenant x metric is a billed custom metric, so only those tiers get one). The namespace also
 *   holds the experiments' per-variant metrics, with the dimensions `{ Experiment, Variant }` and no
 *   `Tenant` (`lambdas/adapters/metrics-emf-experiments.ts`): the fleet overview graphs them, no
 *   alarm reads them.
 * - Per minute bucket, every KPI with a `metric`:
 *   - quantile KPIs as a distribution of values, so CloudWatch percentiles (`p95`, `p99.9`) work;
 *   - rate KPIs as event samples, 1 for a hit and 0 for a miss (capped per batch), so `Average`
 *     over ANY period is the event-weighted share over that period: a quiet minute weighs less
 *     than a busy one. The SLO burn-rate alarms rely on this: the bad-event ratio over a window is
 *     `Average` over a period of the window's length (`1 - Average` for a `higher_is_better` rate
 *     such as availability, `Average` for a `lower_is_better` one such as the API error rate), so
 *     no extra count metrics are published;
 *   - counts and sums once (`Sum`), means as weighted samples (`Average`).
 *
 * Pure: no SDK, no environment.
 */
import type { KpiCatalog, KpiDefinition } from '../catalog';
import type { PipelineConfig } from '../config/schema';
import { ConfigurationError } from '../configuration-error';
import { isFleet } from '../vocabulary';

/** The dimension of every KPI metric (experiment metrics have their own). */
export const TENANT_DIMENSION = 'Tenant';
/**
 * Value of {@link TENANT_DIMENSION} for fleet-wide metrics: the metric-side name of the fleet
 * scope (`*` in KPI items). CloudWatch keeps metrics under it, and alarms and dashboards read
 * them by it, so it never changes.
 */
export const FLEET_DIMENSION_VALUE = 'ALL';

/** A KPI's SLO or alarm set-up that the metric contract cannot serve. */
export class MetricContractError extends ConfigurationError {
  constructor(message: string) {
    super('alarms.slos', message, message);
    this.name = 'MetricContractError';
  }
}

/** The metric an SLO's burn-rate alarms read. */
export interface SloMetric {
  /** The rate KPI, e.g. `availability`. */
  readonly kpi: string;
  /** Its CloudWatch metric, e.g. `Availability`, read with the `Average` statistic. */
  readonly metricName: string;
  /**
   * Which share is the bad-event ratio: the metric itself (`hits`, errors) or its complement
   * (`misses`, failed health checks).
   */
  readonly bad: 'hits' | 'misses';
}

/** The dimension value for a scope: `ALL` for the fleet (`*`), else the tenant id. */
export function tenantDimensionValue(tenant: string): string {
  return isFleet(tenant) ? FLEET_DIMENSION_VALUE : tenant;
}

/**
 * The metric behind an SLO on a rate KPI.
 * @throws MetricContractError when the KPI is not a published rate, or when its direction does
 * not say which events are bad
 */
export function sloMetric(kpi: KpiDefinition): SloMetric {
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
    metricName: kpi.metric.name,
    bad: kpi.direction === 'lower_is_better' ? 'hits' : 'misses',
  };
}

/**
 * The metrics the SLOs of the configuration read, one entry per distinct SLO KPI, in
 * configuration order.
 * @throws MetricContractError when an SLO names a KPI that is missing or not a published rate
 */
export function sloMetrics(config: PipelineConfig, catalog: KpiCatalog): SloMetric[] {
  const out: SloMetric[] = [];
  const seen = new Set<string>();
  for (const slo of config.alarms.slos) {
    if (seen.has(slo.kpi)) continue;
    seen.add(slo.kpi);
    const kpi = catalog.get(slo.kpi);
    if (kpi === undefined) {
      throw new MetricContractError(`alarms.slos "${slo.id}" names KPI "${slo.kpi}", which is not in the catalog`);
    }
    out.push(sloMetric(kpi));
  }
  return out;
}
