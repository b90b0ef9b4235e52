/**
 * The observer compiler: turns each KPI definition of a catalog into a closure that feeds its
 * state from one event's data, and lays the catalog's KPIs out in slots. Compiled once per
 * catalog, so observing an event is a map lookup and a few closures, with no string hashing.
 */
import type { KpiBreakdown, KpiCatalog, KpiCondition, KpiDefinition } from '../catalog';
import { StateKind, stateKindOf } from './state-kinds';
import { OTHER_GROUP, type StateTable } from './state-table';

type Data = Readonly<Record<string, unknown>>;
type Pred = (d: Data) => boolean;
/** Feeds one KPI's state in `t` from one event's data. */
export type Observer = (t: StateTable, d: Data) => void;
type Measure = KpiDefinition['measure'];
type MeasureOf<M extends Measure['kind']> = Extract<Measure, { kind: M }>;

/** A catalog compiled for observing: its KPIs' slots, state kinds and observers. */
export interface Plan {
  /** Per event type, the observers of its KPIs. */
  readonly observers: ReadonlyMap<string, readonly Observer[]>;
  /** The KPIs that count rejected records. */
  readonly rejectionKpis: readonly string[];
  /** Base KPI name -> index of its state in {@link StateTable.slots}. */
  readonly slotOf: ReadonlyMap<string, number>;
  /** Per slot, its KPI's name. */
  readonly names: readonly string[];
  /** Per slot, the state kind its KPI keeps (undefined: none, e.g. conversions). */
  readonly kinds: ReadonlyArray<StateKind | undefined>;
  /** Slots in the order of their names (serialization writes keys sorted). */
  readonly sortedSlots: readonly number[];
}

const CONDITIONS: { readonly [Op in KpiCondition['op']]: (f: string, v: unknown) => Pred } = {
  eq: (f, v) => (d) => d[f] === v,
  ne: (f, v) => (d) => d[f] !== undefined && d[f] !== v,
  present: (f) => (d) => d[f] !== undefined,
  gt: (f, v) => (d) => typeof d[f] === 'number' && (d[f] as number) > (v as number),
  gte: (f, v) => (d) => typeof d[f] === 'number' && (d[f] as number) >= (v as number),
  lt: (f, v) => (d) => typeof d[f] === 'number' && (d[f] as number) < (v as number),
  lte: (f, v) => (d) => typeof d[f] === 'number' && (d[f] as number) <= (v as number),
};

function compileAll(conds: readonly KpiCondition[] | undefined): Pred {
  if (conds === undefined || conds.length === 0) return () => true;
  const preds = conds.map((c) => CONDITIONS[c.op](c.field, c.value));
  if (preds.length === 1) return preds[0]!;
  return (d) => preds.every((p) => p(d));
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Feeds one KPI's state in `t` with one finite value of an event (and the event's data). */
type NumberFeed = (t: StateTable, v: number, d: Data) => void;

/** A numeric field's observer: calls `feed` with each finite value whose event passes `where`. */
function numeric(field: string, where: readonly KpiCondition[] | undefined, feed: NumberFeed): Observer {
  const pass = compileAll(where);
  return (t, d) => {
    const v = d[field];
    if (isNumber(v) && pass(d)) feed(t, v, d);
  };
}

/**
 * The sub-key of an event under a breakdown (`sessions:voice`): one of the listed values, else
 * `<kpi>:_other`. Keys are built once here, so the hot path only looks one up.
 */
function breakdownKey(name: string, by: KpiBreakdown | undefined): ((d: Data) => string) | undefined {
  if (by === undefined) return undefined;
  const keys = new Map(by.values.map((v) => [v, `${name}:${v}`]));
  const other = `${name}:${OTHER_GROUP}`;
  const { field } = by;
  return (d) => {
    const v = d[field];
    return (typeof v === 'string' ? keys.get(v) : undefined) ?? other;
  };
}

type Compile<M extends Measure['kind']> = (m: MeasureOf<M>, slot: number, name: string) => Observer | undefined;

/** Per measure kind, how its observer is built (a declarative table). */
const COMPILERS: { readonly [M in Measure['kind']]: Compile<M> } = {
  count: (m, slot, name) => {
    const where = compileAll(m.where);
    const groupOf = breakdownKey(name, m.groupBy);
    return (t, d) => {
      if (!where(d)) return;
      t.slot(slot, StateKind.Count).n++;
      if (groupOf !== undefined) t.keyed(groupOf(d), StateKind.Count).n++;
    };
  },
  sum: (m, slot, name) => {
    const groupOf = breakdownKey(name, m.groupBy);
    return numeric(m.field, m.where, (t, v, d) => {
      const st = t.slot(slot, StateKind.Sum);
      st.n++;
      st.sum += v;
      if (groupOf === undefined) return;
      const g = t.keyed(groupOf(d), StateKind.Sum);
      g.n++;
      g.sum += v;
    });
  },
  mean: (m, slot) =>
    numeric(m.field, m.where, (t, v) => {
      const st = t.slot(slot, t.secondMoments ? StateKind.MeanMoments : StateKind.Sum);
      st.n++;
      st.sum += v;
      // Checked per state, not per set: a state that has a sum of squares keeps it exact.
      if (st.k === StateKind.MeanMoments) st.sumsq += v * v;
    }),
  rate: (m, slot) => {
    const where = compileAll(m.where);
    const hit = compileAll(m.hit);
    return (t, d) => {
      if (!where(d)) return;
      const st = t.slot(slot, StateKind.Rate);
      st.n++;
      if (hit(d)) st.hits++;
    };
  },
  quantiles: (m, slot) =>
    numeric(m.field, m.where, (t, v) => {
      const st = t.slot(slot, t.exactValues ? StateKind.QuantileValues : StateKind.Quantile);
      st.n++;
      st.sum += v;
      st.sketch.accept(v);
      // Checked per state: a state that holds values keeps all of them (or none).
      if (st.k === StateKind.QuantileValues) st.values?.push(v);
    }),
  distinct: (m, _slot, name) => {
    const where = compileAll(m.where);
    const { field, groupBy } = m;
    return (t, d) => {
      const v = d[field];
      if ((typeof v !== 'string' && !isNumber(v)) || !where(d)) return;
      let key = name;
      if (groupBy !== undefined) {
        const group = d[groupBy];
        if (typeof group !== 'string' && !isNumber(group)) return;
        key = `${name}:${String(group)}`;
      }
      const st = t.distinct(key, name);
      st.n++;
      st.hll.add(v);
    };
  },
  nps: (m, slot) =>
    numeric(m.field, m.where, (t, v) => {
      const st = t.slot(slot, StateKind.Nps);
      st.n++;
      if (v >= 9) st.promoters++;
      else if (v <= 6) st.detractors++;
    }),
  confusion: (m, slot) => {
    const { predicted, actual } = m;
    return (t, d) => {
      const p = d[predicted];
      const a = d[actual];
      if (typeof p !== 'boolean' || typeof a !== 'boolean') return;
      const st = t.slot(slot, StateKind.Confusion);
      if (p && a) st.tp++;
      else if (p) st.fp++;
      else if (a) st.fn++;
      else st.tn++;
    };
  },
  // Derived at read time from two counts.
  conversion: () => undefined,
  // Fed by KpiSet.observeRejection, not by events.
  rejections: () => undefined,
};

/** Turns a KPI definition into the function that feeds it from one event's data. */
function compileObserver(def: KpiDefinition, slot: number): Observer | undefined {
  const compile = COMPILERS[def.measure.kind] as Compile<Measure['kind']>;
  return compile(def.measure, slot, def.name);
}

const PLANS = new WeakMap<KpiCatalog, Plan>();

/** The compiled plan of a catalog (compiled on first use, then cached). */
export function planFor(catalog: KpiCatalog): Plan {
  const cached = PLANS.get(catalog);
  if (cached !== undefined) return cached;
  const defs = catalog.all();
  const names = defs.map((d) => d.name);
  const slotOf = new Map(names.map((n, i) => [n, i]));
  const observers = new Map<string, Observer[]>();
  const rejectionKpis: string[] = [];
  defs.forEach((def, slot) => {
    if (def.measure.kind === 'rejections') rejectionKpis.push(def.name);
    const obs = compileObserver(def, slot);
    if (obs === undefined) return;
    const list = observers.get(def.eventType) ?? [];
    list.push(obs);
    observers.set(def.eventType, list);
  });
  const kinds = defs.map(stateKindOf);
  const sortedSlots = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
  const plan: Plan = { observers, rejectionKpis, slotOf, names, kinds, sortedSlots };
  PLANS.set(catalog, plan);
  return plan;
}
