/**
 * Text forms of the story sections shared by the HTML and the plain-text part, so both read the
 * same numbers: sparklines, funnel, waterfall, tiles, forecasts, budgets and drift in words.
 */
import type { ChannelRow } from './channels';
import { FORECAST_LEVEL, type ForecastResult } from './forecast';
import { formatChange, formatValue } from './model';
import type { BudgetRow, ClientRow, DriftRow, FunnelStage, Tile, WaterfallStep } from './story';

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * A score sparkline in block characters on the fixed 0..100 scale (so a decline reads as one in
 * any row); `·` marks a day without a score. It is text, so it reads in every mail client.
 */
export function sparkline(points: readonly (number | null)[]): string {
  return points.map((p) => (p === null ? '·' : BLOCKS[Math.min(7, Math.max(0, Math.floor((p / 100) * 8)))])).join('');
}

/** `62.0 -> 48.5` for the sparkline's text alternative. */
export function sparklineAlt(points: readonly (number | null)[]): string {
  const xs = points.filter((p): p is number => p !== null);
  return xs.length === 0
    ? 'no scores'
    : `score ${xs[0]?.toFixed(1)} to ${xs.at(-1)?.toFixed(1)} over ${points.length} days`;
}

/** A client row in words. */
export function clientLine(r: ClientRow): string {
  return (
    `${r.tenantName}: ${r.score === null ? 'no score' : r.score.toFixed(1)}${r.band === null ? '' : ` (${r.band})`}` +
    `, change ${r.delta === null ? '-' : `${r.delta > 0 ? '+' : ''}${r.delta.toFixed(1)}`}` +
    `, weakest ${r.weakest === null ? '-' : `${r.weakest.name} ${r.weakest.score.toFixed(0)}`}` +
    `, missing ${r.missing.length === 0 ? 'none' : r.missing.join(', ')}, trend ${sparkline(r.sparkline)}`
  );
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(1)}%`;
}

/** A funnel stage in words. */
export function funnelLine(s: FunnelStage): string {
  return (
    `${s.stage}: ${s.current} (previous ${s.previous})` +
    (s.conversion === null && s.previousConversion === null
      ? ''
      : `, conversion ${pct(s.conversion)} (previous ${pct(s.previousConversion)})`) +
    (s.target === undefined
      ? ''
      : `, target >= ${pct(s.target)}: ${s.conversion === null ? 'no data' : s.conversion >= s.target ? 'met' : 'missed'}`)
  );
}

/** A channel's row in words. */
export function channelLine(r: ChannelRow): string {
  return (
    `${r.channel}: ${formatValue(r.sessions, 'count')} sessions (previous ${formatValue(r.previousSessions, 'count')}), ` +
    `${r.won} won of ${r.leads} leads, conversion ${pct(r.conversion)} (previous ${pct(r.previousConversion)}), ` +
    `won value ${formatValue(r.wonValue, 'usd')} (previous ${formatValue(r.previousWonValue, 'usd')})`
  );
}

/** The waterfall in words. */
export function waterfallLine(w: readonly WaterfallStep[]): string {
  return w.map((s) => `${s.label} ${formatValue(s.label === 'end' ? s.to : s.amount, 'usd')}`).join(', ');
}

/** A tile in words. */
export function tileLine(t: Tile): string {
  return (
    `${t.title}: ${t.value} (previous ${t.previous}${t.change === null ? '' : `, ${formatChange(t.change)}`})` +
    (t.target === undefined
      ? ''
      : `; target ${t.target.text}: ${t.target.status === 'no_data' ? 'no data' : t.target.status}`)
  );
}

/** A forecast in words, with its method and backtest. */
export function forecastLine(f: ForecastResult): string {
  if (f.week === null) return `${f.title}: no forecast (${f.reason ?? 'no data'}).`;
  const bt =
    f.backtest === null
      ? 'not backtested'
      : `backtest: ${f.backtest.covered} of ${f.backtest.days} held-back days inside the interval, mean error ${formatValue(f.backtest.meanAbsError, f.unit)} per day`;
  return (
    `${f.title}, next 7 days: ${formatValue(f.week.mean, f.unit)} ` +
    `(${Math.round(FORECAST_LEVEL * 100)}% interval ${formatValue(f.week.low, f.unit)} to ${formatValue(f.week.high, f.unit)}); ${bt}.`
  );
}

/** An error budget in words. */
export function budgetLine(b: BudgetRow): string {
  return (
    `${b.id} (${b.title}, objective ${(b.objective * 100).toFixed(2)}%): ` +
    `${b.remaining === null ? 'no data' : `${(b.remaining * 100).toFixed(0)}% of the error budget left`} after ${b.days} of ${b.windowDays} days` +
    `${b.breached ? '; BREACHED' : ''}` +
    (b.topTenants.length === 0
      ? ''
      : `; most bad events: ${b.topTenants.map((t) => `${t.tenantName} ${(t.share * 100).toFixed(0)}%`).join(', ')}`)
  );
}

/** A drift check in words. */
export function driftLine(d: DriftRow): string {
  const p = d.pValue < 0.0001 ? '< 0.0001' : d.pValue.toFixed(4);
  return (
    `${d.title}: ${pct(d.current)} against ${pct(d.baseline)} over 28 days (n = ${d.nCurrent} vs ${d.nBaseline}); ` +
    `${d.test}, z = ${d.z.toFixed(2)}, p = ${p}: ${d.significant ? 'significant' : 'not significant'} at 1%`
  );
}
