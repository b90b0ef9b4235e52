/**
 * Health scores in the KPI table: one item per tenant and day, pk `health#<tenant>`, sk
 * `yyyy-mm-dd`. The score, band and status are top-level attributes (readable in the console
 * and by PartiQL); the whole score, components included, is kept as JSON in `doc`.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { HealthStore } from '../core/health/store';
import type { HealthScore } from '../core/health/types';

/** A health store operation that failed; `reason` says what to check. */
export class HealthStoreError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Health score store: ${reason}`, options);
    this.name = 'HealthStoreError';
  }
}

/** Options of {@link DynamoDbHealthStore}. */
export interface DynamoDbHealthStoreProps {
  readonly tableName: string;
  /** Partition key attribute of the KPI table. @default 'pk' */
  readonly partitionKey?: string;
  /** Sort key attribute of the KPI table. @default 'sk' */
  readonly sortKey?: string;
}

/** The partition key of a tenant's health items. */
export function healthPartitionKey(tenant: string): string {
  return `health#${tenant}`;
}

const BATCH = 25;
const MAX_RETRIES = 8;

/** The SDK error's name and message, so the cause (missing table, access denied) is readable. */
function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** {@link HealthStore} on DynamoDB. */
export class DynamoDbHealthStore implements HealthStore {
  private readonly table: string;
  private readonly pk: string;
  private readonly sk: string;

  constructor(
    private readonly ddb: DynamoDBClient,
    props: DynamoDbHealthStoreProps,
  ) {
    this.table = props.tableName;
    this.pk = props.partitionKey ?? 'pk';
    this.sk = props.sortKey ?? 'sk';
  }

  /** {@inheritDoc HealthStore.put} */
  async put(scores: readonly HealthScore[]): Promise<void> {
    // BatchWriteItem rejects a whole request that names one key twice ("Provided list of item
    // keys contains duplicates"); the port overwrites, so the last score of a (tenant, day) wins.
    const latest = new Map<string, HealthScore>();
    for (const s of scores) {
      const key = `${healthPartitionKey(s.tenant)}\u0000${s.date}`;
      latest.delete(key);
      latest.set(key, s);
    }
    const unique = [...latest.values()];
    for (let i = 0; i < unique.length; i += BATCH) {
      let requests = unique.slice(i, i + BATCH).map((s) => ({
        PutRequest: {
          Item: marshall({
            [this.pk]: healthPartitionKey(s.tenant),
            [this.sk]: s.date,
            tenant: s.tenant,
            status: s.status,
            ...(s.score === null ? {} : { score: s.score }),
            ...(s.band === null ? {} : { band: s.band }),
            churnRisk: s.churnRisk.flagged,
            doc: JSON.stringify(s),
          }),
        },
      }));
      // Unprocessed items come back under throttling: retry them with backoff.
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > MAX_RETRIES)
          throw new HealthStoreError(`${requests.length} items stayed unprocessed (throttled); retry the run`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        try {
          const out = await this.ddb.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
          requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        } catch (err) {
          throw new HealthStoreError(`cannot write to table ${this.table}: ${errorText(err)}`, { cause: err });
        }
      }
    }
  }

  /** {@inheritDoc HealthStore.history} */
  async history(tenant: string, fromDate: string, toDate: string): Promise<HealthScore[]> {
    // An empty range holds no day; DynamoDB would reject BETWEEN with its bounds reversed.
    if (fromDate > toDate) return [];
    const out: HealthScore[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      let page: QueryCommandOutput;
      try {
        page = await this.ddb.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': this.pk, '#sk': this.sk },
            ExpressionAttributeValues: marshall({
              ':pk': healthPartitionKey(tenant),
              ':from': fromDate,
              ':to': toDate,
            }),
            ExclusiveStartKey: start,
          }),
        );
      } catch (err) {
        throw new HealthStoreError(`cannot read table ${this.table}: ${errorText(err)}`, { cause: err });
      }
      for (const item of page.Items ?? []) {
        const doc = unmarshall(item).doc;
        if (typeof doc === 'string') out.push(JSON.parse(doc) as HealthScore);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}
