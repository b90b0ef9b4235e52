/**
 * Gathers what a report needs through the ports (KPI source, incidents, health store). Pure apart
 * from awaiting the ports: no SDK, no clock.
 */
import type { KpiCatalog } from '../catalog/catalog';
import { KPI } from '../catalog/names';
import type { PipelineConfig, ReportKind } from '../config/schema';
import { computeHealthScore } from '../health/score';
import type { HealthStore } from '../health/store';
import type { HealthScore, KpiReading } from '../health/types';
import { GRANULARITY_MS } from '../time/buckets';
import { collectExperiments, type ReportExperimentStore } from './experiments';
import { utcDate } from './period';
import type { DayValues, ReportData, ReportIncidentReader, ReportKpiSet, ReportKpiSource, ReportPeriod } from './types';

const DAY = GRANULARITY_MS.day;
/** Days before the period that the anomaly check compares with. */
export const ANOMALY_BASELINE_DAYS = 28;
/** Days before a scored day that serve as its health baseline. */
export const HEALTH_BASELINE_DAYS = 7;
/** Concurrent reads per report run: keeps 1,000 tenants fast without throttling the table. */
const READ_CONCURRENCY = 16;

/** Runs `fn` over `items`, at most `limit` at a time, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Values of the buckets in [fromMs, toMs), captured before merging. */
function within(
  buckets: ReadonlyArray<{ bucketStartMs: number; set: ReportKpiSet }>,
  fromMs: number,
  toMs: number,
): Array<{ bucketStartMs: number; set: ReportKpiSet }> {
  return buckets.filter((b) => b.bucketStartMs >= fromMs && b.bucketStartMs < toMs);
}

/** Merged values of some buckets (mutates the first bucket's set, which the caller no longer needs). */
function merged(buckets: ReadonlyArray<{ set: ReportKpiSet }>): readonly KpiReading[] {
  const [first, ...rest] = buckets;
  if (first === undefined) return [];
  for (const b of rest) first.set.mergeFrom(b.set);
  return first.set.values();
}

function snapshot(buckets: ReadonlyArray<{ bucketStartMs: number; set: ReportKpiSet }>): DayValues[] {
  return buckets
    .map((b) => ({ bucketStartMs: b.bucketStartMs, values: b.set.values() }))
    .sort((a, b) => a.bucketStartMs - b.bucketStartMs);
}

/** Display name of a configured tenant (its id when unknown). */
export function tenantName(config: PipelineConfig, tenant: string): string {
  return config.tenants.find((t) => t.id === tenant)?.name ?? tenant;
}

/**
 * Reads everything a report of `kind` over `period` shows.
 * @param deps.source KPI buckets (fleet `*` and per configured tenant)
 * @param deps.incidents incidents opened in the period
 * @param deps.health stored daily health scores
 * @param deps.experimentStore experiment day items (needed by the executive summary when experiments are configured)
 * @throws MissingExperimentStoreError when the executive summary has experiments to show but no store to read them
 */
export async function collectReportData(
  kind: ReportKind,
  period: ReportPeriod,
  deps: {
    source: ReportKpiSource;
    incidents: ReportIncidentReader;
    health: HealthStore;
    config: PipelineConfig;
    catalog?: KpiCatalog;
    experimentStore?: ReportExperimentStore;
  },
): Promise<ReportData> {
  const { source, config } = deps;
  const fleetDayBuckets = await source.read({
    tenant: '*',
    granularity: 'day',
    fromMs: period.startMs - ANOMALY_BASELINE_DAYS * DAY,
    toMs: period.endMs,
  });
  const fleetDays = snapshot(within(fleetDayBuckets, period.startMs, period.endMs));
  const fleetBaselineDays = snapshot(
    within(fleetDayBuckets, period.startMs - ANOMALY_BASELINE_DAYS * DAY, period.startMs),
  );
  const seriesGranularity = period.kind === 'day' ? 'hour' : 'day';
  const seriesBuckets =
    seriesGranularity === 'day'
      ? fleetDayBuckets
      : await source.read({ tenant: '*', granularity: 'hour', fromMs: period.previousStartMs, toMs: period.endMs });
  const fleetSeries = snapshot(within(seriesBuckets, period.startMs, period.endMs));
  const fleetPreviousSeries = snapshot(within(seriesBuckets, period.previousStartMs, period.previousEndMs));
  // Merging mutates sets: every snapshot above is taken first.
  const fleetPrevious = merged(within(fleetDayBuckets, period.previousStartMs, period.previousEndMs));
  const fleetCurrent = merged(within(fleetDayBuckets, period.startMs, period.endMs));

  const tenants = await mapLimit(config.tenants, READ_CONCURRENCY, async (t) => {
    const buckets = await source.read({
      tenant: t.id,
      granularity: 'day',
      fromMs: period.previousStartMs,
      toMs: period.endMs,
    });
    return {
      tenant: t.id,
      name: t.name,
      previous: merged(within(buckets, period.previousStartMs, period.previousEndMs)),
      current: merged(within(buckets, period.startMs, period.endMs)),
    };
  });

  const incidents = await deps.incidents.listBetween(period.startMs, period.endMs);
  const previousIncidents = await deps.incidents.listBetween(period.previousStartMs, period.previousEndMs);
  const lastDay = utcDate(period.endMs - DAY);
  const health = await mapLimit(config.tenants, READ_CONCURRENCY, async (t) => {
    const scores = await deps.health.history(t.id, utcDate(period.previousStartMs), lastDay);
    const latest = scores.filter((s) => s.date >= utcDate(period.startMs)).at(-1);
    const earlier = scores.filter((s) => s.date < utcDate(period.startMs)).at(-1);
    const series = scores
      .filter((s) => s.date >= utcDate(period.startMs))
      .map((s) => ({ date: s.date, score: s.score }));
    return { tenant: t.id, name: t.name, latest, earlier, series };
  });
  const experiments = await experimentsOf(kind, period, deps);

  return {
    kind,
    period,
    fleetCurrent,
    fleetPrevious,
    fleetDays,
    fleetBaselineDays,
    fleetSeries,
    fleetPreviousSeries,
    tenants,
    incidents,
    previousIncidents,
    health,
    ...(experiments === undefined ? {} : { experiments }),
  };
}

/** Experiments would be shown but the wiring gives no way to read them. */
export class MissingExperimentStoreError extends Error {
  constructor() {
    super(
      'The executive summary shows the configured experiments, but no experiment store (and catalog) was given to ' +
        'collectReportData: pass experimentStore and catalog, or configure no experiments',
    );
    this.name = 'MissingExperimentStoreError';
  }
}

/** The Experiments section's data: executive summary only, and only when experiments are configured. */
async function experimentsOf(
  kind: ReportKind,
  period: ReportPeriod,
  deps: { config: PipelineConfig; catalog?: KpiCatalog; experimentStore?: ReportExperimentStore },
): Promise<ReportData['experiments']> {
  if (kind !== 'executive_summary' || deps.config.experiments.length === 0) return undefined;
  if (deps.experimentStore === undefined || deps.catalog === undefined) throw new MissingExperimentStoreError();
  return collectExperiments(deps.experimentStore, deps.catalog, deps.config.experiments, period);
}

/** Licensed seats of a tenant: its own setting, else its tier's. */
export function licensedSeatsOf(config: PipelineConfig, tenant: string): number | undefined {
  const t = config.tenants.find((x) => x.id === tenant);
  if (t === undefined) return undefined;
  return t.licensedSeats ?? config.tiers[t.tier]?.licensedSeats;
}

/**
 * Computes every configured tenant's health score for the UTC day starting at `dayStartMs` and
 * stores it. Idempotent: running it twice for a day overwrites the same items.
 * @returns the scores, in configuration order
 */
export async function computeDailyHealth(
  dayStartMs: number,
  deps: { source: ReportKpiSource; health: HealthStore; config: PipelineConfig },
): Promise<HealthScore[]> {
  const { source, config } = deps;
  const date = utcDate(dayStartMs);
  const fleet = await source.read({ tenant: '*', granularity: 'day', fromMs: dayStartMs, toMs: dayStartMs + DAY });
  const fleetFeatureCount = (fleet[0]?.set.values() ?? []).filter(
    (r) => r.kpi.startsWith(`${KPI.featureAdoption}:`) && r.value !== null && r.value > 0,
  ).length;
  const historyDays = config.healthScore.redDaysForChurnRisk + HEALTH_BASELINE_DAYS;
  const scores = await mapLimit(config.tenants, READ_CONCURRENCY, async (t) => {
    const [buckets, history] = await Promise.all([
      source.read({
        tenant: t.id,
        granularity: 'day',
        fromMs: dayStartMs - HEALTH_BASELINE_DAYS * DAY,
        toMs: dayStartMs + DAY,
      }),
      deps.health.history(t.id, utcDate(dayStartMs - historyDays * DAY), utcDate(dayStartMs - DAY)),
    ]);
    const today = buckets.find((b) => b.bucketStartMs === dayStartMs)?.set.values() ?? [];
    const baseline = buckets.filter((b) => b.bucketStartMs < dayStartMs).map((b) => b.set.values());
    return computeHealthScore(
      {
        tenant: t.id,
        date,
        today,
        baseline,
        licensedSeats: licensedSeatsOf(config, t.id),
        fleetFeatureCount,
        history,
      },
      config.healthScore,
    );
  });
  await deps.health.put(scores);
  return scores;
}
