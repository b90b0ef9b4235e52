import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { formatAlarmName } from '../../lambdas/core/alarms/naming';
import type { PipelineConfig, Severity } from '../../lambdas/core/config/schema';

/** Settings of the pipeline's own health alarms. */
export interface PipelineHealthAlarmsProps {
  readonly config: PipelineConfig;
  /** The Kinesis consumer. */
  readonly aggregator: lambda.IFunction;
  /** Where the event source mapping sends batches it gave up on (records missing from the KPIs). */
  readonly aggregatorFailureQueue: sqs.IQueue;
  /** The report schedules' dead-letter queue. */
  readonly reportDeadLetterQueue: sqs.IQueue;
  /**
   * How far behind the stream the aggregator may fall before it pages. Kinesis deletes records
   * older than the stream's retention, so this must stay well under it.
   * @default - a quarter of the stream retention, at most 15 minutes
   */
  readonly maxIteratorAge?: Duration;
}

/**
 * Alarms on the pipeline itself, named by the alarm convention so they page through the same
 * router and ladder as KPI alarms: falling behind the stream (records would expire unread),
 * batches given up (KPIs missing records), aggregator errors, and reports that could not be sent.
 */
export class PipelineHealthAlarms extends Construct {
  /** Every alarm, by severity. */
  readonly alarmsBySeverity: Record<Severity, cloudwatch.IAlarm[]> = { P1: [], P2: [], P3: [], P4: [] };
  /** Their names by severity (for dashboards, which address alarms by name). */
  readonly alarmNamesBySeverity: Record<Severity, string[]> = { P1: [], P2: [], P3: [], P4: [] };
  private readonly deployment: string;

  constructor(scope: Construct, id: string, props: PipelineHealthAlarmsProps) {
    super(scope, id);
    const { config } = props;
    this.deployment = config.name;
    const retentionMs = config.stream.retentionHours * 3_600_000;
    const maxIteratorAge = props.maxIteratorAge ?? Duration.millis(Math.min(retentionMs / 4, 15 * 60_000));
    const fiveMinutes = Duration.minutes(5);

    this.add(
      'P1',
      'pipeline-iterator-age',
      'Aggregator is falling behind the stream; records expire unread at retention.',
      {
        metric: props.aggregator.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: maxIteratorAge.toMilliseconds(),
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
      },
    );
    this.add(
      'P1',
      'pipeline-batches-given-up',
      'Batches were skipped after retries: their records are missing from the KPIs until re-driven (see RELIABILITY.md).',
      {
        metric: props.aggregatorFailureQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: fiveMinutes,
        }),
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
      },
    );
    this.add('P2', 'pipeline-aggregator-errors', 'Aggregator invocations fail (batches are being retried).', {
      metric: props.aggregator.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
      threshold: 0,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.add('P3', 'pipeline-reports-failed', 'A scheduled report could not be delivered after its retries.', {
      metric: props.reportDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: fiveMinutes,
      }),
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
    });
  }

  private add(
    severity: Severity,
    ruleId: string,
    description: string,
    settings: { metric: cloudwatch.IMetric; threshold: number; evaluationPeriods: number; datapointsToAlarm: number },
  ): void {
    const alarmName = formatAlarmName({
      deployment: this.deployment,
      severity,
      ladder: 'technical',
      tenant: '*',
      ruleId,
    });
    const alarm = new cloudwatch.Alarm(this, ruleId, {
      ...settings,
      alarmName,
      alarmDescription: description,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No datapoints means no traffic or no messages: healthy, never a page on deploy.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarmsBySeverity[severity].push(alarm);
    this.alarmNamesBySeverity[severity].push(alarmName);
  }
}
