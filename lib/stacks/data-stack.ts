import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import { Ingestion } from '../constructs/ingestion';
import { KpiStore } from '../constructs/kpi-store';
import { ProducerPolicy } from '../constructs/producer-policy';
import { Quarantine } from '../constructs/quarantine';

/** Settings of the data stack. */
export interface DataStackProps extends StackProps {
  /** The resolved configuration (`stream`, `retention`). */
  readonly config: PipelineConfig;
}

/**
 * The stateful half: the event stream, the KPI and incidents tables, the quarantine and the key
 * encrypting them. Everything here is retained on stack deletion and the stack has termination
 * protection, so redeploying or deleting the stateless stacks never loses data.
 */
export class DataStack extends Stack {
  /** Customer managed key for the stream, tables, quarantine and failure queues. */
  readonly encryptionKey: kms.Key;
  /** The event stream. */
  readonly stream: kinesis.Stream;
  /** KPI buckets, watermarks and health scores. */
  readonly kpiTable: dynamodb.Table;
  /** Incidents, pages and acknowledgements. */
  readonly incidentsTable: dynamodb.Table;
  /** Rejected records. */
  readonly quarantineBucket: s3.Bucket;
  /** Attach to producers: PutRecord/PutRecords on the stream only. */
  readonly producerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    const { config } = props;

    this.encryptionKey = new kms.Key(this, 'DataKey', {
      description: `${config.name}: encrypts the event stream, KPI and incident tables, quarantine and failure queues.`,
      enableKeyRotation: true,
      alias: `alias/${config.name}-data`,
      // Deleting the key would make every retained table, bucket and backup unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stream = new Ingestion(this, 'Ingestion', {
      encryptionKey: this.encryptionKey,
      mode: config.stream.mode,
      shardCount: config.stream.shardCount,
      retention: Duration.hours(config.stream.retentionHours),
    }).stream;
    const store = new KpiStore(this, 'KpiStore', { encryptionKey: this.encryptionKey });
    this.kpiTable = store.kpiTable;
    this.incidentsTable = store.incidentsTable;
    this.quarantineBucket = new Quarantine(this, 'Quarantine', {
      encryptionKey: this.encryptionKey,
      expirationDays: config.retention.quarantineDays,
    }).bucket;
    this.producerPolicy = new ProducerPolicy(this, 'ProducerPolicy', {
      stream: this.stream,
      encryptionKey: this.encryptionKey,
    }).policy;

    new CfnOutput(this, 'StreamName', { value: this.stream.streamName, description: 'Producers put events here.' });
    new CfnOutput(this, 'ProducerPolicyArn', {
      value: this.producerPolicy.managedPolicyArn,
      description: 'Attach to producer roles: PutRecord/PutRecords on the stream only.',
    });
    new CfnOutput(this, 'KpiTableName', { value: this.kpiTable.tableName });
    new CfnOutput(this, 'IncidentsTableName', { value: this.incidentsTable.tableName });
    new CfnOutput(this, 'QuarantineBucketName', { value: this.quarantineBucket.bucketName });
  }
}
