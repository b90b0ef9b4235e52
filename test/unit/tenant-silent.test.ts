/**
 * The "tenant went silent" rule: a tenant that normally sends and stops opens one alarm that stays
 * in ALARM while the silence lasts and clears when traffic comes back; sparse tenants, quiet
 * nights of a diurnal tenant, traffic that has only just started and the end of a replay (the
 * whole fleet stops) page no one.
 */
import { KpiSet } from '../../lambdas/core/aggregates';
import { type AlarmStateChangeEvent, evaluateAlarms, type MetricDatum } from '../../lambdas/core/alarm-evaluator';
import { AlarmRuleError } from '../../lambdas/core/alarms/rules';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import type { KpiBucket, KpiQuery, KpiSource } from '../../lambdas/core/kpi-reader';
import {
  type AlarmEventSink,
  silentTenantAlarms,
  type TenantAlarmStateStore,
  type TenantAlarmStates,
  tenantAlarmPlans,
  type VersionedTenantStates,
} from '../../lambdas/core/tenant-alarms';
import { createTenantAlarmsHandler } from '../../lambdas/handlers/tenant-alarms/handler';
import { makeEvent } from '../support/events';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
const MIN = 60_000;
const catalog = KpiCatalog.create([]);
const baseConfig = {
  name: 'acme',
  tiers: { gold: { perTenantAlarms: true } },
  tenants: [
    { id: 'big', name: 'Big', tier: 'gold' },
    { id: 'other', name: 'Other', tier: 'gold' },
  ],
};
const config = parseConfig(baseConfig);
const SILENT = 'acme/P2/technical/tenant-big/tenant-silent';

/** Sessions per minute of a scope; each session brings 5 turns. */
type Traffic = (minute: number) => number;

function data(tenant: Traffic, fleetOthers: Traffic, minutes: number): MetricDatum[] {
  const out: MetricDatum[] = [];
  for (let m = 0; m < minutes; m++) {
    for (const [dim, sessions] of [
      ['big', tenant(m)],
      ['ALL', tenant(m) + fleetOthers(m)],
    ] as const) {
      if (sessions === 0) continue;
      const base = { namespace: 'AgentKpi', dimensions: { Tenant: dim }, timestampMs: T0 + m * MIN };
      out.push({ ...base, name: 'Sessions', values: [sessions] });
      out.push({ ...base, name: 'Turns', values: [5 * sessions] });
    }
  }
  return out;
}

/** The silent rule's state changes over `minutes` (the paging composite only), as `minute:state`. */
function silentTransitions(tenant: Traffic, fleetOthers: Traffic, minutes: number, cfg = config): string[] {
  const defs = silentTenantAlarms(cfg, catalog, 'big')!;
  const { transitions } = evaluateAlarms(
    { metricAlarms: defs.metricAlarms, composites: [defs.composite], anomalyDetectors: [] },
    data(tenant, fleetOthers, minutes),
    { fromMs: T0, toMs: T0 + (minutes - 1) * MIN },
  );
  return transitions
    .filter((t) => t.alarmName === defs.composite.name && t.fromState !== 'INSUFFICIENT_DATA')
    .map((t) => `${(t.atMs - T0) / MIN}:${t.toState}`);
}

const steady = (perMinute: number) => () => perMinute;

describe('the silent-tenant rule', () => {
  it('opens once when a busy tenant stops and clears when it sends again', () => {
    // 3 sessions a minute until minute 120, nothing for 30 minutes, then traffic again.
    const tenant: Traffic = (m) => (m < 120 || m >= 150 ? 3 : 0);
    expect(silentTransitions(tenant, steady(10), 240)).toEqual(['130:ALARM', '151:OK']);
  });

  it('holds a long silence for about four windows without flapping, then lets it go', () => {
    // The newest active window before the silence slides out of the alarm's range 40-50 minutes
    // in: the silence has become the tenant's normal (docs/alerting.md).
    const transitions = silentTransitions((m) => (m < 120 ? 3 : 0), steady(10), 420);
    expect(transitions).toHaveLength(2);
    expect(transitions[0]).toBe('130:ALARM');
    const okAt = Number(transitions[1]!.split(':')[0]);
    expect(okAt).toBeGreaterThanOrEqual(160);
    expect(okAt).toBeLessThanOrEqual(170);
  });

  it('never pages for a tenant whose traffic is naturally sparse', () => {
    // A session every 7 minutes: long quiet stretches, never 25 sessions in 10 minutes.
    const sparse: Traffic = (m) => (m % 7 === 0 ? 1 : 0);
    // ... and one that also pauses for 40 minutes.
    const pausing: Traffic = (m) => (m % 7 === 0 && (m < 100 || m > 140) ? 1 : 0);
    expect(silentTransitions(sparse, steady(10), 300)).toEqual([]);
    expect(silentTransitions(pausing, steady(10), 300)).toEqual([]);
  });

  it('lets a diurnal tenant have quiet nights, and still pages when a busy night stops', () => {
    // Busy by day (3 a minute), dwindling in the evening to a session every 20 minutes at night.
    const diurnal: Traffic = (m) => {
      const hour = m / 60;
      if (hour < 6) return 3;
      if (hour < 8) return m % 2 === 0 ? 1 : 0; // evening: 5 in 10 minutes, under the baseline of 25
      return m % 20 === 0 ? 1 : 0; // night
    };
    expect(silentTransitions(diurnal, steady(5), 720)).toEqual([]);
    // A tenant that keeps 3 sessions a minute at night and then stops is silent.
    const busyNight: Traffic = (m) => (m < 600 ? 3 : 0);
    expect(silentTransitions(busyNight, steady(5), 720)[0]).toBe('610:ALARM');
  });

  it('pages no one at the end of a replay, when the whole fleet stops', () => {
    expect(
      silentTransitions(
        (m) => (m < 120 ? 3 : 0),
        (m) => (m < 120 ? 10 : 0),
        240,
      ),
    ).toEqual([]);
    // The tenant's last 3 minutes before the end happened to be quiet: still no page.
    expect(
      silentTransitions(
        (m) => (m < 117 ? 3 : 0),
        (m) => (m < 120 ? 10 : 0),
        240,
      ),
    ).toEqual([]);
  });

  it('pages no one for traffic that has only just started or stopped before it had a baseline', () => {
    // Nothing for an hour, 5 minutes of traffic (15 sessions, but no complete busy window before
    // the silence is judged), then nothing again.
    expect(silentTransitions((m) => (m >= 60 && m < 63 ? 3 : 0), steady(10), 180)).toEqual([]);
  });

  it('follows the configured window, baseline, severity and ladder, and can be turned off', () => {
    const custom = parseConfig({
      ...baseConfig,
      alerting: { silentTenant: { minutes: 30, minBaseline: 50, severity: 'P1', ladder: 'business' } },
    });
    const defs = silentTenantAlarms(custom, catalog, 'big')!;
    expect(defs.composite.name).toBe('acme/P1/business/tenant-big/tenant-silent');
    expect(silentTransitions((m) => (m < 120 ? 3 : 0), steady(10), 240, custom)[0]).toBe('150:ALARM');
    // 2 a minute is 60 in 30 minutes, above 50; 1 a minute is under it.
    expect(silentTransitions((m) => (m < 120 ? 1 : 0), steady(10), 240, custom)).toEqual([]);
    const off = parseConfig({ ...baseConfig, alerting: { silentTenant: { enabled: false } } });
    expect(silentTenantAlarms(off, catalog, 'big')).toBeUndefined();
    const plan = tenantAlarmPlans(off, catalog, ['big'])[0]!;
    expect(plan.composites.map((c) => c.name).filter((n) => n.endsWith('tenant-silent'))).toEqual([]);
    expect(plan.fleetMinuteLookbackMs).toBe(0);
  });

  it('names the key when the baseline KPI is not a traffic count', () => {
    const bad = parseConfig({ ...baseConfig, alerting: { silentTenant: { baselineKpi: 'csat' } } });
    expect(() => silentTenantAlarms(bad, catalog, 'big')).toThrow(AlarmRuleError);
    expect(() => silentTenantAlarms(bad, catalog, 'big')).toThrow(/alerting\.silentTenant\.baselineKpi "csat"/);
  });

  it('is part of every alerting tenant plan, with the fleet read for comparison', () => {
    const plan = tenantAlarmPlans(config, catalog, ['big'])[0]!;
    expect(plan.composites.map((c) => c.name)).toContain(SILENT);
    expect(plan.fleetKpis.map((k) => k.name)).toEqual(['sessions']);
    expect(plan.fleetMinuteLookbackMs).toBe(50 * MIN);
  });
});

/** Minute buckets: `big` sends 3 sessions a minute until minute 60; the fleet goes on. */
class SilentKpis implements KpiSource {
  readonly reads: KpiQuery[] = [];
  async read(q: KpiQuery): Promise<KpiBucket[]> {
    this.reads.push(q);
    if (q.granularity !== 'minute') return [];
    const out: KpiBucket[] = [];
    for (let t = Math.ceil(q.fromMs / MIN) * MIN; t < q.toMs; t += MIN) {
      const m = (t - T0) / MIN;
      const sessions = q.tenant === 'big' ? (m < 60 ? 3 : 0) : 6;
      if (sessions === 0) continue;
      const set = new KpiSet(catalog);
      for (let i = 0; i < sessions; i++) {
        set.observe(makeEvent('agent.session.completed', { tenantid: q.tenant === '*' ? 'other' : q.tenant }));
      }
      out.push({ bucketStartMs: t, set });
    }
    return out;
  }
}

class Memory implements TenantAlarmStateStore, AlarmEventSink {
  readonly items = new Map<string, VersionedTenantStates>();
  readonly sent: AlarmStateChangeEvent[] = [];
  async getMany(tenants: readonly string[]) {
    return new Map(tenants.flatMap((t) => (this.items.has(t) ? [[t, this.items.get(t)!] as const] : [])));
  }
  async put(tenant: string, states: TenantAlarmStates, expected: number) {
    this.items.set(tenant, { states, version: expected + 1 });
    return true;
  }
  async send(events: readonly AlarmStateChangeEvent[]) {
    this.sent.push(...events);
  }
}

describe('the deployed evaluator and the silent-tenant rule', () => {
  it('reads the fleet once per invocation and pages the silent tenant only', async () => {
    const kpis = new SilentKpis();
    const memory = new Memory();
    const now = { t: T0 };
    const handler = createTenantAlarmsHandler({
      plans: tenantAlarmPlans(config, catalog, ['big', 'other']),
      kpis,
      states: memory,
      sink: memory,
      log: { info: () => {}, warn: () => {} },
      now: () => now.t,
      lagMs: 0,
      account: '123456789012',
      region: 'eu-west-1',
    });
    for (let m = 30; m <= 90; m++) {
      now.t = T0 + m * MIN;
      await handler({ shard: 0, shards: 1 });
    }
    const alarms = memory.sent
      .filter((e) => e.detail.state.value === 'ALARM' && e.detail.alarmName.endsWith('/tenant-silent'))
      .map((e) => `${e.detail.alarmName} ${e.time}`);
    expect(alarms).toEqual([`${SILENT} 2026-11-22T01:10:00.000Z`]);
    // One fleet read per invocation, not one per tenant.
    expect(kpis.reads.filter((r) => r.tenant === '*')).toHaveLength(61);
  });
});
