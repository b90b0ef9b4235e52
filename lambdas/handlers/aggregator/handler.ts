/**
 * The aggregator Lambda: Kinesis batches -> per-tenant and fleet KPI items (see
 * core/aggregation/aggregate-batch.ts and docs/exactly-once.md for the exactly-once argument).
 *
 * The event source mapping must enable ReportBatchItemFailures and keep ParallelizationFactor at
 * 1; this handler reports, per shard, the sequence number Kinesis must restart from.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { AggregateBatch, StreamRecord } from '../../core/aggregation';

/** What the handler needs; index.ts builds it from the environment. */
export interface AggregatorHandlerDeps {
  /** The use case (only its `run`: local mode counts the reports on the way out). */
  readonly aggregate: Pick<AggregateBatch, 'run'>;
  readonly logger: Logger;
  /** Processing time, epoch ms (late/future checks). @default Date.now */
  readonly now?: () => number;
}

/** A Kinesis record whose event id does not carry its shard. */
export class MalformedKinesisRecordError extends Error {
  constructor(eventId: string) {
    super(
      `Kinesis record eventID "${eventId.slice(0, 120)}" is not "<shardId>:<sequenceNumber>"; is this a Kinesis event source?`,
    );
    this.name = 'MalformedKinesisRecordError';
  }
}

/** Maps one Lambda Kinesis record to the aggregator's record. */
export function toStreamRecord(r: KinesisStreamRecord): StreamRecord {
  const i = r.eventID.lastIndexOf(':');
  if (i <= 0) throw new MalformedKinesisRecordError(r.eventID);
  return {
    shardId: r.eventID.slice(0, i),
    sequenceNumber: r.kinesis.sequenceNumber,
    data: Buffer.from(r.kinesis.data, 'base64'),
    arrivalMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1000),
    partitionKey: r.kinesis.partitionKey,
  };
}

/** Builds the handler. */
export function createAggregatorHandler(
  deps: AggregatorHandlerDeps,
): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const records = event.Records.map(toStreamRecord);
    const report = await deps.aggregate.run(records, now());
    const shards = [...new Set(records.map((r) => r.shardId))];
    // Counts only: event payloads may hold personal data and never reach the logs.
    const summary = {
      shards,
      records: report.records,
      accepted: report.accepted,
      rejected: report.rejected,
      duplicates: report.duplicates,
      rejectedByReason: report.rejectedByReason,
      tenantCount: Object.keys(report.tenants).length,
      tenants: report.tenants,
      items: report.items,
      itemsWritten: report.itemsWritten,
      itemsAlreadyApplied: report.itemsAlreadyApplied,
      itemsFailed: report.itemsFailed,
      conflicts: report.conflicts,
    };
    if (report.failures.length > 0) {
      deps.logger.warn('Batch partly applied; Kinesis will redeliver from the reported sequence numbers', {
        ...summary,
        failures: report.failures,
      });
    } else {
      deps.logger.info('Batch applied', summary);
    }
    return { batchItemFailures: report.failures.map((f) => ({ itemIdentifier: f.sequenceNumber })) };
  };
}
