/**
 * The kinds of KPI state and, in one table, what each kind does: create, clone, merge, write,
 * read and value. A measure's kind comes from {@link stateKindOf}; everything else looks up
 * {@link STATE_OPS} instead of switching on the kind.
 */
import type { DDSketch } from '@datadog/sketches-js';
import type { KpiDefinition } from '../catalog';
import { AggregateDecodeError, type ByteReader, type ByteWriter } from './codec';
import { HyperLogLog } from './hyperloglog';
import { cloneSketch, mergeSketch, newSketch, readSketch, writeSketch } from './sketch-store';
import type { KpiValue } from './types';
import { readValueList, writeValueList } from './value-list';

/**
 * The state kinds. FROZEN: each number is the kind byte in stored items, so a number is never
 * reused or changed; a new kind takes the next number and the format version that introduces it
 * (see {@link StateOps.since}).
 */
export const StateKind = {
  /** Events counted. */
  Count: 0,
  /** n and sum (sum and mean KPIs). */
  Sum: 1,
  /** n and hits. */
  Rate: 2,
  /** n, sum and a quantile sketch. */
  Quantile: 3,
  /** n and a HyperLogLog. */
  Distinct: 4,
  /** n, promoters and detractors. */
  Nps: 5,
  /** A confusion matrix. */
  Confusion: 6,
  /** n, sum and sum of squares (mean KPIs of sets that keep second moments; format 3). */
  MeanMoments: 7,
  /** A quantile state plus the values themselves while few (quantile KPIs of sets that keep exact values; format 4). */
  QuantileValues: 8,
} as const;

/** One of {@link StateKind}'s values. */
export type StateKind = (typeof StateKind)[keyof typeof StateKind];

/** Events counted. */
export type CountState = { k: typeof StateKind.Count; n: number };
/** A sum (or the parts of a mean). */
export type SumState = { k: typeof StateKind.Sum; n: number; sum: number };
/** Hits out of n. */
export type RateState = { k: typeof StateKind.Rate; n: number; hits: number };
/** Values in a sketch, with their count and sum (the mean). */
export type QuantileState = { k: typeof StateKind.Quantile; n: number; sum: number; sketch: DDSketch };
/** Distinct values (estimated), with the observations behind them. */
export type DistinctState = { k: typeof StateKind.Distinct; n: number; hll: HyperLogLog };
/** NPS answers by class. */
export type NpsState = { k: typeof StateKind.Nps; n: number; promoters: number; detractors: number };
/** Predicted vs actual booleans. */
export type ConfusionState = { k: typeof StateKind.Confusion; tp: number; fp: number; fn: number; tn: number };
/** A mean's parts plus the sum of squares. */
export type MomentsState = { k: typeof StateKind.MeanMoments; n: number; sum: number; sumsq: number };
/**
 * A quantile state that also holds its values: all n of them, or null once they are not all
 * known (a merge with a state without values, or a stored list over the cap).
 */
export type QuantileValuesState = {
  k: typeof StateKind.QuantileValues;
  n: number;
  sum: number;
  sketch: DDSketch;
  values: number[] | null;
};
/** Any KPI state. */
export type State =
  | CountState
  | SumState
  | RateState
  | QuantileState
  | DistinctState
  | NpsState
  | ConfusionState
  | MomentsState
  | QuantileValuesState;
/** The state type of kind `K`. */
export type StateOf<K extends StateKind> = Extract<State, { k: K }>;

/** What a state kind does. */
export interface StateOps<S extends State> {
  /** The first format version whose bytes may hold this kind. */
  readonly since: number;
  /** An empty state. */
  create(): S;
  /** A deep copy. */
  clone(st: S): S;
  /** Adds `src` into `dst`. */
  merge(dst: S, src: S): void;
  /** Writes the payload (the kind byte is written by the caller). */
  write(w: ByteWriter, st: S): void;
  /** Reads {@link write}'s payload. */
  read(r: ByteReader): S;
  /** The value of the KPI `key` (defined by `def`) from this state. */
  value(st: S, key: string, def: KpiDefinition): KpiValue;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** What both quantile kinds hold. */
type QuantileParts = { n: number; sum: number; sketch: DDSketch };

function mergeQuantileParts(dst: QuantileParts, src: QuantileParts): void {
  dst.n += src.n;
  dst.sum += src.sum;
  mergeSketch(dst.sketch, src.sketch);
}

function writeQuantileParts(w: ByteWriter, st: QuantileParts): void {
  w.varint(st.n);
  w.f64(st.sum);
  writeSketch(w, st.sketch);
}

function readQuantileParts(r: ByteReader): QuantileParts {
  const n = r.varint();
  const sum = r.f64();
  return { n, sum, sketch: readSketch(r) };
}

const quantileValue = (st: QuantileState | QuantileValuesState, key: string): KpiValue => ({
  kpi: key,
  value: ratio(st.sum, st.n),
  count: st.n,
  p50: st.sketch.getValueAtQuantile(0.5),
  p95: st.sketch.getValueAtQuantile(0.95),
  p99: st.sketch.getValueAtQuantile(0.99),
});

const sumValue = (st: SumState | MomentsState, key: string, def: KpiDefinition): KpiValue => ({
  kpi: key,
  value: def.measure.kind === 'mean' ? ratio(st.sum, st.n) : st.sum,
  count: st.n,
});

function confusionValue(st: ConfusionState, key: string, def: KpiDefinition): KpiValue {
  const m = def.measure.kind === 'confusion' ? def.measure.metric : 'accuracy';
  if (m === 'precision') return { kpi: key, value: ratio(st.tp, st.tp + st.fp), count: st.tp + st.fp };
  if (m === 'recall') return { kpi: key, value: ratio(st.tp, st.tp + st.fn), count: st.tp + st.fn };
  const total = st.tp + st.fp + st.fn + st.tn;
  return { kpi: key, value: ratio(st.tp + st.tn, total), count: total };
}

/** The operations of every state kind (a declarative table). */
export const STATE_OPS: { readonly [K in StateKind]: StateOps<StateOf<K>> } = {
  [StateKind.Count]: {
    since: 1,
    create: () => ({ k: StateKind.Count, n: 0 }),
    clone: (st) => ({ ...st }),
    merge: (dst, src) => {
      dst.n += src.n;
    },
    write: (w, st) => w.varint(st.n),
    read: (r) => ({ k: StateKind.Count, n: r.varint() }),
    value: (st, key) => ({ kpi: key, value: st.n, count: st.n }),
  },
  [StateKind.Sum]: {
    since: 1,
    create: () => ({ k: StateKind.Sum, n: 0, sum: 0 }),
    clone: (st) => ({ ...st }),
    merge: (dst, src) => {
      dst.n += src.n;
      dst.sum += src.sum;
    },
    write: (w, st) => {
      w.varint(st.n);
      w.f64(st.sum);
    },
    read: (r) => ({ k: StateKind.Sum, n: r.varint(), sum: r.f64() }),
    value: sumValue,
  },
  [StateKind.Rate]: {
    since: 1,
    create: () => ({ k: StateKind.Rate, n: 0, hits: 0 }),
    clone: (st) => ({ ...st }),
    merge: (dst, src) => {
      dst.n += src.n;
      dst.hits += src.hits;
    },
    write: (w, st) => {
      w.varint(st.n);
      w.varint(st.hits);
    },
    read: (r) => ({ k: StateKind.Rate, n: r.varint(), hits: r.varint() }),
    value: (st, key) => ({ kpi: key, value: ratio(st.hits, st.n), count: st.n }),
  },
  [StateKind.Quantile]: {
    since: 1,
    create: () => ({ k: StateKind.Quantile, n: 0, sum: 0, sketch: newSketch() }),
    clone: (st) => ({ k: StateKind.Quantile, n: st.n, sum: st.sum, sketch: cloneSketch(st.sketch) }),
    merge: mergeQuantileParts,
    write: writeQuantileParts,
    read: (r) => ({ k: StateKind.Quantile, ...readQuantileParts(r) }),
    value: quantileValue,
  },
  [StateKind.Distinct]: {
    since: 1,
    create: () => ({ k: StateKind.Distinct, n: 0, hll: new HyperLogLog() }),
    clone: (st) => ({ k: StateKind.Distinct, n: st.n, hll: st.hll.clone() }),
    merge: (dst, src) => {
      dst.n += src.n;
      dst.hll.merge(src.hll);
    },
    write: (w, st) => {
      w.varint(st.n);
      st.hll.write(w);
    },
    read: (r) => ({ k: StateKind.Distinct, n: r.varint(), hll: HyperLogLog.read(r) }),
    value: (st, key) => ({ kpi: key, value: Math.round(st.hll.estimate()), count: st.n }),
  },
  [StateKind.Nps]: {
    since: 1,
    create: () => ({ k: StateKind.Nps, n: 0, promoters: 0, detractors: 0 }),
    clone: (st) => ({ ...st }),
    merge: (dst, src) => {
      dst.n += src.n;
      dst.promoters += src.promoters;
      dst.detractors += src.detractors;
    },
    write: (w, st) => {
      w.varint(st.n);
      w.varint(st.promoters);
      w.varint(st.detractors);
    },
    read: (r) => ({ k: StateKind.Nps, n: r.varint(), promoters: r.varint(), detractors: r.varint() }),
    value: (st, key) => ({
      kpi: key,
      value: st.n === 0 ? null : (100 * (st.promoters - st.detractors)) / st.n,
      count: st.n,
    }),
  },
  [StateKind.Confusion]: {
    since: 1,
    create: () => ({ k: StateKind.Confusion, tp: 0, fp: 0, fn: 0, tn: 0 }),
    clone: (st) => ({ ...st }),
    merge: (dst, src) => {
      dst.tp += src.tp;
      dst.fp += src.fp;
      dst.fn += src.fn;
      dst.tn += src.tn;
    },
    write: (w, st) => {
      w.varint(st.tp);
      w.varint(st.fp);
      w.varint(st.fn);
      w.varint(st.tn);
    },
    read: (r) => ({ k: StateKind.Confusion, tp: r.varint(), fp: r.varint(), fn: r.varint(), tn: r.varint() }),
    value: confusionValue,
  },
  [StateKind.MeanMoments]: {
    since: 3,
    create: () => ({ k: StateKind.MeanMoments, n: 0, sum: 0, sumsq: 0 }),
    clone: (st) => ({ ...st }),
    merge: (dst, src) => {
      dst.n += src.n;
      dst.sum += src.sum;
      dst.sumsq += src.sumsq;
    },
    write: (w, st) => {
      w.varint(st.n);
      w.f64(st.sum);
      w.f64(st.sumsq);
    },
    read: (r) => ({ k: StateKind.MeanMoments, n: r.varint(), sum: r.f64(), sumsq: r.f64() }),
    value: sumValue,
  },
  [StateKind.QuantileValues]: {
    since: 4,
    create: () => ({ k: StateKind.QuantileValues, n: 0, sum: 0, sketch: newSketch(), values: [] }),
    clone: (st) => ({ ...st, sketch: cloneSketch(st.sketch), values: st.values === null ? null : st.values.slice() }),
    merge: (dst, src) => {
      mergeQuantileParts(dst, src);
      // In memory the lists grow without bound (a batch or a read merges a bounded number of
      // items); the cap applies where they are stored (writeValueList).
      if (dst.values === null || src.values === null) dst.values = null;
      else for (const v of src.values) dst.values.push(v);
    },
    write: (w, st) => {
      writeQuantileParts(w, st);
      writeValueList(w, st.values);
    },
    read: (r) => {
      const parts = readQuantileParts(r);
      const values = readValueList(r);
      if (values !== null && values.length !== parts.n) {
        throw new AggregateDecodeError(`value list of ${values.length} for ${parts.n} values`);
      }
      return { k: StateKind.QuantileValues, ...parts, values };
    },
    value: quantileValue,
  },
};

/** The operations of `st`'s kind (the one place where the kind and the table are correlated). */
export function opsOf(k: StateKind): StateOps<State> {
  return STATE_OPS[k] as StateOps<State>;
}

/** Whether `k` is a known state kind. */
export function isStateKind(k: number): k is StateKind {
  return Number.isInteger(k) && k >= 0 && k < KIND_COUNT;
}

/** The kinds are numbered 0..KIND_COUNT-1 without gaps (checked by the golden-bytes test). */
const KIND_COUNT = Object.keys(StateKind).length;

/** The state kind each measure keeps (undefined: derived at read time, like conversions). */
const KIND_OF_MEASURE: { readonly [M in KpiDefinition['measure']['kind']]: StateKind | undefined } = {
  count: StateKind.Count,
  rejections: StateKind.Count,
  sum: StateKind.Sum,
  mean: StateKind.Sum,
  rate: StateKind.Rate,
  quantiles: StateKind.Quantile,
  distinct: StateKind.Distinct,
  nps: StateKind.Nps,
  confusion: StateKind.Confusion,
  conversion: undefined,
};

/** The state kind a KPI's measure keeps (undefined: derived at read time, like conversions). */
export function stateKindOf(def: KpiDefinition): StateKind | undefined {
  return KIND_OF_MEASURE[def.measure.kind];
}

/**
 * The state of `dst` after adding `src`: `dst` itself, a new state, or undefined when the kinds
 * do not combine (the KPI changed kind; `src` is dropped). A mean with a sum of squares merged
 * with a plain mean becomes a plain mean: n and sum stay exact, the sum of squares is unknown.
 * Likewise a quantile state with values merged with one without becomes a plain quantile state.
 */
export function combine(dst: State, src: State): State | undefined {
  if (dst.k === src.k) {
    opsOf(dst.k).merge(dst, src);
    return dst;
  }
  if (isMeanParts(dst) && isMeanParts(src)) return { k: StateKind.Sum, n: dst.n + src.n, sum: dst.sum + src.sum };
  if (isQuantileParts(dst) && isQuantileParts(src)) {
    // The values of one side are unknown, so the merge keeps the sketch only.
    const out: QuantileState =
      dst.k === StateKind.Quantile ? dst : { k: StateKind.Quantile, n: dst.n, sum: dst.sum, sketch: dst.sketch };
    mergeQuantileParts(out, src);
    return out;
  }
  return undefined;
}

function isQuantileParts(st: State): st is QuantileState | QuantileValuesState {
  return st.k === StateKind.Quantile || st.k === StateKind.QuantileValues;
}

function isMeanParts(st: State): st is SumState | MomentsState {
  return st.k === StateKind.Sum || st.k === StateKind.MeanMoments;
}

/** Whether a stored state of kind `k` can be valued by a KPI whose measure keeps `slotKind`. */
export function fits(slotKind: StateKind | undefined, k: StateKind): boolean {
  return (
    slotKind === k ||
    (slotKind === StateKind.Sum && k === StateKind.MeanMoments) ||
    (slotKind === StateKind.Quantile && k === StateKind.QuantileValues)
  );
}
