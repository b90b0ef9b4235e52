/**
 * The state decision of one metric alarm evaluation, following CloudWatch's documented rules
 * ("Evaluating an alarm", "How alarm state is evaluated when data is missing", "Avoiding
 * premature transitions to alarm state"):
 *
 * - CloudWatch looks at an evaluation range a little longer than EvaluationPeriods (N); here
 *   N + 2 datapoints, as in the documented examples (N = 3, range 5).
 * - With at least N real datapoints in the range, the newest N real ones are evaluated and the
 *   treat-missing-data setting is not used.
 * - With fewer, every real datapoint is used and the shortfall (N minus real) is filled with the
 *   treat-missing-data setting, as few fills as possible.
 * - ALARM when at least M (DatapointsToAlarm) evaluated datapoints breach, else OK, except:
 *   - `missing` with no real datapoint: INSUFFICIENT_DATA; `ignore` with none: keep the state;
 *   - `missing`/`ignore` when every real datapoint breaches but fewer than M do: the documented
 *     premature-alarm rule. If the oldest breaching datapoint is at least M periods old and within
 *     the last N, `missing` goes to ALARM and `ignore` keeps the state; otherwise (too recent to
 *     decide, e.g. `- - - - X` for 3 of 3) both keep the state, since the next datapoint may not
 *     breach.
 *
 * Checked against both documented tables (3 of 3 and 2 of 3, range 5) in the unit tests.
 */
import type { AlarmState, TreatMissingData } from './types';

/** One datapoint of the range: breaching, not breaching, or missing (`undefined`). */
export type RangePoint = boolean | undefined;

/** How one evaluation came out. */
export interface RangeDecision {
  /** The new state; equal to the current state when the rules say to keep it. */
  readonly state: AlarmState;
  /** Breaching datapoints among those evaluated (fills included). */
  readonly breaching: number;
  /** Real datapoints evaluated. */
  readonly real: number;
  /** Missing datapoints filled with the treat-missing-data setting. */
  readonly filled: number;
  /** Why, in words. */
  readonly why: string;
}

/** Datapoints CloudWatch looks at for an alarm of N evaluation periods. */
export function evaluationRangeLength(evaluationPeriods: number): number {
  return evaluationPeriods + 2;
}

/**
 * Decides an alarm's state from its evaluation range.
 * @param range datapoints oldest first, newest last (length: {@link evaluationRangeLength})
 * @param current the alarm's state before this evaluation
 */
export function decideState(
  range: readonly RangePoint[],
  evaluationPeriods: number,
  datapointsToAlarm: number,
  treatMissingData: TreatMissingData,
  current: AlarmState,
): RangeDecision {
  const n = evaluationPeriods;
  const m = datapointsToAlarm;
  const realIdx: number[] = [];
  range.forEach((p, i) => {
    if (p !== undefined) realIdx.push(i);
  });
  if (realIdx.length >= n) {
    const used = realIdx.slice(realIdx.length - n);
    const breaching = used.filter((i) => range[i] === true).length;
    return {
      state: breaching >= m ? 'ALARM' : 'OK',
      breaching,
      real: n,
      filled: 0,
      why: `${breaching} of the last ${n} real datapoints breach (${m} needed)`,
    };
  }
  const real = realIdx.length;
  const filled = n - real;
  const realBreaching = realIdx.filter((i) => range[i] === true).length;
  if (treatMissingData === 'breaching') {
    const breaching = realBreaching + filled;
    return {
      state: breaching >= m ? 'ALARM' : 'OK',
      breaching,
      real,
      filled,
      why: `${realBreaching} real breaching + ${filled} missing treated as breaching (${m} needed)`,
    };
  }
  if (treatMissingData === 'notBreaching') {
    return {
      state: realBreaching >= m ? 'ALARM' : 'OK',
      breaching: realBreaching,
      real,
      filled,
      why: `${realBreaching} real breaching, ${filled} missing treated as not breaching (${m} needed)`,
    };
  }
  return decideWithoutFill(range, realIdx, n, m, treatMissingData, current);
}

/**
 * The `missing`/`ignore` branch of {@link decideState}: fewer than N real datapoints, and the
 * shortfall is not filled in as breaching or not breaching.
 * @param realIdx indexes of the real datapoints in `range`, oldest first (fewer than `n`)
 */
function decideWithoutFill(
  range: readonly RangePoint[],
  realIdx: readonly number[],
  n: number,
  m: number,
  treatMissingData: TreatMissingData,
  current: AlarmState,
): RangeDecision {
  const real = realIdx.length;
  const filled = n - real;
  const realBreaching = realIdx.filter((i) => range[i] === true).length;
  const keep = (why: string): RangeDecision => ({ state: current, breaching: realBreaching, real, filled, why });
  if (real === 0) {
    return treatMissingData === 'missing'
      ? { state: 'INSUFFICIENT_DATA', breaching: 0, real, filled, why: 'no datapoints in the evaluation range' }
      : keep('no datapoints; missing data is ignored, the state is kept');
  }
  if (realBreaching >= m) {
    return {
      state: 'ALARM',
      breaching: realBreaching,
      real,
      filled,
      why: `${realBreaching} real datapoints breach (${m} needed)`,
    };
  }
  if (realBreaching < real) {
    return {
      state: 'OK',
      breaching: realBreaching,
      real,
      filled,
      why: `${realBreaching} of ${real} real datapoints breach (${m} needed); missing ones are not filled in as breaching`,
    };
  }
  // Every real datapoint breaches, but fewer than M: the premature-alarm rule.
  const oldest = realIdx[0]!;
  const age = range.length - oldest;
  if (age <= n && age >= m) {
    return treatMissingData === 'missing'
      ? {
          state: 'ALARM',
          breaching: realBreaching,
          real,
          filled,
          why: `the oldest breaching datapoint is ${age} periods old (>= ${m}) and every newer one is missing`,
        }
      : keep('only breaching datapoints followed by missing ones; missing data is ignored, the state is kept');
  }
  return keep('too few datapoints to decide yet (the next one may not breach); the state is kept');
}
