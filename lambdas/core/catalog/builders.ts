/**
 * The builders of catalog entries: default alarm rules, derived fields, and the step from a
 * compact entry (as `builtin.ts` and custom KPIs declare it) to a full {@link KpiDefinition}.
 * The data lives in `builtin.ts`; this file holds no KPI.
 */
import { ConfigurationError } from '../configuration-error';
import type { LadderName, ReportKind } from '../vocabulary';
import type { BuiltInKpiName } from './names';
import type {
  AlarmComparison,
  AlarmSeverity,
  DefaultAlarmRule,
  KpiAggregation,
  KpiCondition,
  KpiDefinition,
  KpiMeasure,
  KpiUnit,
  ReportSection,
  ReportTarget,
  RuleEvidence,
} from './types';

/** `data[field] === value`. */
export const eq = (field: string, value: string | number | boolean): KpiCondition => ({ field, op: 'eq', value });
/** `data[field]` exists. */
export const present = (field: string): KpiCondition => ({ field, op: 'present' });

/** Period and M-out-of-N of a rule. */
export interface AlarmWindow {
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

/** What a threshold rule declares; the rest is {@link threshold}'s defaults. */
export interface RuleInput {
  readonly severity: AlarmSeverity;
  readonly statistic: string;
  readonly comparison: AlarmComparison;
  readonly threshold: number;
  readonly description: string;
  readonly ladder?: LadderName;
  /** Evaluation window, when the 1-minute default does not suit the KPI. */
  readonly window?: AlarmWindow;
  /** The rule's own evidence floors, when `alerting.evidence` does not suit it. */
  readonly evidence?: RuleEvidence;
}

/** The id of a KPI's threshold rule at a severity, e.g. `response_latency-p1`. */
export function ruleId(kpi: string, severity: AlarmSeverity): string {
  return `${kpi}-${severity.toLowerCase()}`;
}

/**
 * A threshold rule with the defaults: 1-minute periods, 3 of 5 breaching to alarm (rides out
 * one noisy minute, still pages within 5 minutes: the MTTD target), missing data stays missing
 * so a quiet tenant neither alarms nor clears.
 */
export function threshold(kpi: string, r: RuleInput): DefaultAlarmRule {
  return {
    id: ruleId(kpi, r.severity),
    severity: r.severity,
    kind: 'threshold',
    statistic: r.statistic,
    comparison: r.comparison,
    threshold: r.threshold,
    periodSeconds: r.window?.periodSeconds ?? 60,
    evaluationPeriods: r.window?.evaluationPeriods ?? 5,
    datapointsToAlarm: r.window?.datapointsToAlarm ?? 3,
    treatMissingData: 'missing',
    ladder: r.ladder ?? 'technical',
    description: r.description,
    ...(r.evidence === undefined ? {} : { evidence: r.evidence }),
  };
}

/** An anomaly-band rule: 2 standard deviations, 5-minute periods so the model sees a smoother series. */
export function anomaly(
  kpi: string,
  severity: AlarmSeverity,
  statistic: string,
  comparison: AlarmComparison,
  description: string,
): DefaultAlarmRule {
  return {
    id: `${kpi}-anomaly`,
    severity,
    kind: 'anomaly',
    statistic,
    comparison,
    threshold: 2,
    periodSeconds: 300,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    treatMissingData: 'missing',
    ladder: 'technical',
    description,
  };
}

/** The aggregation a measure implies: the one way a KPI's events are combined. */
export function aggregationOf(measure: KpiMeasure): KpiAggregation {
  switch (measure.kind) {
    case 'confusion':
      return measure.metric;
    case 'rejections':
      return 'count';
    default:
      return measure.kind;
  }
}

/** CloudWatch units per KPI unit. Rates are published as fractions (unit None), like the export. */
export const METRIC_UNIT: Record<KpiUnit, string> = {
  count: 'Count',
  ms: 'Milliseconds',
  ratio: 'None',
  usd: 'None',
  score: 'None',
  nps: 'None',
  users: 'Count',
};

/**
 * A report target taken from one of the KPI's own threshold rules (`{ rule: 'P2' }`): the report
 * then judges the KPI by the bound its alarm pages on, and the number is written once.
 */
export interface RuleTarget {
  readonly rule: AlarmSeverity;
}

/** A KPI entry as `builtin.ts` writes it. */
export interface Entry
  extends Omit<
    KpiDefinition,
    'name' | 'custom' | 'defaultAlarms' | 'metric' | 'dashboard' | 'report' | 'aggregation' | 'summary' | 'healthTarget'
  > {
  /** One of {@link KPI}: a new built-in KPI gets its name there first. */
  readonly name: BuiltInKpiName;
  /** CloudWatch metric name, when the KPI is published. */
  readonly metric?: string;
  /** Dashboard section. */
  readonly section: string;
  readonly report: ReportSection;
  /** Report target: explicit, or the bound of one of `alarms`. */
  readonly target?: ReportTarget | RuleTarget;
  /** The report whose headline chart this KPI is. */
  readonly headline?: ReportKind;
  /** Listed in the `kpi local` summary. */
  readonly summary?: boolean;
  /** Health-score target: a number, or `'target'` for the report target's bound. */
  readonly health?: number | 'target';
  readonly alarms?: readonly DefaultAlarmRule[];
}

/** A catalog entry that contradicts itself (a target naming a rule it does not have). */
export class InvalidCatalogEntryError extends ConfigurationError {
  constructor(kpi: string, field: string, rule: string) {
    super(`catalog.${kpi}.${field}`, rule, `Invalid catalog entry "${kpi}": ${field} ${rule}`);
    this.name = 'InvalidCatalogEntryError';
  }
}

/** The report target a threshold rule implies: its bound and statistic (`Average` is the headline value). */
function targetFromRule(name: string, severity: AlarmSeverity, alarms: readonly DefaultAlarmRule[]): ReportTarget {
  const rule = alarms.find((r) => r.kind === 'threshold' && r.severity === severity);
  if (rule?.threshold === undefined) {
    throw new InvalidCatalogEntryError(name, 'target', `names rule ${severity}, which the entry does not have`);
  }
  const statistic = rule.statistic === 'Average' ? undefined : rule.statistic;
  if (statistic !== undefined && statistic !== 'p50' && statistic !== 'p95' && statistic !== 'p99') {
    throw new InvalidCatalogEntryError(
      name,
      'target',
      `rule ${severity} has statistic ${statistic}, no report statistic`,
    );
  }
  const bound = rule.comparison.startsWith('Less') ? { min: rule.threshold } : { max: rule.threshold };
  return statistic === undefined ? bound : { ...bound, statistic };
}

/** The bound of a one-sided target. */
function boundOf(name: string, target: ReportTarget | undefined): number {
  const bound = target?.min ?? target?.max;
  if (bound === undefined) throw new InvalidCatalogEntryError(name, 'health', "'target' needs a report target");
  return bound;
}

/** A built-in catalog entry in full. */
export function def(e: Entry): KpiDefinition {
  const { metric, section, report, target, headline, summary, health, alarms = [], ...rest } = e;
  const reportTarget =
    target === undefined || !('rule' in target) ? target : targetFromRule(e.name, target.rule, alarms);
  const healthTarget = health === 'target' ? boundOf(e.name, reportTarget) : health;
  return {
    ...rest,
    aggregation: aggregationOf(e.measure),
    ...(metric === undefined ? {} : { metric: { name: metric, unit: METRIC_UNIT[e.unit] } }),
    dashboard: { section },
    report: {
      section: report,
      ...(reportTarget === undefined ? {} : { target: reportTarget }),
      ...(headline === undefined ? {} : { headline }),
    },
    summary: summary ?? false,
    ...(healthTarget === undefined ? {} : { healthTarget }),
    defaultAlarms: alarms,
    custom: false,
  };
}
