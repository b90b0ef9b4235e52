/**
 * `KpiAlarms`: the CloudWatch alarms of the pipeline, generated from the KPI catalog and the
 * configuration through `resolveAlarmRules` (the same plan the local evaluator replays).
 *
 * - Threshold alarms per default rule (percentile statistics such as `p95`, `p99.9` included),
 *   for the fleet. Per-tenant rules (tiers with `perTenantAlarms`) are not CloudWatch alarms: the
 *   pipeline evaluates them every minute from the KPI table (`TenantAlarms`, docs/scale.md), so
 *   the number of alarms and resources here does not grow with tenants.
 * - Anomaly-band alarms (`ANOMALY_DETECTION_BAND` + an explicit `AWS::CloudWatch::AnomalyDetector`
 *   so the model exists, and starts training, at deploy time) for the P3/P4 trend rules.
 * - Multi-window multi-burn-rate SLO alarms: per SLO x burn rule, a long-window and a short-window
 *   alarm on the bad-event ratio (the rate metric's `Average` over one period of the window's
 *   length, event-weighted by the metric contract; windows over a day become k one-day periods,
 *   all breaching: see `burnWindowPeriods`), joined by a composite `ALARM(long) AND ALARM(short)`.
 *   Only the composite pages.
 * - One roll-up composite per severity (any alarm of that severity in ALARM), for overviews.
 *
 * No alarm has actions: routing is an EventBridge rule on alarm state changes whose alarm name
 * starts with {@link KpiAlarms.pagingPrefix}. Severity, ladder, tenant, rule and role travel in the
 * name and as tags. A fresh alarm goes INSUFFICIENT_DATA -> OK on deploy, which the router treats
 * as no incident; burn-rate windows treat missing data as not breaching, so no traffic never pages.
 */
import { App, Duration, Stack, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  type AlarmMetricStat,
  type AlarmPlan,
  AlarmRuleError,
  type AlarmSpec,
  type CompositeSpec,
  DEFAULT_MAX_ALARMS,
  evidenceExpression,
  resolveAlarmRules,
} from '../../lambdas/core/alarms/rules';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfig, perTenantAlarmTenants, type Severity } from '../../lambdas/core/config/schema';
import { scopeLabel } from '../../lambdas/core/vocabulary';

/** Properties of {@link KpiAlarms}. */
export interface KpiAlarmsProps {
  /** The validated configuration (thresholds, overrides, SLOs, burn rates, tiers, tenants). */
  readonly config: PipelineConfig;
  /** The KPI catalog (`KpiCatalog.create(config.customKpis)`). */
  readonly catalog: KpiCatalog;
  /**
   * Synthesis fails when the deployment would create more alarms (metric + composite) than this.
   * @default 1000
   */
  readonly maxAlarms?: number;
  /**
   * Tenants whose rules become CloudWatch alarms too. A deployment passes none: the pipeline
   * evaluates per-tenant rules (`TenantAlarms`). Backtests pass the alerting tenants, so one
   * template holds every rule.
   * @default [] (the fleet only)
   */
  readonly tenants?: readonly string[];
}

function metricOf(m: AlarmMetricStat): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: m.namespace,
    metricName: m.metricName,
    dimensionsMap: { ...m.dimensions },
    statistic: m.statistic,
    period: Duration.seconds(m.periodSeconds),
  });
}

/**
 * The construct id of an alarm: its role, scope and rule id, never its severity or ladder. An
 * override of severity or ladder renames the alarm (the name carries both) but keeps its logical
 * id, so CloudFormation replaces that one alarm in place and no other resource moves.
 */
function constructId(spec: AlarmSpec | CompositeSpec): string {
  const scope = scopeLabel(spec.identity.tenant, (t) => `tenant-${t}`);
  return `${spec.role}::${scope}::${spec.identity.ruleId}`;
}

/** The alarms of the pipeline; see the module comment for what it creates. */
export class KpiAlarms extends Construct {
  /** The plan the alarms were built from (plain data, also read by the local evaluator). */
  readonly plan: AlarmPlan;
  /** Every alarm that pages (threshold, anomaly, burn-rate composites), in plan order. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The paging alarms by severity. */
  readonly alarmsBySeverity: Record<Severity, cloudwatch.IAlarm[]>;
  /** The roll-up composite per severity (absent for a severity without alarms). */
  readonly rollups: Partial<Record<Severity, cloudwatch.IAlarm>>;
  /** Alarm-name prefix of every paging alarm, `<deployment>/`: the router's EventBridge rule matches it. */
  readonly pagingPrefix: string;

  constructor(scope: Construct, id: string, props: KpiAlarmsProps) {
    super(scope, id);
    const maxAlarms = props.maxAlarms ?? DEFAULT_MAX_ALARMS;
    this.plan = resolveAlarmRules(props.config, props.catalog, { maxAlarms, tenants: props.tenants ?? [] });
    this.pagingPrefix = `${props.config.name}/`;
    this.alarms = [];
    this.alarmsBySeverity = { P1: [], P2: [], P3: [], P4: [] };
    this.rollups = {};

    const byName = new Map<string, cloudwatch.IAlarm>();
    const detectors = new Set<string>();
    for (const spec of this.plan.alarms) {
      const alarm = this.metricAlarm(spec, detectors);
      this.tag(alarm, spec.tags);
      byName.set(spec.name, alarm);
      if (spec.role === 'page') this.register(spec.identity.severity, alarm);
    }
    for (const spec of this.plan.composites) {
      const alarm = this.composite(spec, byName);
      this.tag(alarm, spec.tags);
      byName.set(spec.name, alarm);
      if (spec.role === 'page') this.register(spec.identity.severity, alarm);
      if (spec.kind === 'rollup' && spec.identity.ruleId === `rollup-${spec.identity.severity.toLowerCase()}`) {
        this.rollups[spec.identity.severity] = alarm;
      }
    }
  }

  private register(severity: Severity, alarm: cloudwatch.IAlarm): void {
    this.alarms.push(alarm);
    this.alarmsBySeverity[severity].push(alarm);
  }

  private tag(alarm: Construct, tags: Readonly<Record<string, string>>): void {
    for (const [k, v] of Object.entries(tags)) Tags.of(alarm).add(k, v);
  }

  private metricAlarm(spec: AlarmSpec, detectors: Set<string>): cloudwatch.Alarm {
    const common = {
      alarmName: spec.name,
      alarmDescription: spec.description,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: spec.treatMissingData as cloudwatch.TreatMissingData,
      comparisonOperator: spec.comparison as cloudwatch.ComparisonOperator,
    };
    const cid = constructId(spec);
    switch (spec.kind) {
      case 'threshold':
      case 'burn-window': {
        if (spec.evidence === undefined) {
          return new cloudwatch.Alarm(this, cid, {
            ...common,
            metric: metricOf(spec.metric),
            threshold: spec.threshold,
          });
        }
        // The minimum-evidence guard lives in the alarm itself, so it holds in AWS as locally.
        const guarded = new cloudwatch.MathExpression({
          expression: evidenceExpression(spec.evidence),
          usingMetrics: {
            v: metricOf(spec.metric),
            n: metricOf({ ...spec.metric, statistic: 'SampleCount' }),
          },
          period: Duration.seconds(spec.metric.periodSeconds),
          label: `${spec.metric.metricName} ${spec.metric.statistic} with >= ${spec.evidence.minSamples} samples`,
        });
        return new cloudwatch.Alarm(this, cid, { ...common, metric: guarded, threshold: spec.threshold });
      }
      case 'anomaly': {
        const m = spec.metric;
        const key = `${m.metricName}|${JSON.stringify(m.dimensions)}|${m.statistic}`;
        if (!detectors.has(key)) {
          detectors.add(key);
          new cloudwatch.CfnAnomalyDetector(this, `${cid}::Detector`, {
            singleMetricAnomalyDetector: {
              namespace: m.namespace,
              metricName: m.metricName,
              dimensions: Object.entries(m.dimensions).map(([name, value]) => ({ name, value })),
              stat: m.statistic,
            },
          });
        }
        return new cloudwatch.AnomalyDetectionAlarm(this, cid, {
          ...common,
          metric: metricOf(m),
          stdDevs: spec.bandStdDevs,
        });
      }
    }
  }

  private composite(spec: CompositeSpec, byName: ReadonlyMap<string, cloudwatch.IAlarm>): cloudwatch.CompositeAlarm {
    const rules = spec.children.map((name) => {
      const child = byName.get(name);
      if (child === undefined) {
        throw new AlarmRuleError(`Composite ${spec.name} names ${name}, which the alarm plan does not define`);
      }
      return cloudwatch.AlarmRule.fromAlarm(child, cloudwatch.AlarmState.ALARM);
    });
    return new cloudwatch.CompositeAlarm(this, constructId(spec), {
      compositeAlarmName: spec.name,
      alarmDescription: spec.description,
      alarmRule: spec.operator === 'AND' ? cloudwatch.AlarmRule.allOf(...rules) : cloudwatch.AlarmRule.anyOf(...rules),
    });
  }
}

/**
 * The CloudFormation template of the alarms alone, for `kpi backtest` and the local mode: a
 * throw-away app holding only {@link KpiAlarms}, synthesized in memory (no bundling, no built-in
 * validation, nothing written outside the temp dir). Feed it to `alarmsFromTemplate` or `backtest`.
 * It holds the fleet's rules and those of every `perTenantAlarms` tenant, which the deployed
 * pipeline evaluates with the same evaluator, so a backtest covers both; the cap is lifted for
 * the tenants' part, which never becomes CloudWatch alarms.
 * @throws AlarmRuleError (or AlarmCapError) as {@link KpiAlarms} does
 */
export function synthesizeAlarmsTemplate(
  config: PipelineConfig,
  catalog: KpiCatalog,
  options: { readonly maxAlarms?: number } = {},
): object {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, `${config.name}-alarms`);
  const tenants = perTenantAlarmTenants(config);
  // The cap applies to what CloudWatch bills: the fleet's plan.
  resolveAlarmRules(config, catalog, { maxAlarms: options.maxAlarms ?? DEFAULT_MAX_ALARMS, tenants: [] });
  new KpiAlarms(stack, 'Alarms', { config, catalog, maxAlarms: Number.POSITIVE_INFINITY, tenants });
  return app.synth().getStackByName(stack.stackName).template as object;
}
