/**
 * Next-week forecasts of daily fleet series with a prediction interval. The model is a seasonal
 * ARIMA(1,0,0)(0,1,1) with a 7-day season, fitted by exact maximum likelihood in the `arima`
 * package (a WebAssembly build of the ctsa C library), so the method is a maintained library's,
 * not ours. The interval is the model's forecast variance under normal errors; the week total
 * adds the daily variances (errors treated as independent, which understates the width when
 * they are correlated: the backtest says how often the interval held).
 */
import ARIMA from 'arima';
import type { KpiUnit } from '../catalog/types';

/** Coverage the interval aims for. */
export const FORECAST_LEVEL = 0.95;
/** Two-sided normal quantile of {@link FORECAST_LEVEL}. */
const Z = 1.959963984540054;
/** Days of history the model needs (three seasons). */
export const FORECAST_MIN_DAYS = 21;
/** Days held back one at a time in the backtest. */
export const BACKTEST_DAYS = 7;
/** The method, as the report states it. */
export const FORECAST_METHOD = 'seasonal ARIMA(1,0,0)(0,1,1) with a 7-day season (arima package, exact ML)';

/** A day's forecast with its interval. */
export interface ForecastDay {
  readonly date: string;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

/** The forecast of one KPI, or why there is none. */
export interface ForecastResult {
  readonly kpi: string;
  readonly title: string;
  readonly unit: KpiUnit;
  readonly method: string;
  readonly level: number;
  readonly history: ReadonlyArray<{ readonly date: string; readonly value: number }>;
  /** The next 7 days; empty when there is not enough history. */
  readonly days: readonly ForecastDay[];
  /** Sum over the next 7 days. */
  readonly week: { readonly mean: number; readonly low: number; readonly high: number } | null;
  /** One-day-ahead forecasts of the last {@link BACKTEST_DAYS} days, each fitted without that day. */
  readonly backtest: { readonly days: number; readonly covered: number; readonly meanAbsError: number } | null;
  readonly reason?: string;
}

/**
 * Forecasts `steps` days after `values` with the model of this module.
 * @returns means and variances per step; null when the fit fails
 */
export function forecastSteps(values: readonly number[], steps: number): { mean: number[]; variance: number[] } | null {
  const model = new ARIMA({ p: 1, d: 0, q: 0, P: 0, D: 1, Q: 1, s: 7, verbose: false });
  try {
    model.train([...values]);
    const [mean, variance] = model.predict(steps);
    const ok =
      mean.length === steps && [...mean, ...variance].every((v) => Number.isFinite(v)) && variance.every((v) => v >= 0);
    return ok ? { mean, variance } : null;
  } finally {
    model.destroy();
  }
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Forecasts the 7 days after `history` (consecutive days, oldest first) and backtests the
 * interval on the last {@link BACKTEST_DAYS} days.
 */
export function forecastDaily(
  history: ReadonlyArray<{ date: string; value: number }>,
  what: { kpi: string; title: string; unit: KpiUnit },
): ForecastResult {
  const base = { ...what, method: FORECAST_METHOD, level: FORECAST_LEVEL, history };
  const last = history.at(-1);
  if (history.length < FORECAST_MIN_DAYS || last === undefined) {
    return {
      ...base,
      days: [],
      week: null,
      backtest: null,
      reason: `needs ${FORECAST_MIN_DAYS} days of history, has ${history.length}`,
    };
  }
  const values = history.map((h) => h.value);
  const f = forecastSteps(values, 7);
  if (f === null) return { ...base, days: [], week: null, backtest: null, reason: 'the model did not converge' };
  const days = f.mean.map((m, i) => {
    const sd = Math.sqrt(f.variance[i] ?? 0);
    return { date: addDays(last.date, i + 1), mean: m, low: m - Z * sd, high: m + Z * sd };
  });
  const wMean = f.mean.reduce((a, b) => a + b, 0);
  const wSd = Math.sqrt(f.variance.reduce((a, b) => a + b, 0));
  let covered = 0;
  let absErr = 0;
  let n = 0;
  for (let k = BACKTEST_DAYS; k >= 1; k--) {
    const train = values.slice(0, values.length - k);
    const actual = values[values.length - k];
    if (train.length < FORECAST_MIN_DAYS - 7 || actual === undefined) continue;
    const b = forecastSteps(train, 1);
    const m = b?.mean[0];
    const v = b?.variance[0];
    if (m === undefined || v === undefined) continue;
    n += 1;
    absErr += Math.abs(actual - m);
    if (Math.abs(actual - m) <= Z * Math.sqrt(v)) covered += 1;
  }
  return {
    ...base,
    days,
    week: { mean: wMean, low: wMean - Z * wSd, high: wMean + Z * wSd },
    backtest: n === 0 ? null : { days: n, covered, meanAbsError: absErr / n },
  };
}
