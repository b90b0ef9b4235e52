/**
 * The client health score of the operations spec: 0-100 per tenant per UTC day from the tenant's
 * KPI values. Pure: the caller reads the KPI values and the stored history.
 *
 * Each component is the mean of its present inputs' sub-scores (0..100). A missing input is
 * listed in `missing` and left out of the mean; a component with no input present is left out
 * of the total, which is then scaled over the present components' weights (`renormalised`,
 * `coverage`). Missing data therefore never counts as perfect nor as zero.
 */
import { KPI } from '../catalog/names';
import type { PipelineConfig } from '../config/schema';
import {
  type ChurnRisk,
  HEALTH_COMPONENTS,
  type HealthBand,
  type HealthComponentName,
  type HealthComponentScore,
  type HealthInputScore,
  type HealthScore,
  type HealthTrend,
  type KpiReading,
} from './types';

/** The `healthScore` section of the configuration. */
export type HealthScoreSettings = PipelineConfig['healthScore'];

/** Everything the score of one tenant on one day is computed from. */
export interface HealthScoreInput {
  readonly tenant: string;
  /** UTC day being scored, `yyyy-mm-dd`. */
  readonly date: string;
  /** The tenant's KPI values of that day (its day bucket); empty when it sent no events. */
  readonly today: readonly KpiReading[];
  /**
   * The tenant's day buckets of the preceding days (typically 7), any order; the baseline for
   * session volume and user growth, and the window for MRR movements.
   */
  readonly baseline: readonly (readonly KpiReading[])[];
  /** Licensed seats of the tenant (tenant, else tier, configuration); unknown leaves seat use missing. */
  readonly licensedSeats?: number;
  /** Distinct features used anywhere in the fleet that day; 0 leaves adoption breadth missing. */
  readonly fleetFeatureCount: number;
  /** Stored scores of earlier days (any order, any length); drive trend and churn risk. */
  readonly history: readonly HealthScore[];
}

/** The MRR movement KPIs, and whether each one gains MRR. */
const MRR_MOVEMENTS: readonly (readonly [string, boolean])[] = [
  [KPI.mrrNewUsd, true],
  [KPI.mrrExpansionUsd, true],
  [KPI.mrrContractionUsd, false],
  [KPI.mrrChurnUsd, false],
];

/** Seat utilisation that scores 100 (active users / licensed seats). */
const FULL_SEAT_UTILISATION = 0.8;
/** Sub-score of a period that is as good as its baseline (flat usage, flat users, flat MRR). */
const FLAT_SCORE = 75;

/** Clamps `x` to 0..100. */
function clamp100(x: number): number {
  return Math.min(100, Math.max(0, x));
}

/** Linear interpolation between (x0, 100) and (x1, 0), clamped; works for rising or falling lines. */
function fallsTo0(x: number, good: number, bad: number): number {
  return clamp100((100 * (x - bad)) / (good - bad));
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** A reading's headline value when present and finite. */
function kpiValue(readings: readonly KpiReading[], kpi: string): number | null {
  const r = readings.find((x) => x.kpi === kpi);
  return r !== undefined && r.value !== null && Number.isFinite(r.value) && r.count > 0 ? r.value : null;
}

function p95Of(readings: readonly KpiReading[], kpi: string): number | null {
  const r = readings.find((x) => x.kpi === kpi);
  return r?.p95 !== undefined && Number.isFinite(r.p95) && r.count > 0 ? r.p95 : null;
}

function present(name: string, value: number, score: number): HealthInputScore {
  return { name, value, score: round1(clamp100(score)) };
}

function missingInput(name: string, missingReason: string): HealthInputScore {
  return { name, value: null, score: null, missingReason };
}

function mean(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Mean of a KPI's value over the baseline days that have it. */
function baselineMean(baseline: readonly (readonly KpiReading[])[], kpi: string): number | null {
  return mean(baseline.map((day) => kpiValue(day, kpi)).filter((v): v is number => v !== null));
}

/** Score of a ratio `current / baseline`: 0 at 0, FLAT_SCORE at 1, 100 at `fullAt` and above. */
function ratioScore(ratio: number, fullAt: number): number {
  if (ratio <= 1) return clamp100(ratio * FLAT_SCORE);
  return clamp100(FLAT_SCORE + ((100 - FLAT_SCORE) * (ratio - 1)) / (fullAt - 1));
}

function usageInputs(input: HealthScoreInput): HealthInputScore[] {
  const out: HealthInputScore[] = [];
  const active = kpiValue(input.today, KPI.activeUsers);
  if (active === null) out.push(missingInput('seat_utilisation', 'no user.active events'));
  else if (input.licensedSeats === undefined)
    out.push(missingInput('seat_utilisation', 'licensedSeats not configured for the tenant or its tier'));
  else {
    const use = active / input.licensedSeats;
    out.push(present('seat_utilisation', use, (100 * use) / FULL_SEAT_UTILISATION));
  }
  const features = input.today.filter(
    (r) => r.kpi.startsWith(`${KPI.featureAdoption}:`) && r.value !== null && r.value > 0,
  ).length;
  if (features === 0) out.push(missingInput(KPI.featureAdoption, 'no user.active events with a feature'));
  else if (input.fleetFeatureCount <= 0) out.push(missingInput(KPI.featureAdoption, 'fleet feature count unknown'));
  else {
    const breadth = Math.min(1, features / input.fleetFeatureCount);
    out.push(present(KPI.featureAdoption, breadth, 100 * breadth));
  }
  const sessions = kpiValue(input.today, KPI.sessions);
  const base = baselineMean(input.baseline, KPI.sessions);
  if (sessions === null) out.push(missingInput('session_volume', 'no agent.session.completed events'));
  else if (base === null || base <= 0) out.push(missingInput('session_volume', 'no earlier days to compare with'));
  else out.push(present('session_volume', sessions / base, ratioScore(sessions / base, 1.25)));
  return out;
}

function performanceInputs(input: HealthScoreInput, t: HealthScoreSettings['targets']): HealthInputScore[] {
  const out: HealthInputScore[] = [];
  const p95 = p95Of(input.today, KPI.responseLatency);
  if (p95 === null) out.push(missingInput('response_slo', 'no agent.turn.completed events'));
  // Meeting the p95 target scores 100; twice the target scores 0.
  else out.push(present('response_slo', p95, fallsTo0(p95, t.responseP95Ms, 2 * t.responseP95Ms)));
  const rates = [KPI.apiErrorRate, KPI.turnErrorRate]
    .map((k) => kpiValue(input.today, k))
    .filter((v): v is number => v !== null);
  if (rates.length === 0)
    out.push(missingInput('error_rate', 'no api.request.completed or agent.turn.completed events'));
  else {
    // The worse of the two error rates counts: either one failing is felt by the client.
    const worst = Math.max(...rates);
    out.push(present('error_rate', worst, fallsTo0(worst, t.apiErrorRate, 5 * t.apiErrorRate)));
  }
  const fcr = kpiValue(input.today, KPI.fcrRate);
  if (fcr === null) out.push(missingInput('fcr', 'no agent.session.completed events'));
  else out.push(present('fcr', fcr, fallsTo0(fcr, t.fcrRate, 0)));
  return out;
}

function supportInputs(input: HealthScoreInput, t: HealthScoreSettings['targets']): HealthInputScore[] {
  const out: HealthInputScore[] = [];
  const opened = kpiValue(input.today, KPI.ticketsOpened);
  const sessions = kpiValue(input.today, KPI.sessions);
  // No ticket events is not proof of zero tickets (the support system may not report): missing.
  if (opened === null) out.push(missingInput('ticket_volume', 'no support.ticket.updated events'));
  else if (sessions === null || sessions <= 0)
    out.push(missingInput('ticket_volume', 'no sessions to relate tickets to'));
  else {
    const per100 = (100 * opened) / sessions;
    const target = t.ticketsPerHundredSessions;
    out.push(
      present('ticket_volume', per100, target <= 0 ? (per100 > 0 ? 0 : 100) : fallsTo0(per100, target, 3 * target)),
    );
  }
  const res = p95Of(input.today, KPI.ticketResolutionTime);
  if (res === null) out.push(missingInput('resolution_time', 'no resolved tickets with resolutionMs'));
  else out.push(present('resolution_time', res, fallsTo0(res, t.ticketResolutionP95Ms, 3 * t.ticketResolutionP95Ms)));
  return out;
}

function growthInputs(input: HealthScoreInput): HealthInputScore[] {
  const out: HealthInputScore[] = [];
  const active = kpiValue(input.today, KPI.activeUsers);
  const base = baselineMean(input.baseline, KPI.activeUsers);
  if (active === null) out.push(missingInput('user_growth', 'no user.active events'));
  else if (base === null || base <= 0) out.push(missingInput('user_growth', 'no earlier days to compare with'));
  else out.push(present('user_growth', active / base - 1, ratioScore(active / base, 1.1)));
  // MRR moves rarely; the whole window (baseline days and today) is scored.
  let gained = 0;
  let lost = 0;
  let seen = false;
  for (const day of [input.today, ...input.baseline]) {
    for (const [kpi, gain] of MRR_MOVEMENTS) {
      const v = kpiValue(day, kpi);
      if (v === null) continue;
      seen = true;
      if (gain) gained += Math.abs(v);
      else lost += Math.abs(v);
    }
  }
  if (!seen || gained + lost === 0) out.push(missingInput('expansion_mrr', 'no revenue.recorded events in the window'));
  else {
    // Balance of gains and losses, -1 (only losses) .. 1 (only gains); balanced scores FLAT_SCORE.
    const balance = (gained - lost) / (gained + lost);
    const score = balance >= 0 ? FLAT_SCORE + (100 - FLAT_SCORE) * balance : FLAT_SCORE * (1 + balance);
    out.push(present('expansion_mrr', gained - lost, score));
  }
  return out;
}

function satisfactionInputs(input: HealthScoreInput, t: HealthScoreSettings['targets']): HealthInputScore[] {
  const out: HealthInputScore[] = [];
  const csat = kpiValue(input.today, KPI.csat);
  if (csat === null) out.push(missingInput(KPI.csat, 'no CSAT feedback'));
  // Target and above score 100; 2 of 5 or below scores 0.
  else out.push(present(KPI.csat, csat, fallsTo0(csat, t.csat, 2)));
  const nps = kpiValue(input.today, KPI.nps);
  if (nps === null) out.push(missingInput(KPI.nps, 'no NPS feedback'));
  else out.push(present(KPI.nps, nps, fallsTo0(nps, t.nps, -50)));
  return out;
}

/**
 * The band of a score.
 * @param bands lowest score of green and of yellow (defaults 80 and 60)
 */
export function bandOf(score: number, bands: HealthScoreSettings['bands']): HealthBand {
  if (score >= bands.green) return 'green';
  if (score >= bands.yellow) return 'yellow';
  return 'red';
}

const BAND_RANK: Record<HealthBand, number> = { green: 2, yellow: 1, red: 0 };

/** Whether a tenant sent anything at all in a bucket. */
function hasEvents(readings: readonly KpiReading[]): boolean {
  return readings.some((r) => r.count > 0);
}

function trendOf(score: number | null, earlier: readonly HealthScore[]): HealthTrend {
  const scored = earlier.filter((h) => h.score !== null);
  const previousScore = scored[0]?.score ?? null;
  const trailing = mean(scored.map((h) => h.score as number));
  const delta = score !== null && previousScore !== null ? round1(score - previousScore) : null;
  const direction = delta === null ? 'unknown' : delta > 0.5 ? 'up' : delta < -0.5 ? 'down' : 'flat';
  return { previousScore, delta, trailingMean: trailing === null ? null : round1(trailing), direction };
}

/** The day before `yyyy-mm-dd`. */
function dayBefore(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

function churnRiskOf(
  date: string,
  band: HealthBand | null,
  earlier: readonly HealthScore[],
  redDays: number,
): ChurnRisk {
  if (band === null) return { flagged: false, reasons: [] };
  const reasons: string[] = [];
  const previous = earlier.find((h) => h.band !== null);
  if (previous?.band != null && BAND_RANK[band] < BAND_RANK[previous.band]) {
    reasons.push(`fell from ${previous.band} to ${band} (since ${previous.date})`);
  }
  if (band === 'red') {
    // Count consecutive red calendar days ending today; a gap or another band breaks the run.
    const byDate = new Map(earlier.map((h) => [h.date, h]));
    let run = 1;
    let d = dayBefore(date);
    while (byDate.get(d)?.band === 'red') {
      run += 1;
      d = dayBefore(d);
    }
    if (run >= redDays) reasons.push(`red for ${run} days running`);
  }
  return { flagged: reasons.length > 0, reasons };
}

/**
 * Computes one tenant's health score for one UTC day.
 * @param input the tenant's KPI values of the day and the days before, and its stored history
 * @param settings the `healthScore` section of the configuration (weights, bands, targets)
 */
export function computeHealthScore(input: HealthScoreInput, settings: HealthScoreSettings): HealthScore {
  const earlier = input.history.filter((h) => h.tenant === input.tenant && h.date < input.date);
  earlier.sort((a, b) => (a.date < b.date ? 1 : -1));
  const t = settings.targets;
  const byComponent: Record<HealthComponentName, HealthInputScore[]> = {
    usage: usageInputs(input),
    performance: performanceInputs(input, t),
    support: supportInputs(input, t),
    growth: growthInputs(input),
    satisfaction: satisfactionInputs(input, t),
  };
  const components: HealthComponentScore[] = HEALTH_COMPONENTS.map((name) => {
    const weight = settings.weights[name];
    const scores = byComponent[name].map((i) => i.score).filter((s): s is number => s !== null);
    const m = mean(scores);
    return {
      name,
      weight,
      score: m === null ? null : round1(m),
      points: m === null ? null : round1((weight * m) / 100),
      inputs: byComponent[name],
    };
  });
  const missing: string[] = [];
  for (const c of components) {
    if (c.score === null) missing.push(c.name);
    for (const i of c.inputs) if (i.score === null) missing.push(`${c.name}.${i.name}`);
  }
  const totalWeight = components.reduce((a, c) => a + c.weight, 0);
  const presentComponents = components.filter((c) => c.score !== null && c.weight > 0);
  const presentWeight = presentComponents.reduce((a, c) => a + c.weight, 0);
  const coverage = totalWeight > 0 ? round1((presentWeight / totalWeight) * 1000) / 1000 : 0;
  if (!hasEvents(input.today) || presentWeight === 0) {
    const status = hasEvents(input.today) ? 'insufficient_data' : 'no_data';
    return {
      tenant: input.tenant,
      date: input.date,
      status,
      score: null,
      band: null,
      components,
      missing,
      renormalised: false,
      coverage,
      trend: trendOf(null, earlier),
      churnRisk: { flagged: false, reasons: [] },
    };
  }
  // Unrounded component means keep the total exact; the shown score is rounded once.
  const weighted = presentComponents.reduce((a, c) => {
    const raw = mean(byComponent[c.name].map((i) => i.score).filter((s): s is number => s !== null)) ?? 0;
    return a + c.weight * raw;
  }, 0);
  const score = round1(weighted / presentWeight);
  const band = bandOf(score, settings.bands);
  return {
    tenant: input.tenant,
    date: input.date,
    status: 'scored',
    score,
    band,
    components,
    missing,
    renormalised: presentWeight < totalWeight,
    coverage,
    trend: trendOf(score, earlier),
    churnRisk: churnRiskOf(input.date, band, earlier, settings.redDaysForChurnRisk),
  };
}
