/**
 * Reads alarm definitions out of a synthesized CloudFormation template:
 * `AWS::CloudWatch::Alarm` (single metric, or `Metrics[]` with metric math and anomaly bands),
 * `AWS::CloudWatch::CompositeAlarm` and `AWS::CloudWatch::AnomalyDetector`. The intrinsics CDK
 * writes for these (`Fn::Join`, `Fn::GetAtt <alarm> Arn`, `Ref`) are resolved; composite rules come
 * back with alarm names instead of ARNs.
 */

import { COMPARISON_OPERATORS, MISSING_DATA_TREATMENTS } from '../vocabulary';
import { alarmNameOf } from './composite-rule';
import {
  type AlarmDefinitions,
  AlarmEvaluationError,
  type AnomalyDetectorDefinition,
  type ComparisonOperator,
  type CompositeAlarmDefinition,
  type MetricAlarmDefinition,
  type MetricQueryDefinition,
  type TreatMissingData,
} from './types';

type Json = Record<string, unknown>;

const ALARM = 'AWS::CloudWatch::Alarm';
const COMPOSITE = 'AWS::CloudWatch::CompositeAlarm';
const DETECTOR = 'AWS::CloudWatch::AnomalyDetector';
const COMPARISONS: readonly ComparisonOperator[] = COMPARISON_OPERATORS;
const TREATMENTS: readonly TreatMissingData[] = MISSING_DATA_TREATMENTS;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Resolver {
  constructor(private readonly resources: Json) {}

  nameOf(logicalId: string): string {
    const r = this.resources[logicalId];
    if (!isObject(r) || (r.Type !== ALARM && r.Type !== COMPOSITE)) {
      throw new AlarmEvaluationError(`Template: ${logicalId} is referenced as an alarm but is not one`);
    }
    const props = isObject(r.Properties) ? r.Properties : {};
    const name = props.AlarmName === undefined ? logicalId : this.resolve(props.AlarmName);
    if (typeof name !== 'string') throw new AlarmEvaluationError(`Template: ${logicalId}.AlarmName is not a string`);
    return name;
  }

  resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (!isObject(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const k = keys[0]!;
      const arg = v[k];
      if (k === 'Fn::Join') {
        if (!Array.isArray(arg) || typeof arg[0] !== 'string' || !Array.isArray(arg[1])) {
          throw new AlarmEvaluationError('Template: malformed Fn::Join');
        }
        return (arg[1] as unknown[]).map((p) => String(this.resolve(p))).join(arg[0]);
      }
      if (k === 'Ref') {
        if (arg === 'AWS::Partition') return 'aws';
        if (arg === 'AWS::Region') return 'us-east-1';
        if (arg === 'AWS::AccountId') return '000000000000';
        if (arg === 'AWS::URLSuffix') return 'amazonaws.com';
        if (typeof arg === 'string') return this.nameOf(arg);
        throw new AlarmEvaluationError('Template: malformed Ref');
      }
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        if (attr !== 'Arn' || typeof id !== 'string') {
          throw new AlarmEvaluationError(`Template: Fn::GetAtt ${String(id)}.${String(attr)} is not an alarm ARN`);
        }
        return `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${this.nameOf(id)}`;
      }
      if (k.startsWith('Fn::')) {
        throw new AlarmEvaluationError(`Template: intrinsic ${k} in an alarm definition is not supported`);
      }
    }
    const out: Json = {};
    for (const [key, value] of Object.entries(v)) out[key] = this.resolve(value);
    return out;
  }
}

function dims(v: unknown, where: string): Record<string, string> {
  if (v === undefined) return {};
  if (!Array.isArray(v)) throw new AlarmEvaluationError(`${where}: Dimensions must be a list`);
  const out: Record<string, string> = {};
  for (const d of v) {
    if (!isObject(d) || typeof d.Name !== 'string' || typeof d.Value !== 'string') {
      throw new AlarmEvaluationError(`${where}: each dimension needs a string Name and Value`);
    }
    out[d.Name] = d.Value;
  }
  return out;
}

function num(v: unknown, where: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new AlarmEvaluationError(`${where} must be a number`);
  return n;
}

/**
 * The metric queries of an alarm and their common period: the `Metrics[]` of a math alarm, or
 * the single metric of a plain one (read as query `m1`).
 */
function alarmMetrics(p: Json, where: string): { metrics: MetricQueryDefinition[]; periodSeconds: number } {
  let metrics: MetricQueryDefinition[];
  let periodSeconds: number;
  if (Array.isArray(p.Metrics)) {
    metrics = p.Metrics.map((q, i) => {
      if (!isObject(q) || typeof q.Id !== 'string') throw new AlarmEvaluationError(`${where}.Metrics[${i}]: needs Id`);
      const returnData = q.ReturnData === undefined ? true : q.ReturnData === true || q.ReturnData === 'true';
      if (typeof q.Expression === 'string') return { id: q.Id, expression: q.Expression, returnData };
      const ms = q.MetricStat;
      if (!isObject(ms) || !isObject(ms.Metric) || typeof ms.Stat !== 'string') {
        throw new AlarmEvaluationError(
          `${where}.Metrics[${i}]: needs Expression or MetricStat { Metric, Period, Stat }`,
        );
      }
      return {
        id: q.Id,
        returnData,
        metricStat: {
          namespace: String(ms.Metric.Namespace),
          metricName: String(ms.Metric.MetricName),
          dimensions: dims(ms.Metric.Dimensions, `${where}.Metrics[${i}]`),
          periodSeconds: num(ms.Period, `${where}.Metrics[${i}].MetricStat.Period`),
          stat: ms.Stat,
        },
      };
    });
    const first = metrics.find((m) => m.metricStat !== undefined);
    if (first === undefined) throw new AlarmEvaluationError(`${where}: Metrics[] reads no metric`);
    periodSeconds = first.metricStat!.periodSeconds;
    if (metrics.some((m) => m.metricStat !== undefined && m.metricStat.periodSeconds !== periodSeconds)) {
      throw new AlarmEvaluationError(`${where}: every metric of a math alarm must use the same period`);
    }
  } else {
    const stat = (p.ExtendedStatistic ?? p.Statistic) as unknown;
    if (typeof stat !== 'string') throw new AlarmEvaluationError(`${where}: needs Statistic or ExtendedStatistic`);
    periodSeconds = num(p.Period, `${where}.Period`);
    metrics = [
      {
        id: 'm1',
        returnData: true,
        metricStat: {
          namespace: String(p.Namespace),
          metricName: String(p.MetricName),
          dimensions: dims(p.Dimensions, where),
          periodSeconds,
          stat,
        },
      },
    ];
  }
  return { metrics, periodSeconds };
}

function metricAlarm(logicalId: string, p: Json): MetricAlarmDefinition {
  const where = `Template ${logicalId}`;
  const name = typeof p.AlarmName === 'string' ? p.AlarmName : logicalId;
  const comparison = p.ComparisonOperator as ComparisonOperator;
  if (!COMPARISONS.includes(comparison)) {
    throw new AlarmEvaluationError(`${where}: ComparisonOperator ${String(p.ComparisonOperator)} is not supported`);
  }
  const evaluationPeriods = num(p.EvaluationPeriods, `${where}.EvaluationPeriods`);
  const treat = (p.TreatMissingData ?? 'missing') as TreatMissingData;
  if (!TREATMENTS.includes(treat)) {
    throw new AlarmEvaluationError(`${where}: TreatMissingData ${String(p.TreatMissingData)} is not supported`);
  }
  const { metrics, periodSeconds } = alarmMetrics(p, where);
  const isBand = comparison.includes('Upper') || comparison.includes('Lower');
  if (isBand && typeof p.ThresholdMetricId !== 'string') {
    throw new AlarmEvaluationError(`${where}: an anomaly-band comparison needs ThresholdMetricId`);
  }
  if (!isBand && p.Threshold === undefined) throw new AlarmEvaluationError(`${where}: needs Threshold`);
  return {
    logicalId,
    name,
    description: typeof p.AlarmDescription === 'string' ? p.AlarmDescription : undefined,
    comparison,
    threshold: isBand ? undefined : num(p.Threshold, `${where}.Threshold`),
    thresholdMetricId: isBand ? (p.ThresholdMetricId as string) : undefined,
    evaluationPeriods,
    datapointsToAlarm: p.DatapointsToAlarm === undefined ? evaluationPeriods : num(p.DatapointsToAlarm, where),
    treatMissingData: treat,
    evaluateLowSampleCountPercentile:
      p.EvaluateLowSampleCountPercentile === 'ignore' || p.EvaluateLowSampleCountPercentile === 'evaluate'
        ? p.EvaluateLowSampleCountPercentile
        : undefined,
    metrics,
    periodSeconds,
  };
}

/**
 * Every alarm of a synthesized template.
 * @param template the template object (`Template.fromStack(stack).toJSON()`, or the parsed
 * `cdk.out/<stack>.template.json`)
 * @throws AlarmEvaluationError naming the resource whose definition cannot be evaluated
 */
export function alarmsFromTemplate(template: object): AlarmDefinitions {
  const resources = (template as Json).Resources;
  if (!isObject(resources)) throw new AlarmEvaluationError('Template: no Resources section');
  const resolver = new Resolver(resources);
  const metricAlarms: MetricAlarmDefinition[] = [];
  const composites: CompositeAlarmDefinition[] = [];
  const anomalyDetectors: AnomalyDetectorDefinition[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (!isObject(r)) continue;
    if (r.Type !== ALARM && r.Type !== COMPOSITE && r.Type !== DETECTOR) continue;
    const props = resolver.resolve(r.Properties ?? {});
    if (!isObject(props)) throw new AlarmEvaluationError(`Template ${logicalId}: Properties must be an object`);
    if (r.Type === ALARM) {
      metricAlarms.push(metricAlarm(logicalId, props));
    } else if (r.Type === COMPOSITE) {
      if (typeof props.AlarmRule !== 'string') throw new AlarmEvaluationError(`Template ${logicalId}: needs AlarmRule`);
      composites.push({
        logicalId,
        name: typeof props.AlarmName === 'string' ? props.AlarmName : logicalId,
        description: typeof props.AlarmDescription === 'string' ? props.AlarmDescription : undefined,
        // Names, not ARNs, so rules read the same whichever form the template used.
        rule: props.AlarmRule.replace(/"(arn:[^"]*)"/g, (_m, arn: string) => `"${alarmNameOf(arn)}"`),
      });
    } else {
      const single = isObject(props.SingleMetricAnomalyDetector) ? props.SingleMetricAnomalyDetector : props;
      anomalyDetectors.push({
        namespace: String(single.Namespace),
        metricName: String(single.MetricName),
        dimensions: dims(single.Dimensions, `Template ${logicalId}`),
        stat: String(single.Stat),
      });
    }
  }
  return { metricAlarms, composites, anomalyDetectors };
}
