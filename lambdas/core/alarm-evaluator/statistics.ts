/**
 * Metric storage and period statistics. A period's statistic is computed from every sample
 * published with a timestamp in `[start, end)`, as CloudWatch aggregates raw values into a
 * period: `SampleCount`, `Sum`, `Average`, `Minimum`, `Maximum`, and percentiles `pNN` (nearest
 * rank over the samples, each value weighted by its EMF count: the smallest value with at least
 * NN% of the samples at or below it). CloudWatch computes percentiles from the raw values when it
 * has them, so this matches it for the value/count pairs EMF carries.
 */
import { AlarmEvaluationError, type MetricDatum } from './types';

/** A stored sample run: one value seen `count` times at `t`. */
interface Sample {
  readonly t: number;
  readonly v: number;
  readonly c: number;
}

/** The statistic of one period, and how many samples it came from. */
export interface PeriodStatistic {
  readonly value: number;
  readonly sampleCount: number;
}

const PERCENTILE = /^p(\d{1,3}(?:\.\d+)?)$/;

/** The identity of a metric: namespace, name and dimensions (order-insensitive). */
export function metricKey(namespace: string, name: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`)
    .join(',');
  return `${namespace}|${name}|${dims}`;
}

/** Percentile of a statistic name (`p95` -> 95), or undefined for other statistics. */
export function percentileOf(stat: string): number | undefined {
  const m = PERCENTILE.exec(stat);
  if (m === null) return undefined;
  const p = Number(m[1]);
  if (!(p >= 0 && p <= 100)) throw new AlarmEvaluationError(`Statistic "${stat}": a percentile must be 0..100`);
  return p;
}

/**
 * Whether a percentile statistic has too few samples to be statistically significant (the
 * documented rule behind `EvaluateLowSampleCountPercentile`): fewer than 10 / (1 - p) samples for
 * p in [0.5, 1), fewer than 10 / p for p in (0, 0.5).
 */
export function isLowSampleCount(percentile: number, sampleCount: number): boolean {
  const p = percentile / 100;
  if (p >= 1 || p <= 0) return false;
  const needed = p >= 0.5 ? 10 / (1 - p) : 10 / p;
  return sampleCount < needed;
}

/** Samples per metric, sorted by time, with period statistics over any window. */
export class MetricStore {
  private readonly series = new Map<string, Sample[]>();
  /** Per series: running sample count and sum, so Sum/Average/SampleCount over a long window cost O(log n). */
  private readonly prefix = new Map<string, { count: Float64Array; sum: Float64Array }>();
  private sorted = true;

  /** A store holding `data`. */
  static of(data: Iterable<MetricDatum>): MetricStore {
    const store = new MetricStore();
    for (const d of data) store.add(d);
    return store;
  }

  /**
   * Adds one datum.
   * @throws AlarmEvaluationError when `counts` does not match `values` or a value is not finite
   */
  add(d: MetricDatum): void {
    if (d.counts !== undefined && d.counts.length !== d.values.length) {
      throw new AlarmEvaluationError(
        `Metric ${d.name} at ${new Date(d.timestampMs).toISOString()}: ${d.values.length} values but ${d.counts.length} counts`,
      );
    }
    const key = metricKey(d.namespace, d.name, d.dimensions);
    let list = this.series.get(key);
    if (list === undefined) {
      list = [];
      this.series.set(key, list);
    }
    d.values.forEach((v, i) => {
      const c = d.counts?.[i] ?? 1;
      if (!Number.isFinite(v) || !Number.isFinite(c) || c < 0) {
        throw new AlarmEvaluationError(`Metric ${d.name}: value ${v} with count ${c} is not a finite sample`);
      }
      if (c === 0) return;
      this.prefix.delete(key);
      const last = list[list.length - 1];
      if (last !== undefined && last.t > d.timestampMs) this.sorted = false;
      list.push({ t: d.timestampMs, v, c });
    });
  }

  /** Earliest and latest sample instants, or undefined when empty. */
  timeRange(): { fromMs: number; toMs: number } | undefined {
    this.sort();
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const list of this.series.values()) {
      if (list.length === 0) continue;
      from = Math.min(from, list[0]!.t);
      to = Math.max(to, list[list.length - 1]!.t);
    }
    return Number.isFinite(from) ? { fromMs: from, toMs: to } : undefined;
  }

  /**
   * The statistic of a metric over `[startMs, endMs)`, or undefined when no sample falls in it.
   * @throws AlarmEvaluationError for an unknown statistic
   */
  statistic(
    namespace: string,
    name: string,
    dimensions: Readonly<Record<string, string>>,
    stat: string,
    startMs: number,
    endMs: number,
  ): PeriodStatistic | undefined {
    this.sort();
    const key = metricKey(namespace, name, dimensions);
    const list = this.series.get(key);
    if (list === undefined) return undefined;
    let lo = lowerBound(list, startMs);
    const hi = lowerBound(list, endMs);
    if (lo >= hi) return undefined;
    const p = percentileOf(stat);
    if (stat === 'Sum' || stat === 'Average' || stat === 'SampleCount') {
      const pre = this.prefixOf(key, list);
      const count = pre.count[hi]! - pre.count[lo]!;
      const sum = pre.sum[hi]! - pre.sum[lo]!;
      const value = stat === 'Sum' ? sum : stat === 'Average' ? sum / count : count;
      return { value, sampleCount: count };
    }
    let count = 0;
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    const window: Sample[] = [];
    for (; lo < hi; lo++) {
      const s = list[lo]!;
      count += s.c;
      sum += s.v * s.c;
      if (s.v < min) min = s.v;
      if (s.v > max) max = s.v;
      if (p !== undefined) window.push(s);
    }
    if (p !== undefined) return { value: nearestRank(window, p, count), sampleCount: count };
    switch (stat) {
      case 'SampleCount':
        return { value: count, sampleCount: count };
      case 'Sum':
        return { value: sum, sampleCount: count };
      case 'Average':
        return { value: sum / count, sampleCount: count };
      case 'Minimum':
        return { value: min, sampleCount: count };
      case 'Maximum':
        return { value: max, sampleCount: count };
      default:
        throw new AlarmEvaluationError(
          `Statistic "${stat}" is not supported: use SampleCount, Sum, Average, Minimum, Maximum or pNN`,
        );
    }
  }

  private prefixOf(key: string, list: readonly Sample[]): { count: Float64Array; sum: Float64Array } {
    let pre = this.prefix.get(key);
    if (pre === undefined) {
      pre = { count: new Float64Array(list.length + 1), sum: new Float64Array(list.length + 1) };
      list.forEach((s, i) => {
        pre!.count[i + 1] = pre!.count[i]! + s.c;
        pre!.sum[i + 1] = pre!.sum[i]! + s.v * s.c;
      });
      this.prefix.set(key, pre);
    }
    return pre;
  }

  private sort(): void {
    if (this.sorted) return;
    for (const list of this.series.values()) list.sort((a, b) => a.t - b.t);
    this.prefix.clear();
    this.sorted = true;
  }
}

function lowerBound(list: readonly Sample[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nearestRank(samples: Sample[], percentile: number, total: number): number {
  const sorted = [...samples].sort((a, b) => a.v - b.v);
  const rank = Math.max(1, Math.ceil((percentile / 100) * total));
  let seen = 0;
  for (const s of sorted) {
    seen += s.c;
    if (seen >= rank) return s.v;
  }
  return sorted[sorted.length - 1]!.v;
}
