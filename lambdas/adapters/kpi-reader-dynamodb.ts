/**
 * {@link KpiSource} over the KPI table: one Query per (tenant, granularity) partition with a
 * sort-key range, paginated; never a Scan.
 *
 * Hours and days are rolled up from minutes once their period has closed
 * (core/aggregation/rollups.ts). For a period still open (listed in the open marks), the stored
 * hour or day item is absent or behind, so the reader merges the finer items instead: an open hour
 * from its minutes, an open day from its hours (each of them read the same way). Periods without
 * an open mark, including everything written before roll-ups existed, are read as stored.
 * Cost: one small Query of the open marks per hour or day read, plus one Query of minutes per
 * open hour in the range. A reader made by {@link DynamoDbKpiReader.forRun} reads the marks once
 * for its whole run instead (a report run reads 1,000 tenants: 1,000 mark Queries fewer).
 */
import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { KpiSet } from '../core/aggregates';
import {
  kpiPartitionKey,
  OPEN_PERIODS_PK,
  type OpenPeriod,
  parseKpiItemKey,
  parseOpenPeriodSortKey,
} from '../core/aggregation';
import type { KpiCatalog } from '../core/catalog';
import type { KpiBucket, KpiQuery, KpiSource } from '../core/kpi-reader';
import { bucketStart, formatBucket, GRANULARITY_MS } from '../core/time/buckets';

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
  private readonly props: DynamoDbKpiReaderProps;
  /** Shared with the run readers made by {@link forRun}, so `queries` counts theirs too. */
  private counter = { queries: 0 };
  /** The run's marks (run readers only): read on first use, then kept until the reader is dropped. */
  private runMarks: Promise<OpenPeriod[]> | undefined;
  private keepsMarks = false;

  constructor(props: DynamoDbKpiReaderProps) {
    this.props = props;
  }

  /** Query requests sent since construction, by this reader and every run reader it made. */
  get queries(): number {
    return this.counter.queries;
  }

  /**
   * A reader for one run (one report invocation) that reads the open marks once, on its first hour
   * or day read, and keeps them for the rest of the run. Make a new one per run; never keep one
   * across invocations.
   *
   * Why a run may keep them: within a run the marks change in two ways only, and neither changes
   * what the run reads. A mark removed after the run read it belongs to a period just rolled up, and
   * a roll-up is by definition the merge of the finer items the run then merges itself
   * (core/aggregation/rollups.ts). A mark added after it is created with a new hour's ledger, before
   * that hour's first minute is written, so it only covers data that arrived after the run started
   * (the new current hour, which a report of whole days up to the last full one never reads, or a
   * late hour with no data before): a run started a moment earlier would not have seen it either.
   * A warm Lambda's next invocation is another run and reads the marks afresh.
   */
  forRun(): DynamoDbKpiReader {
    const run = new DynamoDbKpiReader(this.props);
    run.counter = this.counter;
    run.keepsMarks = true;
    return run;
  }

  async read(q: KpiQuery): Promise<KpiBucket[]> {
    if (q.toMs <= q.fromMs) return [];
    const stored = await this.readStored(q);
    if (q.granularity === 'minute') return stored;
    const g = q.granularity;
    const first = bucketStart(q.fromMs, g);
    const open = (await this.openPeriods()).filter(
      (p) => p.granularity === g && p.bucketStartMs >= first && p.bucketStartMs < q.toMs,
    );
    if (open.length === 0) return stored;
    const byStart = new Map(stored.map((b) => [b.bucketStartMs, b]));
    const finer = g === 'day' ? 'hour' : 'minute';
    for (const p of open) {
      const parts = await this.read({
        tenant: q.tenant,
        granularity: finer,
        fromMs: p.bucketStartMs,
        toMs: p.bucketStartMs + GRANULARITY_MS[g],
      });
      if (parts.length === 0) {
        byStart.delete(p.bucketStartMs);
        continue;
      }
      const set = new KpiSet(this.props.catalog);
      for (const part of parts) set.mergeFrom(part.set);
      byStart.set(p.bucketStartMs, { bucketStartMs: p.bucketStartMs, set });
    }
    return [...byStart.values()].sort((a, b) => a.bucketStartMs - b.bucketStartMs);
  }

  /** The periods whose hour or day items are not rolled up yet: the run's, or read now. */
  private openPeriods(): Promise<OpenPeriod[]> {
    if (!this.keepsMarks) return this.queryOpenPeriods();
    if (this.runMarks === undefined) {
      // One Query even when 16 reads start at once: they all wait on the same promise.
      const marks = this.queryOpenPeriods();
      this.runMarks = marks;
      // A failed read is not kept: the next read of the run asks again.
      marks.catch(() => {
        if (this.runMarks === marks) this.runMarks = undefined;
      });
    }
    return this.runMarks;
  }

  private async queryOpenPeriods(): Promise<OpenPeriod[]> {
    const out: OpenPeriod[] = [];
    await this.queryAll(
      {
        ':pk': { S: OPEN_PERIODS_PK },
        ':from': { S: 'day#' },
        ':to': { S: 'hour#~' },
      },
      undefined,
      (item) => out.push(parseOpenPeriodSortKey(item.sk?.S ?? '')),
    );
    return out;
  }

  private async readStored(q: KpiQuery): Promise<KpiBucket[]> {
    const out: KpiBucket[] = [];
    const first = bucketStart(q.fromMs, q.granularity);
    await this.queryAll(
      {
        ':pk': { S: kpiPartitionKey(q.tenant, q.granularity) },
        ':from': { S: formatBucket(first) },
        // BETWEEN is inclusive; bucket starts are whole minutes, so toMs - 1 excludes one starting at toMs.
        ':to': { S: formatBucket(q.toMs - 1) },
      },
      'pk, sk, kpis',
      (item) => {
        const address = parseKpiItemKey({ pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' });
        if (address.bucketStartMs < first || address.bucketStartMs >= q.toMs) return;
        const bytes = item.kpis?.B;
        out.push({
          bucketStartMs: address.bucketStartMs,
          set: bytes === undefined ? new KpiSet(this.props.catalog) : KpiSet.deserialize(bytes, this.props.catalog),
        });
      },
    );
    return out;
  }

  /** Every page of `pk = :pk AND sk BETWEEN :from AND :to`; `onItem` sees each item in order. */
  private async queryAll(
    values: NonNullable<QueryCommandInput['ExpressionAttributeValues']>,
    projection: string | undefined,
    onItem: (item: NonNullable<QueryCommandOutput['Items']>[number]) => void,
  ): Promise<void> {
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      this.counter.queries++;
      const res: QueryCommandOutput = await this.props.client.send(
        new QueryCommand({
          TableName: this.props.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: values,
          ProjectionExpression: projection,
          ConsistentRead: this.props.consistentRead ?? false,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of res.Items ?? []) onItem(item);
      startKey = res.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
}
