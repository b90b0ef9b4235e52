/**
 * The local alarm evaluator: replays metric datapoints against alarm definitions minute by minute
 * and records every state transition, following CloudWatch's documented semantics:
 *
 * - Metric alarms are evaluated every minute. Datapoint i of the evaluation range covers the
 *   period `[t - (i+1)P, t - iP)` before the evaluation instant t, so a 1-hour period is a sliding
 *   hour re-evaluated each minute. CloudWatch's ingestion delay is not modelled.
 * - The alarm's value is its single `ReturnData` query (a metric, or metric math over metrics);
 *   an anomaly-band alarm compares its metric with the band of `ThresholdMetricId`.
 * - The state decision (M out of N, evaluation range, treat-missing-data, premature ALARM) is
 *   `decideState` in `missing-data.ts`.
 * - `EvaluateLowSampleCountPercentile: ignore`: while a percentile datapoint of the last N has too
 *   few samples, the state does not change.
 * - Every alarm starts in INSUFFICIENT_DATA (as a newly created alarm does). Composite alarms are
 *   evaluated after the metric alarms of the same minute, children first: ALARM when the rule is
 *   true, else OK (a composite is INSUFFICIENT_DATA only before its first evaluation).
 */
import { type AnomalyBandOptions, AnomalyTrainingSeries, DEFAULT_ANOMALY_BAND } from './anomaly';
import { evaluateAlarmRule, parseAlarmRule, type RuleNode, ruleAlarms } from './composite-rule';
import { evaluateMath, type MathNode, parseMath } from './math';
import { decideState, evaluationRangeLength, type RangePoint } from './missing-data';
import { isLowSampleCount, MetricStore, type PeriodStatistic, percentileOf } from './statistics';
import {
  type AlarmDefinitions,
  AlarmEvaluationError,
  type AlarmState,
  type AlarmStateTransition,
  type ComparisonOperator,
  type MetricAlarmDefinition,
  type MetricDatum,
} from './types';

const MINUTE = 60_000;

/** Options of {@link evaluateAlarms}. */
export interface EvaluateAlarmsOptions {
  /** First evaluation instant (rounded up to a minute), epoch ms. */
  readonly fromMs: number;
  /** Last evaluation instant (inclusive), epoch ms. */
  readonly toMs: number;
  /**
   * State of every alarm before `fromMs`.
   * @default 'INSUFFICIENT_DATA' (a newly deployed alarm)
   */
  readonly initialState?: AlarmState;
  /** The anomaly band model's settings. */
  readonly anomaly?: AnomalyBandOptions;
}

/** What an evaluation produced. */
export interface AlarmEvaluation {
  /** Every state change, in time order (metric alarms before composites within a minute). */
  readonly transitions: readonly AlarmStateTransition[];
  /** Each alarm's state after the last evaluation. */
  readonly finalStates: Readonly<Record<string, AlarmState>>;
}

interface Query {
  readonly id: string;
  readonly stat?: MetricAlarmDefinition['metrics'][number]['metricStat'];
  readonly math?: MathNode;
  readonly returnData: boolean;
}

interface PreparedAlarm {
  readonly def: MetricAlarmDefinition;
  readonly queries: ReadonlyMap<string, Query>;
  readonly valueId: string;
  readonly band?: { readonly sourceId: string; readonly stdDevs: number };
  training?: AnomalyTrainingSeries;
  /** Per metric query id: period start -> statistic (null when the period has no samples). */
  readonly cache: Map<string, Map<number, PeriodStatistic | null>>;
  state: AlarmState;
}

interface SlotValue {
  readonly value: number | undefined;
  readonly lowSample: boolean;
}

function prepare(def: MetricAlarmDefinition, initial: AlarmState): PreparedAlarm {
  const queries = new Map<string, Query>();
  for (const q of def.metrics) {
    queries.set(q.id, {
      id: q.id,
      stat: q.metricStat,
      math: q.expression === undefined ? undefined : parseMath(q.expression),
      returnData: q.returnData,
    });
  }
  let band: PreparedAlarm['band'];
  if (def.thresholdMetricId !== undefined) {
    const bq = queries.get(def.thresholdMetricId);
    const node = bq?.math;
    if (
      node === undefined ||
      node.kind !== 'call' ||
      node.fn !== 'ANOMALY_DETECTION_BAND' ||
      node.args[0]?.kind !== 'id' ||
      (node.args[1] !== undefined && node.args[1].kind !== 'num')
    ) {
      throw new AlarmEvaluationError(
        `Alarm ${def.name}: ThresholdMetricId ${def.thresholdMetricId} must be ANOMALY_DETECTION_BAND(id, stdDevs)`,
      );
    }
    const stdDevs = node.args[1]?.kind === 'num' ? node.args[1].value : 2;
    band = { sourceId: node.args[0].id, stdDevs };
  }
  const valueCandidates = def.metrics.filter((q) => q.returnData && q.id !== def.thresholdMetricId);
  if (valueCandidates.length !== 1) {
    throw new AlarmEvaluationError(
      `Alarm ${def.name}: exactly one Metrics[] entry (besides the band) must have ReturnData true, found ${valueCandidates.length}`,
    );
  }
  return { def, queries, valueId: valueCandidates[0]!.id, band, cache: new Map(), state: initial };
}

function slotValue(store: MetricStore, a: PreparedAlarm, id: string, startMs: number, depth = 0): SlotValue {
  if (depth > 20) throw new AlarmEvaluationError(`Alarm ${a.def.name}: metric math ids refer to each other in a loop`);
  const q = a.queries.get(id);
  if (q === undefined) throw new AlarmEvaluationError(`Alarm ${a.def.name}: metric math refers to unknown id "${id}"`);
  if (q.stat !== undefined) {
    const s = q.stat;
    const p = percentileOf(s.stat);
    // Sliding periods repeat from one minute to the next: compute each period once.
    let byStart = a.cache.get(id);
    if (byStart === undefined) {
      byStart = new Map();
      a.cache.set(id, byStart);
    }
    let r = byStart.get(startMs);
    if (r === undefined) {
      r =
        store.statistic(s.namespace, s.metricName, s.dimensions, s.stat, startMs, startMs + s.periodSeconds * 1000) ??
        null;
      byStart.set(startMs, r);
    }
    const lowSample =
      p !== undefined &&
      a.def.evaluateLowSampleCountPercentile === 'ignore' &&
      r !== null &&
      isLowSampleCount(p, r.sampleCount);
    return { value: r === null ? undefined : r.value, lowSample };
  }
  let low = false;
  const value = evaluateMath(q.math!, (ref) => {
    const v = slotValue(store, a, ref, startMs, depth + 1);
    low ||= v.lowSample;
    return v.value;
  });
  return { value, lowSample: low };
}

function compare(op: ComparisonOperator, v: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanThreshold':
      return v > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return v >= threshold;
    case 'LessThanThreshold':
      return v < threshold;
    case 'LessThanOrEqualToThreshold':
      return v <= threshold;
    default:
      throw new AlarmEvaluationError(`Comparison ${op} needs an anomaly band`);
  }
}

const VERB: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than the threshold',
  GreaterThanOrEqualToThreshold: 'greater than or equal to the threshold',
  LessThanThreshold: 'less than the threshold',
  LessThanOrEqualToThreshold: 'less than or equal to the threshold',
  GreaterThanUpperThreshold: 'greater than the upper thresholds',
  LessThanLowerThreshold: 'less than the lower thresholds',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside the band',
};

function fmtNum(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(Number(v.toPrecision(6)));
}

function trainingFor(store: MetricStore, a: PreparedAlarm, fromMs: number, toMs: number, o: AnomalyBandOptions) {
  const periodMs = a.def.periodSeconds * 1000;
  const window = o.trainingWindowMs ?? DEFAULT_ANOMALY_BAND.trainingWindowMs;
  const range = store.timeRange();
  const earliest = Math.max(fromMs - window, range?.fromMs ?? fromMs);
  const first = Math.floor(earliest / periodMs) * periodMs;
  const values: (number | undefined)[] = [];
  for (let s = first; s < toMs; s += periodMs) values.push(slotValue(store, a, a.band!.sourceId, s).value);
  return new AnomalyTrainingSeries(first, periodMs, values, o);
}

function evaluateMetricAlarm(
  store: MetricStore,
  a: PreparedAlarm,
  t: number,
): { state: AlarmState; reason: string } | undefined {
  const d = a.def;
  const periodMs = d.periodSeconds * 1000;
  const len = evaluationRangeLength(d.evaluationPeriods);
  const range: RangePoint[] = [];
  const shown: { v: number; start: number; lower?: number; upper?: number }[] = [];
  let lowSampleRecent = false;
  for (let j = 0; j < len; j++) {
    const start = t - (len - j) * periodMs;
    const sv = slotValue(store, a, a.valueId, start);
    if (sv.lowSample && j >= len - d.evaluationPeriods) lowSampleRecent = true;
    if (sv.value === undefined) {
      range.push(undefined);
      continue;
    }
    if (a.band !== undefined) {
      const band = a.training!.bandAt(start, a.band.stdDevs);
      if (band === undefined) {
        range.push(undefined);
        continue;
      }
      range.push(
        d.comparison === 'GreaterThanUpperThreshold'
          ? sv.value > band.upper
          : d.comparison === 'LessThanLowerThreshold'
            ? sv.value < band.lower
            : sv.value > band.upper || sv.value < band.lower,
      );
      shown.push({ v: sv.value, start, lower: band.lower, upper: band.upper });
    } else {
      range.push(compare(d.comparison, sv.value, d.threshold!));
      shown.push({ v: sv.value, start });
    }
  }
  if (lowSampleRecent) return undefined;
  const decision = decideState(range, d.evaluationPeriods, d.datapointsToAlarm, d.treatMissingData, a.state);
  if (decision.state === a.state) return { state: a.state, reason: '' };
  // The reason is only written for a transition: formatting every minute would dominate a replay.
  const against = a.band !== undefined ? '' : ` (${fmtNum(d.threshold!)})`;
  const points = shown
    .slice(-d.evaluationPeriods)
    .reverse()
    .map((x) => {
      const at = new Date(x.start).toISOString();
      return x.lower === undefined
        ? `${fmtNum(x.v)} (${at})`
        : `${fmtNum(x.v)} (${at}, band ${fmtNum(x.lower)}..${fmtNum(x.upper!)})`;
    });
  const reason =
    decision.real === 0
      ? `Evaluated ${len} periods: ${decision.why}.`
      : `Threshold Crossed: ${decision.breaching} out of the last ${d.evaluationPeriods} datapoints ` +
        `[${points.join(', ')}] ${decision.breaching === 1 ? 'was' : 'were'} ` +
        `${VERB[d.comparison]}${against} (minimum ${d.datapointsToAlarm} datapoint${d.datapointsToAlarm === 1 ? '' : 's'} ` +
        `for OK -> ALARM transition): ${decision.why}.`;
  return { state: decision.state, reason };
}

/** Orders composites so that every composite comes after the composites it reads. */
function orderComposites(
  composites: readonly { name: string; rule: RuleNode }[],
): readonly { name: string; rule: RuleNode }[] {
  const byName = new Map(composites.map((c) => [c.name, c]));
  const out: { name: string; rule: RuleNode }[] = [];
  const mark = new Map<string, 'visiting' | 'done'>();
  const visit = (c: { name: string; rule: RuleNode }) => {
    const m = mark.get(c.name);
    if (m === 'done') return;
    if (m === 'visiting') throw new AlarmEvaluationError(`Composite alarm ${c.name} refers to itself through its rule`);
    mark.set(c.name, 'visiting');
    for (const child of ruleAlarms(c.rule)) {
      const cc = byName.get(child);
      if (cc !== undefined) visit(cc);
    }
    mark.set(c.name, 'done');
    out.push(c);
  };
  for (const c of composites) visit(c);
  return out;
}

/**
 * Evaluates every alarm of `definitions` each minute from `fromMs` to `toMs` over `data`.
 * @throws AlarmEvaluationError when a definition uses something the evaluator does not support,
 * or a composite names an alarm that does not exist
 */
export function evaluateAlarms(
  definitions: AlarmDefinitions,
  data: Iterable<MetricDatum> | MetricStore,
  options: EvaluateAlarmsOptions,
): AlarmEvaluation {
  const store = data instanceof MetricStore ? data : MetricStore.of(data);
  const initial = options.initialState ?? 'INSUFFICIENT_DATA';
  const alarms = definitions.metricAlarms.map((d) => prepare(d, initial));
  const firstT = Math.ceil(options.fromMs / MINUTE) * MINUTE;
  for (const a of alarms) {
    if (a.band !== undefined) a.training = trainingFor(store, a, firstT, options.toMs, options.anomaly ?? {});
  }
  const states = new Map<string, AlarmState>();
  for (const a of alarms) states.set(a.def.name, a.state);
  const composites = orderComposites(
    definitions.composites.map((c) => ({ name: c.name, rule: parseAlarmRule(c.rule) })),
  );
  for (const c of composites) states.set(c.name, 'INSUFFICIENT_DATA');
  for (const c of composites) {
    for (const child of ruleAlarms(c.rule)) {
      if (!states.has(child)) {
        throw new AlarmEvaluationError(`Composite alarm ${c.name} names alarm "${child}", which is not defined`);
      }
    }
  }

  const transitions: AlarmStateTransition[] = [];
  // When each alarm entered its current state.
  const since = new Map<string, number>();
  const sinceOf = (name: string) => since.get(name) ?? firstT;
  for (let t = firstT; t <= options.toMs; t += MINUTE) {
    for (const a of alarms) {
      const r = evaluateMetricAlarm(store, a, t);
      if (r === undefined || r.state === a.state) continue;
      transitions.push({
        alarmName: a.def.name,
        fromState: a.state,
        toState: r.state,
        atMs: t,
        fromStateSinceMs: sinceOf(a.def.name),
        reason: r.reason,
      });
      since.set(a.def.name, t);
      a.state = r.state;
      states.set(a.def.name, r.state);
    }
    for (const c of composites) {
      const stateOf = (n: string) => states.get(n)!;
      const next: AlarmState = evaluateAlarmRule(c.rule, stateOf) ? 'ALARM' : 'OK';
      const prev = states.get(c.name)!;
      if (next === prev) continue;
      const children = ruleAlarms(c.rule)
        .map((n) => `${n} is ${stateOf(n)}`)
        .join(', ');
      transitions.push({
        alarmName: c.name,
        fromState: prev,
        toState: next,
        atMs: t,
        fromStateSinceMs: sinceOf(c.name),
        reason: `Alarm rule evaluated to ${next === 'ALARM' ? 'TRUE' : 'FALSE'}: ${children}`,
      });
      since.set(c.name, t);
      states.set(c.name, next);
    }
  }
  return { transitions, finalStates: Object.fromEntries(states) };
}

/** The EventBridge event CloudWatch sends for a state change, for feeding the alarm router. */
export interface AlarmStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'CloudWatch Alarm State Change';
  readonly source: 'aws.cloudwatch';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: { readonly value: AlarmState; readonly reason: string; readonly timestamp: string };
    readonly previousState: { readonly value: AlarmState; readonly reason: string; readonly timestamp: string };
  };
}

/**
 * Wraps a transition in the `CloudWatch Alarm State Change` event shape.
 * @param eventId the event id (ids are arguments: the core makes none up)
 */
export function alarmStateChangeEvent(
  transition: AlarmStateTransition,
  context: { readonly account: string; readonly region: string; readonly eventId: string },
): AlarmStateChangeEvent {
  const time = new Date(transition.atMs).toISOString();
  return {
    version: '0',
    id: context.eventId,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: context.account,
    time,
    region: context.region,
    resources: [`arn:aws:cloudwatch:${context.region}:${context.account}:alarm:${transition.alarmName}`],
    detail: {
      alarmName: transition.alarmName,
      state: { value: transition.toState, reason: transition.reason, timestamp: time },
      previousState: {
        value: transition.fromState,
        reason: '',
        timestamp: new Date(transition.fromStateSinceMs).toISOString(),
      },
    },
  };
}
