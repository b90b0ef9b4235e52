/**
 * The "tenant went silent" rule (`tenant-silent`): a tenant that normally sends traffic and has
 * sent nothing for `alerting.silentTenant.minutes` opens one incident. Missing data pages nobody
 * in every other rule (their evidence guards see a safe value); this rule is the one place where
 * stopped traffic is the problem.
 *
 * It is a composite of two window alarms over `minutes`-long sliding periods, evaluated per tenant
 * by the pipeline, in the same evaluator as every other alarm (so the local replay and the
 * deployed evaluator agree):
 *
 * - **quiet**: the tenant's traffic (every published KPI that counts all events of its type:
 *   sessions, turns, syntheses, API requests) is 0 in the last window, **while the fleet sends**
 *   (a `baselineKpi` datapoint in every minute of the window). When the fleet does not (the end
 *   of a replay, an ingestion stop), the value is missing and, with `treatMissingData: ignore`,
 *   the alarm keeps its state: a stop of the whole pipeline is not N tenants going silent, and it
 *   never opens N incidents. A deployment of one or two small tenants has quiet fleet minutes at
 *   night, when the rule then waits.
 * - **baseline**: the tenant's last window *with* traffic held at least `minBaseline` events of
 *   `baselineKpi` (sessions: one per conversation, so close to Poisson, where a session's turns and
 *   API calls come in bursts). Windows without traffic are missing and skipped (`ignore`): the
 *   alarm reads the newest active window of its range (three windows), and once the whole range
 *   is silent it keeps its state. So a silence stays in ALARM however long it lasts, and the
 *   incident resolves when the tenant sends again, not when its baseline ages out.
 *
 * At night a diurnal tenant's windows hold fewer sessions; once they fall under `minBaseline` the
 * baseline alarm is OK and a natural quiet window pages nobody. A tenant busy enough to reach it
 * at night is busy enough for its silence to mean something (see docs/alerting.md for the
 * measurement). A tenant whose traffic stops abruptly every day at one hour (a shop closing) looks
 * silent to this rule: turn it off with `alerting.silentTenant.enabled: false` or raise
 * `minBaseline`.
 *
 * Pure: no SDK, no environment.
 */
import type { CompositeAlarmDefinition, MetricAlarmDefinition, MetricQueryDefinition } from '../alarm-evaluator';
import { TENANT_DIMENSION, tenantDimensionValue } from '../alarms/metric-contract';
import { formatAlarmName } from '../alarms/naming';
import { AlarmRuleError } from '../alarms/rules';
import { type KpiCatalog, type KpiDefinition, REJECTION_EVENT_TYPE } from '../catalog';
import type { PipelineConfig } from '../config/schema';

/** Rule id of the silent-tenant alarm (its alarm name ends with it). */
export const SILENT_TENANT_RULE_ID = 'tenant-silent';

/** Active windows the baseline alarm looks back over (its evaluation periods). */
const BASELINE_WINDOWS = 3;

/** The alarms of one tenant's silent-tenant rule. */
export interface SilentTenantAlarms {
  /** The two window alarms (`<deployment>.parts/...`, never routed). */
  readonly metricAlarms: readonly MetricAlarmDefinition[];
  /** The paging composite: quiet AND baseline. */
  readonly composite: CompositeAlarmDefinition;
  /** KPIs read for the tenant. */
  readonly kpis: readonly KpiDefinition[];
  /** KPIs read for the fleet. */
  readonly fleetKpis: readonly KpiDefinition[];
  /** How far back the alarms read, ms (three windows: CloudWatch's evaluation range of N + 2). */
  readonly lookbackMs: number;
}

/**
 * The KPIs whose events are a tenant's traffic: published counts of every event of their type
 * (no `where`), pipeline rejections excluded. Health checks are not traffic: a prober may keep
 * running while the tenant's users get nothing.
 */
export function trafficKpis(catalog: KpiCatalog): KpiDefinition[] {
  return catalog
    .all()
    .filter(
      (k) =>
        k.metric !== undefined &&
        k.measure.kind === 'count' &&
        (k.measure.where ?? []).length === 0 &&
        k.eventType !== REJECTION_EVENT_TYPE,
    );
}

/** `FILL(id0, 0) + FILL(id1, 0) + ...`: the traffic of one scope in one window. */
function sumOf(ids: readonly string[]): string {
  return ids.map((id) => `FILL(${id}, 0)`).join(' + ');
}

/** One metric query of the rule: `stat` of a KPI's metric for a scope over one window. */
function sumQuery(
  config: PipelineConfig,
  periodSeconds: number,
  id: string,
  kpi: KpiDefinition,
  scope: string,
  stat: string,
): MetricQueryDefinition {
  return {
    id,
    returnData: false,
    metricStat: {
      namespace: config.metricsNamespace,
      metricName: kpi.metric!.name,
      dimensions: { [TENANT_DIMENSION]: tenantDimensionValue(scope) },
      periodSeconds,
      stat,
    },
  };
}

/**
 * The silent-tenant alarms of `tenant`, or undefined when the rule is off.
 * @throws AlarmRuleError when `alerting.silentTenant.baselineKpi` is not a traffic KPI
 */
export function silentTenantAlarms(
  config: PipelineConfig,
  catalog: KpiCatalog,
  tenant: string,
): SilentTenantAlarms | undefined {
  const rule = config.alerting.silentTenant;
  if (!rule.enabled) return undefined;
  const traffic = trafficKpis(catalog);
  const baselineIndex = traffic.findIndex((k) => k.name === rule.baselineKpi);
  if (baselineIndex < 0) {
    throw new AlarmRuleError(
      `alerting.silentTenant.baselineKpi "${rule.baselineKpi}" must be a published KPI counting every event of its type; ` +
        `these are: ${traffic.map((k) => k.name).join(', ')}`,
    );
  }
  const periodSeconds = rule.minutes * 60;
  const query = (id: string, kpi: KpiDefinition, scope: string, stat = 'Sum') =>
    sumQuery(config, periodSeconds, id, kpi, scope, stat);
  const own = traffic.map((k, i) => query(`t${i}`, k, tenant));
  const tenantTraffic = sumOf(own.map((q) => q.id));
  // The fleet's minutes with a datapoint of the baseline KPI (one per minute bucket): the fleet
  // must have sent in every minute of the window. A window that reaches past the end of a replay
  // holds only its last minutes of data, in which a tenant's short natural gap would look silent.
  const fleetActive = query('fa', traffic[baselineIndex]!, '*', 'SampleCount');
  const identity = { deployment: config.name, severity: rule.severity, ladder: rule.ladder, tenant };
  const part = (suffix: string) =>
    formatAlarmName({ ...identity, deployment: `${config.name}.parts`, ruleId: `${SILENT_TENANT_RULE_ID}-${suffix}` });
  const window = `${rule.minutes} min`;
  const common = { treatMissingData: 'ignore' as const, periodSeconds };
  const quiet: MetricAlarmDefinition = {
    ...common,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    logicalId: part('quiet'),
    name: part('quiet'),
    description: `Part of ${SILENT_TENANT_RULE_ID}: no traffic from tenant ${tenant} for ${window} while the fleet sends`,
    comparison: 'LessThanOrEqualToThreshold',
    threshold: 0,
    // Divided by 0 (missing) unless the fleet sent in every minute: the state is kept.
    metrics: [
      ...own,
      fleetActive,
      { id: 'e1', returnData: true, expression: `(${tenantTraffic}) / (FILL(fa, 0) >= ${rule.minutes})` },
    ],
  };
  const baseline: MetricAlarmDefinition = {
    ...common,
    // Any busy window among the newest three with traffic: the window that straddles the start
    // of a silence holds fewer and fewer sessions as it slides; judged alone, it would clear the
    // alarm (and re-raise it) a window into the silence.
    evaluationPeriods: BASELINE_WINDOWS,
    datapointsToAlarm: 1,
    logicalId: part('baseline'),
    name: part('baseline'),
    description:
      `Part of ${SILENT_TENANT_RULE_ID}: tenant ${tenant}'s last ${window} with traffic held >= ${rule.minBaseline} ` +
      `${rule.baselineKpi}`,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    // 1 when busy enough, 0 when not, missing (0 / 0) when the window had no traffic at all.
    metrics: [
      ...own,
      {
        id: 'e1',
        returnData: true,
        expression: `IF(FILL(t${baselineIndex}, 0) >= ${rule.minBaseline}, 1, 0) / ((${tenantTraffic}) > 0)`,
      },
    ],
  };
  const name = formatAlarmName({ ...identity, ruleId: SILENT_TENANT_RULE_ID });
  const description = `${rule.severity} (tenant ${tenant}): no traffic for ${window} from a tenant whose last active ${window} held >= ${rule.minBaseline} ${rule.baselineKpi}`;
  return {
    metricAlarms: [quiet, baseline],
    composite: { logicalId: name, name, description, rule: `ALARM("${quiet.name}") AND ALARM("${baseline.name}")` },
    kpis: traffic,
    fleetKpis: [traffic[baselineIndex]!],
    lookbackMs: periodSeconds * 1000 * (BASELINE_WINDOWS + 2),
  };
}
