/**
 * Ports and shapes of the scheduled reports. The ports are structural so the KPI core's
 * `KpiSource`/`KpiSet` and the incidents core's `IncidentReader` fit them as they are.
 */
import type { ReportKind } from '../config/schema';
import type { HealthScore, KpiReading } from '../health/types';
import type { Granularity } from '../time/buckets';
import type { Severity } from '../vocabulary';
import type { ReportExperimentData } from './experiments';

export type { ReportKind } from '../config/schema';

/** One (tenant, bucket) aggregate: the part of `KpiSet` reports read. */
export interface ReportKpiSet {
  values(): readonly KpiReading[];
  /** Merges another bucket of the same tenant into this one (sketch merge, exact for counts). */
  mergeFrom(other: ReportKpiSet): void;
}

/** Reads stored KPI buckets (`KpiSource` of the KPI reader). `tenant: '*'` is the fleet. */
export interface ReportKpiSource {
  read(q: {
    tenant: string;
    granularity: Granularity;
    fromMs: number;
    toMs: number;
  }): Promise<Array<{ bucketStartMs: number; set: ReportKpiSet }>>;
  /** A source for one report run (`KpiSource.forRun`); the handler makes one per invocation. */
  forRun?(): ReportKpiSource;
}

/** An instant as the incidents table keeps it: epoch ms or an RFC 3339 string. */
export type Instant = number | string;

/** The part of an incident that reports show. */
export interface ReportIncident {
  readonly id: string;
  readonly alarmName: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly tenant: string;
  readonly state: string;
  readonly openedAt: Instant;
  readonly acknowledgedAt?: Instant;
  readonly resolvedAt?: Instant;
  /** The alarms that joined it, in the order they first fired (incidents recorded with grouping). */
  readonly alerts?: ReadonlyArray<ReportIncidentAlert>;
}

/** One alarm of an incident, as far as a report tells it. */
export interface ReportIncidentAlert {
  readonly ruleId: string;
  readonly severity: 'P1' | 'P2' | 'P3' | 'P4';
  /** The alarm's reason of its last ALARM, with the breaching datapoints, latest first. */
  readonly reason: string;
  /** Set while an inhibition rule mutes it. */
  readonly mutedBy?: string;
}

/** Reads incidents (`IncidentReader` of the incidents core). */
export interface ReportIncidentReader {
  /** Incidents opened in [fromMs, toMs). */
  listBetween(fromMs: number, toMs: number): Promise<readonly ReportIncident[]>;
}

/** How long a report looks back. */
export type ReportPeriodKind = 'day' | 'week';

/** The period a report covers and the one it is compared with; [start, end) in epoch ms, UTC. */
export interface ReportPeriod {
  readonly kind: ReportPeriodKind;
  readonly startMs: number;
  readonly endMs: number;
  readonly previousStartMs: number;
  readonly previousEndMs: number;
  /** E.g. `2026-11-20` or `2026-11-14 to 2026-11-20`. */
  readonly label: string;
}

/** A fleet or tenant day bucket's values, captured before any merge. */
export interface DayValues {
  readonly bucketStartMs: number;
  readonly values: readonly KpiReading[];
}

/** Everything a report model is built from; gathered by `collectReportData`. */
export interface ReportData {
  readonly kind: ReportKind;
  readonly period: ReportPeriod;
  /** Fleet values merged over the period and the previous period. */
  readonly fleetCurrent: readonly KpiReading[];
  readonly fleetPrevious: readonly KpiReading[];
  /** Fleet day buckets of the period (the CSV attachment) and the 28 days before it (anomaly baseline). */
  readonly fleetDays: readonly DayValues[];
  readonly fleetBaselineDays: readonly DayValues[];
  /** Fleet buckets for the chart: hours of a day report, days of a week report; previous period too. */
  readonly fleetSeries: readonly DayValues[];
  readonly fleetPreviousSeries: readonly DayValues[];
  /** Per configured tenant: merged values of the period and the previous one. */
  readonly tenants: ReadonlyArray<{
    readonly tenant: string;
    readonly name: string;
    readonly current: readonly KpiReading[];
    readonly previous: readonly KpiReading[];
  }>;
  readonly incidents: readonly ReportIncident[];
  /** Incidents opened in the previous period (week-on-week change of the incident tile). */
  readonly previousIncidents?: readonly ReportIncident[];
  /** Latest health score per tenant at the period's end, and the one a period earlier. */
  readonly health: ReadonlyArray<{
    readonly latest?: HealthScore;
    readonly earlier?: HealthScore;
    readonly name: string;
    readonly tenant: string;
    /** Stored scores of the period's days, oldest first (the per-client sparkline). */
    readonly series?: ReadonlyArray<{ readonly date: string; readonly score: number | null }>;
  }>;
  /** Experiments that ran in the period (executive summary with configured experiments only). */
  readonly experiments?: readonly ReportExperimentData[];
}
