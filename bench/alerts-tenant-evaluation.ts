/**
 * The per-tenant rules of `npm run bench -- alerts`, evaluated as the deployed pipeline evaluates
 * them: the real tenant-alarms handler (lambdas/handlers/tenant-alarms) with the plans its Lambda
 * builds (`tenantAlarmPlans`, hour buckets for long periods), invoked once a minute with the clock
 * one lag behind, reading the KPI items the aggregator wrote to the benchmark's in-memory store.
 * Its state changes are the events the router receives, in CloudWatch's shape.
 *
 * In AWS the hour buckets are roll-ups written once an hour closes, and the open hour is merged
 * from its minute items on read; the in-memory store keeps no roll-ups, so every hour is merged
 * here from its minute items up to the read's end, which is the same sum.
 */

import { transitionOf } from '../cli/local/tenant-alarms';
import { KpiSet } from '../lambdas/core/aggregates';
import { FLEET_TENANT, itemId, kpiItemKey } from '../lambdas/core/aggregation';
import type { AlarmStateChangeEvent, AlarmStateTransition } from '../lambdas/core/alarm-evaluator';
import type { KpiCatalog } from '../lambdas/core/catalog';
import { type PipelineConfig, perTenantAlarmTenants } from '../lambdas/core/config/schema';
import type { KpiBucket, KpiQuery, KpiSource } from '../lambdas/core/kpi-reader';
import {
  type AlarmEventSink,
  type TenantAlarmStateStore,
  type TenantAlarmStates,
  tenantAlarmPlans,
  type VersionedTenantStates,
} from '../lambdas/core/tenant-alarms';
import { createTenantAlarmsHandler } from '../lambdas/handlers/tenant-alarms/handler';
import type { MemoryKpiStore } from './memory-kpi-store';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** The handler's default lag: invoked at minute + lag, it evaluates the minute. */
const LAG_MS = MIN;

/**
 * The KPI items of the in-memory store as the handler's KpiSource: minute buckets as stored, hour
 * buckets merged from their minute items before the read's end. Decoded sets and closed hours are
 * cached: the handler re-reads the same look-back every minute.
 */
export class StoreKpiSource implements KpiSource {
  private readonly minutes = new Map<string, KpiSet | null>();
  private readonly closedHours = new Map<string, KpiSet | null>();

  constructor(
    private readonly store: MemoryKpiStore,
    private readonly catalog: KpiCatalog,
  ) {}

  async read(q: KpiQuery): Promise<KpiBucket[]> {
    const tenant = q.tenant === '*' ? FLEET_TENANT : q.tenant;
    const step = q.granularity === 'minute' ? MIN : HOUR;
    if (q.granularity !== 'minute' && q.granularity !== 'hour') return [];
    const out: KpiBucket[] = [];
    for (let t = Math.ceil(q.fromMs / step) * step; t < q.toMs; t += step) {
      const set = step === MIN ? await this.minute(tenant, t) : await this.hour(tenant, t, q.toMs);
      if (set !== null) out.push({ bucketStartMs: t, set });
    }
    return out;
  }

  private async minute(tenant: string, startMs: number): Promise<KpiSet | null> {
    const key = `${tenant}|${startMs}`;
    const cached = this.minutes.get(key);
    if (cached !== undefined) return cached;
    const address = { tenant, granularity: 'minute' as const, bucketStartMs: startMs };
    const item = (await this.store.read([address])).get(itemId(kpiItemKey(address)));
    const set = item?.set ?? null;
    this.minutes.set(key, set);
    return set;
  }

  private async hour(tenant: string, startMs: number, toMs: number): Promise<KpiSet | null> {
    const closed = startMs + HOUR <= toMs;
    const key = `${tenant}|${startMs}`;
    if (closed && this.closedHours.has(key)) return this.closedHours.get(key) ?? null;
    let merged: KpiSet | null = null;
    for (let m = startMs; m < Math.min(startMs + HOUR, toMs); m += MIN) {
      const set = await this.minute(tenant, m);
      if (set === null) continue;
      merged ??= new KpiSet(this.catalog);
      merged.mergeFrom(set);
    }
    if (closed) this.closedHours.set(key, merged);
    return merged;
  }
}

/** Alarm states kept between invocations, with the store's version check. */
class MemoryStates implements TenantAlarmStateStore {
  private readonly items = new Map<string, VersionedTenantStates>();
  async getMany(tenants: readonly string[]): Promise<Map<string, VersionedTenantStates>> {
    return new Map(tenants.flatMap((t) => (this.items.has(t) ? [[t, this.items.get(t)!] as const] : [])));
  }
  async put(tenant: string, states: TenantAlarmStates, expectedVersion: number): Promise<boolean> {
    if ((this.items.get(tenant)?.version ?? 0) !== expectedVersion) return false;
    this.items.set(tenant, { states, version: expectedVersion + 1 });
    return true;
  }
}

/** The events the handler sends, kept in order. */
class CollectingSink implements AlarmEventSink {
  readonly events: AlarmStateChangeEvent[] = [];
  async send(events: readonly AlarmStateChangeEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

/**
 * Invokes the tenant-alarms handler (one shard holding every alerting tenant) for every minute of
 * [fromMs, toMs] and returns its state changes as transitions, in time order.
 */
export async function evaluateTenantRules(
  config: PipelineConfig,
  catalog: KpiCatalog,
  store: MemoryKpiStore,
  fromMs: number,
  toMs: number,
): Promise<AlarmStateTransition[]> {
  const clock = { nowMs: fromMs };
  const sink = new CollectingSink();
  const handler = createTenantAlarmsHandler({
    plans: tenantAlarmPlans(config, catalog, perTenantAlarmTenants(config)),
    kpis: new StoreKpiSource(store, catalog),
    states: new MemoryStates(),
    sink,
    log: { info: () => {}, warn: () => {} },
    now: () => clock.nowMs,
    lagMs: LAG_MS,
    account: 'bench',
    region: 'bench',
  });
  for (let minute = Math.ceil(fromMs / MIN) * MIN; minute <= toMs; minute += MIN) {
    clock.nowMs = minute + LAG_MS;
    await handler({ shard: 0, shards: 1 });
  }
  return sink.events.map((event) => transitionOf(event));
}
