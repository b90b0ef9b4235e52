/**
 * History for the simulated run: the days before the demo day, so the reports have a previous day
 * and a previous week to compare with, and the client reports have clients sliding into yellow
 * and red.
 *
 * History reaches the real aggregator handler as Kinesis-shaped events, one sampled minute a
 * batch, from a shard of its own, instead of through the local stream: the handler, the fold, the
 * watermarks and the roll-ups are the same; only the PutRecords/GetRecords round trips through
 * kinesalite are skipped (measured: BENCHMARKS.md, "npm start with history").
 *
 * History days are sampled: traffic only at the start of every hour, 60 times as dense (the same
 * daily totals, rates and distributions in 1/60 of the minute items), so a day of history costs
 * fewer minute-item writes than an hour of the live day.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import type { HealthStore } from '../../lambdas/core/health/store';
import { computeDailyHealth, type ReportKpiSource } from '../../lambdas/core/reports';
import { type SimulatedRecord, type SimulatedTenant, simulateDay } from './simulator';
import type { AggregatorInvoker, ReplayRecord } from './stream-pump';

const DAY_MS = 86_400_000;

/** History days are simulated every this many minutes, that many times as dense. */
export const HISTORY_SAMPLE_MINUTES = 60;

/**
 * Turns per history session: one, so a history day has the live day's sessions, outcomes,
 * feedback and business events (what the day-on-day, week-on-week and health comparisons count)
 * in about a third of its records. Turn-level counts (turns, API requests) are lower in history;
 * their rates and latency distributions are the same.
 */
export const HISTORY_TURNS_PER_SESSION = { min: 1, max: 1 } as const;

/** Most records per aggregator invocation: the largest batch an event source mapping delivers. */
export const HISTORY_BATCH_SIZE = 10_000;

/**
 * The shard history records say they come from: one the local stream (4 shards) never has, as a
 * closed parent shard after a resharding would be. Its watermarks never meet the live shards'.
 */
export const HISTORY_SHARD_ID = 'shardId-000000000099';

/** A tenant in decline on one day, as {@link simulateDay} takes it. */
export interface DayDecline {
  readonly tenant: string;
  /** 0 (healthy) to 1 (worst). */
  readonly level: number;
}

/**
 * How the demo's declining clients slide, by fleet rank: the decline level on a day counted from
 * the demo day (0) backwards (-1 the day before). Data, not code paths: a fleet too small for a
 * rank simply has no such client.
 */
export const DEMO_DECLINES: ReadonlyArray<{
  /** Rank in the simulated fleet (0 is the largest tenant, the incident's). */
  readonly rank: number;
  /** What the report should show. */
  readonly shows: 'yellow' | 'red' | 'churn risk';
  /** The decline level on day `d` (0 = demo day, negative before). */
  readonly level: (d: number) => number;
}> = [
  // Drifts down over the last week and ends in yellow.
  { rank: 3, shows: 'yellow', level: (d) => 0.4 * ramp(d, -7, 0) },
  // Slides into red over the last week; red only on the last day or two, so no churn flag yet.
  { rank: 2, shows: 'red', level: (d) => ramp(d, -7, 0) },
  // Red for the last five days: more than `redDaysForChurnRisk` (3) in a row, a churn risk.
  { rank: 4, shows: 'churn risk', level: (d) => ramp(d, -9, -4) },
];

/** 0 before `from`, 1 from `to` on, linear in between. */
function ramp(d: number, from: number, to: number): number {
  return Math.min(1, Math.max(0, (d - from) / (to - from)));
}

/** The declines of the day `d` days from the demo day (0 the demo day, -1 the day before). */
export function demoDeclinesOn(fleet: readonly SimulatedTenant[], d: number): DayDecline[] {
  const out: DayDecline[] = [];
  for (const plan of DEMO_DECLINES) {
    const tenant = fleet[plan.rank];
    const level = plan.level(d);
    if (tenant !== undefined && level > 0) out.push({ tenant: tenant.id, level });
  }
  return out;
}

/** What {@link simulateHistory} simulates. */
export interface HistoryOptions {
  /** Midnight (UTC) of the demo day; history ends there. */
  readonly dayStartMs: number;
  /** Days of history before the demo day. */
  readonly days: number;
  readonly tenants: readonly SimulatedTenant[];
  readonly seed: number;
  readonly scale: number;
  /** Apply {@link DEMO_DECLINES}. @default true */
  readonly declines?: boolean;
}

/**
 * The history days, oldest first, one day's records at a time (a day of a 20-tenant fleet is
 * about 90,000 records: generating them lazily keeps the run's memory to one day).
 */
export function* simulateHistory(o: HistoryOptions): Generator<SimulatedRecord[]> {
  for (let d = o.days; d >= 1; d--) {
    yield simulateDay({
      dayStartMs: o.dayStartMs - d * DAY_MS,
      tenants: o.tenants,
      seed: o.seed + d,
      scale: o.scale,
      badRecords: false,
      sampleEveryMinutes: HISTORY_SAMPLE_MINUTES,
      turnsPerSession: HISTORY_TURNS_PER_SESSION,
      ...(o.declines === false ? {} : { declines: demoDeclinesOn(o.tenants, -d) }),
    });
  }
}

/** Where history records say they come from (the stream's ARN and region, as the live records). */
export interface HistorySource {
  readonly streamArn: string;
  readonly region: string;
  /** Role the records name as invoking identity (informational, as in Lambda's events). */
  readonly invokeIdentityArn: string;
}

/** What {@link feedHistory} did. */
export interface HistoryFeedStats {
  records: number;
  invocations: number;
  /** Records retried after the handler reported them as failed. */
  retriedRecords: number;
}

/** History records the handler kept failing: the history would be incomplete, so the run stops. */
export class HistoryIngestError extends Error {
  constructor(failed: number, attempts: number) {
    super(`history incomplete: records still failing after ${attempts} aggregator attempts: ${failed}`);
    this.name = 'HistoryIngestError';
  }
}

/**
 * Feeds history to the aggregator handler in batches of {@link HISTORY_BATCH_SIZE}, each processed
 * at its last record's send time, honouring `batchItemFailures` as the event source mapping does
 * (retry from the first failed record).
 * @throws HistoryIngestError when records still fail after `maxRetryAttempts` retries
 */
export async function feedHistory(
  days: Iterable<readonly ReplayRecord[]>,
  invoke: AggregatorInvoker,
  source: HistorySource,
  maxRetryAttempts: number,
  onProgress: (records: number) => void = () => {},
): Promise<HistoryFeedStats> {
  const stats: HistoryFeedStats = { records: 0, invocations: 0, retriedRecords: 0 };
  let sequence = 0n;
  for (const day of days) {
    for (const batch of minuteBatches(day)) {
      const nowMs = (batch.at(-1) as ReplayRecord).sentAtMs;
      const records = batch.map((r) => {
        sequence += 1n;
        return kinesisRecord(r, sequence, nowMs, source);
      });
      await invokeUntilApplied(records, nowMs, invoke, maxRetryAttempts, stats);
      stats.records += records.length;
      onProgress(stats.records);
    }
  }
  return stats;
}

/**
 * Batches of records in send order that never span two minutes (and hold at most
 * {@link HISTORY_BATCH_SIZE}). A batch is processed at its last record's time: one that spanned
 * sampled hours would find its earlier hours closed and re-roll each of them, and the day, in the
 * same invocation (measured: 42 batches of 10,000 took 748 s against DynamoDB Local on a loaded
 * machine). One sampled minute a batch writes each scope's minute once, and each hour and day is
 * rolled up once, by the first batch after it closed.
 */
export function* minuteBatches(records: readonly ReplayRecord[]): Generator<readonly ReplayRecord[]> {
  let start = 0;
  for (let i = 1; i <= records.length; i++) {
    const minute = (r: ReplayRecord | undefined) => (r === undefined ? Number.NaN : Math.floor(r.sentAtMs / 60_000));
    if (i === records.length || i - start >= HISTORY_BATCH_SIZE || minute(records[i]) !== minute(records[start])) {
      yield records.slice(start, i);
      start = i;
    }
  }
}

async function invokeUntilApplied(
  records: KinesisStreamRecord[],
  nowMs: number,
  invoke: AggregatorInvoker,
  maxRetryAttempts: number,
  stats: HistoryFeedStats,
): Promise<void> {
  let pending = records;
  for (let attempt = 0; ; attempt++) {
    stats.invocations++;
    const failures = (await invoke({ Records: pending }, nowMs))?.batchItemFailures ?? [];
    const failedIds = new Set(failures.map((f) => f.itemIdentifier));
    const from = pending.findIndex((r) => failedIds.has(r.kinesis.sequenceNumber));
    if (from < 0) return;
    if (attempt >= maxRetryAttempts) throw new HistoryIngestError(pending.length - from, attempt + 1);
    pending = pending.slice(from);
    stats.retriedRecords += pending.length;
  }
}

/** One record as Lambda's Kinesis event source delivers it. */
function kinesisRecord(r: ReplayRecord, sequence: bigint, nowMs: number, source: HistorySource): KinesisStreamRecord {
  // Kinesis sequence numbers are decimal strings increasing within the shard.
  const sequenceNumber = sequence.toString().padStart(21, '0');
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.partitionKey,
      sequenceNumber,
      data: Buffer.from(r.data).toString('base64'),
      approximateArrivalTimestamp: nowMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${HISTORY_SHARD_ID}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
}

/**
 * Stores every tenant's health score for each history day, oldest first, through the same
 * computation the report handler runs each morning: a deployed pipeline has them from the
 * mornings before, so trends, sparklines and churn flags have their days.
 * @returns how many scores were stored
 */
export async function scoreHistory(
  fromDayMs: number,
  toDayMs: number,
  deps: { source: ReportKpiSource; health: HealthStore; config: PipelineConfig },
): Promise<number> {
  let stored = 0;
  for (let day = fromDayMs; day < toDayMs; day += DAY_MS) stored += (await computeDailyHealth(day, deps)).length;
  return stored;
}
