import {
  BAD_RECORDS_PER_REASON,
  dailyShape,
  SeededRandom,
  SIMULATED_BAD_REASONS,
  simulateDay,
  simulatedFleet,
} from '../../cli/local/simulator';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { decodeEvent, type RejectionReason } from '../../lambdas/core/events';

const DAY = Date.UTC(2026, 10, 22);
const catalog = KpiCatalog.builtIn();

describe('simulator', () => {
  const tenants = simulatedFleet(20, 7);
  const incident = { tenant: 'acme-voice', startMs: DAY + 10 * 3600_000, durationMs: 20 * 60_000 };
  const records = simulateDay({ dayStartMs: DAY, tenants, seed: 7, scale: 0.05, incident });
  const decoded = records.map((r) => ({ r, d: decodeEvent(r.data, { nowMs: r.sentAtMs, catalog }) }));

  it('is deterministic for a seed and differs across seeds', () => {
    const again = simulateDay({ dayStartMs: DAY, tenants, seed: 7, scale: 0.05, incident });
    expect(again).toEqual(records);
    const other = simulateDay({ dayStartMs: DAY, tenants, seed: 8, scale: 0.05, incident });
    expect(other.length).not.toBe(records.length);
  });

  it('builds a fleet of distinct, valid tenants with a long tail of sizes', () => {
    expect(new Set(tenants.map((t) => t.id)).size).toBe(20);
    for (const t of tenants) expect(t.id).toMatch(/^[a-z0-9][a-z0-9-]{1,62}$/);
    const sizes = tenants.map((t) => t.peakSessionsPerMinute);
    expect(Math.max(...sizes)).toBeGreaterThan(5 * Math.min(...sizes));
    expect(tenants[0]).toMatchObject({ id: 'acme-voice', tier: 'enterprise', voice: true });
    expect(() => simulatedFleet(0)).toThrow(RangeError);
  });

  it('produces records in send order, all inside the simulated day, keyed by tenant', () => {
    const outOfOrder = records.filter((r, i) => i > 0 && r.sentAtMs < records[i - 1]!.sentAtMs);
    expect(outOfOrder).toEqual([]);
    expect(records[0]!.sentAtMs).toBeGreaterThanOrEqual(DAY);
    expect(records.at(-1)!.sentAtMs).toBeLessThan(DAY + 86_400_000);
    const ids = new Set(tenants.map((t) => t.id));
    expect(records.filter((r) => !ids.has(r.partitionKey))).toEqual([]);
  });

  it('covers every event type and every rejection reason the decoder knows', () => {
    const types = new Set(decoded.flatMap(({ d }) => (d.ok ? [d.event.type] : [])));
    expect([...types].sort()).toEqual(
      [
        'agent.session.completed',
        'agent.turn.completed',
        'api.request.completed',
        'escalation.reviewed',
        'feedback.submitted',
        'healthcheck.completed',
        'revenue.recorded',
        'sales.stage.changed',
        'support.ticket.updated',
        'user.active',
        'voice.synthesis.completed',
      ].sort(),
    );
    const reasons = new Map<RejectionReason, number>();
    for (const { d } of decoded) if (!d.ok) reasons.set(d.rejection.reason, (reasons.get(d.rejection.reason) ?? 0) + 1);
    for (const reason of SIMULATED_BAD_REASONS) expect(reasons.get(reason)).toBe(BAD_RECORDS_PER_REASON);
    expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBe(
      SIMULATED_BAD_REASONS.length * BAD_RECORDS_PER_REASON,
    );
  });

  it('follows a daily pattern: afternoon sessions are several times the night sessions', () => {
    const perHour = new Array<number>(24).fill(0);
    for (const { d } of decoded) {
      if (d.ok && d.event.type === 'agent.session.completed')
        perHour[Math.floor((d.eventTimeMs - DAY) / 3600_000)]! += 1;
    }
    expect(perHour[14]!).toBeGreaterThan(2.5 * perHour[2]!);
    expect(dailyShape(14 * 60)).toBeCloseTo(1, 5);
    expect(dailyShape(2 * 60)).toBeLessThan(0.3);
  });

  it("injects the incident: the tenant's response p95 above 5 s and API errors above 1%, only in the window", () => {
    const inWindow = (ms: number) => ms >= incident.startMs && ms < incident.startMs + incident.durationMs;
    const turns: number[] = [];
    const normalTurns: number[] = [];
    let api = 0;
    let apiErrors = 0;
    let normalApi = 0;
    let normalApiErrors = 0;
    for (const { d } of decoded) {
      if (!d.ok || d.event.tenantid !== 'acme-voice') continue;
      const e = d.event;
      if (e.type === 'agent.turn.completed') (inWindow(d.eventTimeMs) ? turns : normalTurns).push(e.data.totalMs);
      if (e.type === 'api.request.completed') {
        if (inWindow(d.eventTimeMs)) {
          api++;
          if (e.data.status >= 500) apiErrors++;
        } else {
          normalApi++;
          if (e.data.status >= 500) normalApiErrors++;
        }
      }
    }
    const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(0.95 * (v.length - 1))]!;
    expect(turns.length).toBeGreaterThan(10);
    expect(p95(turns)).toBeGreaterThan(5000);
    expect(p95(normalTurns)).toBeLessThan(3000);
    expect(apiErrors / api).toBeGreaterThan(0.01);
    expect(normalApiErrors / normalApi).toBeLessThan(0.005);
  });

  it('draws log-normal latencies: median near the target, long right tail', () => {
    const rnd = new SeededRandom(3);
    const v = Array.from({ length: 20_000 }, () => rnd.logNormal(1000, 0.5)).sort((a, b) => a - b);
    expect(v[10_000]!).toBeGreaterThan(970);
    expect(v[10_000]!).toBeLessThan(1030);
    expect(v[19_800]! - v[10_000]!).toBeGreaterThan(2 * (v[10_000]! - v[200]!));
  });

  it('history days sampled every 15 minutes keep the daily volume in 1/15 of the minutes', () => {
    const sampled = simulateDay({
      dayStartMs: DAY,
      tenants,
      seed: 7,
      scale: 0.05,
      sampleEveryMinutes: 15,
      badRecords: false,
    });
    const sessionsOf = (rs: typeof records) => rs.filter((r) => r.data.includes('"agent.session.completed"')).length;
    const full = sessionsOf(records);
    expect(Math.abs(sessionsOf(sampled) - full) / full).toBeLessThan(0.1);
    const minutes = new Set(sampled.map((r) => Math.floor((r.sentAtMs - DAY) / 60_000)));
    for (const m of minutes) expect(m % 15).toBe(0);
    expect(minutes.size).toBe(96);
  });

  it('rejects options out of range', () => {
    expect(() => simulateDay({ dayStartMs: DAY, tenants, scale: 0 })).toThrow(RangeError);
    expect(() => simulateDay({ dayStartMs: DAY, tenants: [] })).toThrow(RangeError);
  });
});
