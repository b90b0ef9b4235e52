/**
 * The audience-specific sections of the reports: the client table and at-risk list (client
 * success), funnel and MRR waterfall (business), headline tiles and forecast
 * (executive), error budgets and drift (system health), and incidents titled in words for each
 * audience's ladder. Pure: everything comes from `ReportData`, the catalog and the configuration.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import type { KpiCatalog } from '../catalog/catalog';
import { KPI } from '../catalog/names';
import type { LadderName, PipelineConfig, ReportKind } from '../config/schema';
import type { HealthBand, HealthScore, KpiReading } from '../health/types';
import { GRANULARITY_MS } from '../time/buckets';
import { isFleet } from '../vocabulary';
import { type ChannelRow, channelRows } from './channels';
import { type ExperimentSummary, experimentSummaries } from './experiments';
import { type ForecastResult, forecastDaily } from './forecast';
import { formatValue } from './format';
import { utcDate } from './period';
import type { DayValues, ReportData, ReportIncident } from './types';

const DAY = GRANULARITY_MS.day;

/** Rows of the client table before "and N more": the 25 weakest clients are the call list. */
export const CLIENT_TABLE_CAP = 25;
/** Drop in sessions against the previous period that counts as a usage decline (20%). */
export const USAGE_DROP = -0.2;
/** p-value under which a drift is called significant. */
export const DRIFT_ALPHA = 0.01;
/** Agent-quality KPIs checked for drift against their 28-day baseline. */
export const DRIFT_KPIS = [KPI.fcrRate, KPI.resolutionRate, KPI.escalationAccuracy] as const;
/** Funnel stages in order. */
export const FUNNEL_STAGES = ['lead', 'contacted', 'qualified', 'proposal', 'won'] as const;

/** A line of the client table. */
export interface ClientRow {
  readonly tenant: string;
  readonly tenantName: string;
  readonly score: number | null;
  readonly band: HealthBand | null;
  readonly previousScore: number | null;
  /** Score change against the previous period, points. */
  readonly delta: number | null;
  /** The lowest-scoring component with data. */
  readonly weakest: { readonly name: string; readonly score: number } | null;
  readonly missing: readonly string[];
  /** Scores of the period's days, oldest first (null: no score that day). */
  readonly sparkline: readonly (number | null)[];
}

/** A client on the at-risk list, with its reasons in words. */
export interface AtRiskClient {
  readonly tenant: string;
  readonly tenantName: string;
  readonly score: number | null;
  readonly band: HealthBand | null;
  readonly reasons: readonly string[];
}

/** One stage of the funnel; `conversion` is from the stage before. */
export interface FunnelStage {
  readonly stage: string;
  readonly current: number;
  readonly previous: number;
  readonly conversion: number | null;
  readonly previousConversion: number | null;
  /** Configured minimum conversion into this stage, when set. */
  readonly target?: number;
}

/** A bar of the MRR waterfall; `from`/`to` are running totals relative to the period's start. */
export interface WaterfallStep {
  readonly label: 'start' | 'new' | 'expansion' | 'contraction' | 'churn' | 'end';
  readonly amount: number;
  readonly from: number;
  readonly to: number;
}

/** A headline tile of the executive summary. */
export interface Tile {
  readonly id: string;
  readonly title: string;
  readonly value: string;
  readonly previous: string;
  /** Relative change (0.1 = +10%) or null. */
  readonly change: number | null;
  readonly changeIs: 'better' | 'worse' | 'neutral';
  readonly target?: { readonly text: string; readonly status: 'met' | 'missed' | 'no_data' };
}

/** Error budget of one SLO over its window, ending with the period. */
export interface BudgetRow {
  readonly id: string;
  readonly kpi: string;
  readonly title: string;
  readonly objective: number;
  /** Days of the window with data (up to the SLO's window). */
  readonly days: number;
  readonly windowDays: number;
  /** Share of the budget left (1 = untouched, below 0 = overspent). */
  readonly remaining: number | null;
  /** Remaining share at the end of each day of the window, oldest first. */
  readonly burn: ReadonlyArray<{ readonly date: string; readonly remaining: number }>;
  /** Bad share of the period against the allowed `1 - objective`. */
  readonly periodBadShare: number | null;
  readonly breached: boolean;
  /** Tenants with the most bad events in the period. */
  readonly topTenants: ReadonlyArray<{ readonly tenantName: string; readonly bad: number; readonly share: number }>;
}

/** An agent-quality KPI against its 28-day baseline. */
export interface DriftRow {
  readonly kpi: string;
  readonly title: string;
  readonly current: number;
  readonly baseline: number;
  readonly nCurrent: number;
  readonly nBaseline: number;
  readonly z: number;
  readonly pValue: number;
  readonly significant: boolean;
  readonly test: string;
  readonly changeIs: 'better' | 'worse' | 'neutral';
}

/** An incident as its audience reads it. */
export interface IncidentStory {
  readonly id: string;
  readonly title: string;
  readonly severity: ReportIncident['severity'];
  readonly ladder: LadderName;
  readonly alarmName: string;
}

/** Sections of one report beyond the common KPI table. */
export interface ReportStory {
  readonly clients?: { readonly rows: readonly ClientRow[]; readonly more: number; readonly total: number };
  readonly atRisk?: readonly AtRiskClient[];
  readonly funnel?: readonly FunnelStage[];
  readonly waterfall?: readonly WaterfallStep[];
  /** Sessions, leads, wins, conversion and won value per channel (business performance). */
  readonly channels?: readonly ChannelRow[];
  readonly business?: {
    readonly netNewMrr: number | null;
    readonly wonValue: number | null;
    readonly netNewTarget?: number;
    readonly wonTarget?: number;
  };
  readonly tiles?: readonly Tile[];
  readonly forecasts?: readonly ForecastResult[];
  readonly budgets?: readonly BudgetRow[];
  readonly drift?: readonly DriftRow[];
  /** Experiments that ran in the period (executive summary, when experiments are configured). */
  readonly experiments?: readonly ExperimentSummary[];
  /** Ladders whose incidents this report lists. */
  readonly ladders: readonly LadderName[];
}

/** Ladders each audience follows. */
export const REPORT_LADDERS: Record<ReportKind, readonly LadderName[]> = {
  system_health: ['technical'],
  business_performance: ['business'],
  client_success: ['business'],
  executive_summary: ['technical', 'business'],
};

function reading(values: readonly KpiReading[], kpi: string): KpiReading | undefined {
  return values.find((r) => r.kpi === kpi);
}

function kpiValue(values: readonly KpiReading[], kpi: string): number | null {
  const r = reading(values, kpi);
  return r === undefined || r.count <= 0 || r.value === null || !Number.isFinite(r.value) ? null : r.value;
}

/** Count of a count-KPI (0 when absent). */
function countOf(values: readonly KpiReading[], kpi: string): number {
  return kpiValue(values, kpi) ?? 0;
}

function rel(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

function judge(higherIsBetter: boolean, delta: number | null): 'better' | 'worse' | 'neutral' {
  if (delta === null || delta === 0) return 'neutral';
  return delta > 0 === higherIsBetter ? 'better' : 'worse';
}

/** The incident's KPI: the longest catalog name its rule id starts with. */
function incidentKpi(catalog: KpiCatalog, ruleId: string): string | undefined {
  let best: string | undefined;
  for (const d of catalog.all()) {
    if (ruleId.startsWith(d.name) && (best === undefined || d.name.length > best.length)) best = d.name;
  }
  return best;
}

/**
 * The ladder of an incident: the third segment of a `prefix/P1/technical/...` alarm name, else
 * the catalog rule's ladder, else technical. Works with one incident per alarm or per group.
 */
export function incidentLadder(i: ReportIncident, catalog: KpiCatalog): LadderName {
  const seg = i.alarmName.split('/')[2];
  if (seg === 'technical' || seg === 'business') return seg;
  const kpi = incidentKpi(catalog, i.ruleId);
  const rule = kpi === undefined ? undefined : catalog.get(kpi)?.defaultAlarms.find((r) => r.id === i.ruleId);
  return rule?.ladder ?? 'technical';
}

/**
 * The alert an incident is named after: the first that fired at the incident's severity and was
 * not muted (what it pages for), else its first alert.
 */
function headlineAlert(i: ReportIncident): { readonly ruleId: string; readonly reason?: string } {
  const alerts = i.alerts ?? [];
  return alerts.find((a) => a.severity === i.severity && a.mutedBy === undefined) ?? alerts[0] ?? i;
}

/**
 * The latest breaching datapoint of an alarm reason: CloudWatch and the project's evaluator both
 * list the datapoints in brackets, latest first (`... datapoints [7600.0 (...), ...] were ...`).
 */
export function breachingValue(reason: string | undefined): number | null {
  const m = /datapoints? \[\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(reason ?? '');
  const v = m === null ? Number.NaN : Number(m[1]);
  return Number.isFinite(v) ? v : null;
}

/**
 * An incident's title in words with the measured value, `Acme Voice: Voice response latency p95
 * 7.6 s (P1)`. The value is the latest breaching datapoint of the alert it is named after, in the
 * KPI's unit; rules that are not a KPI's (SLO burn rates) and composites have none.
 */
export function incidentTitle(i: ReportIncident, catalog: KpiCatalog, config: PipelineConfig): string {
  const who = isFleet(i.tenant) ? 'Fleet' : (config.tenants.find((t) => t.id === i.tenant)?.name ?? i.tenant);
  const alert = headlineAlert(i);
  const kpi = incidentKpi(catalog, alert.ruleId);
  const def = kpi === undefined ? undefined : catalog.get(kpi);
  const what = def?.title ?? alert.ruleId.replace(/-p[1-4]$/i, '').replace(/[-_]+/g, ' ');
  const rule = def?.defaultAlarms.find((r) => r.id === alert.ruleId);
  const value = rule === undefined || def === undefined ? null : breachingValue(alert.reason);
  const measured =
    value === null || def === undefined
      ? ''
      : ` ${/^p\d/.test(rule?.statistic ?? '') ? `${rule?.statistic} ` : ''}${formatValue(value, def.unit)}`;
  return `${who}: ${what}${measured} (${i.severity})`;
}

function weakestOf(s: HealthScore | undefined): ClientRow['weakest'] {
  let out: ClientRow['weakest'] = null;
  for (const c of s?.components ?? []) {
    if (c.score !== null && (out === null || c.score < out.score)) out = { name: c.name, score: c.score };
  }
  return out;
}

function clientRows(data: ReportData): ClientRow[] {
  const days = Math.round((data.period.endMs - data.period.startMs) / DAY);
  const dates = Array.from({ length: days }, (_, i) => utcDate(data.period.startMs + i * DAY));
  return data.health
    .map((h) => {
      const score = h.latest?.score ?? null;
      const previousScore = h.earlier?.score ?? null;
      const byDate = new Map((h.series ?? []).map((p) => [p.date, p.score]));
      return {
        tenant: h.tenant,
        tenantName: h.name,
        score,
        band: h.latest?.band ?? null,
        previousScore,
        delta: score !== null && previousScore !== null ? Math.round((score - previousScore) * 10) / 10 : null,
        weakest: weakestOf(h.latest),
        missing: h.latest?.missing ?? [],
        sparkline: dates.map((d) => byDate.get(d) ?? null),
      };
    })
    .sort(
      (a, b) =>
        (a.score ?? Number.POSITIVE_INFINITY) - (b.score ?? Number.POSITIVE_INFINITY) ||
        (a.delta ?? 0) - (b.delta ?? 0) ||
        a.tenant.localeCompare(b.tenant),
    );
}

function atRisk(data: ReportData, rows: readonly ClientRow[], config: PipelineConfig): AtRiskClient[] {
  const span = data.period.kind === 'day' ? 'day on day' : 'week on week';
  const csatMin = config.reports.targets[KPI.csat]?.min;
  const byTenant = new Map(data.tenants.map((t) => [t.tenant, t]));
  const churn = new Map(data.health.map((h) => [h.tenant, h.latest?.churnRisk.reasons ?? []]));
  const out: AtRiskClient[] = [];
  for (const r of rows) {
    const reasons: string[] = [...(churn.get(r.tenant) ?? [])];
    if (r.band === 'red' || r.band === 'yellow') reasons.push(`score ${r.score?.toFixed(1)} (${r.band})`);
    if (r.delta !== null && r.delta <= -10) reasons.push(`score down ${Math.abs(r.delta).toFixed(1)} points`);
    const t = byTenant.get(r.tenant);
    if (t !== undefined) {
      const usage = rel(kpiValue(t.current, KPI.sessions), kpiValue(t.previous, KPI.sessions));
      if (usage !== null && usage <= USAGE_DROP) reasons.push(`usage down ${Math.round(-usage * 100)}% ${span}`);
      const csat = kpiValue(t.current, KPI.csat);
      if (csat !== null && csatMin !== undefined && csat < csatMin) reasons.push(`CSAT ${csat.toFixed(1)}`);
    }
    const sev = { P1: 0, P2: 0 };
    for (const i of data.incidents)
      if (i.tenant === r.tenant && (i.severity === 'P1' || i.severity === 'P2')) sev[i.severity] += 1;
    for (const s of ['P1', 'P2'] as const)
      if (sev[s] > 0) reasons.push(`${sev[s]} ${s} incident${sev[s] === 1 ? '' : 's'}`);
    // Reasons beyond a band alone: a steady yellow client is watched, not called.
    const flagged = (churn.get(r.tenant) ?? []).length > 0 || r.band === 'red' || reasons.length >= 2;
    if (flagged) out.push({ tenant: r.tenant, tenantName: r.tenantName, score: r.score, band: r.band, reasons });
  }
  return out;
}

function funnel(data: ReportData, config: PipelineConfig): FunnelStage[] {
  const targets = config.reports.businessTargets.conversion;
  return FUNNEL_STAGES.map((stage, i) => {
    const current = countOf(data.fleetCurrent, `funnel_${stage}`);
    const previous = countOf(data.fleetPrevious, `funnel_${stage}`);
    const before = FUNNEL_STAGES[i - 1];
    if (before === undefined) return { stage, current, previous, conversion: null, previousConversion: null };
    const cb = countOf(data.fleetCurrent, `funnel_${before}`);
    const pb = countOf(data.fleetPrevious, `funnel_${before}`);
    const target = targets[`${before}_to_${stage}`];
    return {
      stage,
      current,
      previous,
      conversion: cb > 0 ? current / cb : null,
      previousConversion: pb > 0 ? previous / pb : null,
      ...(target === undefined ? {} : { target }),
    };
  });
}

/** The MRR movements of the period as a waterfall from the period's start (0) to net new MRR. */
export function mrrWaterfall(values: readonly KpiReading[]): WaterfallStep[] {
  const steps: WaterfallStep[] = [{ label: 'start', amount: 0, from: 0, to: 0 }];
  let at = 0;
  for (const kind of ['new', 'expansion', 'contraction', 'churn'] as const) {
    const amount = kpiValue(values, `mrr_${kind}_usd`) ?? 0;
    steps.push({ label: kind, amount, from: at, to: at + amount });
    at += amount;
  }
  steps.push({ label: 'end', amount: at, from: 0, to: at });
  return steps;
}

/** A weekly business target scaled to the report's period. */
function perPeriod(weekly: number | undefined, kind: 'day' | 'week'): number | undefined {
  return weekly === undefined ? undefined : kind === 'day' ? weekly / 7 : weekly;
}

function tiles(
  data: ReportData,
  catalog: KpiCatalog,
  config: PipelineConfig,
  distribution: Record<HealthBand | 'no_score', number>,
  incidents: { current: number; previous: number | null },
): Tile[] {
  const out: Tile[] = [];
  const kpiTiles: ReadonlyArray<[string, 'value' | 'p95']> = [
    [KPI.availability, 'value'],
    [KPI.responseLatency, 'p95'],
    [KPI.csat, 'value'],
    [KPI.nps, 'value'],
    [KPI.netNewMrrUsd, 'value'],
  ];
  for (const [kpi, statistic] of kpiTiles) {
    const tile = kpiTile(data, catalog, config, kpi, statistic);
    if (tile !== undefined) out.push(tile);
  }
  const mrrTarget = perPeriod(config.reports.businessTargets.netNewMrrUsdPerWeek, data.period.kind);
  const mrr = out.find((t) => t.id === KPI.netNewMrrUsd);
  if (mrr !== undefined && mrrTarget !== undefined) {
    const v = kpiValue(data.fleetCurrent, KPI.netNewMrrUsd);
    out[out.indexOf(mrr)] = {
      ...mrr,
      target: {
        text: `>= ${formatValue(mrrTarget, 'usd')}`,
        status: v === null ? 'no_data' : v >= mrrTarget ? 'met' : 'missed',
      },
    };
  }
  out.push(conversionTile(data, config), healthTile(data, distribution), incidentsTile(incidents));
  return out;
}

/** One KPI's fleet tile (its value or p95) against its configured target; undefined for an unknown KPI. */
function kpiTile(
  data: ReportData,
  catalog: KpiCatalog,
  config: PipelineConfig,
  kpi: string,
  statistic: 'value' | 'p95',
): Tile | undefined {
  const def = catalog.get(kpi);
  if (def === undefined) return undefined;
  const pick = (vs: readonly KpiReading[]) => {
    const r = reading(vs, kpi);
    if (r === undefined || r.count <= 0) return null;
    const v = statistic === 'p95' ? r.p95 : r.value;
    return v === undefined || v === null || !Number.isFinite(v) ? null : v;
  };
  const current = pick(data.fleetCurrent);
  const previous = pick(data.fleetPrevious);
  const t = config.reports.targets[kpi];
  let target: Tile['target'];
  if (t !== undefined) {
    const parts: string[] = [];
    if (t.min !== undefined) parts.push(`>= ${formatValue(t.min, def.unit)}`);
    if (t.max !== undefined) parts.push(`<= ${formatValue(t.max, def.unit)}`);
    const ok =
      current !== null && (t.min === undefined || current >= t.min) && (t.max === undefined || current <= t.max);
    target = { text: parts.join(' and '), status: current === null ? 'no_data' : ok ? 'met' : 'missed' };
  }
  return {
    id: kpi,
    title: `${def.title}${statistic === 'p95' ? ' p95' : ''}`,
    value: formatValue(current, def.unit),
    previous: formatValue(previous, def.unit),
    change: rel(current, previous),
    changeIs: judge(
      def.direction === 'higher_is_better',
      current !== null && previous !== null ? current - previous : null,
    ),
    ...(target === undefined ? {} : { target }),
  };
}

/** Lead-to-won conversion of the fleet against its business target. */
function conversionTile(data: ReportData, config: PipelineConfig): Tile {
  const conv = (vs: readonly KpiReading[]) => {
    const lead = countOf(vs, KPI.funnelLead);
    return lead > 0 ? countOf(vs, KPI.funnelWon) / lead : null;
  };
  const cc = conv(data.fleetCurrent);
  const pc = conv(data.fleetPrevious);
  const convTarget = config.reports.businessTargets.conversion.lead_to_won;
  return {
    id: 'conversion',
    title: 'Conversion lead to won',
    value: formatValue(cc, 'ratio'),
    previous: formatValue(pc, 'ratio'),
    change: rel(cc, pc),
    changeIs: judge(true, cc !== null && pc !== null ? cc - pc : null),
    ...(convTarget === undefined
      ? {}
      : {
          target: {
            text: `>= ${formatValue(convTarget, 'ratio')}`,
            status: cc === null ? ('no_data' as const) : cc >= convTarget ? ('met' as const) : ('missed' as const),
          },
        }),
  };
}

/** Clients per health band, judged by the change in red-band clients. */
function healthTile(data: ReportData, distribution: Record<HealthBand | 'no_score', number>): Tile {
  const prevRed = data.health.filter((h) => h.earlier?.band === 'red').length;
  return {
    id: 'health',
    title: 'Client health',
    value: `${distribution.green} green, ${distribution.yellow} yellow, ${distribution.red} red`,
    previous: `${prevRed} red`,
    change: null,
    changeIs: judge(false, distribution.red - prevRed),
  };
}

/** Incidents opened in the period against the previous one. */
function incidentsTile(incidents: { current: number; previous: number | null }): Tile {
  return {
    id: 'incidents',
    title: 'Incidents',
    value: `${incidents.current}`,
    previous: incidents.previous === null ? 'no data' : `${incidents.previous}`,
    change: rel(incidents.current, incidents.previous),
    changeIs: judge(false, incidents.previous === null ? null : incidents.current - incidents.previous),
  };
}

/** Fleet days of the baseline and the period, oldest first. */
function allDays(data: ReportData): DayValues[] {
  return [...data.fleetBaselineDays, ...data.fleetDays].sort((a, b) => a.bucketStartMs - b.bucketStartMs);
}

function budgets(data: ReportData, catalog: KpiCatalog, config: PipelineConfig): BudgetRow[] {
  const days = allDays(data);
  return config.alarms.slos.map((slo) => {
    const def = catalog.get(slo.kpi);
    const goodIsValue = def?.direction !== 'lower_is_better';
    const badOf = (vs: readonly KpiReading[]) => {
      const r = reading(vs, slo.kpi);
      if (r === undefined || r.count <= 0 || r.value === null) return null;
      return { bad: (goodIsValue ? 1 - r.value : r.value) * r.count, n: r.count };
    };
    const window = days.filter((d) => d.bucketStartMs >= data.period.endMs - slo.windowDays * DAY);
    const perDay = window.map((d) => ({ date: utcDate(d.bucketStartMs), v: badOf(d.values) }));
    const total = perDay.reduce((a, d) => a + (d.v?.n ?? 0), 0);
    const allowed = (1 - slo.objective) * total;
    let cum = 0;
    const burn = perDay.map((d) => {
      cum += d.v?.bad ?? 0;
      return { date: d.date, remaining: allowed > 0 ? 1 - cum / allowed : 0 };
    });
    const period = badOf(data.fleetCurrent);
    const periodBadShare = period === null ? null : period.bad / period.n;
    const remaining = total > 0 ? (burn.at(-1)?.remaining ?? null) : null;
    const tenantBad = data.tenants
      .map((t) => ({ tenantName: t.name, bad: badOf(t.current)?.bad ?? 0 }))
      .filter((t) => t.bad > 0)
      .sort((a, b) => b.bad - a.bad);
    const sumBad = tenantBad.reduce((a, t) => a + t.bad, 0);
    const breached =
      (remaining !== null && remaining < 0) || (periodBadShare !== null && periodBadShare > 1 - slo.objective);
    return {
      id: slo.id,
      kpi: slo.kpi,
      title: def?.title ?? slo.kpi,
      objective: slo.objective,
      days: window.length,
      windowDays: slo.windowDays,
      remaining,
      burn,
      periodBadShare,
      breached,
      topTenants: tenantBad.slice(0, 3).map((t) => ({ ...t, share: sumBad > 0 ? t.bad / sumBad : 0 })),
    };
  });
}

/**
 * Two-proportion z-test of each agent-quality rate in the period against its 28-day baseline
 * (pooled proportion; normal distribution from @stdlib). Events are counted as independent trials.
 */
export function driftRows(data: ReportData, catalog: KpiCatalog): DriftRow[] {
  const out: DriftRow[] = [];
  for (const kpi of DRIFT_KPIS) {
    const def = catalog.get(kpi);
    const cur = reading(data.fleetCurrent, kpi);
    if (def === undefined || cur === undefined || cur.value === null || cur.count <= 0) continue;
    let good = 0;
    let n = 0;
    for (const d of data.fleetBaselineDays) {
      const r = reading(d.values, kpi);
      if (r === undefined || r.value === null || r.count <= 0) continue;
      good += r.value * r.count;
      n += r.count;
    }
    if (n === 0) continue;
    const p0 = good / n;
    const p1 = cur.value;
    const pooled = (p1 * cur.count + good) / (cur.count + n);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / cur.count + 1 / n));
    const z = se > 0 ? (p1 - p0) / se : 0;
    const pValue = se > 0 ? 2 * (1 - normalCdf(Math.abs(z), 0, 1)) : 1;
    out.push({
      kpi,
      title: def.title,
      current: p1,
      baseline: p0,
      nCurrent: cur.count,
      nBaseline: n,
      z,
      pValue,
      significant: pValue < DRIFT_ALPHA,
      test: 'two-proportion z-test against the 28-day baseline',
      changeIs: judge(def.direction === 'higher_is_better', p1 - p0),
    });
  }
  return out.sort((a, b) => a.pValue - b.pValue);
}

/** Daily fleet values of a KPI over the baseline and the period (missing days count as 0). */
export function dailySeries(data: ReportData, kpi: string): Array<{ date: string; value: number }> {
  const days = allDays(data);
  const first = days[0]?.bucketStartMs;
  if (first === undefined) return [];
  const byStart = new Map(days.map((d) => [d.bucketStartMs, d.values]));
  const out: Array<{ date: string; value: number }> = [];
  for (let t = first; t < data.period.endMs; t += DAY) {
    out.push({ date: utcDate(t), value: kpiValue(byStart.get(t) ?? [], kpi) ?? 0 });
  }
  return out;
}

/**
 * Builds the audience's sections of a report of `data.kind`.
 * @param distribution tenants per health band (from the common model)
 */
export function buildStory(
  data: ReportData,
  catalog: KpiCatalog,
  config: PipelineConfig,
  distribution: Record<HealthBand | 'no_score', number>,
): ReportStory {
  const kind = data.kind;
  const ladders = REPORT_LADDERS[kind];
  const story: { -readonly [K in keyof ReportStory]: ReportStory[K] } = { ladders };
  if (kind === 'client_success' || kind === 'executive_summary') {
    const rows = clientRows(data);
    story.atRisk = atRisk(data, rows, config);
    if (kind === 'client_success') {
      story.clients = {
        rows: rows.slice(0, CLIENT_TABLE_CAP),
        more: Math.max(0, rows.length - CLIENT_TABLE_CAP),
        total: rows.length,
      };
    }
  }
  if (kind === 'business_performance' || kind === 'executive_summary') {
    story.funnel = funnel(data, config);
    story.waterfall = mrrWaterfall(data.fleetCurrent);
    if (kind === 'business_performance') story.channels = channelRows(catalog, data.fleetCurrent, data.fleetPrevious);
    const bt = config.reports.businessTargets;
    const netNewTarget = perPeriod(bt.netNewMrrUsdPerWeek, data.period.kind);
    const wonTarget = perPeriod(bt.wonValueUsdPerWeek, data.period.kind);
    story.business = {
      netNewMrr: kpiValue(data.fleetCurrent, KPI.netNewMrrUsd),
      wonValue: kpiValue(data.fleetCurrent, KPI.wonValueUsd),
      ...(netNewTarget === undefined ? {} : { netNewTarget }),
      ...(wonTarget === undefined ? {} : { wonTarget }),
    };
  }
  if (kind === 'executive_summary') {
    const count = (xs: readonly ReportIncident[]) =>
      xs.filter((i) => ladders.includes(incidentLadder(i, catalog))).length;
    story.tiles = tiles(data, catalog, config, distribution, {
      current: count(data.incidents),
      previous: data.previousIncidents === undefined ? null : count(data.previousIncidents),
    });
    story.forecasts = [
      forecastDaily(dailySeries(data, KPI.sessions), { kpi: KPI.sessions, title: 'Sessions', unit: 'count' }),
      forecastDaily(dailySeries(data, KPI.netNewMrrUsd), {
        kpi: KPI.netNewMrrUsd,
        title: 'Net new MRR',
        unit: 'usd',
      }),
    ];
    if (data.experiments !== undefined) story.experiments = experimentSummaries(data.experiments);
  }
  if (kind === 'system_health') {
    story.budgets = budgets(data, catalog, config);
    story.drift = driftRows(data, catalog);
  }
  return story;
}
