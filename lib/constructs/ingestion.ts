import { Duration } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Settings of the ingestion stream. */
export interface IngestionProps {
  /** Customer managed key encrypting the stream. */
  readonly encryptionKey: kms.IKey;
  /**
   * `on-demand` scales with traffic and bills per GB; `provisioned` bills per shard-hour and suits
   * steady, high volume.
   * @default 'on-demand'
   */
  readonly mode?: 'on-demand' | 'provisioned';
  /**
   * Shards of a provisioned stream (ignored on demand).
   * @default 1
   */
  readonly shardCount?: number;
  /**
   * How long records stay readable (replay window after an aggregator outage).
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
}

/** The Kinesis data stream producers put events on (partition key = tenant id). */
export class Ingestion extends Construct {
  /** The event stream. */
  readonly stream: kinesis.Stream;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const mode = props.mode ?? 'on-demand';
    const retention = props.retention ?? Duration.hours(24);
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: mode === 'on-demand' ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: mode === 'provisioned' ? (props.shardCount ?? 1) : undefined,
      retentionPeriod: retention,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.encryptionKey,
    });
  }
}
