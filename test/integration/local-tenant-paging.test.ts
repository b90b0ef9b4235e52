/**
 * Per-tenant paging end to end in the local mode, at fleet scale: 200 tenants on a tier with
 * per-tenant alarms send sparse traffic for two hours; one of them has a problem (slow responses
 * and API errors) for 20 minutes. The local run (the runner behind `kpi local`) aggregates it,
 * runs the real tenant-alarms handler over the KPI table on its simulated schedule, and routes its
 * state changes through the real router and ladders: that tenant is paged within 5 minutes of the
 * problem's start, and no other tenant is paged.
 */
import { runLocalPipeline } from '../../cli/local/runner';
import type { ReplayRecord } from '../../cli/local/stream-pump';
import { type PipelineConfig, parseConfig } from '../../lambdas/core/config/schema';
import type { Incident } from '../../lambdas/core/incidents/types';
import { loadConfigFile } from '../../lib/config/load';

const MINUTE = 60_000;
const DAY_MS = Date.UTC(2026, 10, 22);
const TRAFFIC_FROM = DAY_MS + 9 * 60 * MINUTE;
const PROBLEM_FROM = DAY_MS + 10 * 60 * MINUTE;
const PROBLEM_MINUTES = 20;
const TENANTS = 200;
const SICK = 't-117';

/** The shipped configuration with 200 tenants on a tier of its own with per-tenant alarms. */
function fleetConfig(): PipelineConfig {
  const base = loadConfigFile(`${__dirname}/../../config/pipeline.json`);
  return parseConfig(
    {
      ...base,
      tiers: { ...base.tiers, alerting: { perTenantAlarms: true, perTenantDashboard: false, licensedSeats: 50 } },
      tenants: Array.from({ length: TENANTS }, (_, i) => {
        const id = `t-${String(i).padStart(3, '0')}`;
        return { id, name: `Tenant ${i}`, tier: 'alerting' };
      }),
      // Sparse tenants never reach the silent-tenant baseline; the rule would only read more.
      alerting: { ...base.alerting, silentTenant: { ...base.alerting.silentTenant, enabled: false } },
      silences: [],
      experiments: [],
    },
    'the test fleet',
  );
}

let seq = 0;
function record(tenant: string, atMs: number, type: string, data: Record<string, unknown>): ReplayRecord {
  const time = new Date(atMs).toISOString();
  const event = { specversion: '1.0', id: `e-${++seq}`, source: '/paging-test', type, time, tenantid: tenant, data };
  return { partitionKey: tenant, data: JSON.stringify(event), sentAtMs: atMs };
}

/** `n` turns and API calls of one tenant in one minute, healthy or not. */
function minuteOf(tenant: string, minuteMs: number, n: number, sick: boolean): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  for (let i = 0; i < n; i++) {
    const atMs = minuteMs + Math.floor((i * MINUTE) / n);
    const totalMs = sick ? 9_000 + (i % 7) * 100 : 700 + (i % 5) * 50;
    out.push(record(tenant, atMs, 'agent.turn.completed', { sessionId: `s-${tenant}-${minuteMs}`, totalMs, ok: true }));
    const status = sick && i % 5 === 0 ? 503 : 200;
    out.push(
      record(tenant, atMs, 'api.request.completed', { route: '/v1/respond', method: 'POST', status, latencyMs: 120 }),
    );
  }
  return out;
}

/** Every tenant once an hour (each at its own minute), the sick one busy and failing for 20 minutes. */
function traffic(config: PipelineConfig): ReplayRecord[] {
  const records: ReplayRecord[] = [];
  config.tenants.forEach((t, i) => {
    for (let hour = 0; hour < 2; hour++)
      records.push(...minuteOf(t.id, TRAFFIC_FROM + (hour * 60 + (i % 60)) * MINUTE, 3, false));
  });
  for (let m = 0; m < PROBLEM_MINUTES; m++) records.push(...minuteOf(SICK, PROBLEM_FROM + m * MINUTE, 60, true));
  return records.sort((a, b) => a.sentAtMs - b.sentAtMs);
}

describe('per-tenant paging in the local mode, 200 alerting tenants', () => {
  let incidents: readonly Incident[] = [];
  let tenantTransitions: readonly { alarmName: string; toState: string; atMs: number }[] = [];

  beforeAll(async () => {
    const config = fleetConfig();
    const run = await runLocalPipeline({
      config,
      records: traffic(config),
      rangeStartMs: DAY_MS,
      rangeEndMs: DAY_MS + 86_400_000,
      // Nobody acknowledges: the ladder climbs as it would for an unanswered page.
      acknowledge: () => false,
      // Sparse tenants: every minute with data, then hourly while it ages out.
      tenantAlarmSchedule: { strideMs: 60 * MINUTE },
      // Paging is the claim; the morning's reports of 200 tenants would only add reads.
      reports: false,
    });
    try {
      incidents = run.result.escalation.incidents;
      tenantTransitions = run.result.tenantAlarms?.transitions ?? [];
    } finally {
      await run.stop();
    }
  }, 1_200_000);

  it("pages the sick tenant's incident within 5 minutes of the problem's start, from its own alarms", () => {
    const own = incidents.filter((i) => i.tenant === SICK);
    expect(own).toHaveLength(1);
    const firstPage = Math.min(...(own[0]?.paged ?? []).map((p) => p.atMs));
    expect(firstPage - PROBLEM_FROM).toBeLessThanOrEqual(5 * MINUTE);
    expect(own[0]?.severity).toBe('P1');
    const fired = tenantTransitions.filter((t) => t.toState === 'ALARM').map((t) => t.alarmName);
    expect(fired).toContain(`agent-kpi/P1/technical/tenant-${SICK}/response_latency-p1`);
  });

  it('pages no other tenant, and no other tenant alarm fires', () => {
    const others = incidents.filter((i) => i.tenant !== SICK && i.tenant !== '*');
    expect(others.map((i) => `${i.tenant} ${i.alarmName}`)).toEqual([]);
    const otherAlarms = tenantTransitions.filter(
      (t) => t.toState === 'ALARM' && !t.alarmName.includes(`/tenant-${SICK}/`),
    );
    expect(otherAlarms.map((t) => t.alarmName)).toEqual([]);
  });
});
