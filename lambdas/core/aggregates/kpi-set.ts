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
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DDSketch } from '@datadog/sketches-js';
import type { KpiCatalog, KpiCondition, KpiDefinition } from '../catalog';
import type { AgentEvent } from '../events/contract';
import type { RejectionReason } from '../events/decode';
import { AggregateDecodeError, ByteReader, ByteWriter } from './codec';
import { HyperLogLog } from './hyperloglog';

/** Relative accuracy of quantile sketches (1%, from the contract). */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;
/** Most groups kept per grouped KPI; more fold into `<kpi>:_other` so an item stays bounded. */
export const MAX_GROUPS_PER_KPI = 16;
/** The group that collects groups beyond {@link MAX_GROUPS_PER_KPI}. */
export const OTHER_GROUP = '_other';
/**
 * Upper bound of {@link KpiSet.serialize} for the built-in catalog (tested with every state at
 * its worst): leaves room under DynamoDB's 400 KB item limit for keys and attributes. Each custom
 * distinct KPI can add up to 16 KiB, each custom quantile KPI a few KiB.
 */
export const MAX_SERIALIZED_BYTES = 200_000;
/** Bodies above this are deflated; below, zlib's overhead is not worth it. */
const COMPRESS_ABOVE = 512;
const FORMAT_VERSION = 1;

/** One KPI's value in a bucket. */
export interface KpiValue {
  /** KPI name, or `name:key` for sub-keyed KPIs (`feature_adoption:search`, `rejected_events:schema`). */
  readonly kpi: string;
  /** The headline value; `null` when empty (a rate whose denominator is 0). */
  readonly value: number | null;
  /** Events that contributed (the denominator for rates). */
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
}

type CountState = { k: 0; n: number };
type SumState = { k: 1; n: number; sum: number };
type RateState = { k: 2; n: number; hits: number };
type QuantileState = { k: 3; n: number; sum: number; sketch: DDSketch };
type DistinctState = { k: 4; n: number; hll: HyperLogLog };
type NpsState = { k: 5; n: number; promoters: number; detractors: number };
type ConfusionState = { k: 6; tp: number; fp: number; fn: number; tn: number };
type State = CountState | SumState | RateState | QuantileState | DistinctState | NpsState | ConfusionState;

type Data = Readonly<Record<string, unknown>>;
type Pred = (d: Data) => boolean;
type Observer = (set: KpiSet, d: Data) => void;

function compileCondition(c: KpiCondition): Pred {
  const f = c.field;
  const v = c.value;
  switch (c.op) {
    case 'eq':
      return (d) => d[f] === v;
    case 'ne':
      return (d) => d[f] !== undefined && d[f] !== v;
    case 'present':
      return (d) => d[f] !== undefined;
    case 'gt':
      return (d) => typeof d[f] === 'number' && (d[f] as number) > (v as number);
    case 'gte':
      return (d) => typeof d[f] === 'number' && (d[f] as number) >= (v as number);
    case 'lt':
      return (d) => typeof d[f] === 'number' && (d[f] as number) < (v as number);
    case 'lte':
      return (d) => typeof d[f] === 'number' && (d[f] as number) <= (v as number);
  }
}

function compileAll(conds: readonly KpiCondition[] | undefined): Pred {
  if (conds === undefined || conds.length === 0) return () => true;
  const preds = conds.map(compileCondition);
  if (preds.length === 1) return preds[0]!;
  return (d) => preds.every((p) => p(d));
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** The state kind each measure keeps (undefined: derived at read time, or fed another way). */
function stateKind(def: KpiDefinition): State['k'] | undefined {
  switch (def.measure.kind) {
    case 'count':
    case 'rejections':
      return 0;
    case 'sum':
    case 'mean':
      return 1;
    case 'rate':
      return 2;
    case 'quantiles':
      return 3;
    case 'distinct':
      return 4;
    case 'nps':
      return 5;
    case 'confusion':
      return 6;
    case 'conversion':
      return undefined;
  }
}

/** Turns a KPI definition into the function that feeds it from one event's data. */
function compileObserver(def: KpiDefinition, slot: number): Observer | undefined {
  const name = def.name;
  const m = def.measure;
  switch (m.kind) {
    case 'count': {
      const where = compileAll(m.where);
      return (s, d) => {
        if (where(d)) s.slotCount(slot).n++;
      };
    }
    case 'sum':
    case 'mean': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (isNumber(v) && where(d)) {
          const st = s.slotSum(slot);
          st.n++;
          st.sum += v;
        }
      };
    }
    case 'rate': {
      const where = compileAll(m.where);
      const hit = compileAll(m.hit);
      return (s, d) => {
        if (!where(d)) return;
        const st = s.slotRate(slot);
        st.n++;
        if (hit(d)) st.hits++;
      };
    }
    case 'quantiles': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (isNumber(v) && where(d)) s.slotQuantile(slot, v);
      };
    }
    case 'distinct': {
      const where = compileAll(m.where);
      const f = m.field;
      const g = m.groupBy;
      return (s, d) => {
        const v = d[f];
        if ((typeof v !== 'string' && !isNumber(v)) || !where(d)) return;
        let key = name;
        if (g !== undefined) {
          const group = d[g];
          if (typeof group !== 'string' && !isNumber(group)) return;
          key = `${name}:${String(group)}`;
        }
        const st = s.stateDistinct(key, name);
        st.n++;
        st.hll.add(v);
      };
    }
    case 'nps': {
      const where = compileAll(m.where);
      const f = m.field;
      return (s, d) => {
        const v = d[f];
        if (!isNumber(v) || !where(d)) return;
        const st = s.slotNps(slot);
        st.n++;
        if (v >= 9) st.promoters++;
        else if (v <= 6) st.detractors++;
      };
    }
    case 'confusion': {
      const { predicted, actual } = m;
      return (s, d) => {
        const p = d[predicted];
        const a = d[actual];
        if (typeof p !== 'boolean' || typeof a !== 'boolean') return;
        const st = s.slotConfusion(slot);
        if (p && a) st.tp++;
        else if (p) st.fp++;
        else if (a) st.fn++;
        else st.tn++;
      };
    }
    case 'conversion':
    case 'rejections':
      return undefined;
  }
}

interface Plan {
  readonly observers: ReadonlyMap<string, readonly Observer[]>;
  readonly rejectionKpis: readonly string[];
  /** Base KPI name -> index of its state in {@link StateTable.slots}. */
  readonly slotOf: ReadonlyMap<string, number>;
  readonly names: readonly string[];
}

/** One compiled plan per catalog: observing an event is then a map lookup and a few closures. */
const PLANS = new WeakMap<KpiCatalog, Plan>();

function planFor(catalog: KpiCatalog): Plan {
  let plan = PLANS.get(catalog);
  if (plan === undefined) {
    const observers = new Map<string, Observer[]>();
    const rejectionKpis: string[] = [];
    const names = catalog.all().map((d) => d.name);
    const slotOf = new Map(names.map((n, i) => [n, i]));
    for (const def of catalog.all()) {
      if (def.measure.kind === 'rejections') rejectionKpis.push(def.name);
      const obs = compileObserver(def, slotOf.get(def.name)!);
      if (obs === undefined) continue;
      const list = observers.get(def.eventType) ?? [];
      list.push(obs);
      observers.set(def.eventType, list);
    }
    plan = { observers, rejectionKpis, slotOf, names };
    PLANS.set(catalog, plan);
  }
  return plan;
}

/**
 * The states of one set: base KPIs in an array indexed by catalog position (the hot path does
 * no string hashing), sub-keyed states (`name:key`) in a map.
 */
class StateTable {
  readonly slots: Array<State | undefined>;
  private readonly subs = new Map<string, State>();
  size = 0;

  constructor(private readonly plan: Plan) {
    this.slots = new Array<State | undefined>(plan.names.length);
  }

  get(key: string): State | undefined {
    const i = this.plan.slotOf.get(key);
    return i === undefined ? this.subs.get(key) : this.slots[i];
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, st: State): void {
    const i = this.plan.slotOf.get(key);
    if (i === undefined) {
      if (!this.subs.has(key)) this.size++;
      this.subs.set(key, st);
    } else {
      if (this.slots[i] === undefined) this.size++;
      this.slots[i] = st;
    }
  }

  *entries(): IterableIterator<[string, State]> {
    for (let i = 0; i < this.slots.length; i++) {
      const st = this.slots[i];
      if (st !== undefined) yield [this.plan.names[i]!, st];
    }
    yield* this.subs;
  }

  keys(): string[] {
    return [...this.entries()].map(([k]) => k);
  }

  subKeys(): IterableIterator<string> {
    return this.subs.keys();
  }
}

function baseName(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

function newSketch(): DDSketch {
  return new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
}

/**
 * Sketch bins as (key delta, count) varint pairs. The package's own `toProto` writes every count
 * as a double and needs protobufjs at run time; this form is 2-3 bytes per used bin and only
 * uses the sketch's public store API, so the bins (and quantiles) come back exactly.
 */
function writeBins(w: ByteWriter, store: DDSketch['store']): void {
  const bins: [number, number][] = [];
  for (let i = 0; i < store.bins.length; i++) {
    const c = store.bins[i]!;
    if (c > 0) bins.push([i + store.offset, c]);
  }
  w.varint(bins.length);
  let prev = 0;
  for (const [key, c] of bins) {
    const delta = key - prev;
    w.varint(delta >= 0 ? delta * 2 : -delta * 2 - 1);
    w.varint(c);
    prev = key;
  }
}

function readBins(r: ByteReader, store: DDSketch['store']): void {
  const n = r.varint();
  let key = 0;
  for (let i = 0; i < n; i++) {
    const z = r.varint();
    key += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    const c = r.varint();
    if (c === 0 || Math.abs(key) > 100_000) throw new AggregateDecodeError('sketch bin out of range');
    store.add(key, c);
  }
}

function writeSketch(w: ByteWriter, sketch: DDSketch): void {
  w.varint(sketch.zeroCount);
  writeBins(w, sketch.store);
  writeBins(w, sketch.negativeStore);
}

function readSketch(r: ByteReader): DDSketch {
  const sketch = newSketch();
  sketch.zeroCount = r.varint();
  readBins(r, sketch.store);
  readBins(r, sketch.negativeStore);
  sketch.count = sketch.zeroCount + sketch.store.count + sketch.negativeStore.count;
  return sketch;
}

function cloneState(st: State): State {
  switch (st.k) {
    case 3: {
      const sketch = newSketch();
      sketch.merge(st.sketch);
      return { k: 3, n: st.n, sum: st.sum, sketch };
    }
    case 4:
      return { k: 4, n: st.n, hll: st.hll.clone() };
    default:
      return { ...st };
  }
}

/** Adds `src` into `dst` (same kind). */
function mergeState(dst: State, src: State): void {
  switch (dst.k) {
    case 0:
      dst.n += (src as CountState).n;
      return;
    case 1:
      dst.n += (src as SumState).n;
      dst.sum += (src as SumState).sum;
      return;
    case 2:
      dst.n += (src as RateState).n;
      dst.hits += (src as RateState).hits;
      return;
    case 3:
      dst.n += (src as QuantileState).n;
      dst.sum += (src as QuantileState).sum;
      dst.sketch.merge((src as QuantileState).sketch);
      return;
    case 4:
      dst.n += (src as DistinctState).n;
      dst.hll.merge((src as DistinctState).hll);
      return;
    case 5: {
      const s = src as NpsState;
      dst.n += s.n;
      dst.promoters += s.promoters;
      dst.detractors += s.detractors;
      return;
    }
    case 6: {
      const s = src as ConfusionState;
      dst.tp += s.tp;
      dst.fp += s.fp;
      dst.fn += s.fn;
      dst.tn += s.tn;
      return;
    }
  }
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** All KPI states for one (tenant, bucket). */
export class KpiSet {
  private readonly states: StateTable;
  /** Groups per grouped KPI, to enforce {@link MAX_GROUPS_PER_KPI}. */
  private readonly groups = new Map<string, number>();
  private readonly plan: Plan;
  private events = 0;

  constructor(private readonly catalog: KpiCatalog) {
    this.plan = planFor(catalog);
    this.states = new StateTable(this.plan);
  }

  /** Feeds every KPI of the event's type. Events of types the catalog does not know are counted only. */
  observe(event: AgentEvent): void {
    this.events++;
    const obs = this.plan.observers.get(event.type);
    if (obs === undefined) return;
    const d = event.data as Data;
    for (let i = 0; i < obs.length; i++) obs[i]!(this, d);
  }

  /** Counts a rejected record in `rejected_events` and `rejected_events:<reason>`. */
  observeRejection(reason: RejectionReason): void {
    for (const name of this.plan.rejectionKpis) {
      this.stateCount(name).n++;
      this.stateCount(`${name}:${reason}`).n++;
    }
  }

  /** @internal Slot accessors for the compiled observers (no string keys on the hot path). */
  slotCount(slot: number): CountState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 0, n: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as CountState;
  }

  /** @internal */
  slotSum(slot: number): SumState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 1, n: 0, sum: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as SumState;
  }

  /** @internal */
  slotRate(slot: number): RateState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 2, n: 0, hits: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as RateState;
  }

  /** @internal */
  slotQuantile(slot: number, value: number): void {
    let st = this.states.slots[slot] as QuantileState | undefined;
    if (st === undefined) {
      st = { k: 3, n: 0, sum: 0, sketch: newSketch() };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    st.n++;
    st.sum += value;
    st.sketch.accept(value);
  }

  /** @internal */
  slotNps(slot: number): NpsState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 5, n: 0, promoters: 0, detractors: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as NpsState;
  }

  /** @internal */
  slotConfusion(slot: number): ConfusionState {
    let st = this.states.slots[slot];
    if (st === undefined) {
      st = { k: 6, tp: 0, fp: 0, fn: 0, tn: 0 };
      this.states.slots[slot] = st;
      this.states.size++;
    }
    return st as ConfusionState;
  }

  /** @internal state accessors by key (sub-keyed states, rejections). */
  stateCount(key: string): CountState {
    let st = this.states.get(key);
    if (st === undefined) {
      st = { k: 0, n: 0 };
      this.states.set(key, st);
    }
    return st as CountState;
  }

  /** @internal The distinct state under `key`, folding new groups beyond the cap into `_other`. */
  stateDistinct(key: string, base: string): DistinctState {
    const st = this.states.get(key);
    if (st === undefined) {
      if (key !== base) {
        const groups = this.groups.get(base) ?? 0;
        if (groups >= MAX_GROUPS_PER_KPI) {
          const other = `${base}:${OTHER_GROUP}`;
          return key === other ? this.newDistinct(other) : this.stateDistinct(other, base);
        }
        this.groups.set(base, groups + 1);
      }
      return this.newDistinct(key);
    }
    return st as DistinctState;
  }

  private newDistinct(key: string): DistinctState {
    let st = this.states.get(key) as DistinctState | undefined;
    if (st === undefined) {
      st = { k: 4, n: 0, hll: new HyperLogLog() };
      this.states.set(key, st);
    }
    return st;
  }

  /** Adds `other` into this set. Commutative and associative (sums up to float rounding). */
  mergeFrom(other: KpiSet): void {
    this.events += other.events;
    for (const [key, src] of other.states.entries()) {
      let target = key;
      if (src.k === 4 && key.includes(':') && !this.states.has(key)) {
        // Route through the cap so merged sets stay bounded too.
        target = this.groupKeyFor(key);
      }
      const dst = this.states.get(target);
      if (dst === undefined) this.states.set(target, cloneState(src));
      else if (dst.k === src.k) mergeState(dst, src);
    }
  }

  private groupKeyFor(key: string): string {
    const base = baseName(key);
    const groups = this.groups.get(base) ?? 0;
    if (key === `${base}:${OTHER_GROUP}`) return key;
    if (groups >= MAX_GROUPS_PER_KPI) return `${base}:${OTHER_GROUP}`;
    this.groups.set(base, groups + 1);
    return key;
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
    for (const key of this.states.subKeys()) {
      const i = key.indexOf(':');
      if (i < 0) continue;
      const base = key.slice(0, i);
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
      const subs = subKeys.get(def.name);
      if (subs === undefined) continue;
      subs.sort();
      for (const key of subs) {
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
    if (st === undefined || st.k !== 3 || st.n === 0 || !(q >= 0 && q <= 1)) return undefined;
    return st.sketch.getValueAtQuantile(q);
  }

  private conversionValue(name: string, from: string, to: string): KpiValue | undefined {
    const f = this.states.get(from) as CountState | undefined;
    const t = this.states.get(to) as CountState | undefined;
    if (f === undefined && t === undefined) return undefined;
    const fn = f?.n ?? 0;
    return { kpi: name, value: ratio(t?.n ?? 0, fn), count: fn };
  }

  private valueOfKey(def: KpiDefinition, key: string): KpiValue | undefined {
    const st = this.states.get(key);
    if (st === undefined) return undefined;
    switch (st.k) {
      case 0:
        return { kpi: key, value: st.n, count: st.n };
      case 1:
        return { kpi: key, value: def.measure.kind === 'mean' ? ratio(st.sum, st.n) : st.sum, count: st.n };
      case 2:
        return { kpi: key, value: ratio(st.hits, st.n), count: st.n };
      case 3:
        return {
          kpi: key,
          value: ratio(st.sum, st.n),
          count: st.n,
          p50: st.sketch.getValueAtQuantile(0.5),
          p95: st.sketch.getValueAtQuantile(0.95),
          p99: st.sketch.getValueAtQuantile(0.99),
        };
      case 4:
        return { kpi: key, value: Math.round(st.hll.estimate()), count: st.n };
      case 5:
        return { kpi: key, value: st.n === 0 ? null : (100 * (st.promoters - st.detractors)) / st.n, count: st.n };
      case 6: {
        const m = def.measure.kind === 'confusion' ? def.measure.metric : 'accuracy';
        if (m === 'precision') return { kpi: key, value: ratio(st.tp, st.tp + st.fp), count: st.tp + st.fp };
        if (m === 'recall') return { kpi: key, value: ratio(st.tp, st.tp + st.fn), count: st.tp + st.fn };
        const total = st.tp + st.fp + st.fn + st.tn;
        return { kpi: key, value: ratio(st.tp + st.tn, total), count: total };
      }
    }
  }

  /** A deep copy. */
  clone(): KpiSet {
    const c = new KpiSet(this.catalog);
    c.mergeFrom(this);
    return c;
  }

  /**
   * Compact binary form: a version byte, a flags byte (bit 0: deflated), then the event count
   * and each state (key, kind, payload; sketches in DDSketch protobuf form). States are written
   * in key order so equal sets serialize to equal bytes.
   */
  serialize(): Uint8Array {
    const w = new ByteWriter();
    w.varint(this.events);
    const keys = this.states.keys().sort();
    w.varint(keys.length);
    for (const key of keys) {
      const st = this.states.get(key)!;
      w.string(key);
      w.byte(st.k);
      switch (st.k) {
        case 0:
          w.varint(st.n);
          break;
        case 1:
          w.varint(st.n);
          w.f64(st.sum);
          break;
        case 2:
          w.varint(st.n);
          w.varint(st.hits);
          break;
        case 3:
          w.varint(st.n);
          w.f64(st.sum);
          writeSketch(w, st.sketch);
          break;
        case 4:
          w.varint(st.n);
          st.hll.write(w);
          break;
        case 5:
          w.varint(st.n);
          w.varint(st.promoters);
          w.varint(st.detractors);
          break;
        case 6:
          w.varint(st.tp);
          w.varint(st.fp);
          w.varint(st.fn);
          w.varint(st.tn);
          break;
      }
    }
    const body = w.finish();
    const compress = body.length > COMPRESS_ABOVE;
    const payload = compress ? deflateRawSync(body) : body;
    const out = new Uint8Array(payload.length + 2);
    out[0] = FORMAT_VERSION;
    out[1] = compress ? 1 : 0;
    out.set(payload, 2);
    return out;
  }

  /**
   * Reads {@link serialize}'s output. States of KPIs the catalog no longer has (a removed custom
   * KPI) or whose kind changed are dropped: they could not be valued.
   * @throws AggregateDecodeError when the bytes are not a serialized KpiSet
   */
  static deserialize(bytes: Uint8Array, catalog: KpiCatalog): KpiSet {
    if (bytes.length < 2) throw new AggregateDecodeError('too short');
    if (bytes[0] !== FORMAT_VERSION) throw new AggregateDecodeError(`unknown format version ${bytes[0]}`);
    let body = bytes.subarray(2);
    if (bytes[1] === 1) {
      try {
        body = inflateRawSync(body, { maxOutputLength: 8 * 1024 * 1024 });
      } catch (err) {
        throw new AggregateDecodeError(`bad compressed body (${err instanceof Error ? err.message : String(err)})`);
      }
    } else if (bytes[1] !== 0) throw new AggregateDecodeError(`unknown flags ${bytes[1]}`);
    const r = new ByteReader(body);
    const set = new KpiSet(catalog);
    set.events = r.varint();
    const n = r.varint();
    for (let i = 0; i < n; i++) {
      const key = r.string();
      const k = r.byte();
      let st: State;
      switch (k) {
        case 0:
          st = { k, n: r.varint() };
          break;
        case 1:
          st = { k, n: r.varint(), sum: r.f64() };
          break;
        case 2:
          st = { k, n: r.varint(), hits: r.varint() };
          break;
        case 3: {
          const cnt = r.varint();
          const sum = r.f64();
          st = { k, n: cnt, sum, sketch: readSketch(r) };
          break;
        }
        case 4:
          st = { k, n: r.varint(), hll: HyperLogLog.read(r) };
          break;
        case 5:
          st = { k, n: r.varint(), promoters: r.varint(), detractors: r.varint() };
          break;
        case 6:
          st = { k, tp: r.varint(), fp: r.varint(), fn: r.varint(), tn: r.varint() };
          break;
        default:
          throw new AggregateDecodeError(`unknown state kind ${k} for ${key}`);
      }
      const def = catalog.get(baseName(key));
      if (def === undefined || stateKind(def) !== st.k) continue;
      if (key.includes(':') && st.k === 4 && !key.endsWith(`:${OTHER_GROUP}`)) {
        set.groups.set(def.name, (set.groups.get(def.name) ?? 0) + 1);
      }
      set.states.set(key, st);
    }
    if (!r.done()) throw new AggregateDecodeError('trailing bytes');
    return set;
  }
}
