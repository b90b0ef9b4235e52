/**
 * Shapes of the local alarm evaluator: metric datapoints as EMF carries them, alarm definitions as
 * a synthesized CloudFormation template declares them, and the state transitions it produces.
 */
import type { ComparisonOperator, TreatMissingData } from '../vocabulary';

/** A CloudWatch alarm state. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** Comparison operators and missing-data treatments: the pipeline's one vocabulary. */
export type { ComparisonOperator, TreatMissingData };

/** One metric observation: what one EMF document carries for one metric. */
export interface MetricDatum {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly timestampMs: number;
  /** Observed values; with `counts`, each value stands for that many samples. */
  readonly values: readonly number[];
  /** Sample count per value (EMF `Counts`); 1 each when absent. */
  readonly counts?: readonly number[];
}

/** A metric and statistic over a period, as `MetricStat` declares it. */
export interface MetricStatDefinition {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly periodSeconds: number;
  /** `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount`, `pNN`. */
  readonly stat: string;
}

/** One entry of an alarm's `Metrics` array: a metric, or a metric math expression. */
export interface MetricQueryDefinition {
  readonly id: string;
  readonly metricStat?: MetricStatDefinition;
  readonly expression?: string;
  readonly returnData: boolean;
}

/** A metric alarm, normalised: a single-metric alarm becomes one query `m1`. */
export interface MetricAlarmDefinition {
  /** Logical id in the template. */
  readonly logicalId: string;
  readonly name: string;
  readonly description?: string;
  readonly comparison: ComparisonOperator;
  /** Static threshold; absent for anomaly-band alarms. */
  readonly threshold?: number;
  /** The band query of an anomaly-band alarm. */
  readonly thresholdMetricId?: string;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
  readonly metrics: readonly MetricQueryDefinition[];
  /** The alarm's period: the period of its metrics. */
  readonly periodSeconds: number;
}

/** A composite alarm with its rule, references resolved to alarm names. */
export interface CompositeAlarmDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly description?: string;
  /** `ALARM("name") AND NOT OK(other) ...`, names (not ARNs). */
  readonly rule: string;
}

/** An anomaly detector declared in the template. */
export interface AnomalyDetectorDefinition {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
}

/** Every alarm of a template. */
export interface AlarmDefinitions {
  readonly metricAlarms: readonly MetricAlarmDefinition[];
  readonly composites: readonly CompositeAlarmDefinition[];
  readonly anomalyDetectors: readonly AnomalyDetectorDefinition[];
}

/** One alarm state change, as CloudWatch records it in the alarm's history. */
export interface AlarmStateTransition {
  readonly alarmName: string;
  readonly fromState: AlarmState;
  readonly toState: AlarmState;
  /** Evaluation instant, epoch ms. */
  readonly atMs: number;
  /**
   * When the alarm entered `fromState`, epoch ms (the start of the evaluation for the initial state).
   * CloudWatch's state-change event carries it as `previousState.timestamp`; the alarm router keys
   * an alarm episode on it, so an OK resolves the incident its ALARM opened.
   */
  readonly fromStateSinceMs: number;
  /** CloudWatch-style reason, e.g. `Threshold Crossed: 3 out of the last 5 datapoints [...] were greater than the threshold (5000.0)`. */
  readonly reason: string;
}

/** A definition or input the evaluator cannot evaluate; says what to change. */
export class AlarmEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmEvaluationError';
  }
}
