/**
 * The KPI store over DynamoDB: strongly consistent BatchGetItem reads and TransactWriteItems
 * writes, each item conditional on the version read.
 *
 * Why transactions: one request carries up to 100 conditional puts, so a batch touching 150
 * items costs 2 write requests instead of 150, and a request is all-or-nothing, which keeps the
 * failure accounting per request simple. The price is 2 WCU per KB written instead of 1 (the
 * benchmark reports consumed WCU honestly).
 *
 * Retries: throttling, transaction conflicts and transient server errors are retried with full
 * jitter backoff; a canceled transaction whose cause is a failed version check is reported as
 * `conflict` so the use case re-reads and recomputes. When retries run out the items are
 * reported `failed`; nothing is dropped silently.
 *
 * Reads and writes of a batch go out concurrently, up to 100 items per request.
 *
 * Item attributes: `pk`, `sk` (see core/aggregation/keys.ts), `tenant`, `granularity`,
 * `bucketStart` (ISO), `kpis` (binary KpiSet), `events` (accepted events in the bucket),
 * `version`, `wm` (map shardId -> sequence number), `expiresAt` (TTL, epoch seconds).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { KpiSet } from '../core/aggregates';
import {
  itemId,
  type KpiItemAddress,
  type KpiItemWrite,
  type KpiStore,
  KpiStoreError,
  type KpiWriteOutcome,
  kpiItemKey,
  parseKpiItemKey,
  type StoredKpiItem,
} from '../core/aggregation';
import type { KpiCatalog } from '../core/catalog';
import { formatBucket } from '../core/time/buckets';
import { type Backoff, type BackoffOptions, backoff, errorName } from './retry';

/** Thrown when the table cannot be used at all (missing, no permission, bad request): retrying will not help. */
export class KpiTableError extends KpiStoreError {
  constructor(tableName: string, cause: unknown) {
    super(
      `KPI table "${tableName}" rejected the request (${errorName(cause)}: ${cause instanceof Error ? cause.message : String(cause)}); check that the table exists, KPI_TABLE_NAME names it and the function's role may use it`,
      false,
      { cause },
    );
    this.name = 'KpiTableError';
  }
}

/** Thrown when reads still fail after every retry (throttling, outage). */
export class KpiStoreUnavailableError extends KpiStoreError {
  constructor(tableName: string, attempts: number, cause: unknown) {
    super(
      `KPI table "${tableName}" could not be read after ${attempts} attempts (last error ${errorName(cause)}); the records are retried by the event source`,
      true,
      { cause },
    );
    this.name = 'KpiStoreUnavailableError';
  }
}

/** Request and capacity counters, for logs and benchmarks. */
export interface KpiStoreStats {
  readRequests: number;
  /** TransactWriteItems requests sent (retries included). */
  writeRequests: number;
  /** Items in successful write requests. */
  itemsWritten: number;
  /** Consumed write capacity units reported by DynamoDB for successful writes. */
  consumedWcu: number;
  consumedRcu: number;
  /** Requests retried because of throttling or transient errors. */
  retries: number;
}

/** Settings of {@link DynamoDbKpiStore}. */
export interface DynamoDbKpiStoreProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly catalog: KpiCatalog;
  /** @default 8 attempts, 25 ms base, 2 s cap, full jitter */
  readonly backoff?: BackoffOptions;
}

/** Errors worth retrying unchanged. */
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TransactionInProgressException',
  'LimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** Cancellation reason codes worth retrying unchanged. */
const RETRYABLE_REASONS = new Set([
  'TransactionConflict',
  'ProvisionedThroughputExceeded',
  'ThrottlingError',
  'RequestLimitExceeded',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
/** DynamoDB caps a transaction at 100 items and 4 MB; keep a margin for keys and attribute names. */
const MAX_TRANSACTION_ITEMS = 100;
const MAX_TRANSACTION_BYTES = 3_500_000;
const MAX_BATCH_GET_KEYS = 100;

function isRetryable(err: unknown): boolean {
  if (RETRYABLE.has(errorName(err))) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** {@link KpiStore} over one DynamoDB table. */
export class DynamoDbKpiStore implements KpiStore {
  /** Counters since construction. */
  readonly stats: KpiStoreStats = {
    readRequests: 0,
    writeRequests: 0,
    itemsWritten: 0,
    consumedWcu: 0,
    consumedRcu: 0,
    retries: 0,
  };
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly catalog: KpiCatalog;
  private readonly backoff: Backoff;

  constructor(props: DynamoDbKpiStoreProps) {
    this.client = props.client;
    this.tableName = props.tableName;
    this.catalog = props.catalog;
    this.backoff = backoff(props.backoff);
  }

  async read(addresses: readonly KpiItemAddress[]): Promise<Map<string, StoredKpiItem>> {
    const out = new Map<string, StoredKpiItem>();
    const chunks: KpiItemAddress[][] = [];
    for (let i = 0; i < addresses.length; i += MAX_BATCH_GET_KEYS)
      chunks.push(addresses.slice(i, i + MAX_BATCH_GET_KEYS));
    // Chunks are independent: reading them concurrently costs the same requests in less time.
    await Promise.all(chunks.map((chunk) => this.readChunk(chunk, out)));
    return out;
  }

  private async readChunk(addresses: readonly KpiItemAddress[], out: Map<string, StoredKpiItem>): Promise<void> {
    let keys: Array<Record<string, AttributeValue>> = addresses.map((a) => {
      const k = kpiItemKey(a);
      return { pk: { S: k.pk }, sk: { S: k.sk } };
    });
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 0) await this.backoff.wait(attempt);
      this.stats.readRequests++;
      let res: Awaited<ReturnType<typeof this.batchGet>>;
      try {
        res = await this.batchGet(keys);
      } catch (err) {
        if (!isRetryable(err)) throw new KpiTableError(this.tableName, err);
        if (attempt + 1 >= this.backoff.maxAttempts) {
          throw new KpiStoreUnavailableError(this.tableName, attempt + 1, err);
        }
        this.stats.retries++;
        continue;
      }
      for (const c of res.ConsumedCapacity ?? []) this.stats.consumedRcu += c.CapacityUnits ?? 0;
      for (const item of res.Responses?.[this.tableName] ?? []) {
        const stored = this.decode(item);
        out.set(itemId(kpiItemKey(stored.address)), stored);
      }
      keys = res.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (keys.length > 0) {
        // Unprocessed keys are DynamoDB's way of throttling a batch read.
        if (attempt + 1 >= this.backoff.maxAttempts) {
          throw new KpiStoreUnavailableError(this.tableName, attempt + 1, new Error('UnprocessedKeys'));
        }
        this.stats.retries++;
      }
    }
  }

  async write(writes: readonly KpiItemWrite[]): Promise<KpiWriteOutcome[]> {
    const outcomes: KpiWriteOutcome[] = new Array(writes.length);
    const chunks: Array<{ start: number; items: TransactWriteItem[] }> = [];
    let current: { start: number; items: TransactWriteItem[] } | undefined;
    let bytes = 0;
    writes.forEach((w, i) => {
      const item = this.encode(w);
      const size = (item.Put?.Item?.kpis?.B?.length ?? 0) + 512;
      if (
        current === undefined ||
        current.items.length >= MAX_TRANSACTION_ITEMS ||
        bytes + size > MAX_TRANSACTION_BYTES
      ) {
        current = { start: i, items: [] };
        chunks.push(current);
        bytes = 0;
      }
      current.items.push(item);
      bytes += size;
    });
    await Promise.all(
      chunks.map(async (chunk) => {
        const outcome = await this.writeChunk(chunk.items);
        for (let j = 0; j < chunk.items.length; j++) outcomes[chunk.start + j] = outcome;
      }),
    );
    return outcomes;
  }

  private async writeChunk(items: TransactWriteItem[]): Promise<KpiWriteOutcome> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await this.backoff.wait(attempt);
      this.stats.writeRequests++;
      try {
        const res = await this.client.send(
          new TransactWriteItemsCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }),
        );
        this.stats.itemsWritten += items.length;
        for (const c of res.ConsumedCapacity ?? []) this.stats.consumedWcu += c.CapacityUnits ?? 0;
        return 'written';
      } catch (err) {
        const name = errorName(err);
        let retry: boolean;
        if (name === 'TransactionCanceledException') {
          const codes = ((err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map(
            (r) => r.Code ?? 'None',
          );
          if (codes.includes('ConditionalCheckFailed')) return 'conflict';
          retry = codes.some((c) => RETRYABLE_REASONS.has(c));
          if (!retry && !codes.every((c) => c === 'None')) return 'failed';
          // A cancellation with no reason given is treated as transient.
          retry = true;
        } else if (isRetryable(err)) {
          retry = true;
        } else {
          throw new KpiTableError(this.tableName, err);
        }
        if (!retry || attempt + 1 >= this.backoff.maxAttempts) return 'failed';
        this.stats.retries++;
      }
    }
  }

  private batchGet(keys: Array<Record<string, AttributeValue>>) {
    return this.client.send(
      new BatchGetItemCommand({
        RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  private encode(w: KpiItemWrite): TransactWriteItem {
    const key = kpiItemKey(w.address);
    const version = (w.expectedVersion ?? 0) + 1;
    const wm: Record<string, AttributeValue> = {};
    for (const [shard, seq] of Object.entries(w.watermarks)) wm[shard] = { S: seq };
    const item: Record<string, AttributeValue> = {
      pk: { S: key.pk },
      sk: { S: key.sk },
      tenant: { S: w.address.tenant },
      granularity: { S: w.address.granularity },
      bucketStart: { S: formatBucket(w.address.bucketStartMs) },
      kpis: { B: w.set.serialize() },
      events: { N: String(w.set.eventCount()) },
      version: { N: String(version) },
      wm: { M: wm },
      expiresAt: { N: String(w.expiresAt) },
    };
    return {
      Put:
        w.expectedVersion === undefined
          ? { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              TableName: this.tableName,
              Item: item,
              ConditionExpression: '#v = :v',
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: { ':v': { N: String(w.expectedVersion) } },
            },
    };
  }

  private decode(item: Record<string, AttributeValue>): StoredKpiItem {
    const address = parseKpiItemKey({ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' });
    const watermarks: Record<string, string> = {};
    for (const [shard, v] of Object.entries(item.wm?.M ?? {})) if (v.S !== undefined) watermarks[shard] = v.S;
    const bytes = item.kpis?.B;
    return {
      address,
      set: bytes === undefined ? new KpiSet(this.catalog) : KpiSet.deserialize(bytes, this.catalog),
      version: Number(item.version?.N ?? '0'),
      watermarks,
    };
  }
}

/** The KPI table's key schema and TTL attribute, for table creation in CDK and local mode. */
export const KPI_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;
