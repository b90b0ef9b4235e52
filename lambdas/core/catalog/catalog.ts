import { ConfigurationError } from '../configuration-error';
import { CUSTOM_EVENT_PREFIX, EVENT_TYPES } from '../events/contract';
import { type ReportKind, SEVERITIES } from '../vocabulary';
import { aggregationOf, METRIC_UNIT, threshold } from './builders';
import { BUILT_IN_KPIS } from './builtin';
import {
  CUSTOM_ALARM_COMPARISONS,
  CUSTOM_EVENT_TYPE_PATTERN,
  CUSTOM_EVENT_TYPE_RULE,
  CUSTOM_KPI_AGGREGATIONS,
  type CustomKpiAlarmSpec,
  type CustomKpiSpec,
  type DefaultAlarmRule,
  KPI_NAME_PATTERN,
  KPI_NAME_RULE,
  KPI_UNITS,
  type KpiCondition,
  type KpiDefinition,
  type KpiMeasure,
  type KpiUnit,
  type ReportTargetStatistic,
} from './types';

/** A custom KPI declaration that cannot be used; names the offending field and the rule it breaks. */
export class InvalidCustomKpiError extends ConfigurationError {
  /** JSON path of the offending field, e.g. `customKpis[2].field`. */
  readonly field: string;
  constructor(field: string, rule: string) {
    super(field, rule, `Invalid custom KPI: ${field} ${rule}`);
    this.name = 'InvalidCustomKpiError';
    this.field = field;
  }
}

/** Thrown by {@link KpiCatalog.require} for a KPI that the catalog does not have. */
export class UnknownKpiError extends Error {
  constructor(readonly kpi: string) {
    super(`Unknown KPI "${kpi}": not in the catalog (built-in KPIs, or customKpis of the configuration)`);
    this.name = 'UnknownKpiError';
  }
}

/** The JSON type a custom event's field must have, because a custom KPI measures it. */
export type CustomFieldKind = 'number' | 'non_negative_number' | 'boolean' | 'string_or_number';

/**
 * The kind a field must have when several custom KPIs measure it: the stricter of two numeric
 * kinds, `undefined` when they cannot both hold.
 */
function combineKinds(a: CustomFieldKind, b: CustomFieldKind): CustomFieldKind | undefined {
  if (a === b) return a;
  const numeric = new Set<CustomFieldKind>(['number', 'non_negative_number']);
  return numeric.has(a) && numeric.has(b) ? 'non_negative_number' : undefined;
}

/** Data field names: identifiers only, which also rules out `__proto__`-style tricks via `.` or `[`. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const FORBIDDEN_FIELDS = new Set(['__proto__', 'constructor', 'prototype']);

const FIELD_KIND: Record<CustomKpiSpec['aggregation'], CustomFieldKind | undefined> = {
  count: undefined,
  sum: 'number',
  mean: 'number',
  // DDSketch here keeps no negative bins through a merge: quantile fields must be >= 0.
  quantiles: 'non_negative_number',
  rate: 'boolean',
  distinct: 'string_or_number',
};

const DEFAULT_UNIT: Record<CustomKpiSpec['aggregation'], KpiUnit> = {
  count: 'count',
  sum: 'count',
  mean: 'count',
  quantiles: 'ms',
  rate: 'ratio',
  distinct: 'users',
};

function checkField(path: string, value: unknown): string {
  if (typeof value !== 'string' || !FIELD_NAME.test(value) || FORBIDDEN_FIELDS.has(value)) {
    throw new InvalidCustomKpiError(path, 'must be a data field name: letters, digits, _ (not __proto__/constructor)');
  }
  return value;
}

function toPascal(name: string): string {
  return name
    .split('_')
    .map((p) => (p === '' ? '' : p[0]!.toUpperCase() + p.slice(1)))
    .join('');
}

function oneOf(path: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) throw new InvalidCustomKpiError(path, `must be one of ${allowed.join(', ')}`);
}

/** Checks the declaration's own keys; returns the measured field (undefined for a count). */
function checkSpec(spec: CustomKpiSpec, at: string): string | undefined {
  if (typeof spec !== 'object' || spec === null) throw new InvalidCustomKpiError(at, 'must be an object');
  if (typeof spec.name !== 'string' || !KPI_NAME_PATTERN.test(spec.name)) {
    throw new InvalidCustomKpiError(`${at}.name`, KPI_NAME_RULE);
  }
  if (typeof spec.eventType !== 'string' || !CUSTOM_EVENT_TYPE_PATTERN.test(spec.eventType)) {
    throw new InvalidCustomKpiError(`${at}.eventType`, CUSTOM_EVENT_TYPE_RULE);
  }
  oneOf(`${at}.aggregation`, spec.aggregation, CUSTOM_KPI_AGGREGATIONS);
  if (spec.unit !== undefined) oneOf(`${at}.unit`, spec.unit, KPI_UNITS);
  if (spec.aggregation !== 'count') return checkField(`${at}.field`, spec.field);
  if (spec.field !== undefined) {
    throw new InvalidCustomKpiError(`${at}.field`, 'must be omitted for a count (it counts events)');
  }
  return undefined;
}

/** The `where` condition of a declaration, checked. */
function whereOf(spec: CustomKpiSpec, at: string): KpiCondition[] {
  if (spec.where === undefined) return [];
  const wf = checkField(`${at}.where.field`, spec.where.field);
  const eqv: unknown = spec.where.equals;
  const okValue =
    typeof eqv === 'string' || typeof eqv === 'boolean' || (typeof eqv === 'number' && Number.isFinite(eqv));
  if (!okValue) throw new InvalidCustomKpiError(`${at}.where.equals`, 'must be a string, finite number or boolean');
  return [{ field: wf, op: 'eq', value: eqv as string | number | boolean }];
}

function measureOf(aggregation: CustomKpiSpec['aggregation'], field: string, where: KpiCondition[]): KpiMeasure {
  switch (aggregation) {
    case 'count':
      return { kind: 'count', where };
    case 'rate':
      // The denominator is the events that carry the boolean, like cache_hit_rate.
      return { kind: 'rate', hit: [{ field, op: 'eq', value: true }], where: [...where, { field, op: 'present' }] };
    case 'distinct':
      return { kind: 'distinct', field, where };
    default:
      return { kind: aggregation, field, where };
  }
}

/** The statistic an alarm reads when the declaration names none. */
const DEFAULT_ALARM_STATISTIC: Record<CustomKpiSpec['aggregation'], string> = {
  count: 'Sum',
  sum: 'Sum',
  mean: 'Average',
  quantiles: 'p95',
  rate: 'Average',
  distinct: 'Average',
};

/** The declared alarms as default rules of the KPI, one per severity. */
function alarmsOf(spec: CustomKpiSpec, at: string): DefaultAlarmRule[] {
  const alarms: readonly CustomKpiAlarmSpec[] = spec.alarms ?? [];
  const seen = new Set<string>();
  return alarms.map((a, i) => {
    const path = `${at}.alarms[${i}]`;
    oneOf(`${path}.severity`, a.severity, SEVERITIES);
    oneOf(`${path}.comparison`, a.comparison, CUSTOM_ALARM_COMPARISONS);
    if (typeof a.threshold !== 'number' || !Number.isFinite(a.threshold)) {
      throw new InvalidCustomKpiError(`${path}.threshold`, 'must be a finite number');
    }
    if (seen.has(a.severity)) {
      throw new InvalidCustomKpiError(`${path}.severity`, `duplicates the ${a.severity} alarm of ${spec.name}`);
    }
    seen.add(a.severity);
    const side = a.comparison === 'GreaterThanThreshold' ? 'above' : 'below';
    return threshold(spec.name, {
      severity: a.severity,
      statistic: a.statistic ?? DEFAULT_ALARM_STATISTIC[spec.aggregation],
      comparison: a.comparison,
      threshold: a.threshold,
      ...(a.ladder === undefined ? {} : { ladder: a.ladder }),
      description: a.description ?? `${spec.name} is ${side} ${a.threshold}.`,
    });
  });
}

/** Turns one custom KPI declaration into a catalog entry, checking it on the way. */
function customDefinition(spec: CustomKpiSpec, at: string): KpiDefinition {
  const field = checkSpec(spec, at);
  const measure = measureOf(spec.aggregation, field ?? '', whereOf(spec, at));
  const unit = spec.unit ?? DEFAULT_UNIT[spec.aggregation];
  const fieldText = field === undefined ? '' : ` of ${field}`;
  const whereText = spec.where === undefined ? '' : ` where ${spec.where.field} = ${String(spec.where.equals)}`;
  return {
    name: spec.name,
    title: spec.name,
    description: spec.description ?? `${spec.aggregation}${fieldText} over ${spec.eventType}${whereText}.`,
    unit,
    eventType: spec.eventType,
    aggregation: aggregationOf(measure),
    direction: spec.direction ?? 'neutral',
    measure,
    metric: { name: toPascal(spec.name), unit: METRIC_UNIT[unit] },
    dashboard: { section: 'Custom' },
    report: { section: 'business' },
    summary: false,
    defaultAlarms: alarmsOf(spec, at),
    custom: true,
  };
}

/**
 * The KPI catalog: the built-in KPIs of the event contract plus the custom KPIs of the
 * configuration. Immutable; build it once per process.
 */
export class KpiCatalog {
  private readonly byName: ReadonlyMap<string, KpiDefinition>;
  private readonly byType: ReadonlyMap<string, readonly KpiDefinition[]>;
  private readonly fieldKinds: ReadonlyMap<string, ReadonlyMap<string, CustomFieldKind>>;
  private readonly list: readonly KpiDefinition[];

  private constructor(defs: readonly KpiDefinition[], fieldKinds: Map<string, Map<string, CustomFieldKind>>) {
    this.list = defs;
    this.byName = new Map(defs.map((d) => [d.name, d]));
    const byType = new Map<string, KpiDefinition[]>();
    for (const t of EVENT_TYPES) byType.set(t, []);
    for (const d of defs) {
      const l = byType.get(d.eventType) ?? [];
      l.push(d);
      byType.set(d.eventType, l);
    }
    this.byType = byType;
    this.fieldKinds = fieldKinds;
  }

  /** The built-in KPIs only. */
  static builtIn(): KpiCatalog {
    return KpiCatalog.create([]);
  }

  /**
   * The built-in KPIs plus `custom` ones.
   * @throws InvalidCustomKpiError naming the field and the rule when a declaration is unusable
   */
  static create(custom: readonly CustomKpiSpec[] = []): KpiCatalog {
    const defs: KpiDefinition[] = [...BUILT_IN_KPIS];
    const names = new Set(defs.map((d) => d.name));
    const fieldKinds = new Map<string, Map<string, CustomFieldKind>>();
    custom.forEach((spec, i) => {
      const at = `customKpis[${i}]`;
      const d = customDefinition(spec, at);
      if (names.has(d.name)) throw new InvalidCustomKpiError(`${at}.name`, `duplicates the KPI "${d.name}"`);
      names.add(d.name);
      const kind = FIELD_KIND[spec.aggregation];
      if (kind !== undefined && spec.field !== undefined) {
        const kinds = fieldKinds.get(spec.eventType) ?? new Map<string, CustomFieldKind>();
        const prior = kinds.get(spec.field);
        const combined = prior === undefined ? kind : combineKinds(prior, kind);
        if (combined === undefined) {
          throw new InvalidCustomKpiError(
            `${at}.field`,
            `is measured as ${kind} here but as ${prior} by another KPI over ${spec.eventType}`,
          );
        }
        kinds.set(spec.field, combined);
        fieldKinds.set(spec.eventType, kinds);
      } else if (!fieldKinds.has(spec.eventType)) {
        fieldKinds.set(spec.eventType, new Map());
      }
      defs.push(d);
    });
    return new KpiCatalog(defs, fieldKinds);
  }

  /** Every KPI, built-in first (contract order), then custom in declaration order. */
  all(): readonly KpiDefinition[] {
    return this.list;
  }

  /** The KPI named `name` (a base name: `feature_adoption`, not `feature_adoption:search`). */
  get(name: string): KpiDefinition | undefined {
    return this.byName.get(name);
  }

  /**
   * Like {@link get}, for names that must exist.
   * @throws UnknownKpiError when the catalog has no such KPI
   */
  require(name: string): KpiDefinition {
    const d = this.byName.get(name);
    if (d === undefined) throw new UnknownKpiError(name);
    return d;
  }

  /** The KPIs fed by events of `type` (empty for unknown types). */
  forEventType(type: string): readonly KpiDefinition[] {
    return this.byType.get(type) ?? [];
  }

  /** Whether events of `type` are accepted: a built-in type, or a custom type some custom KPI reads. */
  isKnownEventType(type: string): boolean {
    return (
      (EVENT_TYPES as readonly string[]).includes(type) ||
      (type.startsWith(CUSTOM_EVENT_PREFIX) && this.fieldKinds.has(type))
    );
  }

  /** The KPIs `kpi local` prints in its run summary, catalog order. */
  summaryKpis(): readonly KpiDefinition[] {
    return this.list.filter((d) => d.summary);
  }

  /**
   * The KPI a report charts as its headline, and the statistic it is charted on (its report
   * target's statistic, else the headline value).
   * @throws UnknownKpiError when no entry is the headline of `kind`
   */
  headline(kind: ReportKind): { readonly kpi: KpiDefinition; readonly statistic: ReportTargetStatistic } {
    const kpi = this.list.find((d) => d.report?.headline === kind);
    if (kpi === undefined) throw new UnknownKpiError(`(headline of ${kind})`);
    return { kpi, statistic: kpi.report?.target?.statistic ?? 'value' };
  }

  /** The custom event types the catalog accepts. */
  customEventTypes(): readonly string[] {
    return [...this.fieldKinds.keys()];
  }

  /**
   * The fields of a custom event type that custom KPIs measure, with the JSON type each must
   * have; the decoder rejects events where such a field has another type.
   */
  customFieldKinds(type: string): ReadonlyMap<string, CustomFieldKind> {
    return this.fieldKinds.get(type) ?? new Map();
  }
}
