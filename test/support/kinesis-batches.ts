/**
 * Lambda Kinesis records one at a time: from a GetRecords result read incrementally (the load
 * harness streams a million records, so it cannot read a whole stream into memory as
 * aggregator-harness.ts's `putAndReadBack` does), or made up for tests that need no stream. The
 * `eventID` is `<shardId>:<sequenceNumber>`, from which the aggregator derives the shard. Wrap
 * them with `kinesisEvent` from aggregator-harness.ts.
 */
import type { KinesisStreamRecord } from 'aws-lambda';

/** Account id the local ARNs use. */
export const TEST_ACCOUNT = '000000000000';

/** One record of a shard, as GetRecords returns it (reduced to what the handler sees). */
export interface ShardRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Approximate arrival time on the stream, epoch ms. */
  readonly arrivalMs: number;
}

/** Where the records say they come from. */
export interface BatchSource {
  /** @default arn:aws:kinesis:us-east-1:000000000000:stream/kpi-events */
  readonly streamArn?: string;
  /** @default us-east-1 */
  readonly region?: string;
}

/** One Lambda Kinesis record for `r`. */
export function lambdaRecord(r: ShardRecord, source: BatchSource = {}): KinesisStreamRecord {
  const region = source.region ?? 'us-east-1';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.partitionKey,
      sequenceNumber: r.sequenceNumber,
      data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'),
      // Lambda gives seconds with a fraction.
      approximateArrivalTimestamp: r.arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${r.shardId}:${r.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${TEST_ACCOUNT}:role/kpi-aggregator`,
    awsRegion: region,
    eventSourceARN: source.streamArn ?? `arn:aws:kinesis:${region}:${TEST_ACCOUNT}:stream/kpi-events`,
  };
}

/**
 * Records with made-up, increasing sequence numbers on one shard (for tests that do not need a
 * stream): sequence numbers are 56-digit decimals, as real ones are, so they exceed 2^53.
 */
export function syntheticShardRecords(
  payloads: ReadonlyArray<{ readonly data: Uint8Array; readonly partitionKey: string }>,
  opts: { readonly shardId?: string; readonly firstSequence?: bigint; readonly arrivalMs: number },
): ShardRecord[] {
  const first = opts.firstSequence ?? BigInt(`49${'0'.repeat(54)}`);
  return payloads.map((p, i) => ({
    shardId: opts.shardId ?? 'shardId-000000000000',
    sequenceNumber: (first + BigInt(i) * 10n).toString(),
    partitionKey: p.partitionKey,
    data: p.data,
    arrivalMs: opts.arrivalMs,
  }));
}
