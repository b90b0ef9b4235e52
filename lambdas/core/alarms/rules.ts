/**
 * The effective alarm rules of a deployment, as plain data: the KPI catalog's default rules with
 * the configuration's overrides, for the fleet and for every tenant whose tier asks for per-tenant
 * alarms; the multi-window multi-burn-rate SLO alarms of `alarms.slos` x `alarms.burnRates`; and
 * one roll-up per severity. The CDK construct turns this plan into CloudWatch alarms, and the
 * local evaluator reads the same alarms back from the synthesized template, so both always agree.
 *
 * Names follow `naming.ts`. Only alarms whose name starts with `<deployment>/` page (the router's
 * EventBridge rule matches that prefix). The two window alarms behind a burn-rate composite live
 * under `<deployment>.parts/` and the roll-ups under `<deployment>.rollup/`: both still parse with
 * `parseAlarmName`, but the router never sees them, so a burn-rate episode pages once (through its
 * composite) and a roll-up never pages on top of the alarm it rolls up. A `.` cannot appear in a
 * deployment name, so these prefixes cannot collide with another deployment.
 *
 * Pure: no SDK, no environment.
 */
import type { AlarmComparison, DefaultAlarmRule, KpiCatalog, KpiDefinition } from '../catalog';
import {
  type LadderName,
  type PipelineConfig,
  perTenantAlarmTenants,
  SEVERITIES,
  type Severity,
} from '../config/schema';
import { ConfigurationError } from '../configuration-error';
import {
  ALARM_PERIOD_RULE,
  FLEET_SCOPE,
  isAlarmPeriod,
  isFleet,
  scopeLabel,
  type TreatMissingData,
} from '../vocabulary';
import { sloMetric, TENANT_DIMENSION, tenantDimensionValue } from './metric-contract';
import { ALARM_TAGS, type AlarmIdentity, formatAlarmName } from './naming';
import { chunkRuleChildren, MAX_RULE_CHARS, MAX_RULE_CHILDREN } from './rule-length';

export type { TreatMissingData };

/** What an alarm is for: `page` alarms open incidents; `window` and `rollup` alarms never do. */
export type AlarmRole = 'page' | 'window' | 'rollup';

/** Tag key carrying {@link AlarmRole}. */
export const ALARM_ROLE_TAG = 'agent-kpi:role';

/** Default cap on the number of alarms (metric and composite) one deployment may create. */
export const DEFAULT_MAX_ALARMS = 1000;

/**
 * Children per composite roll-up; larger roll-ups are split and OR-ed by a parent. 50 ARN-based
 * references of the longest possible alarm names stay under the 10,240-character AlarmRule limit.
 */
export const ROLLUP_CHUNK = 50;

/** A metric, its statistic and period, as a metric alarm reads it. */
export interface AlarmMetricStat {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount`, or a percentile such as `p95`, `p99.9`. */
  readonly statistic: string;
  readonly periodSeconds: number;
}

interface AlarmSpecBase {
  /** The CloudWatch alarm name. */
  readonly name: string;
  readonly identity: AlarmIdentity;
  readonly role: AlarmRole;
  readonly description: string;
  readonly comparison: AlarmComparison;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** Tags put on the alarm: severity, ladder, tenant, rule and role. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The minimum-evidence guard of an alarm, as CloudWatch metric math:
 * `IF(FILL(n, 0) >= minSamples, v, fallback)`, where `v` is the alarm's statistic and `n` the
 * `SampleCount` of the same metric over the same period (events behind a rate, samples behind a
 * percentile or a mean, as the metric contract publishes them). With too little evidence, or
 * none at all (traffic stopped), the alarm sees `fallback`, which never breaches.
 */
export interface EvidenceGuard {
  readonly minSamples: number;
  /** A value on the safe side of the threshold. */
  readonly fallback: number;
  /**
   * For rates: the bad events the window must also hold (`v x n` errors for an error rate,
   * `(1 - v) x n` misses for a success rate), so a low threshold is not crossed by chance.
   */
  readonly minBad?: { readonly count: number; readonly bad: 'hits' | 'misses' };
}

/** A static-threshold alarm on one KPI metric. */
export interface ThresholdAlarmSpec extends AlarmSpecBase {
  readonly kind: 'threshold';
  readonly kpi: string;
  readonly metric: AlarmMetricStat;
  readonly threshold: number;
  /** Present for rates, percentiles and means: the alarm fires only on enough samples. */
  readonly evidence?: EvidenceGuard;
}

/** The metric math expression of an evidence guard (`v`: the statistic, `n`: its sample count). */
export function evidenceExpression(guard: EvidenceGuard): string {
  const enough = `FILL(n, 0) >= ${guard.minSamples}`;
  if (guard.minBad === undefined) return `IF(${enough}, v, ${guard.fallback})`;
  const bad = guard.minBad.bad === 'hits' ? 'FILL(v, 0) * FILL(n, 0)' : '(1 - FILL(v, 1)) * FILL(n, 0)';
  // Comparisons are 1 or 0, so their product is AND.
  return `IF((${enough}) * (${bad} >= ${guard.minBad.count}), v, ${guard.fallback})`;
}

/** Which share of a rate KPI is bad: its hits (errors) or its misses (failed checks). */
function badShare(kpi: KpiDefinition): 'hits' | 'misses' {
  return kpi.direction === 'higher_is_better' ? 'misses' : 'hits';
}

/**
 * Whether a KPI's value is a share of events, so that `(1 - v) x n` (or `v x n`) counts its bad
 * events: rates, and the precision, recall and accuracy of sampled reviews (the share of right
 * decisions among `n` reviews). Measured on the alert benchmark's clean days: with only the
 * 10-review floor, `escalation_accuracy-p2` (< 95% over 45 minutes) paged on 2 wrong decisions
 * among ~20 night-time reviews at a 0.5% baseline; 5 wrong decisions are needed now.
 */
function hasBadCount(kpi: KpiDefinition): boolean {
  return (
    kpi.aggregation === 'rate' ||
    kpi.aggregation === 'precision' ||
    kpi.aggregation === 'recall' ||
    kpi.aggregation === 'accuracy'
  );
}

/** A value that never breaches `threshold` under `comparison`. */
function safeSide(comparison: AlarmComparison, threshold: number): number {
  const margin = Math.max(1, Math.abs(threshold));
  return comparison.startsWith('Greater') ? threshold - margin : threshold + margin;
}

/** The aggregations a threshold alarm guards with a minimum sample count (counts and sums have none). */
const SAMPLE_FLOORS: ReadonlySet<string> = new Set([
  'rate',
  'quantiles',
  'mean',
  'nps',
  'precision',
  'recall',
  'accuracy',
]);

/** The minimum samples an alarm on this KPI needs over its window, or undefined for counts and sums. */
function minSamplesFor(config: PipelineConfig, kpi: KpiDefinition): number | undefined {
  const e = config.alerting.evidence;
  switch (kpi.aggregation) {
    case 'rate':
      return e.minEvents;
    case 'quantiles':
      return e.minSamples;
    case 'mean':
    case 'nps':
    case 'precision':
    case 'recall':
    case 'accuracy':
      return e.minResponses;
    default:
      return undefined;
  }
}

/** An anomaly-detection band alarm on one KPI metric. */
export interface AnomalyAlarmSpec extends AlarmSpecBase {
  readonly kind: 'anomaly';
  readonly kpi: string;
  readonly metric: AlarmMetricStat;
  /** Band width in standard deviations (the `ANOMALY_DETECTION_BAND` second argument). */
  readonly bandStdDevs: number;
}

/**
 * One window (long or short) of a burn-rate rule: the rate KPI's `Average` over a period of the
 * window's length is its event-weighted share (see `metric-contract.ts`), compared with the share
 * at which the bad-event ratio reaches `factor x (1 - objective)`.
 */
export interface BurnRateWindowAlarmSpec extends AlarmSpecBase {
  readonly kind: 'burn-window';
  readonly slo: string;
  readonly kpi: string;
  readonly window: 'long' | 'short';
  readonly windowMinutes: number;
  /** The rate metric, statistic `Average`, period = one evaluation period. */
  readonly metric: AlarmMetricStat;
  /** On the metric's scale: the bad ratio for an error rate, `1 -` the bad ratio for a success rate. */
  readonly threshold: number;
  /** `factor x (1 - objective)`: the bad-event ratio that fires the window. */
  readonly badRatioThreshold: number;
  readonly burnFactor: number;
  /** The long window needs enough events behind its ratio (see {@link EvidenceGuard}). */
  readonly evidence?: EvidenceGuard;
}

/** A metric alarm of the plan. */
export type AlarmSpec = ThresholdAlarmSpec | AnomalyAlarmSpec | BurnRateWindowAlarmSpec;

/** A composite alarm: `ALARM(child) AND|OR ALARM(child)...`. */
export interface CompositeSpec {
  readonly kind: 'burn-rate' | 'rollup';
  readonly name: string;
  readonly identity: AlarmIdentity;
  readonly role: AlarmRole;
  readonly description: string;
  readonly operator: 'AND' | 'OR';
  /** Names of child alarms (metric alarms or composites listed earlier in the plan). */
  readonly children: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/** Every alarm of a deployment, children before the composites that read them. */
export interface AlarmPlan {
  readonly alarms: readonly AlarmSpec[];
  readonly composites: readonly CompositeSpec[];
}

/** Options of {@link resolveAlarmRules}. */
export interface ResolveAlarmRulesOptions {
  /**
   * Fail when the plan has more alarms (metric + composite) than this: each alarm is billed, and a
   * tier flipped to per-tenant alarms multiplies them by the number of tenants.
   * @default DEFAULT_MAX_ALARMS (1000)
   */
  readonly maxAlarms?: number;
  /**
   * The tenants to plan alarms for besides the fleet. CloudWatch gets the fleet only (`[]`); the
   * per-tenant rules are evaluated by the pipeline (`lambdas/core/tenant-alarms`).
   * @default perTenantAlarmTenants(config)
   */
  readonly tenants?: readonly string[];
}

/** An alarm rule the configuration makes impossible; says which key to change. */
export class AlarmRuleError extends ConfigurationError {
  /**
   * @param message names the key and the rule, for people
   * @param key the configuration key to change (`alarms` when the message names it)
   */
  constructor(message: string, key = 'alarms') {
    super(key, message, message);
    this.name = 'AlarmRuleError';
  }
}

/** The plan has more alarms than the configured cap. */
export class AlarmCapError extends AlarmRuleError {
  /** Alarms the plan would create. */
  readonly count: number;
  /** The cap. */
  readonly max: number;
  constructor(count: number, max: number, breakdown: string) {
    super(
      `The alarm plan has ${count} alarms, more than the cap of ${max} (${breakdown}). ` +
        'Disable rules with alarms.overrides.<ruleId>.enabled = false, turn off perTenantAlarms for a tier, ' +
        'or raise the cap (KpiAlarms prop maxAlarms) if the cost is intended.',
    );
    this.name = 'AlarmCapError';
    this.count = count;
    this.max = max;
  }
}

const STATISTIC = /^(Average|Sum|Minimum|Maximum|SampleCount|p(\d{1,2})(\.\d+)?|p100)$/;
const DAY_SECONDS = 86_400;
const WEEK_SECONDS = 7 * DAY_SECONDS;

/** `5m`, `1h`, `6h`, `1d`, `3d`, `90m`: the shortest exact form of a window. */
export function formatWindow(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** The rule id of a burn-rate composite, e.g. `slo-availability-p1-1h`. */
export function burnRateRuleId(sloId: string, severity: Severity, longWindowMinutes: number): string {
  return `slo-${sloId}-${severity.toLowerCase()}-${formatWindow(longWindowMinutes)}`;
}

/** Whether an alarm name is one the router pages for (`<deployment>/...`). */
export function isPagingAlarmName(alarmName: string, deployment: string): boolean {
  return alarmName.startsWith(`${deployment}/`);
}

function tagsFor(id: AlarmIdentity, role: AlarmRole): Record<string, string> {
  return {
    [ALARM_TAGS.severity]: id.severity,
    [ALARM_TAGS.ladder]: id.ladder,
    [ALARM_TAGS.tenant]: id.tenant,
    [ALARM_TAGS.rule]: id.ruleId,
    [ALARM_ROLE_TAG]: role,
  };
}

function nameFor(id: AlarmIdentity, role: AlarmRole): string {
  const deployment =
    role === 'page' ? id.deployment : role === 'window' ? `${id.deployment}.parts` : `${id.deployment}.rollup`;
  return formatAlarmName({ ...id, deployment });
}

/**
 * Checks CloudWatch's PutMetricAlarm limits on the evaluation range: period x evaluation periods
 * at most 1 day for periods under an hour, at most 7 days otherwise.
 */
function checkRange(ruleId: string, periodSeconds: number, evaluationPeriods: number, datapointsToAlarm: number) {
  if (!isAlarmPeriod(periodSeconds)) {
    throw new AlarmRuleError(`Alarm rule "${ruleId}": period ${periodSeconds} s ${ALARM_PERIOD_RULE}`);
  }
  if (periodSeconds > DAY_SECONDS) {
    throw new AlarmRuleError(`Alarm rule "${ruleId}": period ${periodSeconds} s is longer than CloudWatch's 1 day`);
  }
  const range = periodSeconds * evaluationPeriods;
  const max = periodSeconds < 3600 ? DAY_SECONDS : WEEK_SECONDS;
  if (range > max) {
    throw new AlarmRuleError(
      `Alarm rule "${ruleId}": period x evaluationPeriods = ${range} s exceeds CloudWatch's limit of ${max} s ` +
        `(1 day for periods under an hour, 7 days otherwise); shorten periodSeconds or evaluationPeriods`,
    );
  }
  if (datapointsToAlarm > evaluationPeriods || datapointsToAlarm < 1) {
    throw new AlarmRuleError(
      `Alarm rule "${ruleId}": datapointsToAlarm (${datapointsToAlarm}) must be between 1 and evaluationPeriods (${evaluationPeriods})`,
    );
  }
}

interface EffectiveRule {
  readonly rule: DefaultAlarmRule;
  readonly kpi: KpiDefinition;
  readonly severity: Severity;
  readonly ladder: LadderName;
  readonly threshold: number | undefined;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** The rule's own evidence floors (override, else catalog), when it has them. */
  readonly minSamples?: number;
  readonly minBadEvents?: number;
}

/**
 * The rule's own evidence floors, from its override or its catalog entry, checked against what
 * the rule can guard: a count floor needs a rate, a percentile or a mean behind a threshold rule;
 * a bad-event floor needs a share of events.
 * @throws AlarmRuleError naming the key and the rule
 */
function ruleEvidence(
  rule: DefaultAlarmRule,
  kpi: KpiDefinition,
  o: PipelineConfig['alarms']['overrides'][string],
): { minSamples?: number; minBadEvents?: number } {
  const minSamples = o.minSamples ?? rule.evidence?.minSamples;
  const minBadEvents = o.minBadEvents ?? rule.evidence?.minBadEvents;
  const where = (key: string) =>
    o[key as 'minSamples' | 'minBadEvents'] !== undefined
      ? `alarms.overrides.${rule.id}.${key}`
      : `the catalog entry of ${rule.id}`;
  const guarded = rule.kind === 'threshold' && SAMPLE_FLOORS.has(kpi.aggregation);
  if (minSamples !== undefined && !guarded) {
    throw new AlarmRuleError(
      `${where('minSamples')}: rule "${rule.id}" has no minimum-evidence guard to set (a ${rule.kind} rule on a ` +
        `${kpi.aggregation} KPI); minSamples applies to threshold rules on rates, percentiles and means`,
      `alarms.overrides.${rule.id}.minSamples`,
    );
  }
  if (minBadEvents !== undefined && !(rule.kind === 'threshold' && hasBadCount(kpi))) {
    throw new AlarmRuleError(
      `${where('minBadEvents')}: rule "${rule.id}" watches ${kpi.aggregation} KPI "${kpi.name}", which counts no bad ` +
        'events; minBadEvents applies to threshold rules on rates and on precision, recall and accuracy',
      `alarms.overrides.${rule.id}.minBadEvents`,
    );
  }
  return {
    ...(minSamples === undefined ? {} : { minSamples }),
    ...(minBadEvents === undefined ? {} : { minBadEvents }),
  };
}

/** Catalog defaults with the configuration's overrides, validated once for all scopes. */
function effectiveCatalogRules(config: PipelineConfig, catalog: KpiCatalog): EffectiveRule[] {
  const out: EffectiveRule[] = [];
  for (const kpi of catalog.all()) {
    for (const rule of kpi.defaultAlarms) {
      const o = config.alarms.overrides[rule.id] ?? {};
      if (o.enabled === false) continue;
      if (kpi.metric === undefined) {
        throw new AlarmRuleError(
          `Alarm rule "${rule.id}" watches KPI "${kpi.name}", which is not published to CloudWatch (no metric)`,
        );
      }
      if (!STATISTIC.test(rule.statistic)) {
        throw new AlarmRuleError(
          `Alarm rule "${rule.id}": statistic "${rule.statistic}" is not a CloudWatch statistic`,
        );
      }
      const eff: EffectiveRule = {
        rule,
        kpi,
        severity: o.severity ?? rule.severity,
        ladder: o.ladder ?? rule.ladder,
        threshold: o.threshold ?? rule.threshold,
        periodSeconds: o.periodSeconds ?? rule.periodSeconds,
        evaluationPeriods: o.evaluationPeriods ?? rule.evaluationPeriods,
        datapointsToAlarm: o.datapointsToAlarm ?? rule.datapointsToAlarm,
        treatMissingData: o.treatMissingData ?? rule.treatMissingData,
        ...ruleEvidence(rule, kpi, o),
      };
      if (eff.threshold === undefined) {
        throw new AlarmRuleError(`Alarm rule "${rule.id}" has no threshold; set alarms.overrides.${rule.id}.threshold`);
      }
      checkRange(rule.id, eff.periodSeconds, eff.evaluationPeriods, eff.datapointsToAlarm);
      out.push(eff);
    }
  }
  return out;
}

/**
 * How a burn-rate window becomes periods. A window of up to one day is one period of the window's
 * length: the alarm compares the event-weighted bad ratio over exactly that window, re-evaluated every
 * minute. CloudWatch periods stop at one day, and metric math cannot sum across evaluation
 * periods, so a longer window is split into k equal periods of at most a day with k out of k
 * breaching: it fires only when every slice burns at the factor, which implies the whole window
 * does (a conservative approximation, acceptable for the slow-burn P4 ticket rule; its short
 * window still confirms the burn is current).
 */
export function burnWindowPeriods(windowMinutes: number): { periodSeconds: number; evaluationPeriods: number } {
  const windowSeconds = windowMinutes * 60;
  if (windowSeconds <= DAY_SECONDS) return { periodSeconds: windowSeconds, evaluationPeriods: 1 };
  const k = Math.ceil(windowSeconds / DAY_SECONDS);
  const periodSeconds = Math.floor(windowSeconds / k / 60) * 60;
  return { periodSeconds, evaluationPeriods: k };
}

function stat(
  config: PipelineConfig,
  metricName: string,
  tenant: string,
  statistic: string,
  periodSeconds: number,
): AlarmMetricStat {
  return {
    namespace: config.metricsNamespace,
    metricName,
    dimensions: { [TENANT_DIMENSION]: tenantDimensionValue(tenant) },
    statistic,
    periodSeconds,
  };
}

function checkOverrideIds(config: PipelineConfig, catalog: KpiCatalog, sloRuleIds: ReadonlySet<string>): void {
  const known = new Set<string>(sloRuleIds);
  for (const kpi of catalog.all()) for (const r of kpi.defaultAlarms) known.add(r.id);
  for (const [id, o] of Object.entries(config.alarms.overrides)) {
    if (!known.has(id)) {
      throw new AlarmRuleError(
        `alarms.overrides names rule "${id}", which does not exist; rule ids are ${[...known].sort().join(', ')}`,
        `alarms.overrides.${id}`,
      );
    }
    if (sloRuleIds.has(id)) {
      // Its long window's evidence floors are the burn rule's own (minSamples, minBadEvents).
      const { enabled: _e, severity: _s, ladder: _l, minSamples: _n, minBadEvents: _b, ...rest } = o;
      const extra = Object.keys(rest).filter((k) => rest[k as keyof typeof rest] !== undefined);
      if (extra.length > 0) {
        throw new AlarmRuleError(
          `alarms.overrides.${id} sets ${extra.join(', ')}, which a burn-rate rule does not have: ` +
            'change alarms.slos (objective) or alarms.burnRates (factor, windows) instead',
        );
      }
    }
  }
}

/** A paging alarm, by name and severity, for the roll-ups. */
interface PagingEntry {
  readonly name: string;
  readonly severity: Severity;
}

type ResolvedSlo = ReturnType<typeof resolveSlos>[number];

/** The SLOs of a deployment with their KPI and the metric their burn rates read. */
function resolveSlos(
  config: PipelineConfig,
  catalog: KpiCatalog,
): { slo: PipelineConfig['alarms']['slos'][number]; kpi: KpiDefinition; metric: ReturnType<typeof sloMetric> }[] {
  return config.alarms.slos.map((slo) => {
    const kpi = catalog.get(slo.kpi);
    if (kpi === undefined) {
      throw new AlarmRuleError(`alarms.slos "${slo.id}" names KPI "${slo.kpi}", which is not in the catalog`);
    }
    let metric: ReturnType<typeof sloMetric>;
    try {
      metric = sloMetric(kpi);
    } catch (e) {
      throw new AlarmRuleError(`alarms.slos "${slo.id}": ${(e as Error).message}`);
    }
    return { slo, kpi, metric };
  });
}

/** The page alarm of one catalog rule in one scope (the fleet or a tenant). */
function catalogRuleAlarm(config: PipelineConfig, r: EffectiveRule, tenant: string): AlarmSpec {
  const deployment = config.name;
  const identity: AlarmIdentity = {
    deployment,
    severity: r.severity,
    ladder: r.ladder,
    tenant,
    ruleId: r.rule.id,
  };
  const floor = r.rule.kind === 'threshold' ? (r.minSamples ?? minSamplesFor(config, r.kpi)) : undefined;
  // A guarded rate or mean judges its whole evaluation window at once (one period of the
  // window's length): evidence adds up over the window, so one failure among a few requests
  // in each of three minutes is noise, and one failure in every minute of a small tenant is
  // not. A percentile keeps its M of N periods (one slow minute must not page), each needing
  // its share of the window's samples.
  const windowed = floor !== undefined && r.kpi.aggregation !== 'quantiles';
  const minSamples = floor === undefined ? undefined : windowed ? floor : Math.ceil(floor / r.evaluationPeriods);
  const periodSeconds = windowed ? r.periodSeconds * r.evaluationPeriods : r.periodSeconds;
  const metric = stat(config, r.kpi.metric!.name, tenant, r.rule.statistic, periodSeconds);
  const scopeText = scopeLabel(tenant, (t) => `tenant ${t}`);
  const base = {
    name: nameFor(identity, 'page'),
    identity,
    role: 'page' as const,
    description: `${r.severity} (${scopeText}): ${r.rule.description}`,
    comparison: r.rule.comparison,
    evaluationPeriods: windowed ? 1 : r.evaluationPeriods,
    datapointsToAlarm: windowed ? 1 : r.datapointsToAlarm,
    treatMissingData: r.treatMissingData,
    tags: tagsFor(identity, 'page'),
    kpi: r.kpi.name,
    metric,
  };
  if (r.rule.kind === 'anomaly') return { ...base, kind: 'anomaly', bandStdDevs: r.threshold! };
  return {
    ...base,
    kind: 'threshold',
    threshold: r.threshold!,
    ...(minSamples === undefined
      ? {}
      : {
          evidence: {
            minSamples,
            fallback: safeSide(r.rule.comparison, r.threshold!),
            ...(hasBadCount(r.kpi)
              ? { minBad: { count: r.minBadEvents ?? config.alerting.evidence.minBadEvents, bad: badShare(r.kpi) } }
              : {}),
          },
        }),
  };
}

/**
 * The burn-rate alarms of one SLO and burn rate in one scope: a long and a short window alarm,
 * and the composite that pages when both are in ALARM. Skipped when the override disables it.
 */
function burnRateAlarms(
  config: PipelineConfig,
  { slo, metric }: ResolvedSlo,
  b: PipelineConfig['alarms']['burnRates'][number],
  tenant: string,
  alarms: AlarmSpec[],
  composites: CompositeSpec[],
  paging: PagingEntry[],
): void {
  const deployment = config.name;
  const budget = 1 - slo.objective;
  const ruleId = burnRateRuleId(slo.id, b.severity, b.longWindowMinutes);
  const o = config.alarms.overrides[ruleId] ?? {};
  if (o.enabled === false) return;
  const severity = o.severity ?? b.severity;
  const ladder = o.ladder ?? 'technical';
  const identity: AlarmIdentity = { deployment, severity, ladder, tenant, ruleId };
  // Rounded so 14.4 x 0.001 reads 0.0144 in the template, not 0.014400000000000013.
  const badRatio = Number((b.factor * budget).toPrecision(12));
  const threshold = metric.bad === 'hits' ? badRatio : Number((1 - badRatio).toPrecision(12));
  const children: string[] = [];
  for (const window of ['long', 'short'] as const) {
    const windowMinutes = window === 'long' ? b.longWindowMinutes : b.shortWindowMinutes;
    const { periodSeconds, evaluationPeriods } = burnWindowPeriods(windowMinutes);
    const childRule = `${ruleId}-${window}`;
    checkRange(childRule, periodSeconds, evaluationPeriods, evaluationPeriods);
    const childId: AlarmIdentity = { ...identity, ruleId: childRule };
    const name = nameFor(childId, 'window');
    alarms.push({
      kind: 'burn-window',
      name,
      identity: childId,
      role: 'window',
      description:
        `Part of ${ruleId}: bad-event ratio of ${slo.kpi} over ${formatWindow(windowMinutes)} ` +
        `> ${b.factor}x the error budget (${budget.toPrecision(3)}) of SLO ${slo.id}`,
      comparison: metric.bad === 'hits' ? 'GreaterThanThreshold' : 'LessThanThreshold',
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      // No traffic burns no budget; and a new alarm settles to OK, never to ALARM, on deploy.
      treatMissingData: 'notBreaching',
      tags: tagsFor(childId, 'window'),
      slo: slo.id,
      kpi: slo.kpi,
      window,
      windowMinutes,
      metric: stat(config, metric.metricName, tenant, 'Average', periodSeconds),
      threshold,
      badRatioThreshold: badRatio,
      burnFactor: b.factor,
      // A long window needs enough events: a burn rate over a handful of events is noise.
      ...(window === 'long'
        ? {
            evidence: {
              minSamples: o.minSamples ?? config.alerting.evidence.minEvents,
              fallback: safeSide(metric.bad === 'hits' ? 'GreaterThanThreshold' : 'LessThanThreshold', threshold),
              minBad: { count: o.minBadEvents ?? config.alerting.evidence.minBadEvents, bad: metric.bad },
            },
          }
        : {}),
    });
    children.push(name);
  }
  const name = nameFor(identity, 'page');
  composites.push({
    kind: 'burn-rate',
    name,
    identity,
    role: 'page',
    description:
      `${severity}: SLO ${slo.id} (${slo.kpi}, objective ${slo.objective} over ${slo.windowDays} d) is burning its ` +
      `error budget at ${b.factor}x over ${formatWindow(b.longWindowMinutes)} and ${formatWindow(b.shortWindowMinutes)}` +
      (isFleet(tenant) ? '' : ` for tenant ${tenant}`),
    operator: 'AND',
    children,
    tags: tagsFor(identity, 'page'),
  });
  paging.push({ name, severity });
}

/** The per-severity roll-up composites over every paging alarm (overview only; never page). */
function rollupComposites(deployment: string, paging: readonly PagingEntry[]): CompositeSpec[] {
  const composites: CompositeSpec[] = [];
  for (const severity of SEVERITIES) {
    const members = paging.filter((p) => p.severity === severity).map((p) => p.name);
    if (members.length === 0) continue;
    const ruleId = `rollup-${severity.toLowerCase()}`;
    const identity: AlarmIdentity = { deployment, severity, ladder: 'technical', tenant: '*', ruleId };
    let children = members;
    // Chunked by rendered rule length (names and ARNs vary), not by count alone.
    const chunks = chunkRuleChildren(members, MAX_RULE_CHARS, Math.min(MAX_RULE_CHILDREN, ROLLUP_CHUNK));
    if (chunks.length > 1) {
      children = [];
      for (let i = 0; i < chunks.length; i++) {
        const partId: AlarmIdentity = { ...identity, ruleId: `${ruleId}-part${i + 1}` };
        const name = nameFor(partId, 'rollup');
        composites.push({
          kind: 'rollup',
          name,
          identity: partId,
          role: 'rollup',
          description: `Part ${i + 1} of the ${severity} roll-up`,
          operator: 'OR',
          children: chunks[i]!,
          tags: tagsFor(partId, 'rollup'),
        });
        children.push(name);
      }
    }
    composites.push({
      kind: 'rollup',
      name: nameFor(identity, 'rollup'),
      identity,
      role: 'rollup',
      description: `Any ${severity} alarm of ${deployment} is in ALARM (overview only; never pages)`,
      operator: 'OR',
      children,
      tags: tagsFor(identity, 'rollup'),
    });
  }
  return composites;
}

/**
 * Resolves every alarm of a deployment.
 * @throws AlarmRuleError when an override names no rule, a rule breaks CloudWatch's limits, or an
 * SLO names a KPI that is not a published rate
 * @throws AlarmCapError when the plan exceeds `maxAlarms`
 */
export function resolveAlarmRules(
  config: PipelineConfig,
  catalog: KpiCatalog,
  options: ResolveAlarmRulesOptions = {},
): AlarmPlan {
  const maxAlarms = options.maxAlarms ?? DEFAULT_MAX_ALARMS;
  const deployment = config.name;
  const scopes = [FLEET_SCOPE, ...(options.tenants ?? perTenantAlarmTenants(config))];

  const slos = resolveSlos(config, catalog);
  const sloRuleIds = new Set<string>();
  for (const { slo } of slos) {
    for (const b of config.alarms.burnRates) sloRuleIds.add(burnRateRuleId(slo.id, b.severity, b.longWindowMinutes));
  }
  checkOverrideIds(config, catalog, sloRuleIds);
  const rules = effectiveCatalogRules(config, catalog);

  const alarms: AlarmSpec[] = [];
  const composites: CompositeSpec[] = [];
  const paging: PagingEntry[] = [];

  for (const tenant of scopes) {
    for (const r of rules) {
      const alarm = catalogRuleAlarm(config, r, tenant);
      alarms.push(alarm);
      paging.push({ name: alarm.name, severity: r.severity });
    }

    for (const s of slos) {
      for (const b of config.alarms.burnRates) {
        burnRateAlarms(config, s, b, tenant, alarms, composites, paging);
      }
    }
  }

  composites.push(...rollupComposites(deployment, paging));

  const count = alarms.length + composites.length;
  if (count > maxAlarms) {
    throw new AlarmCapError(
      count,
      maxAlarms,
      `${alarms.length} metric alarms and ${composites.length} composites over ${scopes.length} scope(s): ` +
        `the fleet and ${scopes.length - 1} per-tenant-alarm tenant(s)`,
    );
  }
  return { alarms, composites };
}
