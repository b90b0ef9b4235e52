/**
 * An experiment's result: per KPI and treatment variant against the control, the value, n, lift
 * with 95% intervals, the p-value of the KPI's test (Holm-adjusted across secondary KPIs), the
 * verdict, and the sample-ratio-mismatch check of the split. Pure: the caller brings one merged
 * KPI set per variant and the time.
 */
import type { KpiSet } from '../aggregates';
import type { KpiCatalog, KpiDefinition, KpiDirection, KpiUnit } from '../catalog';
import type { ExperimentConfig } from './config';
import { type KpiSample, sampleOf, sampleSize, type TestFamily, testFamilyOf } from './samples';
import {
  distributionTest,
  holmAdjust,
  type LiftResult,
  type SrmResult,
  sampleRatioMismatch,
  twoProportionTest,
  welchTest,
} from './statistics';

/** What a comparison concludes. */
export type Verdict = 'better' | 'worse' | 'changed' | 'not_significant' | 'no_data';

/** Where an experiment is in its schedule. */
export type ExperimentStatus = 'scheduled' | 'running' | 'finished';

/** The test each family gets, and the approximation it makes, in words for the reader. */
export const TEST_DESCRIPTIONS: Readonly<Record<TestFamily, string>> = {
  proportion: 'two-proportion z-test (pooled variance); Wald interval; delta method for the relative lift',
  mean: "Welch's t-test (unequal variances); t interval; delta method for the relative lift",
  distribution:
    'Mann-Whitney U on the values while the experiment items keep them (up to 1,000 per variant and day), ' +
    'else on the sketch bins (values within 2% count as ties); exact without ties up to ~300 values per ' +
    'variant, else normal approximation with tie and continuity correction; lift of the means with a normal interval',
};

/** One treatment variant against the control. */
export interface Comparison extends LiftResult {
  /** The p-value the verdict uses: Holm-adjusted for secondary KPIs, as is for the primary. */
  readonly adjustedPValue: number;
  readonly verdict: Verdict;
}

/** One variant's reading of one KPI. */
export interface VariantReading {
  readonly variant: string;
  readonly isControl: boolean;
  /** The KPI's headline value (a rate as a fraction, a mean, a quantile KPI's mean); null without data. */
  readonly value: number | null;
  /** Units the value is over (trials, values). */
  readonly n: number;
  /** Against the control (treatments only; absent when either side has no data). */
  readonly comparison?: Comparison;
}

/** One KPI of the experiment. */
export interface KpiResult {
  readonly kpi: string;
  readonly title: string;
  readonly unit: KpiUnit;
  readonly direction: KpiDirection;
  readonly role: 'primary' | 'secondary';
  readonly family: TestFamily;
  readonly test: string;
  /** Set when the KPI's events are not the unit of randomization: what that does to the test. */
  readonly unitNote?: string;
  readonly variants: readonly VariantReading[];
}

/** The whole result. */
export interface ExperimentResult {
  readonly id: string;
  readonly title: string;
  /** Tenant id, or `*` for the fleet. */
  readonly scope: string;
  readonly status: ExperimentStatus;
  readonly start: string;
  readonly end?: string;
  readonly alpha: number;
  readonly control: string;
  readonly srm: SrmResult & {
    readonly unitKpi: string;
    readonly observed: ReadonlyArray<{ variant: string; units: number; plannedShare: number }>;
  };
  readonly kpis: readonly KpiResult[];
}

/** Where the experiment is at `nowMs`. */
export function experimentStatus(exp: ExperimentConfig, nowMs: number): ExperimentStatus {
  if (nowMs < Date.parse(exp.start)) return 'scheduled';
  if (exp.end !== undefined && nowMs >= Date.parse(exp.end)) return 'finished';
  return 'running';
}

function runTest(control: KpiSample, treatment: KpiSample): LiftResult | undefined {
  if (control.family === 'proportion' && treatment.family === 'proportion')
    return twoProportionTest(control, treatment);
  if (control.family === 'mean' && treatment.family === 'mean') return welchTest(control.moments, treatment.moments);
  if (control.family === 'distribution' && treatment.family === 'distribution') {
    return distributionTest(control, treatment);
  }
  return undefined;
}

function verdictOf(direction: KpiDirection, absolute: number, p: number, alpha: number): Verdict {
  if (!(p < alpha)) return 'not_significant';
  if (direction === 'neutral' || absolute === 0) return 'changed';
  return absolute > 0 === (direction === 'higher_is_better') ? 'better' : 'worse';
}

/**
 * Says plainly when a KPI's events are not the randomized units: several events of one unit are
 * correlated (turns of one session share its caller, prompt and network), so a test that counts
 * them as independent trials overstates the evidence.
 */
export function unitNote(def: KpiDefinition, unit: KpiDefinition | undefined): string | undefined {
  if (unit === undefined || def.eventType === unit.eventType) return undefined;
  return (
    `${def.name} counts ${def.eventType} events, not the randomized units (${unit.eventType}, ${unit.name}): ` +
    'events of one unit are correlated and the test treats them as independent, so its p-value and interval ' +
    'are too small; a clear effect is real, a marginal one may be noise'
  );
}

interface KpiRow {
  readonly def: KpiDefinition;
  readonly family: TestFamily;
  readonly role: 'primary' | 'secondary';
  readonly readings: VariantReading[];
  readonly lifts: Map<string, LiftResult>;
}

function readKpi(
  def: KpiDefinition,
  role: KpiRow['role'],
  exp: ExperimentConfig,
  sets: ReadonlyMap<string, KpiSet>,
): KpiRow | undefined {
  const family = testFamilyOf(def);
  if (family === undefined) return undefined;
  const samples = new Map<string, KpiSample | undefined>();
  for (const v of exp.variants) {
    const set = sets.get(v.id);
    samples.set(v.id, set === undefined ? undefined : sampleOf(set, def));
  }
  const control = samples.get(exp.control);
  const lifts = new Map<string, LiftResult>();
  const readings = exp.variants.map((v): VariantReading => {
    const s = samples.get(v.id);
    const value = sets.get(v.id)?.value(def.name);
    if (v.id !== exp.control && s !== undefined && control !== undefined) {
      const lift = runTest(control, s);
      if (lift !== undefined) lifts.set(v.id, lift);
    }
    return { variant: v.id, isControl: v.id === exp.control, value: value?.value ?? null, n: s ? sampleSize(s) : 0 };
  });
  return { def, family, role, readings, lifts };
}

/** Holm across the secondary KPIs, per treatment variant; the primary keeps its own p-value. */
function judge(rows: readonly KpiRow[], exp: ExperimentConfig): KpiResult[] {
  const adjusted = new Map<KpiRow, Map<string, number>>(rows.map((r) => [r, new Map()]));
  for (const v of exp.variants) {
    if (v.id === exp.control) continue;
    const family = rows.filter((r) => r.role === 'secondary' && r.lifts.has(v.id));
    const ps = holmAdjust(family.map((r) => r.lifts.get(v.id)!.pValue));
    family.forEach((r, i) => {
      adjusted.get(r)!.set(v.id, ps[i]!);
    });
    for (const r of rows)
      if (r.role === 'primary' && r.lifts.has(v.id)) adjusted.get(r)!.set(v.id, r.lifts.get(v.id)!.pValue);
  }
  return rows.map((r) => {
    const variants = r.readings.map((reading): VariantReading => {
      const lift = r.lifts.get(reading.variant);
      if (lift === undefined) return reading;
      const p = adjusted.get(r)!.get(reading.variant) ?? lift.pValue;
      const verdict = verdictOf(r.def.direction, lift.absolute, p, exp.alpha);
      return { ...reading, comparison: { ...lift, adjustedPValue: p, verdict } };
    });
    return {
      kpi: r.def.name,
      title: r.def.title,
      unit: r.def.unit,
      direction: r.def.direction,
      role: r.role,
      family: r.family,
      test: TEST_DESCRIPTIONS[r.family],
      variants,
    };
  });
}

/**
 * Analyses an experiment from one merged KPI set per variant (the experiment items of the
 * analysed days). Variants without a set count as empty.
 */
export function analyzeExperiment(
  exp: ExperimentConfig,
  catalog: KpiCatalog,
  sets: ReadonlyMap<string, KpiSet>,
  nowMs: number,
): ExperimentResult {
  const unitDef = catalog.get(exp.unitKpi);
  const rows: KpiRow[] = [];
  const kpis: Array<[string, KpiRow['role']]> = [
    [exp.primaryKpi, 'primary'],
    ...exp.secondaryKpis.map((k): [string, KpiRow['role']] => [k, 'secondary']),
  ];
  for (const [name, role] of kpis) {
    const def = catalog.get(name);
    const row = def === undefined ? undefined : readKpi(def, role, exp, sets);
    if (row !== undefined) rows.push(row);
  }
  const results = judge(rows, exp).map((r, i) => {
    const note = unitNote(rows[i]!.def, unitDef);
    return note === undefined ? r : { ...r, unitNote: note };
  });
  const units = exp.variants.map((v) => sets.get(v.id)?.value(exp.unitKpi)?.count ?? 0);
  const weight = exp.variants.reduce((a, v) => a + v.allocation, 0);
  const srm = sampleRatioMismatch(
    units,
    exp.variants.map((v) => v.allocation),
  );
  return {
    id: exp.id,
    title: exp.title ?? exp.id,
    scope: exp.tenant,
    status: experimentStatus(exp, nowMs),
    start: exp.start,
    ...(exp.end === undefined ? {} : { end: exp.end }),
    alpha: exp.alpha,
    control: exp.control,
    srm: {
      ...srm,
      unitKpi: exp.unitKpi,
      observed: exp.variants.map((v, i) => ({ variant: v.id, units: units[i]!, plannedShare: v.allocation / weight })),
    },
    kpis: results,
  };
}

/** The verdict of the primary KPI for one treatment (the first when there are several). */
export function primaryVerdict(result: ExperimentResult): Verdict {
  const primary = result.kpis.find((k) => k.role === 'primary');
  const treated = primary?.variants.find((v) => !v.isControl);
  return treated?.comparison?.verdict ?? 'no_data';
}
