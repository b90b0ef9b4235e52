/**
 * Reads the bins of a quantile sketch through its quantile function alone.
 *
 * A DDSketch answers quantile q with the representative value of the bin holding rank
 * q * (count - 1), so the value at each rank is a step function of the rank: one step per used
 * bin. Walking the steps with a binary search recovers every bin's value and count exactly, with
 * O(bins * log count) quantile calls, from the public `KpiSet.quantile` of a stored item.
 */
import type { SketchBin } from './statistics';

/** The value at quantile q (0..1) of a sketch holding `count` values. */
export type QuantileFunction = (q: number) => number | undefined;

/**
 * The (value, count) bins of a sketch of `count` values, in ascending value order.
 * @throws RangeError when the quantile function gives no value for a rank below `count`
 */
export function binsFromQuantiles(count: number, quantileAt: QuantileFunction): SketchBin[] {
  if (count <= 0) return [];
  const valueAt = (rank: number): number => {
    // Half a rank above the rank itself keeps q * (count - 1) on the right side of rounding.
    const q = count === 1 ? 0 : Math.min(1, (rank + 0.5) / (count - 1));
    const v = quantileAt(q);
    if (v === undefined || !Number.isFinite(v)) throw new RangeError(`no sketch value at rank ${rank} of ${count}`);
    return v;
  };
  const bins: SketchBin[] = [];
  let rank = 0;
  while (rank < count) {
    const value = valueAt(rank);
    // Largest rank with the same value: gallop, then bisect.
    let lo = rank;
    let step = 1;
    let hi = rank + step;
    while (hi < count && valueAt(hi) === value) {
      lo = hi;
      step *= 2;
      hi = rank + step;
    }
    hi = Math.min(hi, count);
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (valueAt(mid) === value) lo = mid;
      else hi = mid;
    }
    bins.push({ value, count: lo - rank + 1 });
    rank = lo + 1;
  }
  return bins;
}
