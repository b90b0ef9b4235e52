/**
 * The Mann-Whitney U test of a quantile KPI, from the values themselves when the experiment items
 * kept them, else from the sketch bins. Pure: no I/O, no clock.
 *
 * Which p-value, in the order SciPy's `mannwhitneyu` would give it:
 * - no ties and at most {@link EXACT_WORK_LIMIT} work: the exact null distribution of U
 *   (`method='exact'`), computed as the coefficients of the Gaussian binomial coefficient;
 * - otherwise the normal approximation with the tie-corrected variance and a continuity
 *   correction (`method='asymptotic'`), within ~0.001 of the exact test from 60 values per variant.
 * From bins, values in one bin (within 2% of each other at the sketches' 1% accuracy) are ties, so
 * U is known up to half the cross-variant pairs inside shared bins: that is the approximation.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import type { SketchBin } from './statistics';

/**
 * Most work (smaller size x larger size x smaller size, ~ multiply-adds) the exact distribution
 * may take: about 0.1 s, reached at ~300 values per variant, where the normal approximation is
 * already within 0.001 of it.
 */
export const EXACT_WORK_LIMIT = 30_000_000;

/** The U statistic of the treatment and its two-sided p-value. */
export interface MannWhitneyResult {
  /** Treatment-control pairs where the treatment is larger, ties counting half (SciPy's U1 for the treatment). */
  readonly u: number;
  /** Standardized U with the continuity correction (positive: the treatment tends to be larger). */
  readonly z: number;
  readonly pValue: number;
  /** Which distribution gave the p-value. */
  readonly method: 'exact' | 'asymptotic';
}

/** Observations at one distinct value (or in one bin): how many from each variant. */
interface TieGroup {
  readonly value: number;
  c: number;
  t: number;
}

/** Groups of equal values in ascending order. */
function groupsOf(control: readonly SketchBin[], treatment: readonly SketchBin[]): TieGroup[] {
  const byValue = new Map<number, TieGroup>();
  const add = (value: number, c: number, t: number): void => {
    const g = byValue.get(value);
    if (g === undefined) byValue.set(value, { value, c, t });
    else {
      g.c += c;
      g.t += t;
    }
  };
  for (const b of control) if (b.count > 0) add(b.value, b.count, 0);
  for (const b of treatment) if (b.count > 0) add(b.value, 0, b.count);
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}

/** Each value as a bin of one (equal values become one bin of their count when grouped). */
function asBins(values: readonly number[]): SketchBin[] {
  return values.map((value) => ({ value, count: 1 }));
}

/**
 * Mann-Whitney U test of treatment against control on the values themselves: SciPy's
 * `mannwhitneyu(treatment, control)` with `method='exact'` when there are no ties and the sizes
 * allow it, `method='asymptotic'` otherwise.
 */
export function mannWhitneyFromValues(control: readonly number[], treatment: readonly number[]): MannWhitneyResult {
  return mannWhitneyFromBins(asBins(control), asBins(treatment));
}

/**
 * Mann-Whitney U test of treatment against control from sketch bins (or any value-count pairs):
 * values sharing a bin are ties. See the module comment for the approximation.
 */
export function mannWhitneyFromBins(control: readonly SketchBin[], treatment: readonly SketchBin[]): MannWhitneyResult {
  const groups = groupsOf(control, treatment);
  let nc = 0;
  let nt = 0;
  let u = 0;
  let ties = 0;
  for (const g of groups) {
    u += g.t * (nc + g.c / 2);
    nc += g.c;
    nt += g.t;
    const k = g.c + g.t;
    ties += k * k * k - k;
  }
  if (nc === 0 || nt === 0) return { u: 0, z: 0, pValue: 1, method: 'asymptotic' };
  const total = nc + nt;
  const mean = (nc * nt) / 2;
  const variance = ((nc * nt) / 12) * (total + 1 - ties / (total * (total - 1)));
  // Continuity correction towards the mean, as SciPy's asymptotic method.
  const dev = Math.sign(u - mean) * Math.max(0, Math.abs(u - mean) - 0.5);
  const z = variance > 0 ? dev / Math.sqrt(variance) : 0;
  const small = Math.min(nc, nt);
  if (ties === 0 && small * nc * nt <= EXACT_WORK_LIMIT) {
    // SciPy's exact two-sided p: twice the upper tail at the larger of the two U's (floored).
    const upper = Math.floor(Math.max(u, nc * nt - u));
    return { u, z, pValue: Math.min(1, 2 * exactUpperTail(nc, nt, upper)), method: 'exact' };
  }
  if (!(variance > 0)) return { u, z: 0, pValue: 1, method: 'asymptotic' };
  return { u, z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1)), method: 'asymptotic' };
}

/**
 * P(U >= u) for the U statistic of samples of sizes m and n without ties under the null
 * hypothesis. The counts of U are the coefficients of the Gaussian binomial coefficient
 * [m+n choose m]_q = prod_{i=1..s} (1 - q^(l+i)) / (1 - q^i) (s the smaller size, l the larger);
 * by symmetry P(U >= u) = P(U <= mn - u), so only the coefficients up to mn - u are built
 * (truncating a power series is exact). Each factor is scaled by i / (l + i), so the full
 * distribution always sums to 1 and nothing overflows.
 */
export function exactUpperTail(m: number, n: number, u: number): number {
  const total = m * n;
  const k = total - u;
  if (k < 0) return 0;
  if (k >= total) return 1;
  const s = Math.min(m, n);
  const l = Math.max(m, n);
  const a = new Float64Array(k + 1);
  a[0] = 1;
  for (let i = 1; i <= s; i++) {
    const up = l + i;
    for (let j = k; j >= up; j--) a[j]! -= a[j - up]!;
    for (let j = i; j <= k; j++) a[j]! += a[j - i]!;
    const scale = i / up;
    for (let j = 0; j <= k; j++) a[j]! *= scale;
  }
  let cdf = 0;
  for (let j = 0; j <= k; j++) cdf += a[j]!;
  return Math.min(1, cdf);
}
