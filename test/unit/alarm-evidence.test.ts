/**
 * The minimum-evidence guard of the synthesized alarms, at its edges, through the project's
 * evaluator: the same template CloudWatch gets, the same metric math.
 */
import { type AlarmDefinitions, alarmsFromTemplate, evaluateAlarms } from '../../lambdas/core/alarm-evaluator';
import { evaluateMath, parseMath } from '../../lambdas/core/alarm-evaluator/math';
import type { MetricDatum } from '../../lambdas/core/alarm-evaluator/types';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
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
function fired(data: MetricDatum[], minutes = 60): string[] {
  const { transitions } = evaluateAlarms(defs, data, { fromMs: T0, toMs: T0 + minutes * MIN, initialState: 'OK' });
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
});
