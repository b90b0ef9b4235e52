/**
 * The shapes of the KPI catalog: what a KPI is, how it is measured from events, and the alarm
 * rules it ships with. The catalog is data; the aggregator, alarms, dashboards, reports and CLI
 * all read it, so adding a KPI is one entry.
 */
import type { ComparisonOperator, LadderName, ReportKind, Severity, TreatMissingData } from '../vocabulary';

/** Units of a KPI's headline value. */
export const KPI_UNITS = ['count', 'ms', 'ratio', 'usd', 'score', 'nps', 'users'] as const;
/** A KPI unit. `ratio` values are fractions 0..1; `nps` is -100..100. */
export type KpiUnit = (typeof KPI_UNITS)[number];

/** How a KPI's events are combined. */
export const KPI_AGGREGATIONS = [
  'count',
  'sum',
  'mean',
  'rate',
  'quantiles',
  'distinct',
  'nps',
  'precision',
  'recall',
  'accuracy',
  'conversion',
] as const;
/** A KPI aggregation. */
export type KpiAggregation = (typeof KPI_AGGREGATIONS)[number];

/** Which way is good. */
export const KPI_DIRECTIONS = ['higher_is_better', 'lower_is_better', 'neutral'] as const;
/** A KPI direction. */
export type KpiDirection = (typeof KPI_DIRECTIONS)[number];

/** Report sections a KPI appears in. */
export type ReportSection = 'system_health' | 'business' | 'executive' | 'client_success';

/** Statistics a report target can be judged on: the KPI's headline value, or a quantile. */
export const REPORT_TARGET_STATISTICS = ['value', 'p50', 'p95', 'p99'] as const;
/** A report target statistic. */
export type ReportTargetStatistic = (typeof REPORT_TARGET_STATISTICS)[number];

/** A bound a report compares a KPI against (`min`, `max` or both), on a statistic. */
export interface ReportTarget {
  readonly min?: number;
  readonly max?: number;
  /** Absent means the headline value. */
  readonly statistic?: ReportTargetStatistic;
}

/** Where a KPI shows in the scheduled reports. */
export interface KpiReportPlacement {
  readonly section: ReportSection;
  /** The default target reports judge the KPI against (`reports.targets` of the configuration replaces them). */
  readonly target?: ReportTarget;
  /** The report whose headline chart this KPI is, on the target's statistic. */
  readonly headline?: ReportKind;
}

/** Alarm severities, P1 (critical) to P4 (low). */
export type AlarmSeverity = Severity;

/** CloudWatch comparison operators. */
export type AlarmComparison = ComparisonOperator;

/**
 * A default alarm rule of the operations spec, attached to a KPI. Thresholds are in the KPI's
 * unit as published: rates as fractions (`availability < 0.99`), latencies in ms. The
 * configuration may override every field per rule id.
 */
export interface DefaultAlarmRule {
  /** Stable id, `<kpi>-<severity lowercased>` or `<kpi>-anomaly`, e.g. `response_latency-p1`. */
  readonly id: string;
  readonly severity: AlarmSeverity;
  readonly kind: 'threshold' | 'anomaly';
  /** CloudWatch statistic: `p95`, `p99.9`, `Average`, `Sum`. */
  readonly statistic: string;
  readonly comparison: AlarmComparison;
  /** Threshold for `threshold` rules; band width in standard deviations for `anomaly` rules. */
  readonly threshold?: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** The escalation ladder the alarm climbs. */
  readonly ladder: LadderName;
  /** What the alarm means, for the person paged. */
  readonly description: string;
  /**
   * This rule's own minimum evidence, when the deployment-wide `alerting.evidence` floors do not
   * suit it (chosen by measurement; `alarms.overrides.<id>` can change it again).
   */
  readonly evidence?: RuleEvidence;
}

/** A rule's own minimum-evidence floors over its evaluation window (see `alerting.evidence`). */
export interface RuleEvidence {
  /** Events, samples or responses behind the statistic over the whole evaluation window. */
  readonly minSamples?: number;
  /** Bad events (errors, misses) a rate's window must hold besides. */
  readonly minBadEvents?: number;
}

/** A scalar value a condition compares against. */
export type FieldValue = string | number | boolean;

/** A condition on one field of an event's `data`. A missing field never matches; `present` only checks that the field exists. */
export interface KpiCondition {
  readonly field: string;
  readonly op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'present';
  readonly value?: FieldValue;
}

/**
 * A count or sum kept per value of a string field besides its total (`sessions:voice`). The values
 * are a fixed list, normally an enum of the event contract, so an item holds at most
 * `values.length + 1` more states whatever producers send. Every other value, and an event without
 * the field, count under `kpi:_other` (the aggregates' `OTHER_GROUP`); the groups add up to the
 * total.
 */
export interface KpiBreakdown {
  readonly field: string;
  readonly values: readonly string[];
}

/**
 * How a KPI is computed from the `data` of its events. Fields named here that are missing on an
 * event make the event not contribute to that KPI (optional contract fields such as `sttMs`).
 */
export type KpiMeasure =
  /** Events (matching `where`); with `groupBy`, also per value of a field (`kpi:value`). */
  | { readonly kind: 'count'; readonly where?: readonly KpiCondition[]; readonly groupBy?: KpiBreakdown }
  /** Sum of a numeric field; with `groupBy`, also per value of a field (`kpi:value`). */
  | {
      readonly kind: 'sum';
      readonly field: string;
      readonly where?: readonly KpiCondition[];
      readonly groupBy?: KpiBreakdown;
    }
  /** Mean of a numeric field. */
  | { readonly kind: 'mean'; readonly field: string; readonly where?: readonly KpiCondition[] }
  /** Quantile sketch (and mean) of a numeric field. */
  | { readonly kind: 'quantiles'; readonly field: string; readonly where?: readonly KpiCondition[] }
  /** Share of events (matching `where`: the denominator) that match `hit`. */
  | { readonly kind: 'rate'; readonly hit: readonly KpiCondition[]; readonly where?: readonly KpiCondition[] }
  /** Distinct values of a field; with `groupBy`, one distinct count per value of that field (`kpi:value`). */
  | {
      readonly kind: 'distinct';
      readonly field: string;
      readonly groupBy?: string;
      readonly where?: readonly KpiCondition[];
    }
  /** Net promoter score of an integer 0..10 field. */
  | { readonly kind: 'nps'; readonly field: string; readonly where?: readonly KpiCondition[] }
  /** Precision, recall or accuracy of a boolean prediction against a boolean truth. */
  | {
      readonly kind: 'confusion';
      readonly predicted: string;
      readonly actual: string;
      readonly metric: 'precision' | 'recall' | 'accuracy';
    }
  /** Ratio of two count KPIs of the same bucket (funnel conversion): `to / from`. */
  | { readonly kind: 'conversion'; readonly from: string; readonly to: string }
  /** Rejected records, sub-keyed by rejection reason (`rejected_events:schema`). */
  | { readonly kind: 'rejections' };

/** One KPI of the catalog. */
export interface KpiDefinition {
  /** snake_case, unique, e.g. `response_latency`. */
  readonly name: string;
  /** Human title, e.g. `Voice response latency`. */
  readonly title: string;
  readonly description: string;
  readonly unit: KpiUnit;
  /** The event type feeding it (`pipeline.rejection` for `rejected_events`). */
  readonly eventType: string;
  /** Derived from {@link measure} by {@link aggregationOf}; never declared. */
  readonly aggregation: KpiAggregation;
  readonly direction: KpiDirection;
  /** How it is computed from events. */
  readonly measure: KpiMeasure;
  /** Present when the KPI is published to CloudWatch (name, CloudWatch unit). */
  readonly metric?: { readonly name: string; readonly unit: string };
  /** Dashboard placement hint. */
  readonly dashboard?: { readonly section: string };
  /** Report placement, default target and headline. */
  readonly report?: KpiReportPlacement;
  /** Listed in the summary `kpi local` prints at the end of a run. */
  readonly summary: boolean;
  /**
   * The value that scores 100 in the client health score, when the score reads this KPI against
   * a target (the `healthScore.targets` defaults derive from it).
   */
  readonly healthTarget?: number;
  readonly defaultAlarms: readonly DefaultAlarmRule[];
  /** Declared in configuration rather than built in. */
  readonly custom: boolean;
}

/** Aggregations a custom KPI may use. */
export const CUSTOM_KPI_AGGREGATIONS = ['count', 'sum', 'mean', 'rate', 'quantiles', 'distinct'] as const;

/** KPI names: snake_case, 2-63 chars, starting with a letter. */
export const KPI_NAME_PATTERN = /^[a-z][a-z0-9_]{1,62}$/;
/** What {@link KPI_NAME_PATTERN} requires, worded for an error message. */
export const KPI_NAME_RULE = 'must be snake_case, 2-63 chars, starting with a letter';
/** Custom event types: `custom.` + lowercase letters, digits, `.`, `_`, `-`. */
export const CUSTOM_EVENT_TYPE_PATTERN = /^custom\.[a-z0-9][a-z0-9._-]{0,120}$/;
/** What {@link CUSTOM_EVENT_TYPE_PATTERN} requires, worded for an error message. */
export const CUSTOM_EVENT_TYPE_RULE = 'must start with "custom." followed by lowercase letters, digits, . _ -';
/** The comparisons a custom KPI's alarm may use: page above or below its threshold. */
export const CUSTOM_ALARM_COMPARISONS = ['GreaterThanThreshold', 'LessThanThreshold'] as const;

/**
 * An alarm a custom KPI declares. It becomes a default rule with id `<kpi>-<severity>` (e.g.
 * `bookings-p3`) and goes through the same resolver, overrides and evaluator as a built-in rule.
 */
export interface CustomKpiAlarmSpec {
  readonly severity: Severity;
  readonly comparison: (typeof CUSTOM_ALARM_COMPARISONS)[number];
  /** In the KPI's unit as published (rates as fractions). */
  readonly threshold: number;
  /** CloudWatch statistic; default `p95` for quantiles, `Sum` for count and sum, else `Average`. */
  readonly statistic?: string;
  /** @default 'technical' */
  readonly ladder?: LadderName;
  readonly description?: string;
}

/** A custom KPI declared in configuration over a `custom.` event type. */
export interface CustomKpiSpec {
  readonly name: string;
  /**
   * `custom.` + lowercase letters, digits, `.`, `_`, `-` (checked at run time, so the
   * configuration's plain strings can be passed straight in).
   */
  readonly eventType: string;
  readonly aggregation: (typeof CUSTOM_KPI_AGGREGATIONS)[number];
  /** The `data` field measured: numeric for sum/mean/quantiles, boolean for rate, string or number for distinct. */
  readonly field?: string;
  /** Only events whose `data[field]` equals this value count. */
  readonly where?: { readonly field: string; readonly equals: FieldValue };
  readonly unit?: KpiUnit;
  readonly description?: string;
  readonly direction?: KpiDirection;
  /** Alarms on the KPI, at most one per severity. */
  readonly alarms?: readonly CustomKpiAlarmSpec[];
}
