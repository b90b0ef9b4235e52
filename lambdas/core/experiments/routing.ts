/**
 * Which experiment item an accepted event also feeds: its configured experiment and variant in
 * the experiment's scope, per UTC day. Events naming an experiment or variant that is not
 * configured feed an `_unknown` item instead, so they are counted, not dropped.
 */
import type { KpiSetOptions } from '../aggregates';
import type { AgentEvent } from '../events/contract';
import { FLEET_SCOPE } from './config';

/**
 * What an experiment item keeps beyond a KPI item, for the tests: sums of squares for Welch's
 * t-test, and the values of quantile KPIs while few, for an exact Mann-Whitney test.
 */
export const EXPERIMENT_SET_OPTIONS: KpiSetOptions = { secondMoments: true, exactValues: true };

/** The experiment item an event feeds. */
export interface ExperimentTarget {
  /** Tenant id, or `*` for a fleet experiment (and for unknown experiments). */
  readonly scope: string;
  /** The experiment id, or `_unknown`. */
  readonly id: string;
  /** The variant id, or `_unknown`. */
  readonly variant: string;
}

/** Name of the unknown experiment or variant, as {@link UNKNOWN_ASSIGNMENT} in the item keys. */
const UNKNOWN = '_unknown';

/** What became of an event's experiment attributes. */
export type AssignmentOutcome = 'folded' | 'unknown_experiment' | 'unknown_variant' | 'outside_window';

/** The part of an experiment's configuration routing needs. */
export interface RoutedExperiment {
  readonly id: string;
  readonly tenant: string;
  readonly variants: ReadonlyArray<{ readonly id: string }>;
  readonly start: string;
  readonly end?: string;
}

/** Routes events with experiment attributes to experiment items. */
export class ExperimentRouter {
  private readonly byId = new Map<
    string,
    { scope: string; variants: ReadonlySet<string>; startMs: number; endMs: number }
  >();

  constructor(experiments: readonly RoutedExperiment[]) {
    for (const e of experiments) {
      this.byId.set(e.id, {
        scope: e.tenant,
        variants: new Set(e.variants.map((v) => v.id)),
        startMs: Date.parse(e.start),
        endMs: e.end === undefined ? Number.POSITIVE_INFINITY : Date.parse(e.end),
      });
    }
  }

  /** Whether any experiment is configured (no work per event otherwise). */
  get empty(): boolean {
    return this.byId.size === 0;
  }

  /**
   * The item `event` also feeds, with the outcome; undefined for events without attributes.
   * Events of another tenant than a tenant experiment's, or outside its start and end, feed
   * nothing (their KPIs count as usual).
   */
  route(event: AgentEvent, eventTimeMs: number): { target?: ExperimentTarget; outcome: AssignmentOutcome } | undefined {
    const id = event.experiment;
    const variant = event.variant;
    if (id === undefined || variant === undefined) return undefined;
    const e = this.byId.get(id);
    if (e === undefined || (e.scope !== FLEET_SCOPE && e.scope !== event.tenantid)) {
      return { target: { scope: FLEET_SCOPE, id: UNKNOWN, variant: UNKNOWN }, outcome: 'unknown_experiment' };
    }
    if (!e.variants.has(variant))
      return { target: { scope: e.scope, id, variant: UNKNOWN }, outcome: 'unknown_variant' };
    if (eventTimeMs < e.startMs || eventTimeMs >= e.endMs) return { outcome: 'outside_window' };
    return { target: { scope: e.scope, id, variant }, outcome: 'folded' };
  }
}
