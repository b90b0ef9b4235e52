/**
 * Shapes of the client health score (operations spec, "Client health score"): a 0-100 score per
 * tenant per day, made of five weighted components, each scored from KPI values.
 */

import type { KpiValue } from '../aggregates/types';

/** One KPI value of a (tenant, bucket) aggregate, as the KPI reader returns it: the KPI core's value. */
export type KpiReading = KpiValue;

/** The five components of the score, in the spec's order. */
export const HEALTH_COMPONENTS = ['usage', 'performance', 'support', 'growth', 'satisfaction'] as const;
/** A component of the health score. */
export type HealthComponentName = (typeof HEALTH_COMPONENTS)[number];

/** Health bands: green (healthy), yellow (at risk), red (critical). */
export type HealthBand = 'green' | 'yellow' | 'red';

/**
 * Whether a day has a score: `scored`; `no_data` (the tenant sent no events that day);
 * `insufficient_data` (events arrived, but none of the inputs any component is scored from).
 */
export type HealthStatus = 'scored' | 'no_data' | 'insufficient_data';

/** One input of a component, with its sub-score. */
export interface HealthInputScore {
  /** Input name, e.g. `seat_utilisation`. */
  readonly name: string;
  /** The measured value (unit depends on the input); `null` when missing. */
  readonly value: number | null;
  /** 0..100; `null` when missing. */
  readonly score: number | null;
  /** Why it is missing, when it is (shown to users). */
  readonly missingReason?: string;
}

/** One component of a tenant's score. */
export interface HealthComponentScore {
  readonly name: HealthComponentName;
  /** Configured weight (points of 100). */
  readonly weight: number;
  /** 0..100 over the present inputs; `null` when every input is missing. */
  readonly score: number | null;
  /** Points contributed before renormalisation: `weight * score / 100`; `null` when missing. */
  readonly points: number | null;
  readonly inputs: readonly HealthInputScore[];
}

/** Day-over-day movement of the score. */
export interface HealthTrend {
  /** Score of the most recent earlier scored day, if any. */
  readonly previousScore: number | null;
  /** `score - previousScore`. */
  readonly delta: number | null;
  /** Mean of the scored days of the history window (without today). */
  readonly trailingMean: number | null;
  readonly direction: 'up' | 'down' | 'flat' | 'unknown';
}

/** The churn-risk signal of the spec: a band drop, or red for N days running. */
export interface ChurnRisk {
  readonly flagged: boolean;
  /** Human reasons, e.g. `fell from green to yellow`, `red for 3 days running`. */
  readonly reasons: readonly string[];
}

/** A tenant's health on one UTC day. */
export interface HealthScore {
  readonly tenant: string;
  /** UTC day, `yyyy-mm-dd`. */
  readonly date: string;
  readonly status: HealthStatus;
  /** 0..100 rounded to one decimal; `null` unless `status` is `scored`. */
  readonly score: number | null;
  readonly band: HealthBand | null;
  readonly components: readonly HealthComponentScore[];
  /**
   * Every missing input as `component.input` (e.g. `support.ticket_volume`) and every missing
   * component as `component`; never silently scored.
   */
  readonly missing: readonly string[];
  /**
   * True when some component was missing and the score was scaled over the present components'
   * weights (`coverage` says how much of the weight was present).
   */
  readonly renormalised: boolean;
  /** Share (0..1) of the total weight whose components had data. */
  readonly coverage: number;
  readonly trend: HealthTrend;
  readonly churnRisk: ChurnRisk;
}
