import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { alarmsFromTemplate, evaluateAlarms } from '../../lambdas/core/alarm-evaluator';
import { AlarmCapError, AlarmRuleError, resolveAlarmRules } from '../../lambdas/core/alarms/rules';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { KpiAlarms, synthesizeAlarmsTemplate } from '../../lib/constructs/alarms';

const TENANTS = [
  { id: 'acme', name: 'Acme', tier: 'enterprise' },
  { id: 'small', name: 'Small', tier: 'standard' },
];

function build(
  input: PipelineConfigInput = { tenants: TENANTS },
  opts: { maxAlarms?: number; validate?: boolean } = {},
) {
  const app = new App({
    // The built-in CloudFormation validator costs ~15 s a synth; one test below runs it.
    builtinCloudFormationValidation: opts.validate === true,
    context: {
      'aws:cdk:bundling-stacks': [],
    },
  });
  const stack = new Stack(app, 'AlarmsTest');
  const config = parseConfig(input);
  const alarms = new KpiAlarms(stack, 'Alarms', { config, catalog: KpiCatalog.create([]), maxAlarms: opts.maxAlarms });
  return { stack, alarms, template: Template.fromStack(stack) };
}

type Props = Record<string, unknown>;
function alarmNamed(template: Template, name: string): Props {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
    (r) => (r as { Properties: Props }).Properties.AlarmName === name,
  );
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Props }).Properties;
}
function compositeNamed(template: Template, name: string): Props {
  const found = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')).filter(
    (r) => (r as { Properties: Props }).Properties.AlarmName === name,
  );
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Props }).Properties;
}

/**
 * The metric an alarm reads, whether it reads it directly or through the minimum-evidence guard
 * (`v`, its statistic; `n`, its sample count; the guard expression returned).
 */
function readMetric(p: Props): Props {
  if (!Array.isArray(p.Metrics)) {
    const { Namespace, MetricName, Dimensions, Statistic, ExtendedStatistic, Period } = p;
    return { Namespace, MetricName, Dimensions, Statistic: Statistic ?? ExtendedStatistic, Period };
  }
  const metrics = p.Metrics as { Id: string; Expression?: string; MetricStat?: Props }[];
  const v = metrics.find((m) => m.Id === 'v')!.MetricStat as {
    Metric: Props;
    Stat: string;
    Period: number;
  };
  return {
    ...v.Metric,
    Statistic: v.Stat,
    Period: v.Period,
    Guard: metrics.find((m) => m.Expression !== undefined)?.Expression,
  };
}

/**
 * The default threshold rules of the operations spec (transcribed here, not read from the catalog).
 * Rule windows: 1-minute periods 3 of 5; conversation shares 15 min 3 of 4; sampled scores 15 min
 * 2 of 3. Every rule here is on a rate, a percentile or a mean, so it carries the minimum-evidence
 * guard and judges its whole window as one period: 5 min, 60 min, 45 min.
 */
const MINUTE = { window: 300 };
/** Percentiles keep their 1-minute periods, 3 of 5, each with a fifth of the window's 50 samples. */
const MINUTE_SAMPLES = { window: 60, evaluationPeriods: 5, datapointsToAlarm: 3 };
const CONVERSATION = { window: 3600 };
const SAMPLED = { window: 2700 };
const EVENTS = 50;
const SAMPLES = 10;
const RESPONSES = 10;

const SPEC_THRESHOLDS = [
  ['availability-p1', 'P1', 'technical', 'Availability', 'Average', 'LessThanThreshold', 0.99, MINUTE, EVENTS],
  ['availability-p2', 'P2', 'technical', 'Availability', 'Average', 'LessThanThreshold', 0.995, MINUTE, EVENTS],
  [
    'response_latency-p1',
    'P1',
    'technical',
    'ResponseLatency',
    'p95',
    'GreaterThanThreshold',
    5000,
    MINUTE_SAMPLES,
    SAMPLES,
  ],
  [
    'response_latency-p2',
    'P2',
    'technical',
    'ResponseLatency',
    'p95',
    'GreaterThanThreshold',
    3000,
    MINUTE_SAMPLES,
    SAMPLES,
  ],
  ['api_error_rate-p1', 'P1', 'technical', 'ApiErrorRate', 'Average', 'GreaterThanThreshold', 0.01, MINUTE, EVENTS],
  ['api_error_rate-p2', 'P2', 'technical', 'ApiErrorRate', 'Average', 'GreaterThanThreshold', 0.005, MINUTE, EVENTS],
  ['api_latency-p2', 'P2', 'technical', 'ApiLatency', 'p95', 'GreaterThanThreshold', 500, MINUTE_SAMPLES, SAMPLES],
  [
    'synthesis_over_2s_share-p2',
    'P2',
    'technical',
    'SynthesisOver2sShare',
    'Average',
    'GreaterThanThreshold',
    0.01,
    MINUTE,
    EVENTS,
  ],
  [
    'synthesis_success_rate-p2',
    'P2',
    'technical',
    'SynthesisSuccessRate',
    'Average',
    'LessThanThreshold',
    0.995,
    MINUTE,
    EVENTS,
  ],
  ['cache_hit_rate-p3', 'P3', 'technical', 'CacheHitRate', 'Average', 'LessThanThreshold', 0.4, MINUTE, EVENTS],
  [
    'escalation_rate-p3',
    'P3',
    'technical',
    'EscalationRate',
    'Average',
    'GreaterThanThreshold',
    0.5,
    CONVERSATION,
    EVENTS,
  ],
  [
    'escalation_accuracy-p2',
    'P2',
    'technical',
    'EscalationAccuracy',
    'Average',
    'LessThanThreshold',
    0.95,
    SAMPLED,
    RESPONSES,
  ],
  [
    'resolution_rate-p3',
    'P3',
    'technical',
    'ResolutionRate',
    'Average',
    'LessThanThreshold',
    0.7,
    CONVERSATION,
    EVENTS,
  ],
  ['csat-p2', 'P2', 'business', 'Csat', 'Average', 'LessThanThreshold', 3.5, SAMPLED, RESPONSES],
] as const;

/** Burn-rate rules of the operations spec: severity, factor, long and short window (seconds). */
const SPEC_BURN = [
  ['p1-1h', 'P1', 14.4, 3600, 300],
  ['p1-6h', 'P1', 6, 21600, 1800],
  ['p2-1d', 'P2', 3, 86400, 7200],
  ['p4-3d', 'P4', 1, 259200, 21600],
] as const;

describe('KpiAlarms', () => {
  const { template, alarms } = build();

  it.each(SPEC_THRESHOLDS)(
    'default rule %s: %s on the %s ladder, %s %s %s %s, guarded',
    (id, sev, ladder, metric, stat, op, threshold, window, minSamples) => {
      const p = alarmNamed(template, `agent-kpi/${sev}/${ladder}/fleet/${id}`);
      const w = window as { window: number; evaluationPeriods?: number; datapointsToAlarm?: number };
      expect(p).toMatchObject({
        ComparisonOperator: op,
        Threshold: threshold,
        EvaluationPeriods: w.evaluationPeriods ?? 1,
        DatapointsToAlarm: w.datapointsToAlarm ?? 1,
        TreatMissingData: 'missing',
      });
      const metrics = p.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: Props }[];
      const byId = Object.fromEntries(metrics.map((m) => [m.Id, m]));
      const onMetric = {
        Metric: { Namespace: 'AgentKpi', MetricName: metric, Dimensions: [{ Name: 'Tenant', Value: 'ALL' }] },
        Period: window.window,
      };
      expect(byId.v?.MetricStat).toMatchObject({ ...onMetric, Stat: stat });
      expect(byId.n?.MetricStat).toMatchObject({ ...onMetric, Stat: 'SampleCount' });
      const guard = metrics.find((m) => m.Expression !== undefined)!;
      const safe = op.startsWith('Greater') ? threshold - Math.max(1, threshold) : threshold + Math.max(1, threshold);
      // Rates, and the share of right escalation decisions, also need 5 bad events; synthesis
      // success has its own floor of 8 in its catalog entry.
      const isRate = minSamples === EVENTS || id === 'escalation_accuracy-p2';
      const minBad = id === 'synthesis_success_rate-p2' ? 8 : 5;
      const bad = op.startsWith('Greater') ? 'FILL(v, 0) * FILL(n, 0)' : '(1 - FILL(v, 1)) * FILL(n, 0)';
      expect(guard.Expression).toBe(
        isRate
          ? `IF((FILL(n, 0) >= ${minSamples}) * (${bad} >= ${minBad}), v, ${safe})`
          : `IF(FILL(n, 0) >= ${minSamples}, v, ${safe})`,
      );
      expect(p.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'agent-kpi:severity', Value: sev },
          { Key: 'agent-kpi:ladder', Value: ladder },
          { Key: 'agent-kpi:tenant', Value: '*' },
          { Key: 'agent-kpi:rule', Value: id },
          { Key: 'agent-kpi:role', Value: 'page' },
        ]),
      );
    },
  );

  it('anomaly-band alarms for the trend rules: response p95 (P3, above) and availability (P4, below)', () => {
    for (const [name, metric, stat, op] of [
      ['agent-kpi/P3/technical/fleet/response_latency-anomaly', 'ResponseLatency', 'p95', 'GreaterThanUpperThreshold'],
      ['agent-kpi/P4/technical/fleet/availability-anomaly', 'Availability', 'Average', 'LessThanLowerThreshold'],
    ] as const) {
      const p = alarmNamed(template, name);
      expect(p.ComparisonOperator).toBe(op);
      const metrics = p.Metrics as { Id: string; Expression?: string; MetricStat?: Props }[];
      const band = metrics.find((m) => m.Id === p.ThresholdMetricId)!;
      const source = metrics.find((m) => m.MetricStat !== undefined)!;
      expect(band.Expression).toBe(`ANOMALY_DETECTION_BAND(${source.Id}, 2)`);
      expect(source.MetricStat).toMatchObject({ Metric: { MetricName: metric }, Stat: stat, Period: 300 });
      template.hasResourceProperties('AWS::CloudWatch::AnomalyDetector', {
        SingleMetricAnomalyDetector: {
          Namespace: 'AgentKpi',
          MetricName: metric,
          Stat: stat,
          Dimensions: [{ Name: 'Tenant', Value: 'ALL' }],
        },
      });
    }
  });

  it.each(['availability', 'api-errors'].flatMap((slo) => SPEC_BURN.map((b) => [slo, ...b] as const)))(
    'SLO %s burn rule %s: %s at %sx, long %ss AND short %ss',
    (slo, suffix, sev, factor, longS, shortS) => {
      const rule = `slo-${slo}-${suffix}`;
      const composite = compositeNamed(template, `agent-kpi/${sev}/technical/fleet/${rule}`);
      const text = JSON.stringify(composite.AlarmRule);
      expect(text).toMatch(/ALARM\(.*\) AND ALARM\(/);
      for (const [window, seconds] of [
        ['long', longS],
        ['short', shortS],
      ] as const) {
        const p = alarmNamed(template, `agent-kpi.parts/${sev}/technical/fleet/${rule}-${window}`);
        const periods = seconds > 86400 ? seconds / 86400 : 1;
        const badRatio = Number((factor * 0.001).toPrecision(12));
        // Rate metrics are event-weighted samples: Average over the window is the window's share.
        const read = readMetric(p);
        expect(read).toMatchObject({
          Namespace: 'AgentKpi',
          MetricName: slo === 'availability' ? 'Availability' : 'ApiErrorRate',
          Dimensions: [{ Name: 'Tenant', Value: 'ALL' }],
          Statistic: 'Average',
          Period: seconds / periods,
        });
        // The long window needs 50 events behind its ratio; the short one only confirms it is current.
        if (window === 'long') expect(read.Guard).toMatch(/^IF\(\(FILL\(n, 0\) >= 50\) \* \(.* >= 5\), v, /);
        else expect(read.Guard).toBeUndefined();
        expect(p).toMatchObject({
          EvaluationPeriods: periods,
          DatapointsToAlarm: periods,
          TreatMissingData: 'notBreaching',
          // Availability is a good share: the bad ratio exceeds f x budget when availability drops below 1 - that.
          ...(slo === 'availability'
            ? { ComparisonOperator: 'LessThanThreshold', Threshold: Number((1 - badRatio).toPrecision(12)) }
            : { ComparisonOperator: 'GreaterThanThreshold', Threshold: badRatio }),
        });
        // The composite reads this window alarm.
        expect(text).toContain(
          Object.entries(
            template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: p.AlarmName } }),
          )[0]![0],
        );
      }
    },
  );

  it('creates CloudWatch alarms for the fleet only: per-tenant rules are evaluated by the pipeline', () => {
    const names = [
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].map((r) => (r as { Properties: Props }).Properties.AlarmName as string);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => n.includes('/tenant-'))).toEqual([]);
    // The plan for the enterprise tenant still exists, for the pipeline's evaluator.
    const plan = resolveAlarmRules(parseConfig({ tenants: TENANTS }), KpiCatalog.create([]));
    expect(plan.alarms.map((a) => a.name)).toContain('agent-kpi/P1/technical/tenant-acme/response_latency-p1');
  });

  it('one roll-up per severity over every paging alarm of that severity; roll-ups never page', () => {
    for (const sev of ['P1', 'P2', 'P3', 'P4'] as const) {
      const rollup = compositeNamed(template, `agent-kpi.rollup/${sev}/technical/fleet/rollup-${sev.toLowerCase()}`);
      const refs = JSON.stringify(rollup.AlarmRule).match(/Fn::GetAtt/g) ?? [];
      expect(refs.length).toBe(alarms.alarmsBySeverity[sev].length);
      expect(alarms.rollups[sev]).toBeDefined();
    }
    // P1 of the fleet: 3 threshold rules (availability, response p95, API errors) + 2 SLOs x 2 fast-burn rules.
    expect(alarms.alarmsBySeverity.P1.length).toBe(3 + 2 * 2);
  });

  it('no alarm has actions, and only paging alarms carry the routed prefix', () => {
    const all = [
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ].map((r) => (r as { Properties: Props }).Properties);
    for (const p of all) {
      expect(p.AlarmActions ?? []).toEqual([]);
      expect(p.OKActions ?? []).toEqual([]);
      const role = (p.Tags as { Key: string; Value: string }[]).find((t) => t.Key === 'agent-kpi:role')!.Value;
      expect(String(p.AlarmName).startsWith(alarms.pagingPrefix)).toBe(role === 'page');
    }
    expect(alarms.pagingPrefix).toBe('agent-kpi/');
  });

  it('deploying pages nobody: with no metrics at all no alarm reaches ALARM', () => {
    const defs = alarmsFromTemplate(template.toJSON());
    const start = Date.parse('2026-03-02T00:00:00Z');
    const { transitions, finalStates } = evaluateAlarms(defs, [], { fromMs: start, toMs: start + 30 * 60_000 });
    expect(transitions.filter((t) => t.toState === 'ALARM')).toEqual([]);
    const paging = Object.entries(finalStates).filter(([n]) => n.startsWith('agent-kpi/'));
    expect(paging.every(([, s]) => s !== 'ALARM')).toBe(true);
  });

  it('overrides change thresholds, windows, severity, and switch rules off', () => {
    const { template: t } = build({
      alarms: {
        overrides: {
          'response_latency-p1': { threshold: 4000, evaluationPeriods: 3, datapointsToAlarm: 2, periodSeconds: 120 },
          'csat-p2': { severity: 'P3' },
          'cache_hit_rate-p3': { enabled: false },
          'slo-api-errors-p4-3d': { enabled: false },
        },
      },
    });
    const latency = alarmNamed(t, 'agent-kpi/P1/technical/fleet/response_latency-p1');
    expect(latency).toMatchObject({ Threshold: 4000, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    expect(readMetric(latency)).toMatchObject({ Period: 120, Statistic: 'p95' });
    alarmNamed(t, 'agent-kpi/P3/business/fleet/csat-p2');
    t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('cache_hit_rate') }, 0);
    t.resourcePropertiesCountIs(
      'AWS::CloudWatch::CompositeAlarm',
      { AlarmName: Match.stringLikeRegexp('slo-api-errors-p4-3d') },
      0,
    );
  });

  it('changes the SLO objective and burn rules from configuration', () => {
    const { template: t } = build({
      alarms: {
        slos: [{ id: 'availability', kpi: 'availability', objective: 0.99 }],
        burnRates: [{ severity: 'P2', factor: 2, longWindowMinutes: 120, shortWindowMinutes: 10 }],
      },
    });
    const long = alarmNamed(t, 'agent-kpi.parts/P2/technical/fleet/slo-availability-p2-2h-long');
    expect(long).toMatchObject({ Threshold: 0.98 });
    expect(readMetric(long)).toMatchObject({ Period: 7200 });
    t.resourcePropertiesCountIs('AWS::CloudWatch::CompositeAlarm', { AlarmName: Match.stringLikeRegexp('slo-api') }, 0);
  });

  it('fails synthesis with a clear message when alarms exceed the cap, or an override names no rule', () => {
    expect(() => build({ tenants: TENANTS }, { maxAlarms: 10 })).toThrow(AlarmCapError);
    expect(() => build({ tenants: TENANTS }, { maxAlarms: 10 })).toThrow(/more than the cap of 10/);
    expect(() => build({ alarms: { overrides: { 'response_latency-p9': { threshold: 1 } } } })).toThrow(
      /names rule "response_latency-p9", which does not exist/,
    );
    expect(() => build({ alarms: { overrides: { 'slo-availability-p1-1h': { threshold: 1 } } } })).toThrow(
      /burn-rate rule does not have/,
    );
    expect(() =>
      build({ alarms: { overrides: { 'api_latency-p2': { periodSeconds: 3000, evaluationPeriods: 30 } } } }),
    ).toThrow(AlarmRuleError);
  });

  it('splits a roll-up over more than 50 alarms into parts under one parent', () => {
    const many = Array.from({ length: 6 }, (_, i) => `big-${i}`);
    const plan = resolveAlarmRules(parseConfig({}), KpiCatalog.create([]), { tenants: many });
    const p2 = plan.composites.filter((c) => c.name.startsWith('agent-kpi.rollup/P2/'));
    // P2 per scope: 8 threshold rules + 2 SLOs x 1 burn rule = 10; 7 scopes = 70 > 50.
    expect(p2.map((c) => [c.identity.ruleId, c.children.length])).toEqual([
      ['rollup-p2-part1', 50],
      ['rollup-p2-part2', 20],
      ['rollup-p2', 2],
    ]);
  });

  it('synthesizes the alarms alone for backtests: the fleet alarms of the app plus the per-tenant rules', () => {
    const config = parseConfig({ tenants: TENANTS });
    const standalone = alarmsFromTemplate(synthesizeAlarmsTemplate(config, KpiCatalog.create([])));
    const inApp = alarmsFromTemplate(template.toJSON());
    const fleet = standalone.metricAlarms.map((a) => a.name).filter((n) => !n.includes('/tenant-'));
    expect(fleet.sort()).toEqual(inApp.metricAlarms.map((a) => a.name).sort());
    const plan = resolveAlarmRules(config, KpiCatalog.create([]));
    expect(standalone.metricAlarms.map((a) => a.name).sort()).toEqual(plan.alarms.map((a) => a.name).sort());
  });

  it('passes the built-in CloudFormation validator (schema and lint rules) without a finding', () => {
    const { stack } = build({}, { validate: true });
    const assembly = (stack.node.root as App).synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, cxapi.VALIDATION_REPORT_FILE), 'utf8')) as {
      title: string;
      pluginReports: { violations: { ruleName: string; description: string }[] }[];
    };
    // The validator ran (it writes the report); a clean run lists no plugin findings at all.
    expect(report.title).toBe('Validation Report');
    expect(report.pluginReports.flatMap((r) => r.violations.map((v) => `${v.ruleName}: ${v.description}`))).toEqual([]);
  });
});
