import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfig, SEVERITIES, type Severity } from '../../lambdas/core/config/schema';
import { Aggregator } from '../constructs/aggregator';
import { Dashboards } from '../constructs/dashboards';
import { PipelineHealthAlarms } from '../constructs/pipeline-health-alarms';
import { Reports } from '../constructs/reports';

/** Settings of the pipeline stack: the configuration and the data stack's resources. */
export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
  readonly stream: kinesis.IStream;
  readonly kpiTable: dynamodb.ITable;
  readonly incidentsTable: dynamodb.ITable;
  readonly quarantineBucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /**
   * Names of the alerting stack's alarms shown on the fleet overview, by severity. Plain names,
   * so this stack imports nothing from the alerting stack (see `alarmStatusWidgets`).
   * @default - only the pipeline health alarms
   */
  readonly alarmNamesBySeverity?: Partial<Record<Severity, readonly string[]>>;
  /**
   * The synth-time clock (epoch ms) of the dashboards' experiment widgets.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * The stateless half: the aggregator, the scheduled reports and the dashboards. It holds no data,
 * so it can be destroyed and redeployed freely.
 */
export class PipelineStack extends Stack {
  /** The stream consumer. */
  readonly aggregator: Aggregator;
  /** Scheduled reports. */
  readonly reports: Reports;
  /** Generated dashboards. */
  readonly dashboards: Dashboards;
  /** Alarms on the pipeline itself (lag, given-up batches, errors, failed reports); they page like KPI alarms. */
  readonly healthAlarms: PipelineHealthAlarms;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, catalog } = props;
    this.aggregator = new Aggregator(this, 'Aggregator', {
      config,
      stream: props.stream,
      kpiTable: props.kpiTable,
      quarantineBucket: props.quarantineBucket,
      encryptionKey: props.encryptionKey,
    });
    this.reports = new Reports(this, 'Reports', {
      config,
      kpiTable: props.kpiTable,
      incidentsTable: props.incidentsTable,
      encryptionKey: props.encryptionKey,
    });
    this.healthAlarms = new PipelineHealthAlarms(this, 'HealthAlarms', {
      config,
      aggregator: this.aggregator.function,
      aggregatorFailureQueue: this.aggregator.failureQueue,
      reportDeadLetterQueue: this.reports.deadLetterQueue,
    });
    const alarmNamesBySeverity: Record<Severity, string[]> = { P1: [], P2: [], P3: [], P4: [] };
    for (const severity of SEVERITIES) {
      alarmNamesBySeverity[severity].push(
        ...(props.alarmNamesBySeverity?.[severity] ?? []),
        ...this.healthAlarms.alarmNamesBySeverity[severity],
      );
    }
    this.dashboards = new Dashboards(this, 'Dashboards', {
      config,
      catalog,
      alarmNamesBySeverity,
      aggregator: this.aggregator.function,
      reportFunction: this.reports.function,
      stream: props.stream,
      quarantineBucket: props.quarantineBucket,
      failureQueues: [this.aggregator.failureQueue, this.reports.deadLetterQueue],
      ...(props.now === undefined ? {} : { now: props.now }),
    });
  }
}
