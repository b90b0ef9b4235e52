/**
 * The batch fold: Kinesis records -> per-item KPI deltas, filtered by each item's watermarks.
 *
 * Records are decoded once and grouped into cells of (tenant, minute, shard). A cell's KpiSet is
 * built once by observing its records; every item the cell feeds (the tenant's minute and the
 * fleet's minute) receives it by merging sets, never by observing events again. Only when an item has already applied part of a cell (its watermark for the shard falls
 * inside the cell, which happens after a partial failure) is a set rebuilt from that cell's
 * remaining records. See docs/exactly-once.md for why the watermarks make redelivery harmless.
 *
 * The usual case, an item that has applied none of the batch's cells, is served by roll-ups: the
 * fleet's minute is the merge of the tenants' minutes (plus rejections without a tenant), built
 * once per batch. A batch touches minute items only; hours and days are derived from minutes
 * when their period closes (see rollups.ts).
 */
import { KpiSet, type KpiSetOptions } from '../aggregates';
import type { KpiCatalog } from '../catalog';
import type { AgentEvent } from '../events/contract';
import { type DecodeContext, decodeEvent, type Rejection } from '../events/decode';
import { type AssignmentOutcome, EXPERIMENT_SET_OPTIONS, type ExperimentRouter } from '../experiments/routing';
import { bucketStart, type Granularity } from '../time/buckets';
import { type ExperimentCellKey, FLEET_TENANT, type KpiItemAddress, kpiItemKey } from './keys';
import { parseSequenceNumber } from './sequence';

/** One Kinesis record, as the aggregator needs it (the handler maps the Lambda event to this). */
export interface StreamRecord {
  /** `shardId-000000000000` */
  readonly shardId: string;
  /** Decimal string. */
  readonly sequenceNumber: string;
  /** The record's bytes as the producer put them. */
  readonly data: Uint8Array;
  /** Approximate arrival time on the stream, epoch ms: buckets rejected records. */
  readonly arrivalMs: number;
  readonly partitionKey?: string;
}

/** What became of one record. */
export type RecordOutcome =
  | { readonly kind: 'accepted'; readonly event: AgentEvent; readonly tenant: string; readonly minuteMs: number }
  | {
      readonly kind: 'rejected';
      readonly rejection: Rejection;
      /** Set only when the envelope carried a valid tenant id; otherwise only the fleet counts it. */
      readonly tenant: string | undefined;
      readonly minuteMs: number;
    }
  /** Same tenant, source and id as an earlier record of the batch: counted once. */
  | { readonly kind: 'duplicate'; readonly tenant: string };

/** A record with its decoded outcome. */
export interface ClassifiedRecord {
  readonly record: StreamRecord;
  readonly seq: bigint;
  readonly outcome: RecordOutcome;
}

/** Decoder limits (the contract's defaults apply when unset). */
export type DecodeLimits = Pick<DecodeContext, 'maxRecordBytes' | 'maxPastMs' | 'maxFutureMs'>;

/**
 * Decodes every record and marks in-batch duplicates: a later record with the same tenant,
 * `source` and `id` as an earlier one (CloudEvents identity) is not counted. Records are taken in
 * sequence order per shard, so which copy counts does not depend on how a batch was split.
 */
export function classifyRecords(
  records: readonly StreamRecord[],
  ctx: { readonly nowMs: number; readonly catalog: KpiCatalog; readonly limits?: DecodeLimits },
): ClassifiedRecord[] {
  const decodeCtx: DecodeContext = { nowMs: ctx.nowMs, catalog: ctx.catalog, ...ctx.limits };
  const seen = new Set<string>();
  const out: ClassifiedRecord[] = [];
  for (const record of records) {
    const seq = parseSequenceNumber(record.sequenceNumber);
    const r = decodeEvent(record.data, decodeCtx);
    if (!r.ok) {
      out.push({
        record,
        seq,
        outcome: {
          kind: 'rejected',
          rejection: r.rejection,
          tenant: r.rejection.tenantId,
          minuteMs: bucketStart(record.arrivalMs, 'minute'),
        },
      });
      continue;
    }
    const e = r.event;
    const identity = `${e.tenantid}\n${e.source}\n${e.id}`;
    if (seen.has(identity)) {
      out.push({ record, seq, outcome: { kind: 'duplicate', tenant: e.tenantid } });
      continue;
    }
    seen.add(identity);
    out.push({
      record,
      seq,
      outcome: { kind: 'accepted', event: e, tenant: e.tenantid, minuteMs: bucketStart(r.eventTimeMs, 'minute') },
    });
  }
  return out;
}

type Counted = ClassifiedRecord & { readonly outcome: Exclude<RecordOutcome, { kind: 'duplicate' }> };

/** Records of one (tenant, minute, shard), in sequence order. */
class Cell {
  readonly records: Counted[] = [];
  private full: KpiSet | undefined;
  private readonly partial = new Map<bigint, KpiSet>();

  constructor(
    readonly shardId: string,
    private readonly catalog: KpiCatalog,
    /** Experiment cells keep what the tests need ({@link EXPERIMENT_SET_OPTIONS}). */
    private readonly options: KpiSetOptions = {},
  ) {}

  get minSeq(): bigint {
    return this.records[0]!.seq;
  }

  get maxSeq(): bigint {
    return this.records[this.records.length - 1]!.seq;
  }

  /** The set of all the cell's records (built once; callers only read it). */
  fullSet(): KpiSet {
    this.full ??= this.observe(this.records);
    return this.full;
  }

  /** The set of the records after `watermark` (all of them when `watermark` is below the cell). */
  setAfter(watermark: bigint): KpiSet {
    if (watermark < this.minSeq) return this.fullSet();
    let set = this.partial.get(watermark);
    if (set === undefined) {
      set = this.observe(this.records.filter((r) => r.seq > watermark));
      this.partial.set(watermark, set);
    }
    return set;
  }

  /** The lowest sequence number after `watermark`, if any. */
  firstAfter(watermark: bigint): bigint | undefined {
    return this.records.find((r) => r.seq > watermark)?.seq;
  }

  private observe(records: readonly Counted[]): KpiSet {
    const set = new KpiSet(this.catalog, this.options);
    for (const r of records) {
      if (r.outcome.kind === 'accepted') set.observe(r.outcome.event);
      else set.observeRejection(r.outcome.rejection.reason);
    }
    return set;
  }
}

/** The contribution of a batch to one item. */
export interface ItemDelta {
  /** The states to merge into the item. Read-only: it may be the batch's roll-up for the item, which coarser items merge from. */
  readonly set: KpiSet;
  /** Per shard, the lowest sequence number contributing: where redelivery must restart if the write fails. */
  readonly lowestByShard: ReadonlyMap<string, string>;
  /** Records contributing. */
  readonly records: number;
}

/** Per shard, the highest sequence number the item has applied (decimal strings). */
export type Watermarks = Readonly<Record<string, string>>;

/** One item the batch touches. */
interface FoldItem {
  readonly address: KpiItemAddress;
  /** Every cell feeding the item. */
  readonly cells: Cell[];
  /** Items whose cells, together with {@link own}, are exactly {@link cells} (none shared). */
  readonly children: Set<FoldItem>;
  /** Cells feeding the item that no child covers. */
  readonly own: Cell[];
  /** The merge of every cell's full set, built on first use. */
  rollup?: KpiSet;
  /** Per shard, the lowest sequence number among the cells. */
  lowest?: ReadonlyMap<string, string>;
  /** Records in the cells. */
  records: number;
}

/** The map key of an item within a batch (cheaper than formatting its table key). */
function foldKey(tenant: string, granularity: string, bucketStartMs: number, experiment?: ExperimentCellKey): string {
  const base = `${tenant}|${granularity}|${bucketStartMs}`;
  return experiment === undefined ? base : `${base}|${experiment.id}|${experiment.variant}`;
}

/** Options of {@link BatchFold}. */
export interface BatchFoldOptions {
  /** Routes events with experiment attributes to per-(scope, experiment, variant, day) items. */
  readonly experiments?: ExperimentRouter;
}

/**
 * The fold of one batch, ready to produce each item's delta once the item's watermarks are known.
 */
export class BatchFold {
  private readonly cellsByItem = new Map<string, FoldItem>();
  private readonly maxByShard = new Map<string, bigint>();
  private readonly catalog: KpiCatalog;
  /** Accepted events of this batch per fate of their experiment attributes. */
  readonly assignments: Record<AssignmentOutcome, number> = {
    folded: 0,
    unknown_experiment: 0,
    unknown_variant: 0,
    outside_window: 0,
  };

  /** @param records the records to count (rejected ones only after they are quarantined) */
  constructor(catalog: KpiCatalog, records: readonly ClassifiedRecord[], options: BatchFoldOptions = {}) {
    this.catalog = catalog;
    const cells = new Map<string, { cell: Cell; tenant: string | undefined; minuteMs: number }>();
    for (const r of records) {
      const prev = this.maxByShard.get(r.record.shardId);
      if (prev === undefined || r.seq > prev) this.maxByShard.set(r.record.shardId, r.seq);
      if (r.outcome.kind === 'duplicate') continue;
      const { tenant, minuteMs } = r.outcome;
      const id = `${tenant ?? ''}|${minuteMs}|${r.record.shardId}`;
      let entry = cells.get(id);
      if (entry === undefined) {
        entry = { cell: new Cell(r.record.shardId, catalog), tenant, minuteMs };
        cells.set(id, entry);
      }
      entry.cell.records.push(r as Counted);
    }
    for (const { cell, tenant, minuteMs } of cells.values()) {
      cell.records.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      const tenants = tenant === undefined ? [FLEET_TENANT] : [tenant, FLEET_TENANT];
      for (const t of tenants) {
        // The finest item a cell reaches directly: the tenant's minute, or the fleet's minute for
        // records without a tenant. Coarser items reach it through their children.
        let child: FoldItem | undefined;
        if (t === FLEET_TENANT && tenant !== undefined) {
          child = this.itemFor(tenant, 'minute', minuteMs);
        }
        // Only minute items are written per batch; hours and days are rolled up from them once
        // their period closes (rollups.ts), which is what keeps write units per event low.
        const item = this.itemFor(t, 'minute', minuteMs);
        item.cells.push(cell);
        item.records += cell.records.length;
        if (child === undefined) item.own.push(cell);
        else item.children.add(child);
      }
    }
    const router = options.experiments;
    if (router !== undefined && !router.empty) this.foldExperiments(router, records);
  }

  /**
   * Experiment items: one per (scope, experiment, variant, UTC day), fed by their own cells per
   * shard, written and watermarked like any other item. Day items directly: an experiment is
   * read by the day, and one item per variant and day keeps the writes per batch few.
   */
  private foldExperiments(router: ExperimentRouter, records: readonly ClassifiedRecord[]): void {
    const cells = new Map<string, Cell>();
    for (const r of records) {
      if (r.outcome.kind !== 'accepted') continue;
      const routed = router.route(r.outcome.event, r.outcome.minuteMs);
      if (routed === undefined) continue;
      this.assignments[routed.outcome]++;
      const t = routed.target;
      if (t === undefined) continue;
      const dayMs = bucketStart(r.outcome.minuteMs, 'day');
      const experiment = { id: t.id, variant: t.variant };
      const id = `${foldKey(t.scope, 'day', dayMs, experiment)}|${r.record.shardId}`;
      let cell = cells.get(id);
      if (cell === undefined) {
        cell = new Cell(r.record.shardId, this.catalog, EXPERIMENT_SET_OPTIONS);
        cells.set(id, cell);
        const item = this.itemFor(t.scope, 'day', dayMs, experiment);
        item.cells.push(cell);
        item.own.push(cell);
      }
      cell.records.push(r as Counted);
      this.cellsByItem.get(foldKey(t.scope, 'day', dayMs, experiment))!.records++;
    }
    for (const cell of cells.values()) cell.records.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  }

  private itemFor(
    tenant: string,
    granularity: Granularity,
    bucketStartMs: number,
    experiment?: ExperimentCellKey,
  ): FoldItem {
    const key = foldKey(tenant, granularity, bucketStartMs, experiment);
    let item = this.cellsByItem.get(key);
    if (item === undefined) {
      const address: KpiItemAddress =
        experiment === undefined
          ? { tenant, granularity, bucketStartMs }
          : { tenant, granularity, bucketStartMs, experiment };
      // Refuses a tenant or bucket no item can have (InvalidKpiKeyError) before anything is written.
      kpiItemKey(address);
      item = { address, cells: [], children: new Set(), own: [], records: 0 };
      this.cellsByItem.set(key, item);
    }
    return item;
  }

  /** Every item the batch touches. */
  items(): KpiItemAddress[] {
    return [...this.cellsByItem.values()].map((i) => i.address);
  }

  /**
   * The merge of every cell of `item` (built once, from the children's roll-ups). A fresh set per
   * item, never one shared with another item or a cell, since a store may keep the set it wrote.
   */
  private rollup(item: FoldItem): KpiSet {
    if (item.rollup !== undefined) return item.rollup;
    let set: KpiSet | undefined;
    if (item.children.size === 0 && item.own.length === 1) {
      // A leaf fed by one cell: the cell's set is used by this item only (parents merge from it).
      set = item.own[0]!.fullSet();
    } else {
      set = new KpiSet(this.catalog, item.address.experiment === undefined ? {} : EXPERIMENT_SET_OPTIONS);
      for (const child of item.children) set.mergeFrom(this.rollup(child));
      for (const cell of item.own) set.mergeFrom(cell.fullSet());
    }
    item.rollup = set;
    return set;
  }

  private lowestOf(item: FoldItem): ReadonlyMap<string, string> {
    if (item.lowest !== undefined) return item.lowest;
    const lowest = new Map<string, bigint>();
    for (const cell of item.cells) {
      const prev = lowest.get(cell.shardId);
      if (prev === undefined || cell.minSeq < prev) lowest.set(cell.shardId, cell.minSeq);
    }
    item.lowest = new Map([...lowest].map(([s, q]) => [s, q.toString()]));
    return item.lowest;
  }

  /** Per shard, the lowest sequence number feeding `address` (empty when the batch does not touch it). */
  lowestSequences(address: KpiItemAddress): ReadonlyMap<string, string> {
    const item = this.cellsByItem.get(
      foldKey(address.tenant, address.granularity, address.bucketStartMs, address.experiment),
    );
    return item === undefined ? new Map() : this.lowestOf(item);
  }

  /**
   * The batch's contribution to `address` given the item's stored watermarks: only records with a
   * sequence number above the item's watermark for their shard. `undefined` when nothing is new.
   */
  delta(address: KpiItemAddress, watermarks: Watermarks): ItemDelta | undefined {
    const item = this.cellsByItem.get(
      foldKey(address.tenant, address.granularity, address.bucketStartMs, address.experiment),
    );
    if (item === undefined) return undefined;
    const marks = new Map<string, bigint>();
    const markOf = (shard: string): bigint => {
      let w = marks.get(shard);
      if (w === undefined) {
        const stored = watermarks[shard];
        w = stored === undefined ? -1n : parseSequenceNumber(stored);
        marks.set(shard, w);
      }
      return w;
    };
    // Nothing of the batch applied yet (the usual case): the whole roll-up is new.
    if (item.cells.every((cell) => markOf(cell.shardId) < cell.minSeq)) {
      return { set: this.rollup(item), lowestByShard: this.lowestOf(item), records: item.records };
    }
    let set: KpiSet | undefined;
    const lowest = new Map<string, bigint>();
    let count = 0;
    for (const cell of item.cells) {
      const w = markOf(cell.shardId);
      if (w >= cell.maxSeq) continue;
      const first = cell.firstAfter(w)!;
      const prev = lowest.get(cell.shardId);
      if (prev === undefined || first < prev) lowest.set(cell.shardId, first);
      count += cell.records.filter((r) => r.seq > w).length;
      const part = cell.setAfter(w);
      if (set === undefined) set = part.clone();
      else set.mergeFrom(part);
    }
    if (set === undefined) return undefined;
    return { set, lowestByShard: new Map([...lowest].map(([s, q]) => [s, q.toString()])), records: count };
  }

  /**
   * The watermarks an item holds after this batch is applied to it: per shard of the batch, the
   * highest sequence number of the batch (duplicates and records of other items included, since
   * all of them are settled for this item), never lower than what it held.
   */
  advance(watermarks: Watermarks): Record<string, string> {
    const out: Record<string, string> = { ...watermarks };
    for (const [shard, max] of this.maxByShard) {
      const stored = out[shard];
      if (stored === undefined || parseSequenceNumber(stored) < max) out[shard] = max.toString();
    }
    return out;
  }
}
