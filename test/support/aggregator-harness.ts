/**
 * Test harness for the aggregator: the stand-ins (DynamoDB Local, kinesalite, fauxqs S3), the
 * KPI table, real Kinesis records read back from the emulator as Lambda events, a delivery loop
 * with the Kinesis event source mapping's semantics, and the exported-KPI comparison.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { localClientConfig, type StandIns, startStandIns } from '../../cli/local/standins';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import type { ExportRow } from '../../lambdas/core/export';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import type { Granularity } from '../../lambdas/core/time/buckets';
import { NOW_MS } from './aggregator-fixture';

/** Clients and names of one test file's environment. */
export interface AggregatorEnv {
  readonly standIns: StandIns;
  readonly ddb: DynamoDBClient;
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local, kinesalite and fauxqs (for S3). */
export async function startAggregatorEnv(): Promise<AggregatorEnv> {
  const standIns = await startStandIns(['dynamodb', 'kinesis', 'sns']);
  const ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb!.endpoint));
  const kinesis = new KinesisClient(localClientConfig(standIns.kinesis!.endpoint));
  const s3 = new S3Client(localClientConfig(standIns.sns!.endpoint));
  return {
    standIns,
    ddb,
    kinesis,
    s3,
    stop: async () => {
      ddb.destroy();
      kinesis.destroy();
      s3.destroy();
      await standIns.stop();
    },
  };
}

/** Creates a KPI table as the CDK app does: the local mode's own function, so tests and `kpi local` agree. */
export { createKpiTable } from '../../cli/local/tables';

/** Creates an S3 bucket. */
export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Every object key in a bucket. */
export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of res.Contents ?? []) keys.push(o.Key!);
    token = res.NextContinuationToken;
  } while (token !== undefined);
  return keys;
}

/** A record to put: its bytes and partition key. */
export interface RecordToPut {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

/**
 * Puts the records on a new stream in kinesalite and reads them back, per shard in order, as
 * Lambda Kinesis event records (eventID `<shardId>:<seq>`, base64 data, arrival in seconds).
 *
 * kinesalite stamps each record's arrival with the machine's wall clock. Rejected records are
 * counted in their arrival minute, so a wall-clock stamp would tie the expected KPIs to the day
 * the test runs. The records are therefore stamped with the tests' fixed processing time
 * (`arrivalMs`, one millisecond apart in stream order), as if Kinesis received them then.
 */
export async function putAndReadBack(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly RecordToPut[],
  shardCount = 1,
  arrivalMs = NOW_MS,
): Promise<Map<string, KinesisStreamRecord[]>> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  for (let i = 0; i < records.length; i += 500) {
    const res = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: records.slice(i, i + 500).map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
    );
    if ((res.FailedRecordCount ?? 0) > 0) throw new Error(`kinesalite refused ${res.FailedRecordCount} records`);
  }
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const out = new Map<string, KinesisStreamRecord[]>();
  for (const shard of shards) {
    const shardId = shard.ShardId!;
    const list: KinesisStreamRecord[] = [];
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    for (;;) {
      const res = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator!, Limit: 10_000 }));
      for (const r of res.Records ?? []) {
        list.push({
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/aggregator',
          awsRegion: 'us-east-1',
          eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`,
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey!,
            sequenceNumber: r.SequenceNumber!,
            data: Buffer.from(r.Data!).toString('base64'),
            approximateArrivalTimestamp: (arrivalMs + list.length) / 1000,
          },
        });
      }
      if ((res.Records ?? []).length === 0 || res.MillisBehindLatest === 0) break;
      iterator = res.NextShardIterator;
    }
    out.set(shardId, list);
  }
  return out;
}

/** The Lambda event for some records. */
export function kinesisEvent(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

/** A handler under test. */
export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** What a delivery run did. */
export interface DeliveryLog {
  invocations: number;
  /** Invocations that threw (Lambda retries the whole batch). */
  crashes: number;
  /** Invocations that reported batch item failures. */
  partialFailures: number;
}

/**
 * Delivers one shard's records like the Kinesis event source mapping with ReportBatchItemFailures:
 * batches of `batchSize` in order; after a thrown error the same batch is retried (split in two
 * when `bisectOnError`); after reported failures delivery restarts at the lowest reported sequence
 * number. Stops after `maxInvocations` to keep a broken handler from looping forever.
 */
export async function deliverShard(
  handler: KinesisHandler,
  records: readonly KinesisStreamRecord[],
  opts: { batchSize: number; bisectOnError?: boolean; maxInvocations?: number },
): Promise<DeliveryLog> {
  const log: DeliveryLog = { invocations: 0, crashes: 0, partialFailures: 0 };
  const max = opts.maxInvocations ?? 1000;
  let pos = 0;
  let size = opts.batchSize;
  while (pos < records.length) {
    if (log.invocations >= max) throw new Error(`delivery did not finish within ${max} invocations`);
    const batch = records.slice(pos, pos + size);
    log.invocations++;
    let res: KinesisStreamBatchResponse;
    try {
      res = await handler(kinesisEvent(batch));
    } catch {
      log.crashes++;
      if (opts.bisectOnError && size > 1) size = Math.ceil(size / 2);
      continue;
    }
    const failures = (res.batchItemFailures ?? []).map((f) => BigInt(f.itemIdentifier));
    if (failures.length > 0) {
      log.partialFailures++;
      let lowest = failures[0]!;
      for (const f of failures) if (f < lowest) lowest = f;
      const at = records.findIndex((r) => BigInt(r.kinesis.sequenceNumber) === lowest);
      if (at < pos) throw new Error(`handler reported ${lowest}, before the batch`);
      pos = at;
    } else {
      pos += batch.length;
      size = opts.batchSize;
    }
  }
  return log;
}

/** Reads every tenant's (and the fleet's) rows at a granularity over a range, sorted like exactKpis. */
export async function exportedRows(
  ddb: DynamoDBClient,
  tableName: string,
  catalog: KpiCatalog,
  tenants: readonly string[],
  granularity: Granularity,
  fromMs: number,
  toMs: number,
): Promise<ExportRow[]> {
  const reader = new DynamoDbKpiReader({ client: ddb, tableName, catalog, consistentRead: true });
  const rows: ExportRow[] = [];
  for (const tenant of [...tenants, '*']) {
    rows.push(...(await readExportRows(reader, { tenant, granularity, fromMs, toMs })));
  }
  return rows.sort(
    (x, y) =>
      x.tenant.localeCompare(y.tenant) || x.bucketStart.localeCompare(y.bucketStart) || x.kpi.localeCompare(y.kpi),
  );
}

const APPROXIMATE_KPIS = new Set(['active_users']);

/**
 * Compares exported rows with the exact reference: the same rows, counts equal, values equal
 * (within float rounding; quantile means too), p50/p95/p99 within 1%, distinct counts within 2% (or 1).
 * Returns a list of differences (empty when they match), so a failure shows all of them.
 */
export function compareRows(actual: readonly ExportRow[], expected: readonly ExportRow[]): string[] {
  const key = (r: ExportRow) => `${r.tenant} ${r.granularity} ${r.bucketStart} ${r.kpi}`;
  const a = new Map(actual.map((r) => [key(r), r]));
  const e = new Map(expected.map((r) => [key(r), r]));
  const diffs: string[] = [];
  for (const k of e.keys()) if (!a.has(k)) diffs.push(`missing ${k}`);
  for (const k of a.keys()) if (!e.has(k)) diffs.push(`unexpected ${k}`);
  const close = (x: number | null | undefined, y: number | null | undefined, rel: number) =>
    x === y || (typeof x === 'number' && typeof y === 'number' && Math.abs(x - y) <= rel * Math.max(Math.abs(y), 1e-9));
  for (const [k, want] of e) {
    const got = a.get(k);
    if (got === undefined) continue;
    const approx = APPROXIMATE_KPIS.has(want.kpi.split(':')[0]!) || want.kpi.startsWith('feature_adoption');
    if (got.count !== want.count) diffs.push(`${k}: count ${got.count} != ${want.count}`);
    // Distinct counts are sketches: 2% (the contract), or one user for small counts (register collisions).
    const valueOk = approx
      ? typeof got.value === 'number' &&
        typeof want.value === 'number' &&
        Math.abs(got.value - want.value) <= Math.max(0.02 * want.value, 1)
      : close(got.value, want.value, 1e-9);
    if (!valueOk) diffs.push(`${k}: value ${got.value} != ${want.value}`);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      if (!close(got[p], want[p], 0.01)) diffs.push(`${k}: ${p} ${got[p]} != ${want[p]}`);
    }
  }
  return diffs;
}
