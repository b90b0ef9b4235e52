/**
 * AggregateBatch: the aggregator's use case, from Kinesis records to KPI items, exactly once.
 *
 * Exactly-once effect, in short (the full argument is in docs/exactly-once.md):
 *
 * 1. Every minute item (tenant or fleet) stores, next to its KpiSet, a `version` and a per-shard
 *    watermark: the highest sequence number of that shard whose records the item has settled.
 *    Batches write minute items only; hours and days are recomputed from them once their period
 *    has closed, and re-rolled by any batch that touches them later (rollups.ts).
 * 2. A batch contributes to an item only its records above the item's watermark for their shard,
 *    and the write that merges them also raises the watermark, in the same conditional put
 *    (version unchanged since the read). So a record is applied to an item at most once, whatever
 *    is redelivered, and a concurrent writer (another shard's batch on a fleet item) makes the put
 *    fail instead of losing an update; the item is then read again and recomputed.
 * 3. Kinesis hands a shard's records to one invocation at a time, in order (the event source
 *    mapping must keep ParallelizationFactor = 1), and retries from the sequence number reported
 *    in batchItemFailures. When an item cannot be written, the lowest sequence number that
 *    contributed to any unwritten item is reported; every record from there on comes back, the
 *    items already written skip them by watermark, the others apply them. So no record is lost.
 * 4. Rejected records are quarantined first, then counted (`rejected_events`) through the same
 *    items and watermarks. A record whose quarantine fails is not counted yet and is reported as a
 *    failure, with every later record of its shard left for the redelivery.
 * 5. A late re-roll of a closed hour or day that fails is reported like a failed item write: from
 *    the lowest sequence number feeding the batch's minutes in that period.
 */
import type { KpiCatalog } from '../catalog';
import type { RejectionReason } from '../events/decode';
import { type AssignmentOutcome, ExperimentRouter, type RoutedExperiment } from '../experiments/routing';
import {
  BatchFold,
  type ClassifiedRecord,
  classifyRecords,
  type DecodeLimits,
  type ItemDelta,
  type StreamRecord,
} from './fold';
import {
  DEFAULT_KPI_RETENTION,
  expiresAtSeconds,
  itemId,
  type KpiItemAddress,
  type KpiRetention,
  kpiItemKey,
} from './keys';
import {
  type AppliedMinuteDelta,
  type KpiItemWrite,
  type KpiMetricsSink,
  type KpiStore,
  KpiStoreError,
  type QuarantineEntry,
  type QuarantineSink,
  type StoredKpiItem,
} from './ports';
import { PeriodRollups } from './rollups';
import { parseSequenceNumber } from './sequence';

/** Dependencies and settings of {@link AggregateBatch}. */
export interface AggregateBatchProps {
  readonly catalog: KpiCatalog;
  readonly store: KpiStore;
  readonly quarantine: QuarantineSink;
  /** @default no metrics */
  readonly metrics?: KpiMetricsSink;
  /** @default DEFAULT_KPI_RETENTION (14 / 400 / 1825 days) */
  readonly retention?: KpiRetention;
  /** @default the contract's limits */
  readonly limits?: DecodeLimits;
  /**
   * Read-recompute-write rounds for items another writer changed in between (fleet items are
   * written by every shard's invocation).
   * @default 8
   */
  readonly maxConflictRounds?: number;
  /**
   * Configured experiments: events naming one also feed its per-(scope, experiment, variant, day) items.
   * @default none
   */
  readonly experiments?: readonly RoutedExperiment[];
}

/** What one batch did; logged by the handler and returned to callers and tests. */
export interface BatchReport {
  readonly records: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly duplicates: number;
  /** Rejected records per reason. */
  readonly rejectedByReason: Partial<Record<RejectionReason, number>>;
  /** Accepted events per tenant. */
  readonly tenants: Readonly<Record<string, number>>;
  /** Items the batch touched. */
  readonly items: number;
  /** Items written in this invocation. */
  readonly itemsWritten: number;
  /** Items that needed no write: a previous delivery already applied this batch's records to them. */
  readonly itemsAlreadyApplied: number;
  /** Items that could not be written. */
  readonly itemsFailed: number;
  /** Write attempts that met a concurrent writer and were recomputed. */
  readonly conflicts: number;
  /** Hour and day items rolled up by this batch (rollups.ts). */
  readonly rolledUp: number;
  /** Per shard, the sequence number to restart from; empty when everything was applied. */
  readonly failures: ReadonlyArray<{ readonly shardId: string; readonly sequenceNumber: string }>;
  /** Accepted events with experiment attributes, by what became of them (unknown ones are counted in `_unknown` items). */
  readonly experimentEvents: Readonly<Record<AssignmentOutcome, number>>;
}

/** Folds a batch of Kinesis records into KPI items; see the module comment for the guarantees. */
export class AggregateBatch {
  private readonly catalog: KpiCatalog;
  private readonly store: KpiStore;
  private readonly quarantine: QuarantineSink;
  private readonly metrics: KpiMetricsSink | undefined;
  private readonly retention: KpiRetention;
  private readonly limits: DecodeLimits | undefined;
  private readonly maxConflictRounds: number;
  private readonly rollups: PeriodRollups;
  private readonly experiments: ExperimentRouter;

  constructor(props: AggregateBatchProps) {
    this.catalog = props.catalog;
    this.store = props.store;
    this.quarantine = props.quarantine;
    this.metrics = props.metrics;
    this.retention = props.retention ?? DEFAULT_KPI_RETENTION;
    this.limits = props.limits;
    this.maxConflictRounds = props.maxConflictRounds ?? 8;
    this.rollups = new PeriodRollups(this.store, this.retention);
    this.experiments = new ExperimentRouter(props.experiments ?? []);
  }

  /**
   * Applies `records` (in shard order) at processing time `nowMs`.
   * Store outages are reported as failures, not thrown; other errors propagate (Lambda then
   * retries the whole batch, which the watermarks make harmless).
   */
  async run(records: readonly StreamRecord[], nowMs: number): Promise<BatchReport> {
    const classified = classifyRecords(records, { nowMs, catalog: this.catalog, limits: this.limits });
    const cuts = new Map<string, bigint>();
    const entries: QuarantineEntry[] = [];
    for (const c of classified) {
      if (c.outcome.kind !== 'rejected') continue;
      entries.push({
        shardId: c.record.shardId,
        sequenceNumber: c.record.sequenceNumber,
        data: c.record.data,
        arrivalMs: c.record.arrivalMs,
        rejection: c.outcome.rejection,
      });
    }
    if (entries.length > 0) {
      const { failedSequenceNumbers } = await this.quarantine.put(entries);
      const failed = new Set(failedSequenceNumbers);
      for (const e of entries) {
        if (failed.has(e.sequenceNumber)) lowerCut(cuts, e.shardId, parseSequenceNumber(e.sequenceNumber));
      }
    }
    // A record whose quarantine failed, and everything after it on its shard, waits for redelivery:
    // counting later records now would raise watermarks past the uncounted one.
    const processed = classified.filter((c) => {
      const cut = cuts.get(c.record.shardId);
      return cut === undefined || c.seq < cut;
    });
    const fold = new BatchFold(this.catalog, processed, { experiments: this.experiments });
    const outcome = await this.applyFold(fold);
    if (outcome.touched.length > 0) {
      const rolled = await this.rollups.afterBatch(fold, outcome.touched, nowMs);
      outcome.rolledUp = rolled.rolled;
      for (const [shard, seq] of rolled.failedFrom) lowerCut(outcome.failedFrom, shard, seq);
    }
    for (const [shard, seq] of outcome.failedFrom) lowerCut(cuts, shard, seq);
    this.metrics?.publish(outcome.appliedMinutes);
    return { ...this.report(classified, outcome, cuts), experimentEvents: { ...fold.assignments } };
  }

  /**
   * Writes the fold's items: records them in the rollup ledger, then read-merge-write rounds until
   * every item is written, already applied or failed, or the conflict rounds run out.
   */
  private async applyFold(fold: BatchFold): Promise<ApplyOutcome> {
    const result = emptyOutcome();
    const all = fold.items();
    result.items = all.length;
    try {
      // The ledger names the tenants of each hour before their minutes are written (rollups.ts).
      await this.rollups.record(all.filter(isKpiItem));
    } catch (err) {
      if (!(err instanceof KpiStoreError)) throw err;
      this.failUnread(fold, all, result);
      return result;
    }
    // Items not handed to the rollups: the failed ones.
    const notTouched = new Set<string>();
    let pending = all;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= this.maxConflictRounds) {
        await this.failItems(fold, pending, result);
        addIds(notTouched, pending);
        break;
      }
      pending = await this.writeRound(fold, pending, result, notTouched);
    }
    result.touched = all.filter((a) => isKpiItem(a) && !notTouched.has(itemId(kpiItemKey(a))));
    return result;
  }

  /**
   * One read-merge-write round over `pending`; returns the items that met a concurrent writer and
   * must be read again. Items that fail are added to `notTouched`.
   */
  private async writeRound(
    fold: BatchFold,
    pending: readonly KpiItemAddress[],
    result: ApplyOutcome,
    notTouched: Set<string>,
  ): Promise<KpiItemAddress[]> {
    let stored: Map<string, StoredKpiItem>;
    try {
      stored = await this.store.read(pending);
    } catch (err) {
      if (!(err instanceof KpiStoreError)) throw err;
      this.failUnread(fold, pending, result);
      addIds(notTouched, pending);
      return [];
    }
    const { writes, deltas } = this.mergeWrites(fold, pending, stored, result);
    // Every item of the round was applied by an earlier delivery: nothing to write. They stay
    // touched, so the redelivery of a batch whose late re-roll failed rolls again (rollups.ts, rule 2).
    if (writes.length === 0) return [];
    const outcomes = await this.store.write(writes);
    const retry: KpiItemAddress[] = [];
    const failed: Array<[KpiItemAddress, ItemDelta | undefined]> = [];
    outcomes.forEach((o, i) => {
      const w = writes[i]!;
      const d = deltas[i]!;
      if (o === 'written') {
        result.itemsWritten++;
        if (w.address.experiment !== undefined) result.appliedMinutes.push({ ...w.address, set: d.set });
        if (w.address.granularity === 'minute') {
          result.appliedMinutes.push({ tenant: w.address.tenant, bucketStartMs: w.address.bucketStartMs, set: d.set });
        }
      } else if (o === 'conflict') {
        result.conflicts++;
        retry.push(w.address);
      } else {
        failed.push([w.address, d]);
      }
    });
    this.failWithDeltas(failed, result);
    addIds(
      notTouched,
      failed.map(([a]) => a),
    );
    return retry;
  }

  /**
   * The conditional writes that merge each item's unapplied records into its stored set and raise
   * its watermarks; items with nothing left to apply are counted as already applied.
   */
  private mergeWrites(
    fold: BatchFold,
    pending: readonly KpiItemAddress[],
    stored: ReadonlyMap<string, StoredKpiItem>,
    result: ApplyOutcome,
  ): { writes: KpiItemWrite[]; deltas: ItemDelta[] } {
    const writes: KpiItemWrite[] = [];
    const deltas: ItemDelta[] = [];
    for (const address of pending) {
      const item = stored.get(itemId(kpiItemKey(address)));
      const delta = fold.delta(address, item?.watermarks ?? {});
      if (delta === undefined) {
        result.itemsAlreadyApplied++;
        continue;
      }
      // The delta is a fresh set and the stored one was just deserialized for this write: both are ours to reuse.
      const set = item === undefined ? delta.set : item.set;
      if (item !== undefined) set.mergeFrom(delta.set);
      writes.push({
        address,
        set,
        expectedVersion: item?.version,
        watermarks: fold.advance(item?.watermarks ?? {}),
        expiresAt: expiresAtSeconds(address, this.retention),
      });
      deltas.push(delta);
    }
    return { writes, deltas };
  }

  /** Fails items whose stored watermarks could not be read: their whole contribution is unapplied. */
  private failUnread(fold: BatchFold, addresses: readonly KpiItemAddress[], result: ApplyOutcome): void {
    this.failWithDeltas(
      addresses.map((a) => [a, fold.delta(a, {})]),
      result,
    );
  }

  private async failItems(fold: BatchFold, addresses: readonly KpiItemAddress[], result: ApplyOutcome): Promise<void> {
    let stored: Map<string, StoredKpiItem> | undefined;
    try {
      stored = await this.store.read(addresses);
    } catch (err) {
      if (!(err instanceof KpiStoreError)) throw err;
    }
    this.failWithDeltas(
      addresses.map((a) => [a, fold.delta(a, stored?.get(itemId(kpiItemKey(a)))?.watermarks ?? {})]),
      result,
    );
  }

  /** Marks items failed; their lowest unapplied contribution is where the shard must restart. */
  private failWithDeltas(
    items: ReadonlyArray<readonly [KpiItemAddress, ItemDelta | undefined]>,
    result: ApplyOutcome,
  ): void {
    for (const [, delta] of items) {
      if (delta === undefined) continue;
      result.itemsFailed++;
      for (const [shard, seq] of delta.lowestByShard) lowerCut(result.failedFrom, shard, parseSequenceNumber(seq));
    }
  }

  private report(
    classified: readonly ClassifiedRecord[],
    o: ApplyOutcome,
    cuts: Map<string, bigint>,
  ): Omit<BatchReport, 'experimentEvents'> {
    let accepted = 0;
    let rejected = 0;
    let duplicates = 0;
    const byReason: Partial<Record<RejectionReason, number>> = {};
    // No prototype: tenant ids such as `constructor` are valid and must count like any other.
    const tenants: Record<string, number> = Object.create(null);
    for (const c of classified) {
      const out = c.outcome;
      if (out.kind === 'accepted') {
        accepted++;
        tenants[out.tenant] = (tenants[out.tenant] ?? 0) + 1;
      } else if (out.kind === 'rejected') {
        rejected++;
        byReason[out.rejection.reason] = (byReason[out.rejection.reason] ?? 0) + 1;
      } else {
        duplicates++;
      }
    }
    return {
      records: classified.length,
      accepted,
      rejected,
      duplicates,
      rejectedByReason: byReason,
      tenants,
      items: o.items,
      itemsWritten: o.itemsWritten,
      itemsAlreadyApplied: o.itemsAlreadyApplied,
      itemsFailed: o.itemsFailed,
      conflicts: o.conflicts,
      rolledUp: o.rolledUp,
      failures: [...cuts].map(([shardId, seq]) => ({ shardId, sequenceNumber: seq.toString() })),
    };
  }
}

interface ApplyOutcome {
  items: number;
  itemsWritten: number;
  itemsAlreadyApplied: number;
  itemsFailed: number;
  conflicts: number;
  failedFrom: Map<string, bigint>;
  appliedMinutes: AppliedMinuteDelta[];
  /** Minute items applied now or before (not failed): the periods they fall in may need rolling up. */
  touched: KpiItemAddress[];
  rolledUp: number;
}

function emptyOutcome(): ApplyOutcome {
  return {
    itemsWritten: 0,
    itemsAlreadyApplied: 0,
    itemsFailed: 0,
    conflicts: 0,
    failedFrom: new Map(),
    appliedMinutes: [],
    items: 0,
    touched: [],
    rolledUp: 0,
  };
}

function addIds(ids: Set<string>, addresses: readonly KpiItemAddress[]): void {
  for (const a of addresses) ids.add(itemId(kpiItemKey(a)));
}

/** Tenant and fleet KPI items, which roll up; experiment items are written as day items directly. */
function isKpiItem(a: KpiItemAddress): boolean {
  return a.experiment === undefined;
}

function lowerCut(cuts: Map<string, bigint>, shard: string, seq: bigint): void {
  const prev = cuts.get(shard);
  if (prev === undefined || seq < prev) cuts.set(shard, seq);
}
