/** The local alarm evaluator: CloudWatch alarm semantics over recorded metrics, and `kpi backtest`. */
export { type AnomalyBand, type AnomalyBandOptions, anomalyBand, DEFAULT_ANOMALY_BAND } from './anomaly';
export { type BacktestOptions, type BacktestReport, type BacktestRow, backtest, formatBacktest } from './backtest';
export { alarmNameOf, evaluateAlarmRule, parseAlarmRule, type RuleNode } from './composite-rule';
export { parseEmfLines } from './emf';
export {
  type AlarmEvaluation,
  type AlarmStateChangeEvent,
  alarmStateChangeEvent,
  type EvaluateAlarmsOptions,
  evaluateAlarms,
} from './evaluator';
export { evaluateMath, parseMath } from './math';
export { decideState, evaluationRangeLength, type RangeDecision, type RangePoint } from './missing-data';
export { isLowSampleCount, MetricStore } from './statistics';
export { alarmsFromTemplate } from './template';
export * from './types';
