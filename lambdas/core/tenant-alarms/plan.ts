/**
 * The per-tenant alarm rules, as the evaluator reads them: the same plan `resolveAlarmRules`
 * makes for CloudWatch (catalog defaults, overrides, SLO burn rates; names, severities and ladders
 * identical), for the tenants of tiers with `perTenantAlarms`, turned into evaluator definitions.
 *
 * Each alarm reads minute buckets when its period is at most an hour, else hour buckets: a
 * one-day window re-read minute by minute would cost 1,440 items per tenant per minute. The hour
 * series makes a long window slide by the hour at its far edge (up to 59 minutes shorter than
 * CloudWatch's), which only the slow-burn SLO windows (6 hours and more) use.
 *
 * Anomaly-band rules (P3/P4 trends) stay fleet-only: a band needs two weeks of per-minute
 * history per tenant, re-read every minute. They are listed in {@link TenantAlarmPlan.skipped}.
 *
 * Pure: no SDK, no environment.
 */
import type {
  AlarmDefinitions,
  CompositeAlarmDefinition,
  MetricAlarmDefinition,
  MetricQueryDefinition,
} from '../alarm-evaluator';
import { type AlarmSpec, type CompositeSpec, evidenceExpression, resolveAlarmRules } from '../alarms/rules';
import type { KpiCatalog, KpiDefinition } from '../catalog';
import type { PipelineConfig } from '../config/schema';
import { silentTenantAlarms } from './silence';

/** Longest period read from minute buckets. */
export const MINUTE_RESOLUTION_MAX_PERIOD_SECONDS = 3600;
/** Suffix of the namespace of hour-resolution series (internal to the evaluator). */
export const HOUR_NAMESPACE_SUFFIX = '#hour';

/** What the evaluator runs for one tenant. */
export interface TenantAlarmPlan {
  readonly tenant: string;
  readonly metricAlarms: readonly MetricAlarmDefinition[];
  readonly composites: readonly CompositeAlarmDefinition[];
  /** The KPIs whose metrics the alarms read. */
  readonly kpis: readonly KpiDefinition[];
  /** How far back each resolution is read, ms (0: not read). */
  readonly minuteLookbackMs: number;
  readonly hourLookbackMs: number;
  /**
   * The fleet's KPIs some alarm compares the tenant with (the silent-tenant rule: is the fleet
   * still sending?), read from the fleet's minute buckets this far back (0: not read).
   */
  readonly fleetKpis: readonly KpiDefinition[];
  readonly fleetMinuteLookbackMs: number;
  /** Rule ids of the plan not evaluated per tenant, and why. */
  readonly skipped: readonly { readonly ruleId: string; readonly reason: string }[];
}

/** Options of {@link tenantAlarmPlans}. */
export interface TenantAlarmPlanOptions {
  /**
   * Read periods over an hour from hour buckets (the deployed evaluator). Off, every alarm reads
   * the metric itself, as the local mode's replay over the published EMF metrics does.
   * @default true
   */
  readonly hourBuckets?: boolean;
}

/**
 * The queries of a threshold or burn-window alarm, read from `namespace`: its metric alone, or,
 * when the rule has a minimum-evidence guard, the guard's metric math over the statistic (`v`)
 * and its sample count (`n`), exactly as KpiAlarms synthesizes the CloudWatch alarm.
 */
function metricQueries(spec: Exclude<AlarmSpec, { kind: 'anomaly' }>, namespace: string): MetricQueryDefinition[] {
  const stat = (statistic: string) => ({
    namespace,
    metricName: spec.metric.metricName,
    dimensions: spec.metric.dimensions,
    periodSeconds: spec.metric.periodSeconds,
    stat: statistic,
  });
  if (spec.evidence === undefined) return [{ id: 'm1', returnData: true, metricStat: stat(spec.metric.statistic) }];
  return [
    { id: 'v', returnData: false, metricStat: stat(spec.metric.statistic) },
    { id: 'n', returnData: false, metricStat: stat('SampleCount') },
    { id: 'e1', returnData: true, expression: evidenceExpression(spec.evidence) },
  ];
}

/**
 * Adds each tenant's composites (rollups stay fleet-only) to `out`, keeping only those whose
 * children are all defined tenant metric alarms.
 */
function addTenantComposites(
  composites: readonly CompositeSpec[],
  out: Map<string, { metric: MetricAlarmDefinition[]; composite: CompositeAlarmDefinition[] }>,
): void {
  const defined = new Set<string>();
  for (const e of out.values()) for (const m of e.metric) defined.add(m.name);
  for (const spec of composites) {
    if (spec.role === 'rollup') continue;
    const entry = out.get(spec.identity.tenant);
    if (entry === undefined) continue;
    if (!spec.children.every((c) => defined.has(c))) continue;
    const join = spec.operator === 'AND' ? ' AND ' : ' OR ';
    entry.composite.push({
      logicalId: spec.name,
      name: spec.name,
      description: spec.description,
      rule: spec.children.map((c) => `ALARM("${c}")`).join(join),
    });
  }
}

/**
 * The per-tenant plans of a configuration.
 * @param tenants the tenants to plan (e.g. `perTenantAlarmTenants(config)`)
 * @throws AlarmRuleError as `resolveAlarmRules` does
 */
export function tenantAlarmPlans(
  config: PipelineConfig,
  catalog: KpiCatalog,
  tenants: readonly string[],
  options: TenantAlarmPlanOptions = {},
): TenantAlarmPlan[] {
  if (tenants.length === 0) return [];
  const plan = resolveAlarmRules(config, catalog, { tenants, maxAlarms: Number.POSITIVE_INFINITY });
  const byMetric = new Map<string, KpiDefinition>();
  for (const k of catalog.all()) if (k.metric !== undefined) byMetric.set(k.metric.name, k);
  const out = new Map<string, { metric: MetricAlarmDefinition[]; composite: CompositeAlarmDefinition[] }>();
  const skipped = new Map<string, { ruleId: string; reason: string }>();
  const lookback = new Map<string, { minute: number; hour: number; kpis: Set<KpiDefinition> }>();
  for (const t of tenants) {
    out.set(t, { metric: [], composite: [] });
    lookback.set(t, { minute: 0, hour: 0, kpis: new Set() });
  }
  for (const spec of plan.alarms) {
    const t = spec.identity.tenant;
    const entry = out.get(t);
    const range = lookback.get(t);
    if (entry === undefined || range === undefined) continue;
    if (spec.kind === 'anomaly') {
      skipped.set(spec.identity.ruleId, {
        ruleId: spec.identity.ruleId,
        reason: 'anomaly band: needs two weeks of per-minute history per tenant; fleet alarm only',
      });
      continue;
    }
    const hour = (options.hourBuckets ?? true) && spec.metric.periodSeconds > MINUTE_RESOLUTION_MAX_PERIOD_SECONDS;
    const span = spec.metric.periodSeconds * 1000 * (spec.evaluationPeriods + 2);
    if (hour) range.hour = Math.max(range.hour, span);
    else range.minute = Math.max(range.minute, span);
    const kpi = byMetric.get(spec.metric.metricName);
    if (kpi !== undefined) range.kpis.add(kpi);
    entry.metric.push({
      logicalId: spec.name,
      name: spec.name,
      description: spec.description,
      comparison: spec.comparison,
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
      // As CloudWatch alarms are created (`evaluateLowSampleCountPercentile` unset evaluates),
      // the minimum-evidence guard included: without it one failure among a few events pages.
      metrics: metricQueries(spec, hour ? `${spec.metric.namespace}${HOUR_NAMESPACE_SUFFIX}` : spec.metric.namespace),
      periodSeconds: spec.metric.periodSeconds,
    });
  }
  addTenantComposites(plan.composites, out);
  return tenants.map((tenant) => {
    const e = out.get(tenant)!;
    const r = lookback.get(tenant)!;
    const silent = silentTenantAlarms(config, catalog, tenant);
    if (silent !== undefined) {
      e.metric.push(...silent.metricAlarms);
      e.composite.push(silent.composite);
      for (const k of silent.kpis) r.kpis.add(k);
      r.minute = Math.max(r.minute, silent.lookbackMs);
    }
    return {
      tenant,
      metricAlarms: e.metric,
      composites: e.composite,
      kpis: [...r.kpis],
      minuteLookbackMs: r.minute,
      hourLookbackMs: r.hour,
      fleetKpis: silent?.fleetKpis ?? [],
      fleetMinuteLookbackMs: silent?.lookbackMs ?? 0,
      skipped: [...skipped.values()],
    };
  });
}

/**
 * Every tenant plan as one set of evaluator definitions, for replays over recorded metrics (the
 * local mode): the same alarms the deployed evaluator runs, read from the metrics themselves.
 */
export function tenantAlarmDefinitions(
  config: PipelineConfig,
  catalog: KpiCatalog,
  tenants: readonly string[],
): AlarmDefinitions {
  const plans = tenantAlarmPlans(config, catalog, tenants, { hourBuckets: false });
  return {
    metricAlarms: plans.flatMap((p) => p.metricAlarms),
    composites: plans.flatMap((p) => p.composites),
    anomalyDetectors: [],
  };
}
