/**
 * The hypothesis tests behind experiment results: two-proportion z-test (rates), Welch's t-test
 * (means), Mann-Whitney U (quantile KPIs; mann-whitney.ts), Holm's step-down correction and the
 * sample-ratio-mismatch chi-square test. Distribution functions come from @stdlib; this file only
 * does the arithmetic that feeds them. Pure: no I/O, no clock.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { KpiMoments } from '../aggregates';
import { mannWhitneyFromBins, mannWhitneyFromValues } from './mann-whitney';

/** Confidence level of every interval an experiment reports. */
export const CONFIDENCE_LEVEL = 0.95;

/** A two-sided interval; `null` bounds when it cannot be computed (no variance, empty control). */
export interface Interval {
  readonly low: number | null;
  readonly high: number | null;
}

/** Mean and variance of the estimate of one variant's value (the variance of the mean, not of a unit). */
export interface Estimate {
  readonly value: number;
  /** Variance of {@link value} as an estimator. */
  readonly variance: number;
  readonly n: number;
}

/** Lift of a treatment over the control with its intervals and p-value. */
export interface LiftResult {
  /** treatment - control. */
  readonly absolute: number;
  readonly absoluteCi: Interval;
  /** treatment / control - 1; `null` when the control's value is 0. */
  readonly relative: number | null;
  /** Delta-method interval of {@link relative}. */
  readonly relativeCi: Interval;
  /** Two-sided p-value of "no difference". */
  readonly pValue: number;
  /** The test statistic (z, t or the U-test's z). */
  readonly statistic: number;
  /** How the p-value was computed, where a test has more than one way (the U test). */
  readonly method?: string;
}

const Z_975 = normalQuantile(1 - (1 - CONFIDENCE_LEVEL) / 2, 0, 1);

/** Two-sided p-value of a standard normal statistic (upper tail doubled, exact in the far tail). */
function normalTwoSided(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

function interval(centre: number, halfWidth: number): Interval {
  return Number.isFinite(halfWidth) ? { low: centre - halfWidth, high: centre + halfWidth } : { low: null, high: null };
}

/**
 * Relative lift t/c - 1 and its delta-method interval: Var(T/C) ~ Var(T)/C^2 + T^2 Var(C)/C^4
 * (treatment and control independent), with the normal quantile.
 */
export function relativeLift(control: Estimate, treatment: Estimate): { relative: number | null; ci: Interval } {
  if (control.value === 0) return { relative: null, ci: { low: null, high: null } };
  const c = control.value;
  const t = treatment.value;
  const variance = treatment.variance / (c * c) + (t * t * control.variance) / (c * c * c * c);
  const relative = t / c - 1;
  return { relative, ci: interval(relative, Z_975 * Math.sqrt(variance)) };
}

/**
 * Two-proportion z-test: p-value from the pooled proportion (the null hypothesis' variance),
 * interval of the difference from the unpooled (Wald) variance.
 */
export function twoProportionTest(
  control: { successes: number; trials: number },
  treatment: { successes: number; trials: number },
): LiftResult {
  const p1 = control.successes / control.trials;
  const p2 = treatment.successes / treatment.trials;
  const pooled = (control.successes + treatment.successes) / (control.trials + treatment.trials);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / control.trials + 1 / treatment.trials));
  const z = se0 > 0 ? (p2 - p1) / se0 : 0;
  const c: Estimate = { value: p1, variance: (p1 * (1 - p1)) / control.trials, n: control.trials };
  const t: Estimate = { value: p2, variance: (p2 * (1 - p2)) / treatment.trials, n: treatment.trials };
  const rel = relativeLift(c, t);
  return {
    absolute: p2 - p1,
    absoluteCi: interval(p2 - p1, Z_975 * Math.sqrt(c.variance + t.variance)),
    relative: rel.relative,
    relativeCi: rel.ci,
    pValue: se0 > 0 ? normalTwoSided(z) : 1,
    statistic: z,
  };
}

/** First two moments of a sample: what a mean KPI state keeps with second moments. */
export type Moments = KpiMoments;

/** Sample variance (n - 1 denominator) from moments; 0 below two observations. */
export function sampleVariance(m: Moments): number {
  if (m.n < 2) return 0;
  const mean = m.sum / m.n;
  // Clamped: rounding can take sum of squares minus n*mean^2 a hair below zero for constant data.
  return Math.max(0, (m.sumOfSquares - m.sum * mean) / (m.n - 1));
}

/** The mean and its variance (s^2 / n) from moments. */
export function meanEstimate(m: Moments): Estimate {
  return { value: m.n > 0 ? m.sum / m.n : 0, variance: m.n > 0 ? sampleVariance(m) / m.n : 0, n: m.n };
}

/**
 * Welch's t-test (unequal variances) with the Welch-Satterthwaite degrees of freedom; the interval
 * of the difference uses the same t distribution, as SciPy's `ttest_ind(equal_var=False)` does.
 */
export function welchTest(control: Moments, treatment: Moments): LiftResult {
  const c = meanEstimate(control);
  const t = meanEstimate(treatment);
  const se2 = c.variance + t.variance;
  const diff = t.value - c.value;
  const rel = relativeLift(c, t);
  if (!(se2 > 0) || control.n < 2 || treatment.n < 2) {
    return { absolute: diff, absoluteCi: { low: null, high: null }, ...relOf(rel), pValue: 1, statistic: 0 };
  }
  const df =
    (se2 * se2) / ((c.variance * c.variance) / (control.n - 1) + (t.variance * t.variance) / (treatment.n - 1));
  const stat = diff / Math.sqrt(se2);
  const q = tQuantile(1 - (1 - CONFIDENCE_LEVEL) / 2, df);
  return {
    absolute: diff,
    absoluteCi: interval(diff, q * Math.sqrt(se2)),
    ...relOf(rel),
    pValue: Math.min(1, 2 * tCdf(-Math.abs(stat), df)),
    statistic: stat,
  };
}

function relOf(rel: { relative: number | null; ci: Interval }): Pick<LiftResult, 'relative' | 'relativeCi'> {
  return { relative: rel.relative, relativeCi: rel.ci };
}

/** One bin of a quantile sketch: its representative value and how many observations fell in it. */
export interface SketchBin {
  readonly value: number;
  readonly count: number;
}

/** Mean and variance of the estimate of the mean, from bins (each observation taken at its bin's value). */
export function binsEstimate(bins: readonly SketchBin[]): Estimate {
  let n = 0;
  let sum = 0;
  let sumOfSquares = 0;
  for (const b of bins) {
    n += b.count;
    sum += b.count * b.value;
    sumOfSquares += b.count * b.value * b.value;
  }
  return meanEstimate({ n, sum, sumOfSquares });
}

/** One variant's data for a rank test: sketch bins, and the values when all are known. */
export interface DistributionData {
  readonly bins: readonly SketchBin[];
  readonly values?: readonly number[];
}

/**
 * Mann-Whitney p-value with the lift of the means and its normal interval: the interval
 * describes the size of the change, the U test whether the distributions differ. On the values
 * when both variants have them (exact means, exact U), else on the bins (means of bin values,
 * U with in-bin ties).
 */
export function distributionTest(control: DistributionData, treatment: DistributionData): LiftResult {
  const onValues = control.values !== undefined && treatment.values !== undefined;
  const c = onValues ? valuesEstimate(control.values!) : binsEstimate(control.bins);
  const t = onValues ? valuesEstimate(treatment.values!) : binsEstimate(treatment.bins);
  const mw = onValues
    ? mannWhitneyFromValues(control.values!, treatment.values!)
    : mannWhitneyFromBins(control.bins, treatment.bins);
  const rel = relativeLift(c, t);
  return {
    absolute: t.value - c.value,
    absoluteCi: interval(t.value - c.value, Z_975 * Math.sqrt(c.variance + t.variance)),
    ...relOf(rel),
    pValue: mw.pValue,
    statistic: mw.z,
    method: `${mw.method === 'exact' ? 'exact' : 'normal approximation'}, on ${onValues ? 'the values' : 'sketch bins'}`,
  };
}

/** Mean and variance of the mean of raw values. */
function valuesEstimate(values: readonly number[]): Estimate {
  let sum = 0;
  let sumOfSquares = 0;
  for (const v of values) {
    sum += v;
    sumOfSquares += v * v;
  }
  return meanEstimate({ n: values.length, sum, sumOfSquares });
}

/**
 * Holm's step-down adjustment of a family of p-values (controls the family-wise error rate):
 * the i-th smallest is multiplied by (m - i), made monotone and capped at 1. Order is kept.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

/** Result of the sample-ratio-mismatch check. */
export interface SrmResult {
  readonly chiSquare: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** p below {@link SRM_ALPHA}: the split is not the planned one, so no result can be trusted. */
  readonly mismatch: boolean;
}

/** Sample-ratio-mismatch threshold: the usual 0.001, strict because the check runs on every experiment. */
export const SRM_ALPHA = 0.001;

/**
 * Pearson chi-square goodness of fit of observed units per variant against the planned allocation
 * (weights, normalized here), as SciPy's `chisquare(observed, expected)`.
 */
export function sampleRatioMismatch(observed: readonly number[], plannedWeights: readonly number[]): SrmResult {
  const total = observed.reduce((a, b) => a + b, 0);
  const weight = plannedWeights.reduce((a, b) => a + b, 0);
  let chi = 0;
  observed.forEach((o, i) => {
    const expected = (total * plannedWeights[i]!) / weight;
    if (expected > 0) chi += ((o - expected) * (o - expected)) / expected;
  });
  const df = observed.length - 1;
  const pValue = total === 0 || df < 1 ? 1 : 1 - chisquareCdf(chi, df);
  return { chiSquare: chi, degreesOfFreedom: df, pValue, mismatch: pValue < SRM_ALPHA };
}
