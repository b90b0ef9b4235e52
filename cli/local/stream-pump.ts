/**
 * The local stream: created like the deployed one, fed with PutRecords, and read back per shard
 * with GetRecords into the real aggregator, the way the Lambda event source mapping does.
 */
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { kinesisPut, type OutgoingRecord, oversizeReason, sendRecords } from '../kinesis-send';
import { LOCAL_ACCOUNT } from '../wiring';

/** A record to replay: what a producer sends, and when. {@link SimulatedRecord}s are ones. */
export interface ReplayRecord {
  /** The Kinesis partition key. */
  readonly partitionKey: string;
  /** The record body: text, or the exact bytes of a file line. */
  readonly data: string | Uint8Array;
  /** When the producer sends it (epoch ms); orders the records and drives the simulated clock. */
  readonly sentAtMs: number;
}

/** The role the local event source mapping says it invokes the aggregator as. */
export const LOCAL_INVOKER = `arn:aws:iam::${LOCAL_ACCOUNT}:role/local-aggregator`;

/** Invokes the aggregator the way the Lambda event source mapping does. */
export type AggregatorInvoker = (
  event: KinesisStreamEvent,
  nowMs: number,
) => Promise<KinesisStreamBatchResponse | undefined>;

/** A local Kinesis stream and the ARN the records say they come from. */
export interface LocalStream {
  readonly name: string;
  readonly arn: string;
}

/**
 * Creates the stream. On-demand streams become 4 shards locally: enough to exercise per-shard
 * ordering and parallel readers, few enough to drain quickly.
 */
export async function createLocalStream(
  client: KinesisClient,
  name: string,
  region: string,
  shardCount = 4,
): Promise<LocalStream> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  return { name, arn: `arn:aws:kinesis:${region}:${LOCAL_ACCOUNT}:stream/${name}` };
}

/** Statistics of {@link StreamPump}. */
export interface PumpStats {
  put: number;
  /** Records refused before the stream: over the Kinesis 1 MiB record limit. */
  tooLarge: number;
  undelivered: number;
  read: number;
  invocations: number;
  /** Records the aggregator reported as failed and that were retried. */
  retriedRecords: number;
  /** Records still failing after the retries (the event source mapping would skip them too). */
  droppedRecords: number;
}

/**
 * Moves records from the producer side to the aggregator: PutRecords, then GetRecords per shard
 * and one invocation per batch, honouring `batchItemFailures` the way the event source mapping
 * does with ReportBatchItemFailures (retry from the first failed record, up to `maxRetryAttempts`).
 */
export class StreamPump {
  readonly stats: PumpStats = {
    put: 0,
    tooLarge: 0,
    undelivered: 0,
    read: 0,
    invocations: 0,
    retriedRecords: 0,
    droppedRecords: 0,
  };
  private readonly iterators = new Map<string, string | undefined>();
  /** The last sequence number read per shard, to resume after an iterator expired. */
  private readonly lastSequence = new Map<string, string>();

  constructor(
    private readonly client: KinesisClient,
    private readonly stream: LocalStream,
    private readonly region: string,
    private readonly invoke: AggregatorInvoker,
    private readonly batchSize: number,
    private readonly maxRetryAttempts: number,
  ) {}

  /** Opens a TRIM_HORIZON iterator on every shard. */
  async open(): Promise<void> {
    const shards = (await this.client.send(new ListShardsCommand({ StreamName: this.stream.name }))).Shards ?? [];
    for (const shard of shards) {
      if (shard.ShardId === undefined) continue;
      const out = await this.client.send(
        new GetShardIteratorCommand({
          StreamName: this.stream.name,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.iterators.set(shard.ShardId, out.ShardIterator);
    }
  }

  /** Puts records on the stream. */
  async put(records: readonly ReplayRecord[]): Promise<void> {
    const outgoing: OutgoingRecord[] = records.map((r) => ({
      partitionKey: r.partitionKey,
      data: typeof r.data === 'string' ? Buffer.from(r.data, 'utf8') : r.data,
    }));
    // Kinesis refuses records over 1 MiB: they never reach the aggregator, so they are counted here.
    const sendable = outgoing.filter((r) => oversizeReason(r) === undefined);
    this.stats.tooLarge += outgoing.length - sendable.length;
    const result = await sendRecords(sendable, kinesisPut(this.client, this.stream.name), { baseDelayMs: 20 });
    this.stats.put += result.delivered;
    this.stats.undelivered += result.undelivered.length;
  }

  /** Reads every shard to its end, invoking the aggregator with the simulated clock at `nowMs`. */
  async drain(nowMs: number): Promise<void> {
    // One shard after the other: every shard's batch also writes the fleet items, and concurrent
    // writers of the same items only meet in conflicts and backoff (measured: 2.5x slower locally).
    for (const shardId of this.iterators.keys()) await this.drainShard(shardId, nowMs);
  }

  private getRecords(iterator: string) {
    return this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }));
  }

  private async iteratorAfter(shardId: string): Promise<string> {
    const last = this.lastSequence.get(shardId);
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamName: this.stream.name,
        ShardId: shardId,
        ...(last === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }),
      }),
    );
    if (out.ShardIterator === undefined) throw new Error(`no iterator for shard ${shardId}`);
    return out.ShardIterator;
  }

  private async drainShard(shardId: string, nowMs: number): Promise<void> {
    for (;;) {
      const iterator = this.iterators.get(shardId);
      if (iterator === undefined) return;
      let out: Awaited<ReturnType<typeof this.getRecords>>;
      try {
        out = await this.getRecords(iterator);
      } catch (err) {
        // Iterators expire after 5 minutes unused (the stages after ingestion can take longer
        // before live mode starts): resume after the last record read, as the event source mapping does.
        if (!(err instanceof Error) || err.name !== 'ExpiredIteratorException') throw err;
        out = await this.getRecords(await this.iteratorAfter(shardId));
      }
      this.iterators.set(shardId, out.NextShardIterator);
      const records = out.Records ?? [];
      if (records.length === 0) return;
      this.stats.read += records.length;
      const last = records.at(-1)?.SequenceNumber;
      if (last !== undefined) this.lastSequence.set(shardId, last);
      const lambdaRecords: KinesisStreamRecord[] = records.map((r) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey ?? '',
          sequenceNumber: r.SequenceNumber ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: nowMs / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.SequenceNumber ?? ''}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: LOCAL_INVOKER,
        awsRegion: this.region,
        eventSourceARN: this.stream.arn,
      }));
      await this.invokeWithRetries(lambdaRecords, nowMs);
    }
  }

  private async invokeWithRetries(records: KinesisStreamRecord[], nowMs: number): Promise<void> {
    let pending = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      this.stats.invocations++;
      let failedFrom: number;
      try {
        const response = await this.invoke({ Records: pending }, nowMs);
        const failures = response?.batchItemFailures ?? [];
        if (failures.length === 0) return;
        const failedIds = new Set(failures.map((f) => f.itemIdentifier));
        failedFrom = pending.findIndex((r) => failedIds.has(r.kinesis.sequenceNumber));
        if (failedFrom < 0) return;
      } catch {
        // A thrown invocation fails the whole batch; Lambda retries it whole.
        failedFrom = 0;
      }
      if (attempt >= this.maxRetryAttempts) {
        this.stats.droppedRecords += pending.length - failedFrom;
        return;
      }
      pending = pending.slice(failedFrom);
      this.stats.retriedRecords += pending.length;
    }
  }
}

/**
 * Polls the stream until stopped; each round drains every shard at the current time. Errors of
 * one round (a stand-in restarting) are retried at the next.
 */
export class StreamFollower {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly drain: (nowMs: number) => Promise<void>,
    private readonly now: () => number,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.drain(this.now())
        .catch((err: unknown) => this.onError(err))
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.round;
  }
}
