/**
 * The report model: what each scheduled report says, computed from `ReportData`. Pure and
 * independent of presentation; the HTML, text, charts and CSV are rendered from it.
 */
import type { KpiCatalog } from '../catalog/catalog';
import type { KpiDefinition, KpiUnit, ReportSection } from '../catalog/types';
import type { PipelineConfig, ReportKind } from '../config/schema';
import type { HealthBand, KpiReading } from '../health/types';
import { formatValue } from './format';
import { buildStory, incidentLadder, incidentTitle, type ReportStory } from './story';
import type { DayValues, Instant, ReportData, ReportIncident, ReportPeriod } from './types';

export { formatValue };

/** Rows shown per table before "and N more". Keeps a 1,000-tenant mail readable and small. */
export const TABLE_CAP = 10;

/** Title of each report. */
export const REPORT_TITLES: Record<ReportKind, string> = {
  system_health: 'System health',
  business_performance: 'Business performance',
  executive_summary: 'Executive summary',
  client_success: 'Client success',
};

/** Catalog report sections each report shows. Executive adds every KPI with a target. */
const SECTIONS: Record<ReportKind, readonly ReportSection[]> = {
  system_health: ['system_health'],
  business_performance: ['business'],
  executive_summary: ['executive'],
  client_success: ['client_success'],
};

/** Whether a value met its target: `null` when there is no target or no value. */
export type TargetStatus = 'met' | 'missed' | 'no_data';

/** One KPI line of a report. */
export interface KpiRow {
  readonly kpi: string;
  readonly title: string;
  readonly unit: KpiUnit;
  readonly direction: KpiDefinition['direction'];
  /** The statistic shown: the headline value, or p95 when the target is on p95. */
  readonly statistic: 'value' | 'p50' | 'p95' | 'p99';
  readonly current: number | null;
  readonly previous: number | null;
  /** Events behind `current`. */
  readonly count: number;
  /** Relative change (0.1 = +10%); null when either side is missing or previous is 0. */
  readonly change: number | null;
  /** Whether the change is good, bad or neutral given the KPI's direction. */
  readonly changeIs: 'better' | 'worse' | 'neutral';
  readonly target?: { readonly text: string; readonly status: TargetStatus };
}

/** A tenant whose KPI moved most between the periods. */
export interface Mover {
  readonly tenant: string;
  readonly tenantName: string;
  readonly kpi: string;
  readonly title: string;
  readonly unit: KpiUnit;
  readonly current: number;
  readonly previous: number;
  readonly change: number;
  readonly changeIs: 'better' | 'worse' | 'neutral';
}

/** One incident with its response times. */
export interface IncidentRow {
  readonly id: string;
  readonly severity: ReportIncident['severity'];
  /** In words: `Acme Voice: Voice response latency (P1)`. */
  readonly title: string;
  /** Kept for the CSV attachment; the mail shows the title. */
  readonly alarmName: string;
  readonly tenant: string;
  readonly state: string;
  readonly openedAtMs: number;
  /** Time to acknowledge / resolve, ms; null while not acknowledged / resolved. */
  readonly ackMs: number | null;
  readonly resolveMs: number | null;
}

/** A fleet KPI whose period value is outside its recent range. */
export interface Anomaly {
  readonly kpi: string;
  readonly title: string;
  readonly unit: KpiUnit;
  readonly current: number;
  readonly baselineMean: number;
  /** Standard deviations from the baseline mean. */
  readonly z: number;
  readonly changeIs: 'better' | 'worse' | 'neutral';
}

/** A tenant line of the health tables. */
export interface HealthRow {
  readonly tenant: string;
  readonly tenantName: string;
  readonly score: number | null;
  readonly band: HealthBand | null;
  readonly previousScore: number | null;
  readonly delta: number | null;
  readonly missing: readonly string[];
  readonly churnReasons: readonly string[];
}

/** A capped table: the rows shown and how many more there were. */
export interface Capped<T> {
  readonly rows: readonly T[];
  readonly more: number;
}

/** A time series for the report's chart. */
export interface SeriesPoint {
  /** Offset of the bucket from its period's start, in buckets (hour 0..23, day 0..6). */
  readonly index: number;
  readonly label: string;
  readonly period: 'this period' | 'previous period';
  readonly value: number;
}

/** A report, ready to render. */
export interface ReportModel {
  readonly kind: ReportKind;
  readonly title: string;
  readonly period: ReportPeriod;
  /** Short headline sentences (numbers included). */
  readonly highlights: readonly string[];
  readonly kpis: readonly KpiRow[];
  readonly targets: { readonly met: number; readonly missed: number; readonly noData: number };
  readonly movers: Capped<Mover>;
  readonly incidents: {
    readonly table: Capped<IncidentRow>;
    /** Every listed incident (the incidents CSV). */
    readonly all: readonly IncidentRow[];
    readonly total: number;
    readonly bySeverity: Readonly<Record<ReportIncident['severity'], number>>;
    /** Mean time to acknowledge / resolve over the incidents that were, ms. */
    readonly mttaMs: number | null;
    readonly mttrMs: number | null;
    readonly open: number;
  };
  readonly anomalies: readonly Anomaly[];
  readonly health: {
    readonly distribution: Readonly<Record<HealthBand | 'no_score', number>>;
    readonly red: Capped<HealthRow>;
    readonly movers: Capped<HealthRow>;
    readonly churnRisk: Capped<HealthRow>;
  };
  readonly chart: {
    readonly kpi: string;
    readonly title: string;
    readonly unit: KpiUnit;
    readonly statistic: KpiRow['statistic'];
    readonly points: readonly SeriesPoint[];
  };
  /** Fleet day buckets of the period, for the CSV attachment. */
  readonly fleetDays: readonly DayValues[];
  /** The audience's own sections (client table, funnel, tiles, budgets, ...). */
  readonly story: ReportStory;
}

/** Parses an incident instant. */
export function instantMs(t: Instant | undefined): number | null {
  if (t === undefined) return null;
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? ms : null;
}

function reading(values: readonly KpiReading[], kpi: string): KpiReading | undefined {
  return values.find((r) => r.kpi === kpi);
}

/** The statistic of a reading; null when absent or without data. */
export function statisticOf(r: KpiReading | undefined, statistic: KpiRow['statistic']): number | null {
  if (r === undefined || r.count <= 0) return null;
  const v = statistic === 'value' ? r.value : r[statistic];
  return v === undefined || v === null || !Number.isFinite(v) ? null : v;
}

function changeOf(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

function judge(direction: KpiDefinition['direction'], delta: number | null): KpiRow['changeIs'] {
  if (delta === null || delta === 0 || direction === 'neutral') return 'neutral';
  return delta > 0 === (direction === 'higher_is_better') ? 'better' : 'worse';
}

function statisticFor(config: PipelineConfig, kpi: string): KpiRow['statistic'] {
  const s = config.reports.targets[kpi]?.statistic;
  return s === 'p50' || s === 'p95' || s === 'p99' ? s : 'value';
}

function targetOf(config: PipelineConfig, def: KpiDefinition, current: number | null): KpiRow['target'] {
  const t = config.reports.targets[def.name];
  if (t === undefined) return undefined;
  const parts: string[] = [];
  if (t.min !== undefined) parts.push(`>= ${formatValue(t.min, def.unit)}`);
  if (t.max !== undefined) parts.push(`<= ${formatValue(t.max, def.unit)}`);
  const text = `${t.statistic === undefined ? '' : `${t.statistic} `}${parts.join(' and ')}`;
  if (current === null) return { text, status: 'no_data' };
  const ok = (t.min === undefined || current >= t.min) && (t.max === undefined || current <= t.max);
  return { text, status: ok ? 'met' : 'missed' };
}

/** KPIs a report of `kind` shows, catalog order. */
export function reportKpis(kind: ReportKind, catalog: KpiCatalog, config: PipelineConfig): KpiDefinition[] {
  const sections = SECTIONS[kind];
  return catalog.all().filter(
    (d) =>
      // A KPI sub-keyed per value (feature_adoption:<feature>) has no one fleet value to show.
      !(d.measure.kind === 'distinct' && d.measure.groupBy !== undefined) &&
      ((d.report !== undefined && sections.includes(d.report.section)) ||
        (kind === 'executive_summary' && config.reports.targets[d.name] !== undefined)),
  );
}

/** Formats a duration in ms as `12 min`, `3.5 h`, `45 s`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Formats a relative change as `+12.3%`. */
export function formatChange(change: number | null): string {
  if (change === null) return '-';
  const pct = change * 100;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

function cap<T>(rows: readonly T[], n = TABLE_CAP): Capped<T> {
  return { rows: rows.slice(0, n), more: Math.max(0, rows.length - n) };
}

function kpiRows(kind: ReportKind, data: ReportData, catalog: KpiCatalog, config: PipelineConfig): KpiRow[] {
  return reportKpis(kind, catalog, config).map((def) => {
    const statistic = statisticFor(config, def.name);
    const cur = reading(data.fleetCurrent, def.name);
    const current = statisticOf(cur, statistic);
    const previous = statisticOf(reading(data.fleetPrevious, def.name), statistic);
    const change = changeOf(current, previous);
    const target = targetOf(config, def, current);
    return {
      kpi: def.name,
      title: def.title,
      unit: def.unit,
      direction: def.direction,
      statistic,
      current,
      previous,
      count: cur?.count ?? 0,
      change,
      changeIs: judge(def.direction, current === null || previous === null ? null : current - previous),
      ...(target === undefined ? {} : { target }),
    };
  });
}

/** Minimum events in both periods for a tenant's KPI to count as a mover (small samples swing wildly). */
const MOVER_MIN_COUNT = 5;

function movers(kind: ReportKind, data: ReportData, catalog: KpiCatalog, config: PipelineConfig): Mover[] {
  const defs = reportKpis(kind, catalog, config);
  const out: Mover[] = [];
  for (const t of data.tenants) {
    for (const def of defs) {
      const statistic = statisticFor(config, def.name);
      const c = reading(t.current, def.name);
      const p = reading(t.previous, def.name);
      if (c === undefined || p === undefined || c.count < MOVER_MIN_COUNT || p.count < MOVER_MIN_COUNT) continue;
      const current = statisticOf(c, statistic);
      const previous = statisticOf(p, statistic);
      const change = changeOf(current, previous);
      if (current === null || previous === null || change === null || change === 0) continue;
      out.push({
        tenant: t.tenant,
        tenantName: t.name,
        kpi: def.name,
        title: def.title,
        unit: def.unit,
        current,
        previous,
        change,
        changeIs: judge(def.direction, current - previous),
      });
    }
  }
  // Worse moves first (they need action), then by size of the move.
  const rank = { worse: 0, better: 1, neutral: 2 };
  return out.sort((a, b) => rank[a.changeIs] - rank[b.changeIs] || Math.abs(b.change) - Math.abs(a.change));
}

function incidentRows(
  incidents: readonly ReportIncident[],
  catalog: KpiCatalog,
  config: PipelineConfig,
  ladders: ReportStory['ladders'],
): IncidentRow[] {
  const sevRank = { P1: 0, P2: 1, P3: 2, P4: 3 };
  return incidents
    .filter((i) => ladders.includes(incidentLadder(i, catalog)))
    .map((i) => {
      const opened = instantMs(i.openedAt) ?? 0;
      const ack = instantMs(i.acknowledgedAt);
      const res = instantMs(i.resolvedAt);
      return {
        id: i.id,
        severity: i.severity,
        title: incidentTitle(i, catalog, config),
        alarmName: i.alarmName,
        tenant: i.tenant,
        state: i.state,
        openedAtMs: opened,
        ackMs: ack === null ? null : Math.max(0, ack - opened),
        resolveMs: res === null ? null : Math.max(0, res - opened),
      };
    })
    .sort((a, b) => sevRank[a.severity] - sevRank[b.severity] || a.openedAtMs - b.openedAtMs);
}

function meanOf(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Baseline days needed before the anomaly check speaks. */
const ANOMALY_MIN_DAYS = 7;
/** Standard deviations from the baseline mean that make an anomaly. */
const ANOMALY_Z = 3;

function anomalies(kind: ReportKind, data: ReportData, catalog: KpiCatalog, config: PipelineConfig): Anomaly[] {
  const out: Anomaly[] = [];
  const days = data.period.kind === 'day' ? 1 : 7;
  for (const def of reportKpis(kind, catalog, config)) {
    if (def.unit === 'count' || def.unit === 'usd' || def.unit === 'users') {
      // Volumes of a week are not comparable with daily baselines; compare per-day averages.
      if (days !== 1) continue;
    }
    const statistic = statisticFor(config, def.name);
    const base = data.fleetBaselineDays
      .map((d) => statisticOf(reading(d.values, def.name), statistic))
      .filter((v): v is number => v !== null);
    if (base.length < ANOMALY_MIN_DAYS) continue;
    const m = meanOf(base) ?? 0;
    const sd = Math.sqrt(base.reduce((a, v) => a + (v - m) ** 2, 0) / (base.length - 1));
    const current = statisticOf(reading(data.fleetCurrent, def.name), statistic);
    if (current === null) continue;
    // A flat baseline (sd 0) flags any move of more than 1% of its level.
    const z =
      sd > 0 ? (current - m) / sd : Math.abs(current - m) > Math.abs(m) * 0.01 ? Math.sign(current - m) * 99 : 0;
    if (Math.abs(z) >= ANOMALY_Z) {
      out.push({
        kpi: def.name,
        title: def.title,
        unit: def.unit,
        current,
        baselineMean: m,
        z,
        changeIs: judge(def.direction, current - m),
      });
    }
  }
  return out.sort((a, b) => Math.abs(b.z) - Math.abs(a.z));
}

function healthSection(data: ReportData): ReportModel['health'] {
  const distribution = { green: 0, yellow: 0, red: 0, no_score: 0 };
  const rows: HealthRow[] = data.health.map((h) => {
    const score = h.latest?.score ?? null;
    const band = h.latest?.band ?? null;
    if (band === null) distribution.no_score += 1;
    else distribution[band] += 1;
    const previousScore = h.earlier?.score ?? null;
    return {
      tenant: h.tenant,
      tenantName: h.name,
      score,
      band,
      previousScore,
      delta: score !== null && previousScore !== null ? Math.round((score - previousScore) * 10) / 10 : null,
      missing: h.latest?.missing ?? [],
      churnReasons: h.latest?.churnRisk.reasons ?? [],
    };
  });
  const red = rows.filter((r) => r.band === 'red').sort((a, b) => (a.score ?? 0) - (b.score ?? 0));
  const moved = rows
    .filter((r) => r.delta !== null && r.delta !== 0)
    .sort((a, b) => Math.abs(b.delta ?? 0) - Math.abs(a.delta ?? 0));
  const churn = rows.filter((r) => r.churnReasons.length > 0).sort((a, b) => (a.score ?? 0) - (b.score ?? 0));
  return { distribution, red: cap(red), movers: cap(moved), churnRisk: cap(churn) };
}

function chartOf(kind: ReportKind, data: ReportData, catalog: KpiCatalog): ReportModel['chart'] {
  // The KPI each report charts over the period (with the previous period as a second line).
  const { kpi: def, statistic } = catalog.headline(kind);
  const kpi = def.name;
  const step = data.period.kind === 'day' ? 3_600_000 : 86_400_000;
  const label = (ms: number) =>
    data.period.kind === 'day'
      ? `${new Date(ms).toISOString().slice(11, 13)}:00`
      : new Date(ms).toISOString().slice(5, 10);
  const points: SeriesPoint[] = [];
  for (const [series, start, name] of [
    [data.fleetSeries, data.period.startMs, 'this period'],
    [data.fleetPreviousSeries, data.period.previousStartMs, 'previous period'],
  ] as const) {
    for (const b of series) {
      const v = statisticOf(reading(b.values, kpi), statistic);
      if (v === null) continue;
      const index = Math.round((b.bucketStartMs - start) / step);
      points.push({ index, label: label(data.period.startMs + index * step), period: name, value: v });
    }
  }
  return { kpi, title: def.title, unit: def.unit, statistic, points };
}

function highlights(model: Omit<ReportModel, 'highlights'>): string[] {
  const out: string[] = [];
  const { met, missed, noData } = model.targets;
  if (met + missed > 0)
    out.push(`${met} of ${met + missed} targets met${noData > 0 ? ` (${noData} without data)` : ''}.`);
  const inc = model.incidents;
  if (inc.total === 0) out.push('No incidents opened in the period.');
  else
    out.push(
      `${inc.total} incident${inc.total === 1 ? '' : 's'} (${inc.bySeverity.P1} P1, ${inc.bySeverity.P2} P2); ` +
        `MTTA ${formatDuration(inc.mttaMs)}, MTTR ${formatDuration(inc.mttrMs)}; ${inc.open} still open.`,
    );
  if (model.anomalies.length > 0)
    out.push(`${model.anomalies.length} KPI${model.anomalies.length === 1 ? '' : 's'} outside the usual range.`);
  const d = model.health.distribution;
  if (d.green + d.yellow + d.red > 0) out.push(`Client health: ${d.green} green, ${d.yellow} yellow, ${d.red} red.`);
  return out;
}

/**
 * Builds the model of a report from its data.
 * @param catalog the KPI catalog (KPI titles, units, directions, report sections)
 * @param config targets (`reports.targets`)
 */
export function buildReportModel(data: ReportData, catalog: KpiCatalog, config: PipelineConfig): ReportModel {
  const kind = data.kind;
  const kpis = kpiRows(kind, data, catalog, config);
  const withTarget = kpis.filter((k) => k.target !== undefined);
  const health = healthSection(data);
  const story = buildStory(data, catalog, config, health.distribution);
  const rows = incidentRows(data.incidents, catalog, config, story.ladders);
  const acked = rows.map((r) => r.ackMs).filter((v): v is number => v !== null);
  const resolved = rows.map((r) => r.resolveMs).filter((v): v is number => v !== null);
  const bySeverity = { P1: 0, P2: 0, P3: 0, P4: 0 };
  for (const r of rows) bySeverity[r.severity] += 1;
  const base: Omit<ReportModel, 'highlights'> = {
    kind,
    title: REPORT_TITLES[kind],
    period: data.period,
    kpis,
    targets: {
      met: withTarget.filter((k) => k.target?.status === 'met').length,
      missed: withTarget.filter((k) => k.target?.status === 'missed').length,
      noData: withTarget.filter((k) => k.target?.status === 'no_data').length,
    },
    movers: cap(movers(kind, data, catalog, config)),
    incidents: {
      table: cap(rows),
      all: rows,
      total: rows.length,
      bySeverity,
      mttaMs: meanOf(acked),
      mttrMs: meanOf(resolved),
      open: rows.filter((r) => r.resolveMs === null).length,
    },
    anomalies: anomalies(kind, data, catalog, config),
    health,
    chart: chartOf(kind, data, catalog),
    fleetDays: data.fleetDays,
    story,
  };
  return { ...base, highlights: highlights(base) };
}
