/**
 * Putting records on a Kinesis stream with PutRecords, in batches within the service limits
 * (500 records, 5 MiB per call, 1 MiB per record), retrying the records a call reports as failed
 * (throttling, internal errors) with exponential backoff and jitter. Used by `kpi send` and by
 * the local run's stream pump.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';

/** Most records in one PutRecords call. */
export const MAX_RECORDS_PER_CALL = 500;
/** Most bytes (data + partition keys) in one PutRecords call. */
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
/** Most bytes (data + partition key) in one record. */
export const MAX_BYTES_PER_RECORD = 1024 * 1024;

/** One record to put. */
export interface OutgoingRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** The outcome of one record in a PutRecords call (the SDK's shape, reduced). */
export interface PutResultEntry {
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/** Puts one batch; returns one entry per record, in order. */
export type PutRecordsFn = (records: readonly OutgoingRecord[]) => Promise<readonly PutResultEntry[]>;

/** A record that could not be delivered. */
export interface UndeliveredRecord {
  readonly record: OutgoingRecord;
  readonly reason: string;
}

/** The outcome of {@link sendRecords}. */
export interface SendResult {
  readonly delivered: number;
  readonly undelivered: readonly UndeliveredRecord[];
  /** PutRecords calls made, retries included. */
  readonly calls: number;
  /** Records sent again after a partial failure. */
  readonly retried: number;
}

/** Options of {@link sendRecords}. */
export interface SendOptions {
  /** Attempts per record (first try included). @default 6 */
  readonly maxAttempts?: number;
  /** First backoff; doubles per attempt, with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** Waits between attempts (tests pass a no-op). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after each call with the records delivered so far. */
  readonly onProgress?: (delivered: number) => void;
  /** Random source for the jitter. @default Math.random */
  readonly random?: () => number;
}

/** Bytes a record counts for against the PutRecords limits. */
export function recordBytes(r: OutgoingRecord): number {
  return r.data.byteLength + Buffer.byteLength(r.partitionKey, 'utf8');
}

/**
 * Splits records into batches within the PutRecords limits, keeping their order.
 * Records above the per-record limit must be removed first (see {@link sendRecords}).
 */
export function splitIntoBatches(
  records: readonly OutgoingRecord[],
  maxRecords = MAX_RECORDS_PER_CALL,
  maxBytes = MAX_BYTES_PER_CALL,
): OutgoingRecord[][] {
  const batches: OutgoingRecord[][] = [];
  let current: OutgoingRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (current.length > 0 && (current.length >= maxRecords || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const defaultSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Sends records through `put`, batch by batch, retrying only the records a call reports as
 * failed. Records too large for Kinesis are not sent and come back as undelivered.
 */
export async function sendRecords(
  records: readonly OutgoingRecord[],
  put: PutRecordsFn,
  opts: SendOptions = {},
): Promise<SendResult> {
  const maxAttempts = opts.maxAttempts ?? 6;
  const baseDelayMs = opts.baseDelayMs ?? 100;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const undelivered: UndeliveredRecord[] = [];
  const sendable: OutgoingRecord[] = [];
  for (const r of records) {
    const tooLarge = oversizeReason(r);
    if (tooLarge !== undefined) undelivered.push({ record: r, reason: tooLarge });
    else sendable.push(r);
  }
  let delivered = 0;
  let calls = 0;
  let retried = 0;
  for (const batch of splitIntoBatches(sendable)) {
    let pending = batch;
    let lastReasons: string[] = [];
    for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) {
        retried += pending.length;
        await sleep(Math.round(random() * baseDelayMs * 2 ** (attempt - 2)));
      }
      calls++;
      let entries: readonly PutResultEntry[];
      try {
        entries = await put(pending);
      } catch (err) {
        // A whole-call failure (network, throttling of the call) retries the whole batch.
        lastReasons = pending.map(() => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
        continue;
      }
      const failed: OutgoingRecord[] = [];
      const reasons: string[] = [];
      pending.forEach((r, i) => {
        const entry = entries[i];
        if (entry?.ErrorCode !== undefined) {
          failed.push(r);
          reasons.push(`${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`.trim());
        }
      });
      delivered += pending.length - failed.length;
      pending = failed;
      lastReasons = reasons;
      opts.onProgress?.(delivered);
    }
    pending.forEach((record, i) => {
      undelivered.push({ record, reason: lastReasons[i] ?? 'not delivered' });
    });
  }
  return { delivered, undelivered, calls, retried };
}

/** PutRecords through an SDK client, for {@link sendRecords}. */
export function kinesisPut(client: KinesisClient, streamName: string): PutRecordsFn {
  return async (records) => {
    const out = await client.send(
      new PutRecordsCommand({
        // kinesalite rejects StreamARN-only calls; the name works everywhere.
        StreamName: streamName,
        Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
      }),
    );
    return out.Records ?? [];
  };
}

/**
 * The partition key of an event line: its tenant id (the contract's key), or a stable stand-in
 * for lines that do not carry one, so they still reach the aggregator and get quarantined.
 */
export function partitionKeyOf(line: string): string {
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null) {
      const tenant = (parsed as { tenantid?: unknown }).tenantid;
      if (typeof tenant === 'string' && tenant.length > 0 && tenant.length <= 256) return tenant;
    }
  } catch {
    // Not JSON: the aggregator rejects it as invalid_json; it still needs a key to travel.
  }
  return 'unkeyed';
}

/** Why Kinesis would refuse a record, or `undefined` when it fits. */
export function oversizeReason(r: OutgoingRecord): string | undefined {
  const bytes = recordBytes(r);
  return bytes > MAX_BYTES_PER_RECORD
    ? `record is ${bytes} bytes with its partition key; Kinesis accepts at most 1 MiB (${MAX_BYTES_PER_RECORD} bytes)`
    : undefined;
}
