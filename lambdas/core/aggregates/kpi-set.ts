/**
 * KpiSet: every KPI state of ONE (tenant, bucket), the unit stored as one DynamoDB item.
 *
 * States are mergeable (counts and sums add, sketches merge), so an hour is the merge of its
 * minutes and a fleet bucket the merge of its tenants, whatever the order or grouping.
 *
 * Size bound: {@link MAX_SERIALIZED_BYTES}. What can grow: quantile sketches (bounded by the
 * value range at 1% accuracy: ~1,000 bins from 1 ms to a day), distinct sketches (at most 16 KiB
 * each when dense) and grouped distinct counts (`feature_adoption:<feature>`), which are capped
 * at {@link MAX_GROUPS_PER_KPI} groups per KPI with the rest folded into `<kpi>:_other`.
 *
 * The parts: the observer compiler (observers.ts), the state kinds and their operations table
 * (state-kinds.ts), the quantile sketches (sketch-store.ts), the state table (state-table.ts)
 * and the frozen binary form (kpi-set-codec.ts).
 */
import type { KpiCatalog, KpiDefinition } from '../catalog';
import type { AgentEvent } from '../events/contract';
import type { RejectionReason } from '../events/decode';
import { decodeStates, encodeStates } from './kpi-set-codec';
import { type Plan, planFor } from './observers';
import { combine, opsOf, type State, StateKind } from './state-kinds';
import { baseName, StateTable } from './state-table';
import type { KpiMoments, KpiSetOptions, KpiValue } from './types';

export { QUANTILE_RELATIVE_ACCURACY } from './sketch-store';
export { MAX_GROUPS_PER_KPI, OTHER_GROUP } from './state-table';
export type { KpiMoments, KpiSetOptions, KpiValue } from './types';

/**
 * Upper bound of {@link KpiSet.serialize} for the built-in catalog (tested with every state at
 * its worst): leaves room under DynamoDB's 400 KB item limit for keys and attributes. Each custom
 * distinct KPI can add up to 16 KiB, each custom quantile KPI a few KiB.
 */
export const MAX_SERIALIZED_BYTES = 200_000;

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** All KPI states for one (tenant, bucket). */
export class KpiSet {
  private readonly states: StateTable;
  private readonly plan: Plan;
  private events = 0;

  /**
   * An empty set.
   * @param options `secondMoments: true` makes mean KPIs keep a sum of squares (see {@link moments});
   *   `exactValues: true` makes quantile KPIs keep their values while few (see {@link exactValues}).
   */
  constructor(
    private readonly catalog: KpiCatalog,
    options: KpiSetOptions = {},
  ) {
    this.plan = planFor(catalog);
    this.states = new StateTable(this.plan, options.secondMoments ?? false, options.exactValues ?? false);
  }

  /**
   * Whether new mean states keep a sum of squares: set by the option, by reading bytes that hold
   * such states, or by merging in a set that has it.
   */
  get secondMoments(): boolean {
    return this.states.secondMoments;
  }

  /** Feeds every KPI of the event's type. Events of types the catalog does not know are counted only. */
  observe(event: AgentEvent): void {
    this.events++;
    const obs = this.plan.observers.get(event.type);
    if (obs === undefined) return;
    const d = event.data as Readonly<Record<string, unknown>>;
    for (let i = 0; i < obs.length; i++) obs[i]!(this.states, d);
  }

  /** Counts a rejected record in `rejected_events` and `rejected_events:<reason>`. */
  observeRejection(reason: RejectionReason): void {
    for (const name of this.plan.rejectionKpis) {
      this.states.keyed(name, StateKind.Count).n++;
      this.states.keyed(`${name}:${reason}`, StateKind.Count).n++;
    }
  }

  /** Adds `other` into this set. Commutative and associative (sums up to float rounding). */
  mergeFrom(other: KpiSet): void {
    this.events += other.events;
    if (other.states.secondMoments) this.states.secondMoments = true;
    if (other.states.exactValues) this.states.exactValues = true;
    if (other.plan === this.plan) {
      // Same catalog: base KPIs line up slot by slot, no key lookups.
      const srcSlots = other.states.slots;
      for (let i = 0; i < srcSlots.length; i++) {
        const src = srcSlots[i];
        if (src !== undefined) this.mergeSlot(i, src);
      }
      for (const [key, src] of other.states.subEntries()) this.mergeKey(key, src);
      return;
    }
    for (const [key, src] of other.states.entries()) this.mergeKey(key, src);
  }

  private mergeSlot(i: number, src: State): void {
    const dst = this.states.slots[i];
    const merged = dst === undefined ? opsOf(src.k).clone(src) : combine(dst, src);
    if (merged !== undefined && merged !== dst) this.states.setSlot(i, merged);
  }

  private mergeKey(key: string, src: State): void {
    let target = key;
    if (src.k === StateKind.Distinct && key.includes(':') && this.states.get(key) === undefined) {
      // Route through the cap so merged sets stay bounded too.
      target = this.states.groupKeyFor(key);
    }
    const dst = this.states.get(target);
    const merged = dst === undefined ? opsOf(src.k).clone(src) : combine(dst, src);
    if (merged !== undefined && merged !== dst) this.states.set(target, merged);
  }

  /** Whether nothing was observed (no events, no rejections). */
  isEmpty(): boolean {
    return this.events === 0 && this.states.size === 0;
  }

  /** Accepted events observed (rejections not included). */
  eventCount(): number {
    return this.events;
  }

  /** Every KPI with data, in catalog order; sub-keys of one KPI sorted by key. */
  values(): KpiValue[] {
    const out: KpiValue[] = [];
    const subKeys = new Map<string, string[]>();
    for (const key of this.states.subEntries().keys()) {
      const base = baseName(key);
      const l = subKeys.get(base) ?? [];
      l.push(key);
      subKeys.set(base, l);
    }
    for (const def of this.catalog.all()) {
      if (def.measure.kind === 'conversion') {
        const v = this.conversionValue(def.name, def.measure.from, def.measure.to);
        if (v !== undefined) out.push(v);
        continue;
      }
      const own = this.valueOfKey(def, def.name);
      if (own !== undefined) out.push(own);
      for (const key of subKeys.get(def.name)?.sort() ?? []) {
        const v = this.valueOfKey(def, key);
        if (v !== undefined) out.push(v);
      }
    }
    return out;
  }

  /** The value of one KPI (`name` or `name:key`), or undefined when it has no data. */
  value(kpi: string): KpiValue | undefined {
    const def = this.catalog.get(baseName(kpi));
    if (def === undefined) return undefined;
    if (def.measure.kind === 'conversion') {
      return kpi === def.name ? this.conversionValue(def.name, def.measure.from, def.measure.to) : undefined;
    }
    return this.valueOfKey(def, kpi);
  }

  /** Any quantile `q` in [0, 1] (e.g. 0.999) of a quantile KPI; undefined when it has no data. */
  quantile(kpi: string, q: number): number | undefined {
    const st = this.states.get(kpi);
    if (st === undefined || (st.k !== StateKind.Quantile && st.k !== StateKind.QuantileValues)) return undefined;
    if (st.n === 0 || !(q >= 0 && q <= 1)) return undefined;
    return st.sketch.getValueAtQuantile(q);
  }

  /**
   * Every value a quantile KPI observed, in no particular order, or undefined when it has no data
   * or its values are not all known: a set without {@link KpiSetOptions.exactValues}, merged with
   * one, or read from an item that held more than EXACT_VALUES_CAP values.
   */
  exactValues(kpi: string): readonly number[] | undefined {
    const st = this.states.get(kpi);
    if (st === undefined || st.k !== StateKind.QuantileValues || st.values === null || st.n === 0) return undefined;
    return st.values;
  }

  /**
   * n, sum and sum of squares of a mean KPI, or undefined when it has no data or its state has no
   * sum of squares (a set without {@link KpiSetOptions.secondMoments}, or merged with one).
   */
  moments(kpi: string): KpiMoments | undefined {
    const st = this.states.get(kpi);
    if (st === undefined || st.k !== StateKind.MeanMoments) return undefined;
    return { n: st.n, sum: st.sum, sumOfSquares: st.sumsq };
  }

  private conversionValue(name: string, from: string, to: string): KpiValue | undefined {
    const f = this.states.get(from);
    const t = this.states.get(to);
    if (f === undefined && t === undefined) return undefined;
    const fn = f?.k === StateKind.Count ? f.n : 0;
    return { kpi: name, value: ratio(t?.k === StateKind.Count ? t.n : 0, fn), count: fn };
  }

  private valueOfKey(def: KpiDefinition, key: string): KpiValue | undefined {
    const st = this.states.get(key);
    return st === undefined ? undefined : opsOf(st.k).value(st, key, def);
  }

  /** A deep copy. */
  clone(): KpiSet {
    const c = new KpiSet(this.catalog);
    c.mergeFrom(this);
    return c;
  }

  /**
   * Compact binary form (see kpi-set-codec.ts): format 4 when a quantile state holds values,
   * format 3 when a state has a sum of squares, else format 2. Equal sets serialize to equal bytes.
   * Value lists over EXACT_VALUES_CAP are written as absent.
   */
  serialize(): Uint8Array {
    return encodeStates(this.states, this.events);
  }

  /**
   * Reads {@link serialize}'s output, of any format version written so far. States of KPIs the
   * catalog no longer has (a removed custom KPI) or whose kind changed are dropped. A set read
   * from format 3 keeps second moments for new mean states too, one from format 4 values for new
   * quantile states.
   * @throws AggregateDecodeError when the bytes are not a serialized KpiSet
   */
  static deserialize(bytes: Uint8Array, catalog: KpiCatalog): KpiSet {
    const set = new KpiSet(catalog);
    set.events = decodeStates(bytes, set.states);
    return set;
  }
}
