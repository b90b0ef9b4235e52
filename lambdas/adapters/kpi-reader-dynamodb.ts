/**
 * {@link KpiSource} over the KPI table: one Query per (tenant, granularity) partition with a
 * sort-key range, paginated; never a Scan.
 */
import { type DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { KpiSet } from '../core/aggregates';
import { kpiPartitionKey, parseKpiItemKey } from '../core/aggregation';
import type { KpiCatalog } from '../core/catalog';
import type { KpiBucket, KpiQuery, KpiSource } from '../core/kpi-reader';
import { bucketStart, formatBucket } from '../core/time/buckets';

/** Settings of {@link DynamoDbKpiReader}. */
export interface DynamoDbKpiReaderProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly catalog: KpiCatalog;
  /**
   * Strongly consistent reads (twice the read cost); tests and reports right after ingestion want them.
   * @default false
   */
  readonly consistentRead?: boolean;
}

/** Reads KPI buckets with Query. */
export class DynamoDbKpiReader implements KpiSource {
  /** Query requests sent since construction. */
  queries = 0;
  private readonly props: DynamoDbKpiReaderProps;

  constructor(props: DynamoDbKpiReaderProps) {
    this.props = props;
  }

  async read(q: KpiQuery): Promise<KpiBucket[]> {
    const out: KpiBucket[] = [];
    if (q.toMs <= q.fromMs) return out;
    const first = bucketStart(q.fromMs, q.granularity);
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      this.queries++;
      const res: QueryCommandOutput = await this.props.client.send(
        new QueryCommand({
          TableName: this.props.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': { S: kpiPartitionKey(q.tenant, q.granularity) },
            ':from': { S: formatBucket(first) },
            // BETWEEN is inclusive; bucket starts are whole minutes, so toMs - 1 excludes one starting at toMs.
            ':to': { S: formatBucket(q.toMs - 1) },
          },
          ProjectionExpression: 'pk, sk, kpis',
          ConsistentRead: this.props.consistentRead ?? false,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of res.Items ?? []) {
        const address = parseKpiItemKey({ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' });
        if (address.bucketStartMs < first || address.bucketStartMs >= q.toMs) continue;
        const bytes = item.kpis?.B;
        out.push({
          bucketStartMs: address.bucketStartMs,
          set: bytes === undefined ? new KpiSet(this.props.catalog) : KpiSet.deserialize(bytes, this.props.catalog),
        });
      }
      startKey = res.LastEvaluatedKey;
    } while (startKey !== undefined);
    return out;
  }
}
