/**
 * Per-tenant alarms evaluated by the pipeline: a problem on one tenant raises that tenant's alarm
 * (same name, severity and ladder as the CloudWatch rule would have), sends a CloudWatch-shaped
 * state change the router reads, and clears again; other tenants stay quiet. The handler sends
 * before it stores, and one tenant's failure does not hold back the others.
 */
import { KpiSet } from '../../lambdas/core/aggregates';
import type { AlarmStateChangeEvent } from '../../lambdas/core/alarm-evaluator';
import { isPagingAlarmName } from '../../lambdas/core/alarms/rules';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import { parseAlarmStateChange } from '../../lambdas/core/incidents/alarm-event';
import type { KpiBucket, KpiQuery, KpiSource } from '../../lambdas/core/kpi-reader';
import {
  type AlarmEventSink,
  evaluateTenantAlarms,
  evaluationInstant,
  shardCount,
  type TenantAlarmStateStore,
  type TenantAlarmStates,
  tenantAlarmPlans,
  tenantsOfShard,
  type VersionedTenantStates,
} from '../../lambdas/core/tenant-alarms';
import { bucketDatapoints } from '../../lambdas/core/tenant-alarms/metric-data';
import { createTenantAlarmsHandler } from '../../lambdas/handlers/tenant-alarms/handler';
import { makeEvent } from '../support/events';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;
const catalog = KpiCatalog.create([]);
const config = parseConfig({
  name: 'acme',
  tiers: { gold: { perTenantAlarms: true }, basic: {} },
  tenants: [
    { id: 'big', name: 'Big', tier: 'gold' },
    { id: 'small', name: 'Small', tier: 'gold' },
    { id: 'other', name: 'Other', tier: 'basic' },
  ],
});
const ERROR_P1 = 'acme/P1/technical/tenant-big/api_error_rate-p1';

/** A minute of API traffic: `requests` requests of which `errors` answered 500. */
function apiMinute(tenant: string, requests: number, errors: number): KpiSet {
  const set = new KpiSet(catalog);
  for (let i = 0; i < requests; i++) {
    set.observe(
      makeEvent('api.request.completed', {
        tenantid: tenant,
        data: { status: i < errors ? 500 : 200, latencyMs: 100 },
      }),
    );
  }
  return set;
}

/** Minute buckets by tenant: `badFrom`..`badTo` (minute offsets from T0) have 50% errors for `big`. */
class FakeKpis implements KpiSource {
  reads: KpiQuery[] = [];
  constructor(private readonly badMinutes: ReadonlySet<number>) {}
  async read(q: KpiQuery): Promise<KpiBucket[]> {
    this.reads.push(q);
    if (q.granularity !== 'minute') return [];
    const out: KpiBucket[] = [];
    for (let t = Math.ceil(q.fromMs / MIN) * MIN; t < q.toMs; t += MIN) {
      const bad = q.tenant === 'big' && this.badMinutes.has((t - T0) / MIN);
      out.push({ bucketStartMs: t, set: apiMinute(q.tenant, 100, bad ? 50 : 0) });
    }
    return out;
  }
}

class MemoryStates implements TenantAlarmStateStore {
  readonly items = new Map<string, VersionedTenantStates>();
  failPutFor?: string;
  async getMany(tenants: readonly string[]) {
    return new Map(tenants.flatMap((t) => (this.items.has(t) ? [[t, this.items.get(t)!] as const] : [])));
  }
  async put(tenant: string, states: TenantAlarmStates, expected: number) {
    const current = this.items.get(tenant)?.version ?? 0;
    if (current !== expected) return false;
    this.items.set(tenant, { states, version: expected + 1 });
    return true;
  }
}

class MemorySink implements AlarmEventSink {
  readonly sent: AlarmStateChangeEvent[] = [];
  failFor?: string;
  async send(events: readonly AlarmStateChangeEvent[]) {
    if (this.failFor !== undefined && events.some((e) => e.detail.alarmName.includes(this.failFor!))) {
      throw new Error('bus unavailable');
    }
    this.sent.push(...events);
  }
}

const quietLog = { info: () => {}, warn: () => {} };

describe('tenant alarm plans', () => {
  const plans = tenantAlarmPlans(config, catalog, ['big', 'small']);

  it('has the CloudWatch rule names, severities and ladders for each alerting tenant', () => {
    const big = plans.find((p) => p.tenant === 'big')!;
    const names = big.metricAlarms.map((a) => a.name);
    expect(names).toContain(ERROR_P1);
    expect(names).toContain('acme/P2/technical/tenant-big/api_error_rate-p2');
    // Burn-rate composites over their two windows, as for the fleet.
    expect(big.composites.map((c) => c.name)).toContain('acme/P1/technical/tenant-big/slo-api-errors-p1-1h');
    expect(big.minuteLookbackMs).toBeGreaterThan(0);
    expect(big.hourLookbackMs).toBeGreaterThan(0);
  });

  it('reads hour buckets only for periods over an hour', () => {
    const big = plans.find((p) => p.tenant === 'big')!;
    for (const a of big.metricAlarms) {
      const ns = a.metrics[0]!.metricStat!.namespace;
      expect(ns.endsWith('#hour')).toBe(a.periodSeconds > 3600);
    }
  });
});

describe('evaluateTenantAlarms', () => {
  const [big] = tenantAlarmPlans(config, catalog, ['big']);

  function minutes(from: number, to: number, bad: (m: number) => boolean) {
    const data = [];
    for (let m = from; m < to; m++) {
      data.push(
        ...bucketDatapoints(
          apiMinute('big', 100, bad(m) ? 50 : 0),
          big!.kpis,
          'AgentKpi',
          { Tenant: 'big' },
          T0 + m * MIN,
        ),
      );
    }
    return data;
  }

  it('raises the tenant P1 on a sustained error rate and clears it when the errors stop', () => {
    let states: TenantAlarmStates = {};
    const seen: string[] = [];
    for (let m = 5; m <= 40; m++) {
      const r = evaluateTenantAlarms(
        big!,
        minutes(0, m, (x) => x >= 10 && x < 20),
        states,
        T0 + m * MIN,
      );
      for (const t of r.transitions) if (t.alarmName === ERROR_P1) seen.push(`${m}:${t.fromState}->${t.toState}`);
      states = r.states;
    }
    const alarmAt = seen.find((s) => s.endsWith('->ALARM'));
    const okAfter = seen.filter((s) => s.endsWith('ALARM->OK'));
    expect(alarmAt).toBeDefined();
    // Within the rule's evaluation window of the first bad minute.
    expect(Number(alarmAt!.split(':')[0])).toBeLessThanOrEqual(16);
    expect(okAfter).toHaveLength(1);
    expect(Number(okAfter[0]!.split(':')[0])).toBeGreaterThan(20);
  });

  it('keeps a quiet tenant out of ALARM', () => {
    const r = evaluateTenantAlarms(
      big!,
      minutes(0, 30, () => false),
      {},
      T0 + 30 * MIN,
    );
    expect(r.transitions.filter((t) => t.toState === 'ALARM')).toEqual([]);
  });

  it('keeps the minimum-evidence guard: a few failures among a handful of requests page no one', () => {
    // 4 requests a minute, one of them failing in 3 minutes: a 15% error rate over 20 requests,
    // far above the 1% threshold but below the default 50 events and 5 failures of evidence.
    const data = [];
    for (let m = 0; m < 30; m++) {
      data.push(
        ...bucketDatapoints(
          apiMinute('big', 4, m >= 10 && m < 13 ? 1 : 0),
          big!.kpis,
          'AgentKpi',
          { Tenant: 'big' },
          T0 + m * MIN,
        ),
      );
    }
    const alarms = [];
    let states: TenantAlarmStates = {};
    for (let m = 5; m <= 30; m++) {
      const r = evaluateTenantAlarms(
        big!,
        data.filter((d) => d.timestampMs < T0 + m * MIN),
        states,
        T0 + m * MIN,
      );
      alarms.push(
        ...r.transitions
          .filter((t) => t.toState === 'ALARM' && isPagingAlarmName(t.alarmName, 'acme'))
          .map((t) => t.alarmName),
      );
      states = r.states;
    }
    expect(alarms).toEqual([]);
  });

  it('refuses an instant that is not a whole minute', () => {
    expect(() => evaluateTenantAlarms(big!, [], {}, T0 + 1)).toThrow(/whole minute/);
  });

  it('evaluates one whole minute behind the clock', () => {
    expect(evaluationInstant(T0 + 120_500, 60_000)).toBe(T0 + MIN);
  });
});

describe('shards', () => {
  it('spreads tenants over shards of at most ~250, each tenant in exactly one', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `t-${i}`);
    const n = shardCount(ids.length);
    expect(n).toBe(4);
    const all = Array.from({ length: n }, (_, i) => tenantsOfShard(ids, i, n)).flat();
    expect(all.sort()).toEqual([...ids].sort());
    expect(() => tenantsOfShard(ids, 4, 4)).toThrow(RangeError);
  });
});

describe('the tenant alarms handler', () => {
  const plans = tenantAlarmPlans(config, catalog, ['big', 'small']);

  function build(sink: MemorySink, states: MemoryStates, now: { t: number }) {
    return createTenantAlarmsHandler({
      plans,
      kpis: new FakeKpis(new Set(Array.from({ length: 10 }, (_, i) => 10 + i))),
      states,
      sink,
      log: quietLog,
      now: () => now.t,
      account: '123456789012',
      region: 'eu-west-1',
    });
  }

  it('pages the router for the tenant with the problem only, in the CloudWatch event shape', async () => {
    const sink = new MemorySink();
    const states = new MemoryStates();
    const now = { t: T0 };
    const handler = build(sink, states, now);
    for (let m = 6; m <= 20; m++) {
      now.t = T0 + (m + 1) * MIN + 5_000;
      await handler({ shard: 0, shards: 1 });
    }
    const alarms = sink.sent.filter((e) => e.detail.state.value === 'ALARM').map((e) => e.detail.alarmName);
    expect(alarms).toContain(ERROR_P1);
    expect(alarms.filter((n) => n.includes('tenant-small'))).toEqual([]);
    const event = sink.sent.find((e) => e.detail.alarmName === ERROR_P1 && e.detail.state.value === 'ALARM')!;
    // The router's own parser reads it.
    expect(parseAlarmStateChange(event)).toMatchObject({ alarmName: ERROR_P1, state: 'ALARM' });
    expect(states.items.get('big')?.states[ERROR_P1]?.state).toBe('ALARM');
  });

  it('re-sends a transition whose state was not stored, and stores nothing it did not send', async () => {
    const sink = new MemorySink();
    const states = new MemoryStates();
    const now = { t: T0 };
    const handler = build(sink, states, now);
    sink.failFor = 'tenant-big';
    for (let m = 6; m <= 16; m++) {
      now.t = T0 + (m + 1) * MIN;
      await expect(handler({ shard: 0, shards: 1 })).rejects.toThrow(/big/);
    }
    // The other tenant's evaluation went on; big's states were never stored.
    expect(states.items.has('big')).toBe(false);
    sink.failFor = undefined;
    now.t = T0 + 18 * MIN;
    await handler({ shard: 0, shards: 1 });
    expect(sink.sent.some((e) => e.detail.alarmName === ERROR_P1 && e.detail.state.value === 'ALARM')).toBe(true);
  });

  it('names the expected input when the event is not a shard', async () => {
    const handler = build(new MemorySink(), new MemoryStates(), { t: T0 });
    await expect(handler({})).rejects.toThrow(/"shard": i, "shards": n/);
  });
});
