/**
 * The anomaly band of the local evaluator: a simple, documented model that approximates
 * CloudWatch anomaly detection. CloudWatch trains a model with seasonality and trend on up to two
 * weeks of the metric; this model takes the metric's period values over a trailing training window
 * (default 14 days, only periods that end before the datapoint being judged) and draws
 * `mean ± k × stddev` around them. It has no seasonality, so a backtest over a strongly daily
 * metric flags more than CloudWatch would; it never flags without training data (fewer than
 * `minTrainingPoints` periods give no band, and the datapoint counts as missing, like an untrained
 * CloudWatch model). The standard deviation has a floor of `minRelativeWidth × |mean|` so a flat
 * series does not make every wiggle an anomaly.
 */

/** Settings of the band model. */
export interface AnomalyBandOptions {
  /**
   * How far back the model trains.
   * @default 14 days
   */
  readonly trainingWindowMs?: number;
  /**
   * Fewest training periods that give a band.
   * @default 12
   */
  readonly minTrainingPoints?: number;
  /**
   * Floor of the standard deviation, relative to the mean.
   * @default 0.01
   */
  readonly minRelativeWidth?: number;
}

/** A band around the expected value. */
export interface AnomalyBand {
  readonly lower: number;
  readonly upper: number;
  readonly mean: number;
  readonly stddev: number;
  /** Training periods it came from. */
  readonly trainingPoints: number;
}

/** Defaults of {@link AnomalyBandOptions}. */
export const DEFAULT_ANOMALY_BAND: Required<AnomalyBandOptions> = {
  trainingWindowMs: 14 * 86_400_000,
  minTrainingPoints: 12,
  minRelativeWidth: 0.01,
};

/**
 * The band of `training` at `stdDevs` standard deviations, or undefined with too little training.
 */
export function anomalyBand(
  training: readonly number[],
  stdDevs: number,
  options: AnomalyBandOptions = {},
): AnomalyBand | undefined {
  let n = 0;
  let sum = 0;
  let sq = 0;
  for (const v of training) {
    n++;
    sum += v;
    sq += v * v;
  }
  return bandFromMoments(n, sum, sq, stdDevs, { ...DEFAULT_ANOMALY_BAND, ...options });
}

function bandFromMoments(
  n: number,
  sum: number,
  sq: number,
  stdDevs: number,
  o: Required<AnomalyBandOptions>,
): AnomalyBand | undefined {
  if (n < o.minTrainingPoints || n === 0) return undefined;
  const mean = sum / n;
  const variance = Math.max(0, sq / n - mean * mean);
  const stddev = Math.max(Math.sqrt(variance), o.minRelativeWidth * Math.abs(mean));
  return { lower: mean - stdDevs * stddev, upper: mean + stdDevs * stddev, mean, stddev, trainingPoints: n };
}

/**
 * Training data of one metric at one period: values of epoch-aligned periods, with prefix sums so
 * the band at any instant costs a constant.
 */
export class AnomalyTrainingSeries {
  private readonly count: Float64Array;
  private readonly sum: Float64Array;
  private readonly sq: Float64Array;
  private readonly o: Required<AnomalyBandOptions>;

  /**
   * @param firstStartMs start of the first aligned period
   * @param periodMs the period
   * @param values value of each consecutive period from `firstStartMs`, undefined when missing
   */
  constructor(
    private readonly firstStartMs: number,
    private readonly periodMs: number,
    values: readonly (number | undefined)[],
    options: AnomalyBandOptions = {},
  ) {
    this.o = { ...DEFAULT_ANOMALY_BAND, ...options };
    const len = values.length;
    this.count = new Float64Array(len + 1);
    this.sum = new Float64Array(len + 1);
    this.sq = new Float64Array(len + 1);
    for (let i = 0; i < len; i++) {
      const v = values[i];
      const has = v !== undefined;
      this.count[i + 1] = this.count[i]! + (has ? 1 : 0);
      this.sum[i + 1] = this.sum[i]! + (has ? v : 0);
      this.sq[i + 1] = this.sq[i]! + (has ? v * v : 0);
    }
  }

  /** The band for a datapoint whose period starts at `startMs`: trained on periods ending by then. */
  bandAt(startMs: number, stdDevs: number): AnomalyBand | undefined {
    const len = this.count.length - 1;
    const endIdx = Math.min(len, Math.floor((startMs - this.firstStartMs) / this.periodMs));
    const startIdx = Math.max(0, Math.ceil((startMs - this.o.trainingWindowMs - this.firstStartMs) / this.periodMs));
    if (endIdx <= startIdx) return undefined;
    return bandFromMoments(
      this.count[endIdx]! - this.count[startIdx]!,
      this.sum[endIdx]! - this.sum[startIdx]!,
      this.sq[endIdx]! - this.sq[startIdx]!,
      stdDevs,
      this.o,
    );
  }
}
