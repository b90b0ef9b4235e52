/**
 * The states of one KpiSet: base KPIs in an array indexed by catalog slot (the hot path does no
 * string hashing), sub-keyed states (`name:key`) in a map, and the cap on groups per grouped KPI.
 */
import type { Plan } from './observers';
import { type DistinctState, STATE_OPS, type State, StateKind, type StateOf } from './state-kinds';

/** Most groups kept per grouped KPI; more fold into `<kpi>:_other` so an item stays bounded. */
export const MAX_GROUPS_PER_KPI = 16;
/** The group that collects groups beyond {@link MAX_GROUPS_PER_KPI}. */
export const OTHER_GROUP = '_other';

/** The KPI name of a key (`feature_adoption:search` -> `feature_adoption`). */
export function baseName(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : key.slice(0, i);
}

/** Every state of one set, by slot and by key. */
export class StateTable {
  /** Base KPI states by catalog slot. */
  readonly slots: Array<State | undefined>;
  private readonly subs = new Map<string, State>();
  /** Groups per grouped KPI, to enforce {@link MAX_GROUPS_PER_KPI}. */
  private readonly groups = new Map<string, number>();
  /** States held. */
  size = 0;

  /**
   * @param plan the catalog's compiled plan
   * @param secondMoments whether new mean states keep a sum of squares
   * @param exactValues whether new quantile states keep their values (see value-list.ts)
   */
  constructor(
    readonly plan: Plan,
    public secondMoments: boolean,
    public exactValues = false,
  ) {
    this.slots = new Array<State | undefined>(plan.names.length);
  }

  /** The state under `key` (`name` or `name:key`). */
  get(key: string): State | undefined {
    const i = this.plan.slotOf.get(key);
    return i === undefined ? this.subs.get(key) : this.slots[i];
  }

  /** The state of a base KPI by slot, created empty of `kind` when missing (the observers' path). */
  slot<K extends StateKind>(slot: number, kind: K): StateOf<K> {
    let st = this.slots[slot];
    if (st === undefined) {
      st = STATE_OPS[kind].create();
      this.slots[slot] = st;
      this.size++;
    }
    return st as StateOf<K>;
  }

  /** The state under `key`, created empty of `kind` when missing. */
  keyed<K extends StateKind>(key: string, kind: K): StateOf<K> {
    let st = this.get(key);
    if (st === undefined) {
      st = STATE_OPS[kind].create();
      this.set(key, st);
    }
    return st as StateOf<K>;
  }

  /** Sets the state of a base KPI by slot (no key hashing). */
  setSlot(slot: number, st: State): void {
    if (this.slots[slot] === undefined) this.size++;
    this.slots[slot] = st;
  }

  /** Sets the state under `key`. */
  set(key: string, st: State): void {
    const i = this.plan.slotOf.get(key);
    if (i !== undefined) {
      this.setSlot(i, st);
      return;
    }
    if (!this.subs.has(key)) this.size++;
    this.subs.set(key, st);
  }

  /** Sets a sub-keyed state read from stored bytes, counting its group towards the cap. */
  restore(key: string, st: State): void {
    if (st.k === StateKind.Distinct && !key.endsWith(`:${OTHER_GROUP}`)) {
      const base = baseName(key);
      this.groups.set(base, (this.groups.get(base) ?? 0) + 1);
    }
    this.set(key, st);
  }

  /** Every state with its key: base KPIs in slot order, then sub-keys. */
  *entries(): IterableIterator<[string, State]> {
    for (let i = 0; i < this.slots.length; i++) {
      const st = this.slots[i];
      if (st !== undefined) yield [this.plan.names[i]!, st];
    }
    yield* this.subs;
  }

  /** The sub-keyed states (`name:key`). */
  subEntries(): ReadonlyMap<string, State> {
    return this.subs;
  }

  /** The distinct state under `key` of KPI `base`, folding new groups beyond the cap into `_other`. */
  distinct(key: string, base: string): DistinctState {
    const st = this.get(key);
    if (st !== undefined) return st as DistinctState;
    if (key !== base) {
      const groups = this.groups.get(base) ?? 0;
      if (groups >= MAX_GROUPS_PER_KPI) {
        const other = `${base}:${OTHER_GROUP}`;
        return key === other ? this.keyed(other, StateKind.Distinct) : this.distinct(other, base);
      }
      this.groups.set(base, groups + 1);
    }
    return this.keyed(key, StateKind.Distinct);
  }

  /** The key a merged-in group lands under: itself, or `_other` once the KPI is at the cap. */
  groupKeyFor(key: string): string {
    const base = baseName(key);
    const groups = this.groups.get(base) ?? 0;
    if (key === `${base}:${OTHER_GROUP}`) return key;
    if (groups >= MAX_GROUPS_PER_KPI) return `${base}:${OTHER_GROUP}`;
    this.groups.set(base, groups + 1);
    return key;
  }
}
