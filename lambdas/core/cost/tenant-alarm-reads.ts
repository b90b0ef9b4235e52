/**
 * What the per-tenant alarm evaluator (handlers/tenant-alarms) reads each minute, for the cost
 * estimate: its KPI source reads, derived from the tenants' plans exactly as the handler makes them
 * (test/unit/tenant-alarm-reads.test.ts counts the handler's reads against this list), and what
 * each costs as DynamoDB Query requests over the KPI table (adapters/kpi-reader-dynamodb.ts).
 *
 * Per scheduled invocation (one shard of tenants):
 * - per tenant, its minute buckets over the plan's minute lookback, and its hour buckets over the
 *   hour lookback when a rule reads hours;
 * - once for the shard, the fleet's minute buckets the silent-tenant rule compares with (is the
 *   fleet still sending?), when any plan has that rule;
 * - per tenant, its stored alarm states (BatchGetItem, strongly consistent; not a KPI read).
 *
 * Pure.
 */
import { ROLLUP_DELAY_MS } from '../aggregation/rollups';
import type { TenantAlarmPlan } from '../tenant-alarms/plan';
import { shardCount } from '../tenant-alarms/shard';
import { GRANULARITY_MS } from '../time/buckets';

/** One KPI source read of an evaluation: whose buckets, at which granularity, how far back. */
export interface EvaluatorKpiRead {
  /** `tenant`: the evaluated tenant's own buckets; `fleet`: the fleet's (`*`), once per invocation. */
  readonly scope: 'tenant' | 'fleet';
  readonly granularity: 'minute' | 'hour';
  readonly lookbackMs: number;
}

/** The KPI source reads of one invocation evaluating `plans` (one shard's tenants). */
export function evaluatorKpiReads(plans: readonly TenantAlarmPlan[]): EvaluatorKpiRead[] {
  const out: EvaluatorKpiRead[] = [];
  const fleetLookbackMs = Math.max(0, ...plans.map((p) => p.fleetMinuteLookbackMs));
  if (fleetLookbackMs > 0 && plans.some((p) => p.fleetKpis.length > 0)) {
    out.push({ scope: 'fleet', granularity: 'minute', lookbackMs: fleetLookbackMs });
  }
  for (const p of plans) {
    if (p.minuteLookbackMs > 0) out.push({ scope: 'tenant', granularity: 'minute', lookbackMs: p.minuteLookbackMs });
    if (p.hourLookbackMs > 0) out.push({ scope: 'tenant', granularity: 'hour', lookbackMs: p.hourLookbackMs });
  }
  return out;
}

/** Item sizes and activity the reads' cost depends on. */
export interface EvaluatorReadSizes {
  readonly tenantMinuteBytes: number;
  readonly tenantHourBytes: number;
  readonly fleetMinuteBytes: number;
  readonly fleetHourBytes: number;
  /** Share of a tenant's minutes that have an item (minutes without events are not stored). */
  readonly tenantActiveMinuteShare: number;
}

/** DynamoDB requests and read units of some reads. */
export interface ReadCost {
  readonly queries: number;
  readonly readUnits: number;
}

/**
 * Open hours an hour read meets on average: the current hour, and the previous one until it is
 * rolled up ({@link ROLLUP_DELAY_MS} after its end). The reader merges each from its minutes.
 */
export const OPEN_HOURS_PER_HOUR_READ = 1 + ROLLUP_DELAY_MS / GRANULARITY_MS.hour;

/**
 * An eventually consistent Query: the items it returns are summed and rounded up to 4 KB, half a
 * read unit each; an empty or tiny result still costs half a unit.
 */
export function queryReadUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4096)) * 0.5;
}

/**
 * The DynamoDB cost of one KPI source read. A minute read is one Query of the stored minutes. An
 * hour read is one Query of the stored hours, one of the open marks, and one Query of minutes per
 * open hour (see {@link OPEN_HOURS_PER_HOUR_READ}).
 */
export function kpiReadCost(read: EvaluatorKpiRead, sizes: EvaluatorReadSizes): ReadCost {
  const fleet = read.scope === 'fleet';
  const active = fleet ? 1 : sizes.tenantActiveMinuteShare;
  const minuteBytes = fleet ? sizes.fleetMinuteBytes : sizes.tenantMinuteBytes;
  const minutesQuery = (ms: number) => queryReadUnits((ms / GRANULARITY_MS.minute) * active * minuteBytes);
  if (read.granularity === 'minute') return { queries: 1, readUnits: minutesQuery(read.lookbackMs) };
  const hourBytes = fleet ? sizes.fleetHourBytes : sizes.tenantHourBytes;
  const stored = queryReadUnits((read.lookbackMs / GRANULARITY_MS.hour) * hourBytes);
  const openMarks = queryReadUnits(0);
  return {
    queries: 2 + OPEN_HOURS_PER_HOUR_READ,
    readUnits: stored + openMarks + OPEN_HOURS_PER_HOUR_READ * minutesQuery(GRANULARITY_MS.hour),
  };
}

/** The summed DynamoDB cost of `reads`. */
export function kpiReadsCost(reads: readonly EvaluatorKpiRead[], sizes: EvaluatorReadSizes): ReadCost {
  return reads
    .map((r) => kpiReadCost(r, sizes))
    .reduce((sum, c) => ({ queries: sum.queries + c.queries, readUnits: sum.readUnits + c.readUnits }), {
      queries: 0,
      readUnits: 0,
    });
}

/** Read units of one tenant's stored alarm states: one item of at most 4 KB, strongly consistent. */
export const STATE_READ_UNITS_PER_TENANT = 1;

/** Evaluation minutes in a 30-day month. */
export const EVALUATION_MINUTES_PER_MONTH = 30 * 1440;

/** A month of the evaluator's reads. */
export interface EvaluatorMonth {
  /** Scheduled invocations (one per shard and minute). */
  readonly invocations: number;
  /** KPI source reads, as the handler makes them. */
  readonly kpiReads: number;
  /** DynamoDB Query requests of those reads. */
  readonly queries: number;
  /** Read units: the queries' and the alarm states'. */
  readonly readUnits: number;
}

/**
 * A month of reads for `alarmTenants` tenants that all run `plan` (the same rules apply to every
 * alerting tenant; only the names differ), spread over `shardCount(alarmTenants)` shards.
 */
export function evaluatorMonthlyReads(
  plan: TenantAlarmPlan,
  alarmTenants: number,
  sizes: EvaluatorReadSizes,
): EvaluatorMonth {
  const reads = evaluatorKpiReads([plan]);
  const own = reads.filter((r) => r.scope === 'tenant');
  const fleet = reads.filter((r) => r.scope === 'fleet');
  const perTenant = kpiReadsCost(own, sizes);
  const perInvocation = kpiReadsCost(fleet, sizes);
  const invocations = shardCount(alarmTenants) * EVALUATION_MINUTES_PER_MONTH;
  const evaluations = alarmTenants * EVALUATION_MINUTES_PER_MONTH;
  return {
    invocations,
    kpiReads: evaluations * own.length + invocations * fleet.length,
    queries: evaluations * perTenant.queries + invocations * perInvocation.queries,
    readUnits:
      evaluations * (perTenant.readUnits + STATE_READ_UNITS_PER_TENANT) + invocations * perInvocation.readUnits,
  };
}
