/**
 * Next-week forecasts of daily fleet series with a prediction interval, from models fitted by
 * exact maximum likelihood in the `arima` package (a WebAssembly build of the ctsa C library), so
 * the method is a maintained library's, not ours.
 * - With three weeks of history or more: a seasonal ARIMA(1,0,0)(0,1,1) with a 7-day season. The
 *   interval is the model's forecast variance under normal errors.
 * - With two weeks (the demo's 14 history days and its day): too few seasons for the seasonal
 *   model, so an ARIMA(1,0,0) with a mean, which has no weekly pattern. Its ML variance ignores the
 *   uncertainty of the fitted mean and coefficient, which on 10-14 days is large: 1,500 simulated
 *   one-day-ahead checks held 87% at a nominal 95%. A Student-t quantile with n - 2 degrees of
 *   freedom on the variance scaled by n / (n - 2) held 93-94% in the same simulation, so the
 *   short model's interval is that.
 * The week total adds the daily variances (errors treated as independent, which understates the
 * width when they are correlated: the backtest says how often the interval held).
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import ARIMA from 'arima';
import type { KpiUnit } from '../catalog/types';

/** Coverage the interval aims for. */
export const FORECAST_LEVEL = 0.95;
/** Two-sided normal quantile of {@link FORECAST_LEVEL}. */
const Z = 1.959963984540054;
/** Days held back one at a time in the backtest (fewer when the history is short). */
export const BACKTEST_DAYS = 7;

/** A forecasting model: its library options, the history it needs and how its interval is drawn. */
export interface ForecastModel {
  /** The method, as the report states it. */
  readonly method: string;
  readonly options: { readonly p: number; readonly d: number; readonly q: number } & Readonly<
    Partial<Record<'P' | 'D' | 'Q' | 's', number>>
  >;
  /** Days of history the forecast needs. */
  readonly minDays: number;
  /** Days a backtest fit needs (the library refuses shorter series). */
  readonly minTrainDays: number;
  /** Whether the interval takes the small-sample t correction (see the module comment). */
  readonly smallSample: boolean;
}

/** Three weeks or more: the weekly season is fitted. */
export const SEASONAL_MODEL: ForecastModel = {
  method: 'seasonal ARIMA(1,0,0)(0,1,1) with a 7-day season (arima package, exact ML)',
  options: { p: 1, d: 0, q: 0, P: 0, D: 1, Q: 1, s: 7 },
  minDays: 21,
  minTrainDays: 14,
  smallSample: false,
};

/** Two to three weeks: no season, small-sample interval. */
export const SHORT_HISTORY_MODEL: ForecastModel = {
  method:
    'ARIMA(1,0,0) with a mean (arima package, exact ML; fewer than 21 days, so no weekly season), ' +
    'Student-t interval with n - 2 degrees of freedom',
  options: { p: 1, d: 0, q: 0 },
  minDays: 14,
  minTrainDays: 10,
  smallSample: true,
};

/** Days of history the forecast needs with the least demanding model. */
export const FORECAST_MIN_DAYS = SHORT_HISTORY_MODEL.minDays;
/** The method of the seasonal model, as the report states it. */
export const FORECAST_METHOD = SEASONAL_MODEL.method;

/** The model for `days` of history; undefined when there are too few. */
export function forecastModelFor(days: number): ForecastModel | undefined {
  if (days >= SEASONAL_MODEL.minDays) return SEASONAL_MODEL;
  return days >= SHORT_HISTORY_MODEL.minDays ? SHORT_HISTORY_MODEL : undefined;
}

/**
 * Half the width of the {@link FORECAST_LEVEL} interval of a forecast with `variance`, from a fit
 * on `n` days.
 */
export function intervalHalfWidth(model: ForecastModel, n: number, variance: number): number {
  if (!model.smallSample) return Z * Math.sqrt(variance);
  return tQuantile(1 - (1 - FORECAST_LEVEL) / 2, n - 2) * Math.sqrt((variance * n) / (n - 2));
}

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
 * Forecasts `steps` days after `values` with `model` (the seasonal one by default).
 * @returns means and variances per step; null when the fit fails or the series is too short
 */
export function forecastSteps(
  values: readonly number[],
  steps: number,
  model: ForecastModel = SEASONAL_MODEL,
): { mean: number[]; variance: number[] } | null {
  if (values.length < model.minTrainDays) return null;
  const fit = new ARIMA({ ...model.options, verbose: false });
  try {
    fit.train([...values]);
    const [mean, variance] = fit.predict(steps);
    const ok =
      mean.length === steps && [...mean, ...variance].every((v) => Number.isFinite(v)) && variance.every((v) => v >= 0);
    return ok ? { mean, variance } : null;
  } finally {
    fit.destroy();
  }
}

function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Forecasts the 7 days after `history` (consecutive days, oldest first) with the model its length
 * allows, and backtests the interval on up to {@link BACKTEST_DAYS} last days.
 */
export function forecastDaily(
  history: ReadonlyArray<{ date: string; value: number }>,
  what: { kpi: string; title: string; unit: KpiUnit },
): ForecastResult {
  const model = forecastModelFor(history.length);
  const base = { ...what, method: model?.method ?? FORECAST_METHOD, level: FORECAST_LEVEL, history };
  const last = history.at(-1);
  if (model === undefined || last === undefined) {
    return {
      ...base,
      days: [],
      week: null,
      backtest: null,
      reason: `needs ${FORECAST_MIN_DAYS} days of history, has ${history.length}`,
    };
  }
  const values = history.map((h) => h.value);
  const f = forecastSteps(values, 7, model);
  if (f === null) return { ...base, days: [], week: null, backtest: null, reason: 'the model did not converge' };
  const n = values.length;
  const days = f.mean.map((m, i) => {
    const half = intervalHalfWidth(model, n, f.variance[i] ?? 0);
    return { date: addDays(last.date, i + 1), mean: m, low: m - half, high: m + half };
  });
  const wMean = f.mean.reduce((a, b) => a + b, 0);
  const wHalf = intervalHalfWidth(
    model,
    n,
    f.variance.reduce((a, b) => a + b, 0),
  );
  return {
    ...base,
    days,
    week: { mean: wMean, low: wMean - wHalf, high: wMean + wHalf },
    backtest: backtest(values, model),
  };
}

/**
 * One-day-ahead forecasts of the last {@link BACKTEST_DAYS} days, each fitted without that day and
 * the days after it; days whose fit would have too little history are left out.
 */
export function backtest(values: readonly number[], model: ForecastModel): ForecastResult['backtest'] {
  let covered = 0;
  let absErr = 0;
  let n = 0;
  for (let k = BACKTEST_DAYS; k >= 1; k--) {
    const train = values.slice(0, values.length - k);
    const actual = values[values.length - k];
    if (actual === undefined) continue;
    const b = forecastSteps(train, 1, model);
    const m = b?.mean[0];
    const v = b?.variance[0];
    if (m === undefined || v === undefined) continue;
    n += 1;
    absErr += Math.abs(actual - m);
    if (Math.abs(actual - m) <= intervalHalfWidth(model, train.length, v)) covered += 1;
  }
  return n === 0 ? null : { days: n, covered, meanAbsError: absErr / n };
}
