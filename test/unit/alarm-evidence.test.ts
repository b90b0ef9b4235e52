/**
 * The minimum-evidence guard of the synthesized alarms, at its edges, through the project's
 * evaluator: the same template CloudWatch gets, the same metric math.
 */
import { type AlarmDefinitions, alarmsFromTemplate, evaluateAlarms } from '../../lambdas/core/alarm-evaluator';
import { evaluateMath, parseMath } from '../../lambdas/core/alarm-evaluator/math';
import type { MetricDatum } from '../../lambdas/core/alarm-evaluator/types';
import { resolveAlarmRules } from '../../lambdas/core/alarms/rules';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfig, parseConfig } from '../../lambdas/core/config/schema';
import { synthesizeAlarmsTemplate } from '../../lib/constructs/alarms';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T06:00:00Z');
const config = parseConfig({ name: 'acme' });
let defs: AlarmDefinitions;

beforeAll(() => {
  defs = alarmsFromTemplate(synthesizeAlarmsTemplate(config, KpiCatalog.create([])));
});

/** One minute of a fleet rate metric: `events` samples, `hits` of them 1 (as the aggregator publishes). */
function minute(name: string, at: number, events: number, hits: number): MetricDatum {
  return {
    namespace: 'AgentKpi',
    name,
    dimensions: { Tenant: 'ALL' },
    timestampMs: T0 + at * MIN,
    values: [1, 0],
    counts: [hits, events - hits],
  };
}

/** The paging alarms that went to ALARM, by rule id. */
function fired(data: MetricDatum[], minutes = 60, definitions = defs): string[] {
  const { transitions } = evaluateAlarms(definitions, data, {
    fromMs: T0,
    toMs: T0 + minutes * MIN,
    initialState: 'OK',
  });
  return [
    ...new Set(
      transitions.filter((t) => t.toState === 'ALARM' && t.alarmName.startsWith('acme/')).map((t) => t.alarmName),
    ),
  ].map((n) => n.split('/').at(-1)!);
}

describe('minimum-evidence guard', () => {
  it('the guard expression: too few samples, or none, give the safe value', () => {
    const guard = parseMath('IF(FILL(n, 0) >= 50, v, -0.99)');
    expect(evaluateMath(guard, (id) => (id === 'n' ? 50 : 0.2))).toBe(0.2);
    expect(evaluateMath(guard, (id) => (id === 'n' ? 49 : 0.2))).toBe(-0.99);
    expect(evaluateMath(guard, () => undefined)).toBe(-0.99);
  });

  it('one 5xx among ~75 requests in 3 minutes of 5 pages nobody: 0.8% over the window, 3 errors', () => {
    const data = Array.from({ length: 30 }, (_, m) => minute('ApiErrorRate', m, 75, [10, 12, 14].includes(m) ? 1 : 0));
    expect(fired(data)).toEqual([]);
  });

  it('one failed health check of 16 in every minute for 15 minutes pages at P1', () => {
    const data = Array.from({ length: 30 }, (_, m) => minute('Availability', m, 16, m >= 10 && m < 25 ? 15 : 16));
    expect(fired(data)).toContain('availability-p1');
  });

  it('a window of 49 events never fires, however bad; 50 do; and it needs 5 bad events', () => {
    // Ten events a minute, all failing from minute 10: the 5-minute window holds 49 at most when the
    // first minute of the window has 9.
    const below = Array.from({ length: 30 }, (_, m) => minute('ApiErrorRate', m, m % 5 === 0 ? 9 : 10, 0)).map(
      (d, m) => (m >= 10 ? { ...d, counts: [d.counts![0]! + d.counts![1]!, 0] } : d),
    );
    expect(fired(below).filter((r) => r.startsWith('api_error_rate'))).toEqual([]);
    const at = Array.from({ length: 30 }, (_, m) => minute('ApiErrorRate', m, 10, m >= 10 ? 10 : 0));
    expect(fired(at)).toEqual(expect.arrayContaining(['api_error_rate-p1', 'api_error_rate-p2']));
    // 4 errors in 400 requests (1%) every 5 minutes: over the P2 threshold, but too few errors.
    const four = Array.from({ length: 30 }, (_, m) => minute('ApiErrorRate', m, 80, m % 5 === 0 && m < 25 ? 4 : 0));
    expect(fired(four).filter((r) => r.startsWith('api_error_rate'))).toEqual([]);
  });

  it('escalation accuracy needs 5 wrong decisions in its 45-minute window, not a bad share of a few reviews', () => {
    // Night: a review every other minute, right 99.5% of the time; two wrong ones 20 minutes apart
    // make 91% over ~22 reviews, under the 95% threshold, but only 2 wrong decisions.
    const night = Array.from({ length: 90 }, (_, m) =>
      minute('EscalationAccuracy', m, m % 2 === 0 ? 1 : 0, m % 2 === 0 && m !== 40 && m !== 60 ? 1 : 0),
    ).filter((d) => d.counts![0]! + d.counts![1]! > 0);
    expect(fired(night, 90)).not.toContain('escalation_accuracy-p2');
    // A real drop: 2 reviews a minute, a quarter of them wrong from minute 20.
    const drop = Array.from({ length: 90 }, (_, m) =>
      minute('EscalationAccuracy', m, 2, m >= 20 && m % 2 === 0 ? 1 : 2),
    );
    expect(fired(drop, 90)).toContain('escalation_accuracy-p2');
  });

  it('traffic that stops, or only just starts, never fires', () => {
    // Healthy traffic, then nothing for an hour, then a trickle with one failure.
    const data = [
      ...Array.from({ length: 20 }, (_, m) => minute('ApiErrorRate', m, 100, 0)),
      ...Array.from({ length: 20 }, (_, m) => minute('Availability', m, 100, 100)),
      minute('ApiErrorRate', 80, 3, 1),
      minute('Availability', 80, 3, 2),
    ];
    expect(fired(data, 120)).toEqual([]);
    const { finalStates } = evaluateAlarms(defs, data, { fromMs: T0, toMs: T0 + 120 * MIN, initialState: 'OK' });
    // The guarded alarms see the safe value without traffic: OK, not INSUFFICIENT_DATA.
    expect(finalStates['acme/P1/technical/fleet/api_error_rate-p1']).toBe('OK');
    expect(finalStates['acme/P1/technical/fleet/availability-p1']).toBe('OK');
  });

  it("a rule's own floor: synthesis success needs 8 failed syntheses in its 5-minute window, 7 page nobody", () => {
    // ~1,000 syntheses in the window, the fleet's busiest 5 minutes: 7 failures are 99.3%, under
    // the 99.5% threshold, and more than the deployment's 5 bad events.
    const withFailures = (failed: number) =>
      Array.from({ length: 30 }, (_, m) => minute('SynthesisSuccessRate', m, 200, m === 10 ? 200 - failed : 200));
    expect(fired(withFailures(7))).not.toContain('synthesis_success_rate-p2');
    expect(fired(withFailures(8))).toContain('synthesis_success_rate-p2');
  });
});

describe('per-rule evidence overrides (alarms.overrides.<rule>.minSamples, .minBadEvents)', () => {
  const withOverrides = (overrides: Record<string, unknown>): PipelineConfig =>
    parseConfig({ name: 'acme', alarms: { overrides } });
  const definitionsOf = (c: PipelineConfig) => alarmsFromTemplate(synthesizeAlarmsTemplate(c, KpiCatalog.create([])));

  it('minBadEvents lowers or raises the bad-event floor of one rule only', () => {
    // 4 errors in 400 requests (1%) every 5 minutes: the P2 pages once its floor is 4, the P1 (5%) never.
    const four = Array.from({ length: 30 }, (_, m) => minute('ApiErrorRate', m, 80, m % 5 === 0 && m < 25 ? 4 : 0));
    const lowered = definitionsOf(withOverrides({ 'api_error_rate-p2': { minBadEvents: 4 } }));
    expect(fired(four, 60, lowered).filter((r) => r.startsWith('api_error_rate'))).toEqual(['api_error_rate-p2']);
    expect(fired(four).filter((r) => r.startsWith('api_error_rate'))).toEqual([]);
  });

  it('minSamples sets the events a rate needs over its whole window: 99 never fire, 100 do', () => {
    const raised = definitionsOf(withOverrides({ 'api_error_rate-p1': { minSamples: 100 } }));
    // Every request failing from minute 10; 20 a minute is 100 in the 5-minute window, 19 is 95.
    const failing = (perMinute: number) =>
      Array.from({ length: 30 }, (_, m) => minute('ApiErrorRate', m, perMinute, m >= 10 ? perMinute : 0));
    expect(fired(failing(19), 60, raised)).not.toContain('api_error_rate-p1');
    expect(fired(failing(20), 60, raised)).toContain('api_error_rate-p1');
  });

  it('a percentile spreads its minSamples over its periods (3 of 5 one-minute periods, 10 a minute for 50)', () => {
    const plan = resolveAlarmRules(withOverrides({ 'response_latency-p1': { minSamples: 50 } }), KpiCatalog.create([]));
    const latency = plan.alarms.find((a) => a.name === 'acme/P1/technical/fleet/response_latency-p1');
    expect(latency).toMatchObject({ kind: 'threshold', evidence: { minSamples: 10 } });
  });

  it('rejects a floor the rule cannot have, naming the key and the rule', () => {
    const resolve = (overrides: Record<string, unknown>) => () =>
      resolveAlarmRules(withOverrides(overrides), KpiCatalog.create([]));
    expect(resolve({ 'response_latency-p1': { minBadEvents: 3 } })).toThrow(
      /alarms\.overrides\.response_latency-p1\.minBadEvents: rule "response_latency-p1" .*counts no bad events/,
    );
    expect(resolve({ 'response_latency-anomaly': { minSamples: 30 } })).toThrow(
      /alarms\.overrides\.response_latency-anomaly\.minSamples: rule "response_latency-anomaly" has no minimum-evidence guard/,
    );
    expect(() => withOverrides({ 'api_error_rate-p1': { minSamples: 0 } })).toThrow(/minSamples/);
    expect(() => withOverrides({ 'api_error_rate-p1': { minEvents: 10 } })).toThrow(/minEvents/);
  });

  it('a burn-rate rule takes the floors for its long window', () => {
    const plan = resolveAlarmRules(
      withOverrides({ 'slo-api-errors-p1-1h': { minSamples: 500, minBadEvents: 20 } }),
      KpiCatalog.create([]),
    );
    const long = plan.alarms.find((a) => a.name.endsWith('/fleet/slo-api-errors-p1-1h-long'));
    expect(long).toMatchObject({ evidence: { minSamples: 500, minBad: { count: 20 } } });
  });
});
