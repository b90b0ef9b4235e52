/**
 * An experiment result as rows, one per KPI and treatment variant: what the `kpi experiment`
 * command prints (table or CSV) and the report's Experiments section shows.
 */
import type { ExperimentResult, Verdict } from './analyze';

/** Column names of {@link experimentRows}, in order (the CSV header). */
export const EXPERIMENT_COLUMNS = [
  'kpi',
  'role',
  'variant',
  'control_value',
  'variant_value',
  'n_control',
  'n_variant',
  'abs_lift',
  'abs_ci_low',
  'abs_ci_high',
  'rel_lift',
  'rel_ci_low',
  'rel_ci_high',
  'p_value',
  'p_adjusted',
  'verdict',
] as const;

/** One row: numbers as numbers (null when not computable). */
export type ExperimentRow = Record<(typeof EXPERIMENT_COLUMNS)[number], string | number | null>;

/** The verdict in words. */
export const VERDICT_WORDS: Readonly<Record<Verdict, string>> = {
  better: 'significant, better',
  worse: 'significant, worse',
  changed: 'significant change',
  not_significant: 'not significant',
  no_data: 'no data',
};

/** One row per KPI and treatment variant. */
export function experimentRows(result: ExperimentResult): ExperimentRow[] {
  const rows: ExperimentRow[] = [];
  for (const k of result.kpis) {
    const control = k.variants.find((v) => v.isControl);
    for (const v of k.variants) {
      if (v.isControl) continue;
      const c = v.comparison;
      rows.push({
        kpi: k.kpi,
        role: k.role,
        variant: v.variant,
        control_value: control?.value ?? null,
        variant_value: v.value,
        n_control: control?.n ?? 0,
        n_variant: v.n,
        abs_lift: c?.absolute ?? null,
        abs_ci_low: c?.absoluteCi.low ?? null,
        abs_ci_high: c?.absoluteCi.high ?? null,
        rel_lift: c?.relative ?? null,
        rel_ci_low: c?.relativeCi.low ?? null,
        rel_ci_high: c?.relativeCi.high ?? null,
        p_value: c?.pValue ?? null,
        p_adjusted: c?.adjustedPValue ?? null,
        verdict: c?.verdict ?? 'no_data',
      });
    }
  }
  return rows;
}

/** A p-value for people: `< 0.001` below a thousandth, three decimals otherwise. */
export function formatPValue(p: number | null): string {
  if (p === null) return '-';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A relative lift with its interval, e.g. `+10.2% [+4.1%, +16.3%]`. */
export function formatRelativeLift(rel: number | null, low: number | null, high: number | null): string {
  const pct = (x: number | null) => (x === null ? '?' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
  if (rel === null) return '-';
  return `${pct(rel)} [${pct(low)}, ${pct(high)}]`;
}
