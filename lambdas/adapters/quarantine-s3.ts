/**
 * The quarantine (dead-letter store) over S3. One object per rejected record, keyed
 * `<tenant|_unknown>/<yyyy-mm-dd>/<shardId>/<sequenceNumber>.json` by arrival date: a redelivered
 * record overwrites its own object, so the quarantine never holds a record twice, and an operator
 * can list one tenant's rejections of one day with a prefix.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { QuarantineEntry, QuarantineSink } from '../core/aggregation';
import { type Backoff, type BackoffOptions, backoff } from './retry';

/** The JSON body of a quarantined record. */
export interface QuarantinedRecord {
  /** The record's bytes, base64 (it may not be JSON or UTF-8). */
  readonly data: string;
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
  readonly rule?: string;
  readonly tenantId?: string;
  readonly eventId?: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** ISO 8601 arrival time on the stream. */
  readonly arrivedAt: string;
}

/** Settings of {@link S3Quarantine}. */
export interface S3QuarantineProps {
  readonly client: S3Client;
  readonly bucketName: string;
  /** Objects written at once. @default 16 */
  readonly concurrency?: number;
  /** @default 4 attempts, full jitter */
  readonly backoff?: BackoffOptions;
}

/** The object key of a quarantined record. */
export function quarantineKey(entry: QuarantineEntry): string {
  const tenant = entry.rejection.tenantId ?? '_unknown';
  const day = new Date(entry.arrivalMs).toISOString().slice(0, 10);
  return `${tenant}/${day}/${entry.shardId}/${entry.sequenceNumber}.json`;
}

/** {@link QuarantineSink} writing one S3 object per rejected record. */
export class S3Quarantine implements QuarantineSink {
  private readonly client: S3Client;
  private readonly bucketName: string;
  private readonly concurrency: number;
  private readonly backoff: Backoff;

  constructor(props: S3QuarantineProps) {
    this.client = props.client;
    this.bucketName = props.bucketName;
    this.concurrency = props.concurrency ?? 16;
    this.backoff = backoff({ maxAttempts: 4, ...props.backoff });
  }

  async put(entries: readonly QuarantineEntry[]): Promise<{ readonly failedSequenceNumbers: readonly string[] }> {
    const failed: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        if (!(await this.putOne(entry))) failed.push(entry.sequenceNumber);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, entries.length) }, worker));
    return { failedSequenceNumbers: failed };
  }

  private async putOne(entry: QuarantineEntry): Promise<boolean> {
    const r = entry.rejection;
    const body: QuarantinedRecord = {
      data: Buffer.from(entry.data).toString('base64'),
      reason: r.reason,
      message: r.message,
      ...(r.field === undefined ? {} : { field: r.field }),
      ...(r.rule === undefined ? {} : { rule: r.rule }),
      ...(r.tenantId === undefined ? {} : { tenantId: r.tenantId }),
      ...(r.eventId === undefined ? {} : { eventId: r.eventId }),
      shardId: entry.shardId,
      sequenceNumber: entry.sequenceNumber,
      arrivedAt: new Date(entry.arrivalMs).toISOString(),
    };
    for (let attempt = 0; attempt < this.backoff.maxAttempts; attempt++) {
      if (attempt > 0) await this.backoff.wait(attempt);
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucketName,
            Key: quarantineKey(entry),
            Body: JSON.stringify(body),
            ContentType: 'application/json',
          }),
        );
        return true;
      } catch {
        // Every error is retried: a record that cannot be quarantined is reported, never dropped.
      }
    }
    return false;
  }
}
