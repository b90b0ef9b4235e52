/**
 * The per-tenant alarm evaluator of a local run: the real handler (lambdas/handlers/tenant-alarms),
 * wired by its Lambda's builder against DynamoDB Local (the KPI table and the alarm state table
 * the template declares), invoked on a simulated schedule. Its state changes go through the local
 * event bus to the alarm router, as EventBridge delivers them in AWS.
 *
 * In AWS one scheduled invocation evaluates a shard of up to 250 tenants every minute. Locally a
 * shard holds about one tenant (see localShards), so the schedule (./tenant-schedule.ts) invokes
 * only the shards whose tenants have something to evaluate at that minute.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AlarmStateTransition } from '../../lambdas/core/alarm-evaluator';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import { parseAlarmStateChange } from '../../lambdas/core/incidents/alarm-event';
import { TenantAlarmError, type TenantAlarmPlan, tenantsOfShard } from '../../lambdas/core/tenant-alarms';
import { ENV, type EnvReader } from '../../lambdas/handlers/composition/env';
import { buildTenantAlarmsDeps } from '../../lambdas/handlers/tenant-alarms/deps';
import { createTenantAlarmsHandler } from '../../lambdas/handlers/tenant-alarms/handler';
import { resourcesOfType, type SynthesizedTemplates } from '../synth';
import { type DeliveredEvent, LocalEventBus } from './event-bus';
import { tenantAlarmsOverrides } from './handlers';
import { type TenantAlarmScheduleOptions, type TimeWindow, tenantEvaluationMinutes } from './tenant-schedule';

/** How far behind its clock the evaluator evaluates (its default lag): invoked at minute + lag. */
const EVALUATOR_LAG_MS = 60_000;

/** Shards invoked at once in one minute (the schedules of one minute fire together). */
const CONCURRENT_SHARDS = 4;

/** What the evaluator did over a run (or so far, live). */
export interface TenantAlarmTally {
  /** Scheduled invocations (one shard at one minute). */
  invocations: number;
  /** Invocations that failed for some tenant (retried at the next evaluation, as in AWS). */
  failed: number;
}

/** The wired evaluator of a local run. */
export interface LocalTenantAlarms {
  readonly plans: readonly TenantAlarmPlan[];
  readonly tally: TenantAlarmTally;
  /** The shard evaluating each tenant. */
  readonly shardOf: ReadonlyMap<string, number>;
  /** Runs the scheduled invocations of `shards` with the clock at `nowMs`. */
  invoke(nowMs: number, shards: Iterable<number>): Promise<void>;
  /** The invocations of every shard with a tenant at `nowMs` (the live schedule). */
  invokeAll(nowMs: number): Promise<void>;
}

/**
 * The local shard count: of 1, 2, 3 or 4 shards per tenant, the fewest that puts the fewest
 * tenants in one shard (the shard is a hash of the tenant id), so that the schedule can invoke a
 * tenant nearly alone, and tenants due at the same minute are evaluated side by side.
 */
function localShards(tenants: readonly string[]): { shards: number; shardOf: Map<string, number> } {
  let best: { shards: number; shardOf: Map<string, number>; largest: number } | undefined;
  for (let perTenant = 1; perTenant <= 4; perTenant++) {
    const shards = Math.max(1, perTenant * tenants.length);
    const shardOf = new Map<string, number>();
    let largest = 0;
    for (let s = 0; s < shards; s++) {
      const members = tenantsOfShard(tenants, s, shards);
      largest = Math.max(largest, members.length);
      for (const t of members) shardOf.set(t, s);
    }
    if (best === undefined || largest < best.largest) best = { shards, shardOf, largest };
  }
  return { shards: best?.shards ?? 1, shardOf: best?.shardOf ?? new Map() };
}

/**
 * The run's environment plus the event source the synthesized template gives the evaluator
 * function (the CDK app derives it from `name`).
 */
export function evaluatorEnv(env: EnvReader, templates: SynthesizedTemplates): EnvReader {
  let source: string | undefined;
  for (const fn of resourcesOfType(templates, 'AWS::Lambda::Function')) {
    const vars = (fn.properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    const value = vars?.[ENV.alarmEventSource];
    if (typeof value === 'string') source = value;
  }
  return (name) => (name === ENV.alarmEventSource ? source : env(name));
}

/** Wires the real evaluator; its state changes are `deliver`ed by the local event bus. */
export function localTenantAlarms(
  config: PipelineConfig,
  env: EnvReader,
  dynamodb: DynamoDBClient,
  deliver: (delivered: DeliveredEvent) => void,
): LocalTenantAlarms {
  const clock = { nowMs: 0 };
  const bus = new LocalEventBus(() => clock.nowMs, deliver);
  const deps = buildTenantAlarmsDeps(
    config,
    env,
    tenantAlarmsOverrides(dynamodb, bus.client(), () => clock.nowMs),
  );
  const handler = createTenantAlarmsHandler(deps);
  const { shards, shardOf } = localShards(deps.plans.map((p) => p.tenant));
  const tally: TenantAlarmTally = { invocations: 0, failed: 0 };
  const one = async (shard: number) => {
    tally.invocations++;
    try {
      await handler({ shard, shards });
    } catch (err) {
      // A tenant's failed evaluation fails the invocation; the next one retries it.
      if (!(err instanceof TenantAlarmError && err.retryable)) throw err;
      tally.failed++;
    }
  };
  const invoke = async (nowMs: number, which: Iterable<number>) => {
    clock.nowMs = nowMs;
    const queue = [...new Set(which)];
    const worker = async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) await one(s);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_SHARDS, queue.length) }, worker));
  };
  return {
    plans: deps.plans,
    tally,
    shardOf,
    invoke,
    invokeAll: (nowMs) =>
      invoke(
        nowMs,
        Array.from({ length: shards }, (_, i) => i),
      ),
  };
}

/**
 * Runs the evaluator over a finished range on the simulated schedule: for each evaluation minute
 * (ascending), the shards of the tenants due then, with the clock at the minute plus the lag.
 * @param activity each tenant's minutes with records
 * @returns how many evaluation minutes ran
 */
export async function runTenantAlarmSchedule(
  local: LocalTenantAlarms,
  activity: ReadonlyMap<string, readonly number[]>,
  range: TimeWindow,
  options: TenantAlarmScheduleOptions = {},
): Promise<number> {
  const due = new Map<number, Set<number>>();
  for (const plan of local.plans) {
    const shard = local.shardOf.get(plan.tenant);
    if (shard === undefined) continue;
    const lookbackMs = Math.max(plan.minuteLookbackMs, plan.fleetMinuteLookbackMs);
    for (const minute of tenantEvaluationMinutes(activity.get(plan.tenant) ?? [], lookbackMs, range, options)) {
      const set = due.get(minute) ?? new Set<number>();
      set.add(shard);
      due.set(minute, set);
    }
  }
  const minutes = [...due.keys()].sort((a, b) => a - b);
  for (const minute of minutes) await local.invoke(minute + EVALUATOR_LAG_MS, due.get(minute) ?? []);
  return minutes.length;
}

/** The state changes the evaluator put on the bus, as transitions (for the run's summary). */
export function transitionsOf(events: readonly DeliveredEvent[]): AlarmStateTransition[] {
  return events.map(({ event }) => transitionOf(event));
}

/** One CloudWatch-shaped state change as a transition. */
export function transitionOf(event: Parameters<typeof parseAlarmStateChange>[0]): AlarmStateTransition {
  const c = parseAlarmStateChange(event);
  return {
    alarmName: c.alarmName,
    fromState: c.previousState,
    toState: c.state,
    atMs: c.stateAtMs,
    fromStateSinceMs: c.previousStateAtMs,
    reason: c.reason,
  };
}

/** Each tenant's minutes with records at or after `fromMs` (the partition key is the tenant id). */
export function tenantActivity(
  records: Iterable<{ readonly partitionKey: string; readonly sentAtMs: number }>,
  fromMs: number,
): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const r of records) {
    if (!(r.sentAtMs >= fromMs)) continue;
    const set = out.get(r.partitionKey) ?? new Set<number>();
    set.add(Math.floor(r.sentAtMs / 60_000) * 60_000);
    out.set(r.partitionKey, set);
  }
  return new Map([...out].map(([t, s]) => [t, [...s].sort((a, b) => a - b)]));
}
