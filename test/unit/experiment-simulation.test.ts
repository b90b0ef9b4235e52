/**
 * The experiment tests by simulation (seeded, so every run sees the same draws): A/A experiments
 * flag about alpha of the time, and a real 10% lift on a rate is found.
 */
import { DDSketch } from '@datadog/sketches-js';
import { QUANTILE_RELATIVE_ACCURACY } from '../../lambdas/core/aggregates';
import {
  binsFromQuantiles,
  type Moments,
  mannWhitneyFromBins,
  mannWhitneyFromValues,
  twoProportionTest,
  welchTest,
} from '../../lambdas/core/experiments';

const RUNS = 1000;

// Math's functions bound once: a global lookup per call is slow inside jest's module sandbox,
// and these loops make tens of millions of draws.
const { cos, exp, floor, imul, log, PI, sqrt } = Math;

/** mulberry32, the same generator as the simulator's SeededRandom, as closures over local state. */
class SeededRandom {
  readonly next: () => number;
  constructor(seed: number) {
    let state = seed >>> 0;
    this.next = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = imul(t ^ (t >>> 15), t | 1);
      t ^= t + imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    return sqrt(-2 * log(1 - this.next())) * cos(2 * PI * this.next());
  }
  logNormal(median: number, sigma: number): number {
    return median * exp(sigma * this.normal());
  }
}
const ALPHA = 0.05;

/** Exact binomial draw by geometric gaps between successes: about n * p steps instead of n. */
function binomial(rng: SeededRandom, n: number, p: number): number {
  const logQ = log(1 - p);
  let k = 0;
  let position = floor(log(1 - rng.next()) / logQ);
  while (position < n) {
    k++;
    position += 1 + floor(log(1 - rng.next()) / logQ);
  }
  return k;
}

function normalMoments(rng: SeededRandom, n: number, mean: number, sd: number): Moments {
  let sum = 0;
  let sumOfSquares = 0;
  for (let i = 0; i < n; i++) {
    const x = mean + sd * rng.normal();
    sum += x;
    sumOfSquares += x * x;
  }
  return { n, sum, sumOfSquares };
}

function latencyBins(rng: SeededRandom, n: number, median: number) {
  const sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
  for (let i = 0; i < n; i++) sketch.accept(rng.logNormal(median, 0.5));
  return binsFromQuantiles(sketch.count, (q) => sketch.getValueAtQuantile(q));
}

/** Share of runs whose p-value is below alpha. */
function flagged(runs: number, pValue: (rng: SeededRandom) => number, seed: number): number {
  const rng = new SeededRandom(seed);
  let hits = 0;
  for (let i = 0; i < runs; i++) if (pValue(rng) < ALPHA) hits++;
  return hits / runs;
}

describe('A/A experiments (same distribution in both variants) flag in 5% +- 2% of 1,000 runs', () => {
  it('rate KPI, two-proportion z-test (2,000 units per variant, 30% rate)', () => {
    const share = flagged(
      RUNS,
      (rng) =>
        twoProportionTest(
          { successes: binomial(rng, 2000, 0.3), trials: 2000 },
          { successes: binomial(rng, 2000, 0.3), trials: 2000 },
        ).pValue,
      11,
    );
    expect(share).toBeGreaterThanOrEqual(0.03);
    expect(share).toBeLessThanOrEqual(0.07);
  });

  it("mean KPI, Welch's t-test (300 units per variant)", () => {
    const share = flagged(
      RUNS,
      (rng) => welchTest(normalMoments(rng, 300, 4.1, 0.9), normalMoments(rng, 300, 4.1, 0.9)).pValue,
      12,
    );
    expect(share).toBeGreaterThanOrEqual(0.03);
    expect(share).toBeLessThanOrEqual(0.07);
  });

  it('quantile KPI, Mann-Whitney U from sketch bins (200 values per variant)', () => {
    const share = flagged(
      RUNS,
      (rng) => mannWhitneyFromBins(latencyBins(rng, 200, 900), latencyBins(rng, 200, 900)).pValue,
      13,
    );
    expect(share).toBeGreaterThanOrEqual(0.03);
    expect(share).toBeLessThanOrEqual(0.07);
  });

  it('quantile KPI, exact Mann-Whitney U on the values (40 values per variant)', () => {
    const values = (rng: SeededRandom) => Array.from({ length: 40 }, () => rng.logNormal(900, 0.5));
    const share = flagged(RUNS, (rng) => mannWhitneyFromValues(values(rng), values(rng)).pValue, 15);
    expect(share).toBeGreaterThanOrEqual(0.03);
    expect(share).toBeLessThanOrEqual(0.07);
  });
});

describe('power', () => {
  it('finds a 10% lift of a 20% rate with 20,000 units per variant in more than 95% of 1,000 runs', () => {
    const share = flagged(
      RUNS,
      (rng) =>
        twoProportionTest(
          { successes: binomial(rng, 20_000, 0.2), trials: 20_000 },
          { successes: binomial(rng, 20_000, 0.22), trials: 20_000 },
        ).pValue,
      14,
    );
    expect(share).toBeGreaterThan(0.95);
  });

  it('95% intervals of the relative lift cover the true 10% in about 95% of runs', () => {
    const rng = new SeededRandom(15);
    let covered = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = twoProportionTest(
        { successes: binomial(rng, 5000, 0.2), trials: 5000 },
        { successes: binomial(rng, 5000, 0.22), trials: 5000 },
      );
      if (r.relativeCi.low! <= 0.1 && 0.1 <= r.relativeCi.high!) covered++;
    }
    expect(covered / RUNS).toBeGreaterThanOrEqual(0.93);
    expect(covered / RUNS).toBeLessThanOrEqual(0.97);
  });
});
