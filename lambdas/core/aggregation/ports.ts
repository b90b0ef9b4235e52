/**
 * What the aggregation use case needs from the outside world. Adapters in lambdas/adapters
 * implement these over DynamoDB, S3 and CloudWatch EMF; tests may wrap them to inject faults.
 */
import type { KpiSet } from '../aggregates';
import type { Rejection } from '../events/decode';
import type { Watermarks } from './fold';
import type { ExperimentCellKey, KpiItemAddress } from './keys';

/** A KPI item as stored. */
export interface StoredKpiItem {
  readonly address: KpiItemAddress;
  readonly set: KpiSet;
  /** Incremented by every write; writes are conditional on it. */
  readonly version: number;
  /** Per shard, the highest sequence number applied to this item. */
  readonly watermarks: Watermarks;
}

/** One conditional item write. */
export interface KpiItemWrite {
  readonly address: KpiItemAddress;
  /**
   * The item's states after the write. Read-only for the store (serialize or copy it): when the
   * item is new this is the batch's own roll-up, which other items of the batch merge from.
   */
  readonly set: KpiSet;
  /** The version read; `undefined` when the item did not exist (the write then requires it still does not). */
  readonly expectedVersion: number | undefined;
  readonly watermarks: Watermarks;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
}

/**
 * The outcome of one item write: `written`; `conflict` (another writer changed the item, or the
 * item shared an atomic request with one that did: read again and recompute); `failed` (still
 * throttled or unavailable after retries: report its records as batch item failures).
 */
export type KpiWriteOutcome = 'written' | 'conflict' | 'failed';

/** The base of errors a {@link KpiStore} throws. */
export class KpiStoreError extends Error {
  constructor(
    message: string,
    /** Whether retrying later can succeed (throttling, outage) as opposed to a configuration fault. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KpiStoreError';
  }
}

/** A period whose hour or day items are derived from finer items. */
export type RollupGranularity = 'hour' | 'day';

/** A period that has data not yet rolled up into its hour or day items: readers merge finer items for it. */
export interface OpenPeriod {
  readonly granularity: RollupGranularity;
  readonly bucketStartMs: number;
}

/** The merge of the finer items of one period, with the stamp that orders roll-ups of it. */
export interface MergedSources {
  readonly set: KpiSet;
  /**
   * Sum of the sources' versions (minute items) or stamps (hour items). Sources only grow and
   * their versions only rise, so a later read of the same period never has a lower stamp.
   */
  readonly stamp: number;
  /** Source items merged. */
  readonly items: number;
}

/** Reads and conditionally writes KPI items, and keeps the roll-up ledger (see rollups.ts). */
export interface KpiStore {
  /**
   * Strongly consistent reads of the items that exist, keyed by `itemId(kpiItemKey(address))`.
   * @throws KpiStoreError when the items cannot be read after retries
   */
  read(addresses: readonly KpiItemAddress[]): Promise<Map<string, StoredKpiItem>>;
  /** Writes each item if its version is still the one read; one outcome per write, in order. */
  write(writes: readonly KpiItemWrite[]): Promise<KpiWriteOutcome[]>;
  /**
   * The tenants recorded as having minute items in each hour (strongly consistent); hours without
   * a ledger are absent from the map.
   * @throws KpiStoreError after retries
   */
  readLedgers(hourStarts: readonly number[]): Promise<Map<number, ReadonlySet<string>>>;
  /**
   * Records `tenants` in the hour's ledger. When `created` (the hour had no ledger), first marks the
   * hour and its day open, so readers merge finer items for them until they are rolled up.
   * @throws KpiStoreError after retries
   */
  addToLedger(hourStartMs: number, tenants: readonly string[], created: boolean): Promise<void>;
  /** Every open period (eventually consistent: a period closed a moment ago may still be listed). */
  openPeriods(): Promise<OpenPeriod[]>;
  /** Removes the open mark of a period whose roll-up is written. */
  closePeriod(period: OpenPeriod): Promise<void>;
  /**
   * Strongly consistent merge of a tenant's items of `granularity` in [fromMs, toMs).
   * @throws KpiStoreError after retries
   */
  readSources(tenant: string, granularity: 'minute' | 'hour', fromMs: number, toMs: number): Promise<MergedSources>;
  /**
   * Writes a roll-up item unless one with a higher stamp is stored (a roll-up that read newer
   * sources). `stale` means a newer roll-up won; `failed` means retries ran out.
   */
  putRollup(
    address: KpiItemAddress,
    sources: MergedSources,
    expiresAt: number,
  ): Promise<'written' | 'stale' | 'failed'>;
}

/** A rejected record on its way to the dead-letter store. */
export interface QuarantineEntry {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly data: Uint8Array;
  readonly arrivalMs: number;
  readonly rejection: Rejection;
}

/** The dead-letter store for rejected records. Storing the same record twice must not duplicate it. */
export interface QuarantineSink {
  /** Stores the entries; returns the sequence numbers of those that could not be stored. */
  put(entries: readonly QuarantineEntry[]): Promise<{ readonly failedSequenceNumbers: readonly string[] }>;
}

/**
 * A newly applied contribution of one batch, for metrics: to a minute item, or to an experiment
 * item (`experiment` set; `bucketStartMs` is then its UTC day).
 */
export interface AppliedMinuteDelta {
  /** Tenant id or `*`; an experiment item's scope. */
  readonly tenant: string;
  readonly bucketStartMs: number;
  readonly set: KpiSet;
  /** Set for an experiment item: its experiment and variant. */
  readonly experiment?: ExperimentCellKey;
}

/** Publishes metrics for contributions that were durably applied. */
export interface KpiMetricsSink {
  publish(deltas: readonly AppliedMinuteDelta[]): void;
}
