/**
 * What a test needs from one variant's KPI set: successes and trials for a rate, moments for a
 * mean, sketch bins (and the values, while the items kept them) for a quantile KPI.
 */
import type { KpiSet } from '../aggregates';
import type { KpiAggregation, KpiDefinition } from '../catalog/types';
import { TESTABLE_AGGREGATIONS } from './config';
import { binsFromQuantiles } from './sketch-bins';
import type { Moments, SketchBin } from './statistics';

/** The test family a KPI belongs to. */
export type TestFamily = 'proportion' | 'mean' | 'distribution';

/** One variant's data for one KPI, in the form its test reads. */
export type KpiSample =
  | { readonly family: 'proportion'; readonly successes: number; readonly trials: number }
  | { readonly family: 'mean'; readonly moments: Moments }
  | {
      readonly family: 'distribution';
      readonly bins: readonly SketchBin[];
      /** Every value, when the items kept them all (see KpiSet.exactValues). */
      readonly values?: readonly number[];
    };

/** The test family of a KPI, or undefined when an experiment cannot test it. */
export function testFamilyOf(def: KpiDefinition): TestFamily | undefined {
  return TESTABLE_AGGREGATIONS[def.aggregation as KpiAggregation];
}

/**
 * The sample of KPI `def` in a variant's merged set, or undefined without data (or, for a mean
 * KPI, when the set keeps no sum of squares).
 */
export function sampleOf(set: KpiSet, def: KpiDefinition): KpiSample | undefined {
  const family = testFamilyOf(def);
  const v = set.value(def.name);
  if (family === undefined || v === undefined || v.count <= 0) return undefined;
  switch (family) {
    case 'proportion':
      // value = hits / count exactly, so the product rounds back to the integer hit count.
      return v.value === null ? undefined : { family, successes: Math.round(v.value * v.count), trials: v.count };
    case 'mean': {
      const moments = set.moments(def.name);
      return moments === undefined ? undefined : { family, moments };
    }
    case 'distribution': {
      const bins = binsFromQuantiles(v.count, (q) => set.quantile(def.name, q));
      const values = set.exactValues(def.name);
      return values === undefined ? { family, bins } : { family, bins, values };
    }
  }
}

/** Units (count) and value of a sample, for display. */
export function sampleSize(s: KpiSample): number {
  switch (s.family) {
    case 'proportion':
      return s.trials;
    case 'mean':
      return s.moments.n;
    case 'distribution':
      return s.bins.reduce((a, b) => a + b.count, 0);
  }
}
