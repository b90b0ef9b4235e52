import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import { ENV } from '../../lambdas/handlers/composition/env';
import { grantTableData } from './kpi-store';
import { createPipelineFunction } from './pipeline-function';
import { grantQuarantinePut } from './quarantine';

/**
 * The on-failure destination of an event source mapping, an SQS queue encrypted with a customer
 * managed key. aws-cdk-lib's `SqsDlq` grants `kms:GenerateDataKey*`/`kms:ReEncrypt*`; this one
 * grants the two exact actions sending to an encrypted queue needs.
 */
export class EncryptedSqsDestination implements lambda.IEventSourceDlq {
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly encryptionKey: kms.IKey,
  ) {}

  /** Grants the function's role SendMessage on the queue and the key use, and names the queue as destination. */
  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    targetHandler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.encryptionKey.keyArn],
      }),
    );
    return { destination: this.queue.queueArn };
  }
}

/** Settings of the aggregator. */
export interface AggregatorProps {
  /** The resolved configuration: `aggregator.*` sets the function and the event source mapping. */
  readonly config: PipelineConfig;
  /** The event stream. */
  readonly stream: kinesis.IStream;
  /** The KPI table the aggregator writes buckets and watermarks to. */
  readonly kpiTable: dynamodb.ITable;
  /** Where rejected records go. */
  readonly quarantineBucket: s3.IBucket;
  /** The data key (stream, table, bucket), also used for the failure queue. */
  readonly encryptionKey: kms.IKey;
  /**
   * Handler entry, relative to the repository root.
   * @default 'lambdas/handlers/aggregator/index.ts'
   */
  readonly entry?: string;
  /**
   * How long batch-failure records stay in the failure queue.
   * @default Duration.days(14)
   */
  readonly failureRetention?: Duration;
}

/**
 * The aggregator: a Lambda reading the stream in order (one reader per shard), folding events
 * into KPI buckets, quarantining rejected records, and reporting partial batch failures so
 * only the failed record and those after it are retried. Batches that still fail after the
 * configured retries (or grow older than the configured age) land in an encrypted SQS queue.
 */
export class Aggregator extends Construct {
  /** The aggregator function. */
  readonly function: NodejsFunction;
  /** On-failure destination of the event source mapping (shard, sequence range and error of each lost batch). */
  readonly failureQueue: sqs.Queue;
  /** The Kinesis event source mapping. */
  readonly eventSource: KinesisEventSource;

  constructor(scope: Construct, id: string, props: AggregatorProps) {
    super(scope, id);
    const settings = props.config.aggregator;
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.failureQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the on-failure destination of the Kinesis event source mapping.',
      },
    ]);
    this.function = createPipelineFunction(this, 'Function', {
      config: props.config,
      entry: props.entry ?? 'lambdas/handlers/aggregator/index.ts',
      description: 'Folds agent events from Kinesis into KPI buckets; quarantines rejected records.',
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      reservedConcurrentExecutions: settings.reservedConcurrency,
      environment: {
        [ENV.kpiTable]: props.kpiTable.tableName,
        [ENV.quarantineBucket]: props.quarantineBucket.bucketName,
        [ENV.metricsNamespace]: props.config.metricsNamespace,
      },
    });
    grantTableData(this.function, props.kpiTable, props.encryptionKey, 'readWrite');
    grantQuarantinePut(this.function, props.quarantineBucket, props.encryptionKey);
    this.eventSource = new KinesisEventSource(props.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: settings.batchSize,
      maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: settings.maxRetryAttempts,
      maxRecordAge: Duration.seconds(settings.maxRecordAgeSeconds),
      parallelizationFactor: settings.parallelizationFactor,
      onFailure: new EncryptedSqsDestination(this.failureQueue, props.encryptionKey),
    });
    this.function.addEventSource(this.eventSource);
    NagSuppressions.addResourceSuppressions(
      this.function.role!,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Quarantined records are one object per rejected record under keys the aggregator chooses; PutObject is limited to this bucket.',
          appliesTo: [{ regex: '/^Resource::.*QuarantineBucket.*\\/\\*$/g' }],
        },
      ],
      true,
    );
  }
}
