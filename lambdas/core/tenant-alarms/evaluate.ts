/**
 * One evaluation minute of one tenant's alarms: the project's alarm evaluator (CloudWatch's
 * semantics: M out of N, evaluation range, missing data, percentiles) run at one instant from
 * each alarm's stored state, then the composites from their children's new states. What changed
 * comes back as transitions, shaped as CloudWatch's, and as the new stored state.
 *
 * Pure: no SDK, no clock (the instant is an argument).
 */
import {
  type AlarmDefinitions,
  type AlarmState,
  type AlarmStateTransition,
  evaluateAlarmRule,
  evaluateAlarms,
  type MetricDatum,
  MetricStore,
  parseAlarmRule,
} from '../alarm-evaluator';
import type { TenantAlarmPlan } from './plan';

const MINUTE = 60_000;

/** One alarm's stored state. */
export interface StoredAlarmState {
  readonly state: AlarmState;
  /** When it entered `state`, epoch ms. */
  readonly sinceMs: number;
}

/** A tenant's stored alarm states, by alarm name. */
export type TenantAlarmStates = Readonly<Record<string, StoredAlarmState>>;

/** What one evaluation produced. */
export interface TenantEvaluation {
  readonly transitions: readonly AlarmStateTransition[];
  /** Every alarm's state after the evaluation (alarms no longer in the plan are dropped). */
  readonly states: TenantAlarmStates;
}

/** The evaluation instant for a clock reading: the last whole minute at least `lagMs` ago. */
export function evaluationInstant(nowMs: number, lagMs: number): number {
  return Math.floor((nowMs - lagMs) / MINUTE) * MINUTE;
}

/**
 * Evaluates a tenant's alarms at `atMs` (a whole minute).
 * @throws AlarmEvaluationError when a definition is not evaluable
 */
export function evaluateTenantAlarms(
  plan: TenantAlarmPlan,
  data: Iterable<MetricDatum> | MetricStore,
  previous: TenantAlarmStates,
  atMs: number,
): TenantEvaluation {
  if (atMs % MINUTE !== 0) throw new RangeError(`evaluation instant ${atMs} is not a whole minute`);
  const store = data instanceof MetricStore ? data : MetricStore.of(data);
  const prior = (name: string): StoredAlarmState => previous[name] ?? { state: 'INSUFFICIENT_DATA', sinceMs: atMs };
  const states: Record<string, StoredAlarmState> = {};
  const transitions: AlarmStateTransition[] = [];

  // The evaluator takes one initial state per call: evaluate the alarms grouped by stored state.
  const groups = new Map<AlarmState, AlarmDefinitions['metricAlarms'][number][]>();
  for (const def of plan.metricAlarms) {
    const s = prior(def.name).state;
    groups.set(s, [...(groups.get(s) ?? []), def]);
  }
  for (const [initialState, metricAlarms] of groups) {
    const result = evaluateAlarms({ metricAlarms, composites: [], anomalyDetectors: [] }, store, {
      fromMs: atMs,
      toMs: atMs,
      initialState,
    });
    for (const def of metricAlarms) {
      const was = prior(def.name);
      const t = result.transitions.find((x) => x.alarmName === def.name);
      if (t === undefined) {
        states[def.name] = was;
      } else {
        transitions.push({ ...t, fromStateSinceMs: was.sinceMs });
        states[def.name] = { state: t.toState, sinceMs: atMs };
      }
    }
  }
  for (const c of plan.composites) {
    const rule = parseAlarmRule(c.rule);
    const stateOf = (n: string): AlarmState => states[n]?.state ?? 'INSUFFICIENT_DATA';
    const next: AlarmState = evaluateAlarmRule(rule, stateOf) ? 'ALARM' : 'OK';
    const was = prior(c.name);
    if (next === was.state) {
      states[c.name] = was;
      continue;
    }
    transitions.push({
      alarmName: c.name,
      fromState: was.state,
      toState: next,
      atMs,
      fromStateSinceMs: was.sinceMs,
      reason: `Alarm rule evaluated to ${next === 'ALARM' ? 'TRUE' : 'FALSE'}: ${c.rule}`,
    });
    states[c.name] = { state: next, sinceMs: atMs };
  }
  return { transitions, states };
}
