/**
 * The pipeline's shared vocabulary: the closed sets of words that the configuration, the catalog,
 * the alarms, the evaluator, the incidents and the reports all speak. Each set is defined here
 * once, `as const`; the zod enums of the configuration and the TypeScript types derive from it.
 *
 * Pure: no imports.
 */

/** The four severities, most urgent first. */
export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
/** A severity, P1 (critical) to P4 (low). */
export type Severity = (typeof SEVERITIES)[number];

/** The two escalation ladders of the operations spec. */
export const LADDERS = ['technical', 'business'] as const;
/** Which ladder an alarm climbs. */
export type LadderName = (typeof LADDERS)[number];

/** CloudWatch comparison operators (`ComparisonOperator` of an alarm). */
export const COMPARISON_OPERATORS = [
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
] as const;
/** A CloudWatch comparison operator. */
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** How an alarm treats missing datapoints (CloudWatch `TreatMissingData`). */
export const MISSING_DATA_TREATMENTS = ['missing', 'notBreaching', 'breaching', 'ignore'] as const;
/** A missing-data treatment. */
export type TreatMissingData = (typeof MISSING_DATA_TREATMENTS)[number];

/** The four scheduled reports. */
export const REPORT_KINDS = ['system_health', 'business_performance', 'executive_summary', 'client_success'] as const;
/** A scheduled report. */
export type ReportKind = (typeof REPORT_KINDS)[number];

/** What {@link isAlarmPeriod} requires, worded for an error message. */
export const ALARM_PERIOD_RULE = 'must be 10, 30 or a multiple of 60';

/** CloudWatch's rule for an alarm period in seconds: 10, 30 (high resolution) or a multiple of 60. */
export function isAlarmPeriod(seconds: number): boolean {
  return seconds === 10 || seconds === 30 || (seconds >= 60 && seconds % 60 === 0);
}

/**
 * The fleet scope: the tenant value of fleet-wide KPI items, alarms and incidents. It is part of
 * persisted keys (KPI items, incident ids), so it never changes.
 */
export const FLEET_SCOPE = '*';

/** How the fleet scope is named to people (pages, reports, alarm names, tables). */
export const FLEET_LABEL = 'fleet';

/** Whether a tenant value is the fleet scope. */
export function isFleet(tenant: string): boolean {
  return tenant === FLEET_SCOPE;
}

/** `fleet` for the fleet scope, else the tenant id (or `formatTenant(tenant)` when given). */
export function scopeLabel(tenant: string, formatTenant: (tenant: string) => string = (t) => t): string {
  return isFleet(tenant) ? FLEET_LABEL : formatTenant(tenant);
}
