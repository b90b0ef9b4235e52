/**
 * The KPI store over DynamoDB: strongly consistent BatchGetItem reads and one conditional
 * PutItem per item (merged KPIs + watermarks + version in a single write), plus the roll-up
 * ledger and open marks (see core/aggregation/rollups.ts).
 *
 * Why per-item conditional puts and not transactions: exactly-once is a per-item property (the
 * watermark travels in the same write as the KPIs it accounts for, docs/exactly-once.md), so
 * nothing needs cross-item atomicity, and a transactional write costs twice the write units of a
 * plain one. Each item gets its own outcome, so one conflicting fleet item does not send a whole
 * request of tenant items back for recomputation.
 *
 * Retries: throttling and transient server errors are retried with full jitter backoff; a failed
 * version check is reported as `conflict` so the use case re-reads and recomputes. When retries
 * run out the item is reported `failed`; nothing is dropped silently.
 *
 * Item attributes: `pk`, `sk` (see core/aggregation/keys.ts), `tenant`, `granularity`,
 * `bucketStart` (ISO), `kpis` (binary KpiSet), `events` (accepted events in the bucket), and
 * - minute items: `version`, `w` (compact watermarks: shard number -> sequence number as bytes);
 *   items written before carry `wm` (map shardId -> decimal sequence number), still read;
 * - roll-ups (hours, days): `stamp` (orders roll-ups, see MergedSources); hours and days written
 *   before roll-ups existed carry `version` and `wm`, still read;
 * - `expiresAt` (TTL, epoch seconds).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
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
  kpiPartitionKey,
  type MergedSources,
  OPEN_PERIODS_PK,
  type OpenPeriod,
  openPeriodSortKey,
  parseKpiItemKey,
  parseOpenPeriodSortKey,
  ROLLUP_LEDGER_PK,
  type StoredKpiItem,
} from '../core/aggregation';
import type { KpiCatalog } from '../core/catalog';
import { bucketStart, formatBucket, parseBucket } from '../core/time/buckets';
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
  /** Write requests sent (retries included). */
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
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const MAX_BATCH_GET_KEYS = 100;
/** Item writes in flight at once: enough to hide latency, few enough for the SDK's socket pool. */
const WRITE_CONCURRENCY = 32;
/** Open marks and ledgers are needed for late events (7 days) plus the roll-up; kept 14 days like minutes. */
const BOOKKEEPING_TTL_DAYS = 14;
/** `shardId-000000000003` -> `3` in compact watermarks. */
const SHARD_ID = /^shardId-(\d{12})$/;

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
    const keys = addresses.map((a) => {
      const k = kpiItemKey(a);
      return { pk: { S: k.pk }, sk: { S: k.sk } };
    });
    await this.batchGetAll(keys, (item) => {
      const stored = this.decode(item);
      out.set(itemId(kpiItemKey(stored.address)), stored);
    });
  }

  /**
   * One BatchGetItem of at most 100 keys, with retries of failed requests and of unprocessed
   * keys (DynamoDB's way of throttling a batch read); `onItem` sees every item found.
   * @throws KpiTableError when retrying cannot help; KpiStoreUnavailableError when retries ran out
   */
  private async batchGetAll(
    first: Array<Record<string, AttributeValue>>,
    onItem: (item: Record<string, AttributeValue>) => void,
  ): Promise<void> {
    let keys = first;
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
      for (const item of res.Responses?.[this.tableName] ?? []) onItem(item);
      keys = res.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (keys.length > 0) {
        if (attempt + 1 >= this.backoff.maxAttempts) {
          throw new KpiStoreUnavailableError(this.tableName, attempt + 1, new Error('UnprocessedKeys'));
        }
        this.stats.retries++;
      }
    }
  }

  async write(writes: readonly KpiItemWrite[]): Promise<KpiWriteOutcome[]> {
    const outcomes: KpiWriteOutcome[] = new Array(writes.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < writes.length; i = next++) outcomes[i] = await this.writeItem(writes[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, writes.length) }, worker));
    return outcomes;
  }

  private async writeItem(w: KpiItemWrite): Promise<KpiWriteOutcome> {
    const command = new PutItemCommand(this.encode(w));
    const r = await this.send(() => this.client.send(command));
    if (r === 'ok') this.stats.itemsWritten++;
    return r === 'ok' ? 'written' : r;
  }

  /**
   * Sends one conditional write with retries: `conflict` when its condition failed, `failed` when
   * retries ran out.
   * @throws KpiTableError when retrying cannot help
   */
  private async send(request: () => Promise<unknown>): Promise<'ok' | 'conflict' | 'failed'> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await this.backoff.wait(attempt);
      this.stats.writeRequests++;
      try {
        const res = (await request()) as { ConsumedCapacity?: { CapacityUnits?: number } };
        this.stats.consumedWcu += res?.ConsumedCapacity?.CapacityUnits ?? 0;
        return 'ok';
      } catch (err) {
        if (errorName(err) === 'ConditionalCheckFailedException') return 'conflict';
        if (!isRetryable(err)) throw new KpiTableError(this.tableName, err);
        if (attempt + 1 >= this.backoff.maxAttempts) return 'failed';
        this.stats.retries++;
      }
    }
  }

  async readLedgers(hourStarts: readonly number[]): Promise<Map<number, ReadonlySet<string>>> {
    const out = new Map<number, ReadonlySet<string>>();
    for (let i = 0; i < hourStarts.length; i += MAX_BATCH_GET_KEYS) {
      const keys = hourStarts
        .slice(i, i + MAX_BATCH_GET_KEYS)
        .map((h) => ({ pk: { S: ROLLUP_LEDGER_PK }, sk: { S: formatBucket(h) } }));
      await this.batchGetAll(keys, (item) => {
        out.set(parseBucket(item.sk?.S ?? ''), new Set(item.tenants?.SS ?? []));
      });
    }
    return out;
  }

  async addToLedger(hourStartMs: number, tenants: readonly string[], created: boolean): Promise<void> {
    const expiresAt = Math.floor(hourStartMs / 1000) + BOOKKEEPING_TTL_DAYS * 86_400;
    if (created) {
      // The marks go first: once a minute of the hour exists, readers must know the hour is open.
      for (const g of ['hour', 'day'] as const) {
        const item = {
          pk: { S: OPEN_PERIODS_PK },
          sk: { S: openPeriodSortKey(g, bucketStart(hourStartMs, g)) },
          expiresAt: { N: String(expiresAt) },
        };
        await this.mustWrite(() => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item })));
      }
    }
    const values: Record<string, AttributeValue> = { ':x': { N: String(expiresAt) } };
    let update = 'SET expiresAt = :x';
    if (tenants.length > 0) {
      update += ' ADD tenants :t';
      values[':t'] = { SS: [...tenants] };
    }
    await this.mustWrite(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: ROLLUP_LEDGER_PK }, sk: { S: formatBucket(hourStartMs) } },
          UpdateExpression: update,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  private async mustWrite(request: () => Promise<unknown>): Promise<void> {
    const r = await this.send(request);
    if (r !== 'ok') {
      throw new KpiStoreUnavailableError(this.tableName, this.backoff.maxAttempts, new Error(`write ${r}`));
    }
  }

  async openPeriods(): Promise<OpenPeriod[]> {
    const items = await this.query(OPEN_PERIODS_PK, 'day#', 'hour#~', false);
    return items.map((i) => parseOpenPeriodSortKey(i.sk?.S ?? ''));
  }

  async closePeriod(period: OpenPeriod): Promise<void> {
    await this.mustWrite(() =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: OPEN_PERIODS_PK }, sk: { S: openPeriodSortKey(period.granularity, period.bucketStartMs) } },
        }),
      ),
    );
  }

  async readSources(
    tenant: string,
    granularity: 'minute' | 'hour',
    fromMs: number,
    toMs: number,
  ): Promise<MergedSources> {
    const items = await this.query(
      kpiPartitionKey(tenant, granularity),
      formatBucket(fromMs),
      formatBucket(toMs - 1),
      true,
    );
    const set = new KpiSet(this.catalog);
    let stamp = 0;
    for (const item of items) {
      const bytes = item.kpis?.B;
      if (bytes !== undefined) set.mergeFrom(KpiSet.deserialize(bytes, this.catalog));
      stamp += Number(item.stamp?.N ?? item.version?.N ?? '0');
    }
    return { set, stamp, items: items.length };
  }

  async putRollup(
    address: KpiItemAddress,
    sources: MergedSources,
    expiresAt: number,
  ): Promise<'written' | 'stale' | 'failed'> {
    const key = kpiItemKey(address);
    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: {
        pk: { S: key.pk },
        sk: { S: key.sk },
        tenant: { S: address.tenant },
        granularity: { S: address.granularity },
        bucketStart: { S: formatBucket(address.bucketStartMs) },
        kpis: { B: sources.set.serialize() },
        events: { N: String(sources.set.eventCount()) },
        stamp: { N: String(sources.stamp) },
        expiresAt: { N: String(expiresAt) },
      },
      // A roll-up that read older sources (lower stamp) must not replace a newer one.
      ConditionExpression: 'attribute_not_exists(#s) OR #s <= :s',
      ExpressionAttributeNames: { '#s': 'stamp' },
      ExpressionAttributeValues: { ':s': { N: String(sources.stamp) } },
    });
    const r = await this.send(() => this.client.send(command));
    if (r === 'ok') this.stats.itemsWritten++;
    return r === 'ok' ? 'written' : r === 'conflict' ? 'stale' : 'failed';
  }

  /** Every item of a partition with `from <= sk <= to`, paginated. */
  private async query(
    pk: string,
    from: string,
    to: string,
    consistent: boolean,
  ): Promise<Array<Record<string, AttributeValue>>> {
    const out: Array<Record<string, AttributeValue>> = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      let res: QueryCommandOutput | undefined;
      for (let attempt = 0; res === undefined; attempt++) {
        if (attempt > 0) await this.backoff.wait(attempt);
        this.stats.readRequests++;
        try {
          res = await this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: from }, ':to': { S: to } },
              ConsistentRead: consistent,
              ExclusiveStartKey: startKey,
            }),
          );
        } catch (err) {
          if (!isRetryable(err)) throw new KpiTableError(this.tableName, err);
          if (attempt + 1 >= this.backoff.maxAttempts)
            throw new KpiStoreUnavailableError(this.tableName, attempt + 1, err);
          this.stats.retries++;
        }
      }
      out.push(...(res.Items ?? []));
      startKey = res.LastEvaluatedKey;
    } while (startKey !== undefined);
    return out;
  }

  private batchGet(keys: Array<Record<string, AttributeValue>>) {
    return this.client.send(
      new BatchGetItemCommand({
        RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  private encode(w: KpiItemWrite): PutItemCommand['input'] {
    const key = kpiItemKey(w.address);
    const version = (w.expectedVersion ?? 0) + 1;
    const item: Record<string, AttributeValue> = {
      pk: { S: key.pk },
      sk: { S: key.sk },
      tenant: { S: w.address.tenant },
      granularity: { S: w.address.granularity },
      bucketStart: { S: formatBucket(w.address.bucketStartMs) },
      kpis: { B: w.set.serialize() },
      events: { N: String(w.set.eventCount()) },
      version: { N: String(version) },
      w: { M: encodeWatermarks(w.watermarks) },
      expiresAt: { N: String(w.expiresAt) },
    };
    return w.expectedVersion === undefined
      ? { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          TableName: this.tableName,
          Item: item,
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': { N: String(w.expectedVersion) } },
        };
  }

  private decode(item: Record<string, AttributeValue>): StoredKpiItem {
    const address = parseKpiItemKey({ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' });
    const watermarks = decodeWatermarks(item);
    const bytes = item.kpis?.B;
    return {
      address,
      set: bytes === undefined ? new KpiSet(this.catalog) : KpiSet.deserialize(bytes, this.catalog),
      version: Number(item.version?.N ?? '0'),
      watermarks,
    };
  }
}

/**
 * Compact watermarks: `shardId-000000000003` becomes `3`, and the sequence number (up to 56
 * decimal digits, 77 bytes with its shard id) its big-endian bytes (about 23). Fleet items carry
 * one per shard, so this keeps them small. Shard ids of another form are kept as they are.
 */
export function encodeWatermarks(watermarks: Readonly<Record<string, string>>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [shard, seq] of Object.entries(watermarks)) {
    const m = SHARD_ID.exec(shard);
    out[m === null ? shard : String(Number(m[1]))] = { B: bigintBytes(BigInt(seq)) };
  }
  return out;
}

/** Watermarks of an item in either format (`w` compact, `wm` as written before). */
export function decodeWatermarks(item: Record<string, AttributeValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [shard, v] of Object.entries(item.wm?.M ?? {})) if (v.S !== undefined) out[shard] = v.S;
  for (const [key, v] of Object.entries(item.w?.M ?? {})) {
    if (v.B === undefined) continue;
    const shard = /^\d+$/.test(key) ? `shardId-${key.padStart(12, '0')}` : key;
    out[shard] = bytesBigint(v.B).toString();
  }
  return out;
}

function bigintBytes(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function bytesBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

/** The KPI table's key schema and TTL attribute, for table creation in CDK and local mode. */
export const KPI_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;
