import {
  type AlarmState,
  alarmStateChangeEvent,
  anomalyBand,
  decideState,
  evaluateAlarmRule,
  evaluateAlarms,
  evaluateMath,
  evaluationRangeLength,
  isLowSampleCount,
  type MetricAlarmDefinition,
  type MetricDatum,
  MetricStore,
  parseAlarmRule,
  parseEmfLines,
  parseMath,
  type RangePoint,
  type TreatMissingData,
} from '../../lambdas/core/alarm-evaluator';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T10:00:00Z');

/** `0 - X - X` (oldest first) as range points. */
function points(s: string): RangePoint[] {
  return s
    .split(/\s+/)
    .filter((x) => x !== '')
    .map((c) => (c === 'X' ? true : c === '0' ? false : undefined));
}

const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const RETAIN = 'retain';
type Expected = AlarmState | typeof RETAIN;

function check(range: string, n: number, m: number, expected: Record<TreatMissingData, Expected>) {
  for (const mode of MODES) {
    // Run from both OK and ALARM, so "retain current state" is told apart from a real decision.
    for (const current of ['OK', 'ALARM'] as const) {
      const want = expected[mode] === RETAIN ? current : expected[mode];
      const got = decideState(points(range), n, m, mode, current).state;
      expect({ range, mode, current, state: got }).toEqual({ range, mode, current, state: want });
    }
  }
}

describe('missing data: the documented tables (evaluation range 5)', () => {
  it('uses an evaluation range of N + 2, as in the documentation (N = 3, range 5)', () => {
    expect(evaluationRangeLength(3)).toBe(5);
  });

  it('3 out of 3: each row of the documentation table', () => {
    check('0 - X - X', 3, 3, { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' });
    check('0 - - - -', 3, 3, { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' });
    check('- - - - -', 3, 3, {
      missing: 'INSUFFICIENT_DATA',
      ignore: RETAIN,
      breaching: 'ALARM',
      notBreaching: 'OK',
    });
    check('0 X X - X', 3, 3, { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' });
    check('- - X - -', 3, 3, { missing: 'ALARM', ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' });
  });

  it('2 out of 3 (M out of N): each row of the documentation table', () => {
    check('0 - X - X', 3, 2, { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' });
    check('0 0 X 0 X', 3, 2, { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' });
    check('0 - X - -', 3, 2, { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' });
    check('- - - - 0', 3, 2, { missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' });
    check('- - - X -', 3, 2, { missing: 'ALARM', ignore: RETAIN, breaching: 'ALARM', notBreaching: 'OK' });
  });

  it('fills only the shortfall: one old OK point plus two breaching fills is not 3 of 3', () => {
    const d = decideState(points('0 - - - -'), 3, 3, 'breaching', 'OK');
    expect(d).toMatchObject({ state: 'OK', real: 1, filled: 2, breaching: 2 });
  });

  it('does not alarm prematurely on one fresh breaching point (- - - - X, 3 of 3)', () => {
    expect(decideState(points('- - - - X'), 3, 3, 'missing', 'OK').state).toBe('OK');
    expect(decideState(points('- - - - X'), 3, 3, 'missing', 'INSUFFICIENT_DATA').state).toBe('INSUFFICIENT_DATA');
  });

  it('3 out of 5 (the default rule shape): 3 breaching of the last 5 alarm, 2 do not', () => {
    expect(decideState(points('0 0 X 0 X X 0'), 5, 3, 'missing', 'OK').state).toBe('ALARM');
    expect(decideState(points('X X 0 0 X 0 X'), 5, 3, 'missing', 'OK').state).toBe('OK');
  });
});

function def(over: Partial<MetricAlarmDefinition> = {}): MetricAlarmDefinition {
  return {
    logicalId: 'A',
    name: 'test/P1/technical/fleet/latency-p1',
    comparison: 'GreaterThanThreshold',
    threshold: 100,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    treatMissingData: 'missing',
    periodSeconds: 60,
    metrics: [
      {
        id: 'm1',
        returnData: true,
        metricStat: {
          namespace: 'NS',
          metricName: 'Latency',
          dimensions: { Tenant: 'ALL' },
          periodSeconds: 60,
          stat: 'Average',
        },
      },
    ],
    ...over,
  };
}

function series(name: string, values: (number | null)[], startMs = T0, dims = { Tenant: 'ALL' }): MetricDatum[] {
  const out: MetricDatum[] = [];
  values.forEach((v, i) => {
    if (v !== null) out.push({ namespace: 'NS', name, dimensions: dims, timestampMs: startMs + i * MIN, values: [v] });
  });
  return out;
}

function only(defn: MetricAlarmDefinition) {
  return { metricAlarms: [defn], composites: [], anomalyDetectors: [] };
}

describe('evaluateAlarms: thresholds and treat-missing-data over time', () => {
  // 10 good minutes, 5 bad minutes, then the metric stops for 20 minutes.
  const data = series('Latency', [...Array(10).fill(50), ...Array(5).fill(500)]);
  const run = (treatMissingData: TreatMissingData) =>
    evaluateAlarms(only(def({ treatMissingData })), data, { fromMs: T0, toMs: T0 + 35 * MIN }).transitions;

  it('fires when the third breaching minute completes, not before', () => {
    const tr = run('missing');
    expect(tr[0]).toMatchObject({ fromState: 'INSUFFICIENT_DATA', toState: 'OK' });
    const alarm = tr.find((t) => t.toState === 'ALARM')!;
    // Breaching minutes 10, 11, 12 (0-based): the third completes at T0 + 13 min.
    expect(alarm.atMs).toBe(T0 + 13 * MIN);
    expect(alarm.reason).toContain('3 out of the last 3 datapoints');
    expect(alarm.reason).toContain('greater than the threshold (100.0)');
  });

  it('missing: goes to INSUFFICIENT_DATA once the range holds no datapoint', () => {
    const tr = run('missing');
    expect(tr.map((t) => t.toState)).toEqual(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
    // Last datapoint covers minute 14; the 5-point range is empty from T0 + 20 min.
    expect(tr[2]!.atMs).toBe(T0 + 20 * MIN);
  });

  it('notBreaching: a metric that stops resolves the alarm to OK', () => {
    const tr = run('notBreaching');
    expect(tr.map((t) => t.toState)).toEqual(['OK', 'ALARM', 'OK']);
  });

  it('breaching: no data at all is ALARM (even before the first datapoint); a metric that stops keeps it there', () => {
    const tr = run('breaching');
    expect(tr.map((t) => [t.toState, (t.atMs - T0) / MIN])).toEqual([
      ['ALARM', 0],
      ['OK', 1],
      ['ALARM', 13],
    ]);
  });

  it('ignore: the state stays what it was when data stopped', () => {
    const tr = run('ignore');
    expect(tr.map((t) => t.toState)).toEqual(['OK', 'ALARM']);
    const quiet = evaluateAlarms(only(def({ treatMissingData: 'ignore' })), [], {
      fromMs: T0,
      toMs: T0 + 10 * MIN,
    });
    expect(quiet.transitions).toEqual([]);
    expect(quiet.finalStates['test/P1/technical/fleet/latency-p1']).toBe('INSUFFICIENT_DATA');
  });

  it('supports each comparison operator', () => {
    const d = series('Latency', [100, 100, 100, 100]);
    const state = (comparison: MetricAlarmDefinition['comparison']) =>
      evaluateAlarms(only(def({ comparison })), d, { fromMs: T0 + 4 * MIN, toMs: T0 + 4 * MIN }).finalStates[
        'test/P1/technical/fleet/latency-p1'
      ];
    expect(state('GreaterThanThreshold')).toBe('OK');
    expect(state('GreaterThanOrEqualToThreshold')).toBe('ALARM');
    expect(state('LessThanThreshold')).toBe('OK');
    expect(state('LessThanOrEqualToThreshold')).toBe('ALARM');
  });

  it('aggregates datapoints into the period: a 5-minute Sum adds five minutes', () => {
    const d = series('Latency', [30, 30, 30, 30, 30]);
    const defn = def({
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 120,
      metrics: [
        { ...def().metrics[0]!, metricStat: { ...def().metrics[0]!.metricStat!, periodSeconds: 300, stat: 'Sum' } },
      ],
    });
    const r = evaluateAlarms(only(defn), d, { fromMs: T0 + 5 * MIN, toMs: T0 + 5 * MIN });
    expect(r.transitions[0]).toMatchObject({ toState: 'ALARM' });
    expect(r.transitions[0]!.reason).toContain('150.0');
  });
});

describe('percentile statistics', () => {
  it('computes nearest-rank percentiles over values weighted by their counts', () => {
    const store = MetricStore.of([
      {
        namespace: 'NS',
        name: 'L',
        dimensions: {},
        timestampMs: T0,
        values: [100, 200, 6000],
        counts: [90, 5, 5],
      },
    ]);
    const stat = (s: string) => store.statistic('NS', 'L', {}, s, T0, T0 + MIN)?.value;
    expect(stat('p50')).toBe(100);
    expect(stat('p90')).toBe(100);
    expect(stat('p95')).toBe(200);
    expect(stat('p96')).toBe(6000);
    expect(stat('p99.9')).toBe(6000);
    expect(stat('Average')).toBeCloseTo((9000 + 1000 + 30000) / 100);
    expect(stat('SampleCount')).toBe(100);
    expect(stat('Maximum')).toBe(6000);
    expect(stat('Minimum')).toBe(100);
  });

  it('a p95 alarm fires on a slow tail that the average hides', () => {
    const data: MetricDatum[] = [];
    for (let i = 0; i < 5; i++) {
      // 90 fast turns and 10 turns of 8 s each minute: average 1.25 s, p95 8 s.
      data.push({
        namespace: 'NS',
        name: 'Latency',
        dimensions: { Tenant: 'ALL' },
        timestampMs: T0 + i * MIN,
        values: [500, 8000],
        counts: [90, 10],
      });
    }
    const withStat = (stat: string) =>
      def({
        threshold: 5000,
        metrics: [{ ...def().metrics[0]!, metricStat: { ...def().metrics[0]!.metricStat!, stat } }],
      });
    const at = { fromMs: T0 + 5 * MIN, toMs: T0 + 5 * MIN };
    expect(evaluateAlarms(only(withStat('p95')), data, at).transitions[0]!.toState).toBe('ALARM');
    expect(evaluateAlarms(only(withStat('Average')), data, at).transitions[0]!.toState).toBe('OK');
  });

  it('EvaluateLowSampleCountPercentile=ignore keeps the state while samples are too few', () => {
    expect(isLowSampleCount(99, 999)).toBe(true);
    expect(isLowSampleCount(99, 1000)).toBe(false);
    expect(isLowSampleCount(95, 199)).toBe(true);
    const few = series('Latency', [9000, 9000, 9000, 9000]);
    const p95 = (mode: 'ignore' | 'evaluate') =>
      def({
        threshold: 5000,
        evaluateLowSampleCountPercentile: mode,
        metrics: [{ ...def().metrics[0]!, metricStat: { ...def().metrics[0]!.metricStat!, stat: 'p95' } }],
      });
    const at = { fromMs: T0 + 4 * MIN, toMs: T0 + 4 * MIN };
    expect(evaluateAlarms(only(p95('evaluate')), few, at).transitions.map((t) => t.toState)).toEqual(['ALARM']);
    expect(evaluateAlarms(only(p95('ignore')), few, at).transitions).toEqual([]);
  });
});

describe('metric math', () => {
  it('evaluates arithmetic with precedence, FILL and ABS, and drops missing or infinite results', () => {
    const vals: Record<string, number | undefined> = { total: 200, hits: 190, gone: undefined, zero: 0 };
    const ev = (e: string) => evaluateMath(parseMath(e), (id) => vals[id]);
    expect(ev('(total - hits) / total')).toBeCloseTo(0.05);
    expect(ev('total - hits / 10')).toBe(181);
    expect(ev('-hits + total')).toBe(10);
    expect(ev('hits / gone')).toBeUndefined();
    expect(ev('hits / zero')).toBeUndefined();
    expect(ev('FILL(gone, 0) + 1')).toBe(1);
    expect(ev('ABS(hits - total)')).toBe(10);
  });

  it('refuses functions it does not implement, naming them', () => {
    expect(() => parseMath('RATE(m1)')).toThrow(/RATE is not supported/);
  });

  it('a ratio alarm over two Sum metrics uses the period sums, not per-minute averages', () => {
    // Minute 1: 1000 requests, 50 errors; minute 2: 10 requests, 10 errors. Ratio over 2 min = 60/1010.
    const data = [...series('Total', [1000, 10]), ...series('Errors', [50, 10])];
    const stat = (metricName: string) => ({
      namespace: 'NS',
      metricName,
      dimensions: { Tenant: 'ALL' },
      periodSeconds: 120,
      stat: 'Sum',
    });
    const defn = def({
      periodSeconds: 120,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 0.1,
      metrics: [
        { id: 'e', expression: 'errors / total', returnData: true },
        { id: 'total', metricStat: stat('Total'), returnData: false },
        { id: 'errors', metricStat: stat('Errors'), returnData: false },
      ],
    });
    // The mean of the two minutes' ratios would be 0.525 (> 0.1); the true ratio 0.059 is not.
    const r = evaluateAlarms(only(defn), data, { fromMs: T0 + 2 * MIN, toMs: T0 + 2 * MIN });
    expect(r.transitions[0]!.toState).toBe('OK');
  });
});

describe('composite alarm rules', () => {
  const states: Record<string, AlarmState> = { a: 'ALARM', b: 'OK', c: 'INSUFFICIENT_DATA', 'x/y': 'ALARM' };
  const ev = (rule: string) => evaluateAlarmRule(parseAlarmRule(rule), (n) => states[n]!);

  it('evaluates ALARM/OK/INSUFFICIENT_DATA, AND/OR/NOT, TRUE/FALSE and parentheses', () => {
    expect(ev('ALARM("a") AND OK("b")')).toBe(true);
    expect(ev('ALARM(a) AND ALARM(b)')).toBe(false);
    expect(ev('ALARM(b) OR INSUFFICIENT_DATA(c)')).toBe(true);
    expect(ev('NOT ALARM(a)')).toBe(false);
    expect(ev('ALARM(b) OR ALARM(a) AND NOT ALARM(b)')).toBe(true);
    expect(ev('(ALARM(b) OR ALARM(a)) AND FALSE')).toBe(false);
    expect(ev('TRUE')).toBe(true);
  });

  it('accepts alarm ARNs and reduces them to names', () => {
    expect(ev('ALARM("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x/y")')).toBe(true);
  });

  it('reports syntax errors with their position', () => {
    expect(() => parseAlarmRule('ALARM(a) AND')).toThrow(/unexpected end/);
    expect(() => parseAlarmRule('WARN(a)')).toThrow(/unknown function "WARN"/);
  });

  it('a composite AND goes to ALARM only while both children are in ALARM', () => {
    const latency = def({ name: 'lat' });
    const errors = def({
      name: 'err',
      metrics: [{ ...def().metrics[0]!, metricStat: { ...def().metrics[0]!.metricStat!, metricName: 'Errors' } }],
    });
    const data = [
      ...series('Latency', [...Array(5).fill(500), ...Array(10).fill(500)]),
      ...series('Errors', [...Array(5).fill(0), ...Array(5).fill(500), ...Array(5).fill(0)]),
    ];
    const r = evaluateAlarms(
      {
        metricAlarms: [latency, errors],
        composites: [{ logicalId: 'C', name: 'both', rule: 'ALARM("lat") AND ALARM("err")' }],
        anomalyDetectors: [],
      },
      data,
      { fromMs: T0, toMs: T0 + 15 * MIN },
    );
    const both = r.transitions.filter((t) => t.alarmName === 'both').map((t) => [t.toState, (t.atMs - T0) / MIN]);
    // First evaluation: children INSUFFICIENT_DATA, rule false, so OK (never INSUFFICIENT_DATA again).
    // err breaches minutes 5-9: ALARM at +8 (3 of 3); at +11 the last three are 8, 9, 10: only 2 breach.
    expect(both).toEqual([
      ['OK', 0],
      ['ALARM', 8],
      ['OK', 11],
    ]);
  });

  it('refuses a composite that names an undefined alarm', () => {
    expect(() =>
      evaluateAlarms(
        { metricAlarms: [], composites: [{ logicalId: 'C', name: 'c', rule: 'ALARM(nope)' }], anomalyDetectors: [] },
        [],
        { fromMs: T0, toMs: T0 },
      ),
    ).toThrow(/names alarm "nope", which is not defined/);
  });
});

describe('anomaly band (mean ± k·stddev over the training window)', () => {
  it('computes the band and needs enough training', () => {
    const training = [10, 12, 8, 10, 12, 8, 10, 12, 8, 10, 12, 8];
    const band = anomalyBand(training, 2)!;
    expect(band.mean).toBeCloseTo(10);
    expect(band.stddev).toBeCloseTo(Math.sqrt(8 / 3));
    expect(band.upper).toBeCloseTo(10 + 2 * Math.sqrt(8 / 3));
    expect(anomalyBand(training.slice(0, 5), 2)).toBeUndefined();
  });

  const bandAlarm = (comparison: MetricAlarmDefinition['comparison']) =>
    def({
      comparison,
      threshold: undefined,
      thresholdMetricId: 'ad1',
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      metrics: [{ id: 'ad1', expression: 'ANOMALY_DETECTION_BAND(m1, 2)', returnData: true }, def().metrics[0]!],
    });
  // Two hours of a steady 100 ± 5 series, then 200 for 5 minutes.
  const steady = Array.from({ length: 120 }, (_, i) => 100 + (i % 3) * 5 - 5);
  const data = series('Latency', [...steady, 200, 200, 200, 200, 200, ...steady.slice(0, 10)]);

  it('GreaterThanUpperThreshold fires on a spike above the band and clears after', () => {
    const r = evaluateAlarms(only(bandAlarm('GreaterThanUpperThreshold')), data, {
      fromMs: T0 + 100 * MIN,
      toMs: T0 + 135 * MIN,
    });
    expect(r.transitions.map((t) => [t.toState, (t.atMs - T0) / MIN])).toEqual([
      ['OK', 100],
      ['ALARM', 122],
      ['OK', 127],
    ]);
    expect(r.transitions[1]!.reason).toContain('band');
  });

  it('LessThanLowerThreshold does not fire on a spike upwards', () => {
    const r = evaluateAlarms(only(bandAlarm('LessThanLowerThreshold')), data, {
      fromMs: T0 + 100 * MIN,
      toMs: T0 + 135 * MIN,
    });
    expect(r.transitions.map((t) => t.toState)).toEqual(['OK']);
  });

  it('stays INSUFFICIENT_DATA while the model has no training data', () => {
    const r = evaluateAlarms(only(bandAlarm('GreaterThanUpperThreshold')), series('Latency', [100, 100, 500, 500]), {
      fromMs: T0,
      toMs: T0 + 4 * MIN,
    });
    expect(r.transitions).toEqual([]);
  });
});

describe('parseEmfLines', () => {
  const emf = (over: Record<string, unknown>) =>
    JSON.stringify({
      _aws: {
        Timestamp: T0,
        CloudWatchMetrics: [
          {
            Namespace: 'AgentKpi',
            Dimensions: [['Tenant']],
            Metrics: [
              { Name: 'ResponseLatency', Unit: 'Milliseconds' },
              { Name: 'Availability', Unit: 'None' },
            ],
          },
        ],
      },
      Tenant: 'acme',
      ...over,
    });

  it('reads Powertools EMF documents: single values, arrays and Values/Counts', () => {
    const out = parseEmfLines([
      emf({ ResponseLatency: [120, 340], Availability: 0.998 }),
      'START RequestId: 123 Version: $LATEST',
      '',
      emf({ ResponseLatency: { Values: [100, 9000], Counts: [99, 1] } }),
    ]);
    expect(out).toEqual([
      {
        namespace: 'AgentKpi',
        name: 'ResponseLatency',
        dimensions: { Tenant: 'acme' },
        timestampMs: T0,
        values: [120, 340],
      },
      { namespace: 'AgentKpi', name: 'Availability', dimensions: { Tenant: 'acme' }, timestampMs: T0, values: [0.998] },
      {
        namespace: 'AgentKpi',
        name: 'ResponseLatency',
        dimensions: { Tenant: 'acme' },
        timestampMs: T0,
        values: [100, 9000],
        counts: [99, 1],
      },
    ]);
  });

  it('names the line of a broken EMF document', () => {
    expect(() => parseEmfLines(['{}', emf({ Tenant: undefined, Availability: 1 })])).toThrow(
      /EMF line 2: dimension Tenant/,
    );
    expect(() => parseEmfLines([emf({ Availability: 'high' })])).toThrow(/EMF line 1 Availability/);
  });
});

describe('alarmStateChangeEvent', () => {
  it('wraps a transition in the CloudWatch Alarm State Change event the router consumes', () => {
    const e = alarmStateChangeEvent(
      {
        alarmName: 'agent-kpi/P1/technical/fleet/x',
        fromState: 'OK',
        toState: 'ALARM',
        atMs: T0,
        fromStateSinceMs: T0 - 30 * 60_000,
        reason: 'r',
      },
      { account: '123456789012', region: 'eu-west-1', eventId: 'evt-1' },
    );
    expect(e).toMatchObject({
      id: 'evt-1',
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      time: '2026-03-02T10:00:00.000Z',
      resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:agent-kpi/P1/technical/fleet/x'],
      detail: {
        alarmName: 'agent-kpi/P1/technical/fleet/x',
        state: { value: 'ALARM', timestamp: '2026-03-02T10:00:00.000Z' },
        // When the alarm entered OK, not when it left it: the router keys the episode on it.
        previousState: { value: 'OK', timestamp: '2026-03-02T09:30:00.000Z' },
      },
    });
  });

  it('carries, on the OK that ends an episode, the instant the ALARM began', () => {
    const data = series('Latency', [50, 50, 50, 500, 500, 500, 500, 50, 50, 50, 50, 50]);
    const defn = def({ evaluationPeriods: 1, datapointsToAlarm: 1 });
    const { transitions } = evaluateAlarms(only(defn), data, { fromMs: T0, toMs: T0 + 11 * MIN });
    const alarm = transitions.find((t) => t.toState === 'ALARM')!;
    const ok = transitions.find((t) => t.fromState === 'ALARM')!;
    expect(ok.fromStateSinceMs).toBe(alarm.atMs);
    const event = alarmStateChangeEvent(ok, { account: '123456789012', region: 'eu-west-1', eventId: 'e' });
    expect(event.detail.previousState.timestamp).toBe(new Date(alarm.atMs).toISOString());
  });
});
