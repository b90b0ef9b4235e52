/**
 * The shapes of the KPI catalog: what a KPI is, how it is measured from events, and the alarm
 * rules it ships with. The catalog is data; the aggregator, alarms, dashboards, reports and CLI
 * all read it, so adding a KPI is one entry.
 */

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
export type KpiDirection = 'higher_is_better' | 'lower_is_better' | 'neutral';

/** Report sections a KPI appears in. */
export type ReportSection = 'system_health' | 'business' | 'executive' | 'client_success';

/** Alarm severities, P1 (critical) to P4 (low). */
export type AlarmSeverity = 'P1' | 'P2' | 'P3' | 'P4';

/** CloudWatch comparison operators. */
export type AlarmComparison =
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanOrEqualToThreshold'
  | 'LessThanLowerOrGreaterThanUpperThreshold'
  | 'LessThanLowerThreshold'
  | 'GreaterThanUpperThreshold';

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
  readonly treatMissingData: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
  /** The escalation ladder the alarm climbs. */
  readonly ladder: 'technical' | 'business';
  /** What the alarm means, for the person paged. */
  readonly description: string;
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
 * How a KPI is computed from the `data` of its events. Fields named here that are missing on an
 * event make the event not contribute to that KPI (optional contract fields such as `sttMs`).
 */
export type KpiMeasure =
  /** Events (matching `where`). */
  | { readonly kind: 'count'; readonly where?: readonly KpiCondition[] }
  /** Sum of a numeric field. */
  | { readonly kind: 'sum'; readonly field: string; readonly where?: readonly KpiCondition[] }
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
  readonly aggregation: KpiAggregation;
  readonly direction: KpiDirection;
  /** How it is computed from events. */
  readonly measure: KpiMeasure;
  /** Present when the KPI is published to CloudWatch (name, CloudWatch unit). */
  readonly metric?: { readonly name: string; readonly unit: string };
  /** Dashboard placement hint. */
  readonly dashboard?: { readonly section: string };
  /** Report placement hint. */
  readonly report?: { readonly section: ReportSection };
  readonly defaultAlarms: readonly DefaultAlarmRule[];
  /** Declared in configuration rather than built in. */
  readonly custom: boolean;
}

/** Aggregations a custom KPI may use. */
export const CUSTOM_KPI_AGGREGATIONS = ['count', 'sum', 'mean', 'rate', 'quantiles', 'distinct'] as const;

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
}
