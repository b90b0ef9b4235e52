/** The value and option types of a {@link KpiSet}. */
import type { KpiSet } from './kpi-set';

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

/** Options of a {@link KpiSet}. */
export interface KpiSetOptions {
  /**
   * Mean KPIs also keep the sum of squares of their values, so a variance (and Welch's t-test)
   * can be computed. Costs 8 bytes per mean KPI in the serialized set.
   * @default false
   */
  readonly secondMoments?: boolean;
  /**
   * Quantile KPIs also keep their values while a stored item holds at most EXACT_VALUES_CAP of
   * them, so a rank test can run on the values rather than on sketch bins (see
   * {@link KpiSet.exactValues}). Costs 1-2 bytes per integer value, 8 per other value.
   * @default false
   */
  readonly exactValues?: boolean;
}

/** The moments of a mean KPI that keeps a sum of squares (see {@link KpiSetOptions.secondMoments}). */
export interface KpiMoments {
  /** Values observed. */
  readonly n: number;
  /** Their sum. */
  readonly sum: number;
  /** The sum of their squares. */
  readonly sumOfSquares: number;
}
