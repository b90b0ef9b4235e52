/**
 * A self-contained report fixture: an in-memory KPI source filled from synthetic events, a few
 * incidents and a configuration, for `npm run report:preview` and the report tests. Deterministic
 * (seeded), so a preview and its test show the same numbers.
 */
import { KpiSet } from '../lambdas/core/aggregates';
import { KpiCatalog } from '../lambdas/core/catalog';
import { type PipelineConfig, parseConfig } from '../lambdas/core/config/schema';
import type { AgentEvent } from '../lambdas/core/events';
import { SESSION_CHANNELS } from '../lambdas/core/events/contract';
import type { ReportIncident, ReportIncidentReader, ReportKpiSource } from '../lambdas/core/reports';
import { bucketStart, GRANULARITY_MS, type Granularity } from '../lambdas/core/time/buckets';
import { SeededRandom } from './local/simulator';

const DAY = GRANULARITY_MS.day;
/**
 * Channels leads come from in the fixture: one in four outside the contract's list (reported as
 * other). Sessions take the contract's channels in turn. Both by sequence number, not by a random
 * draw, so every other number of the fixture stays what it was.
 */
const LEAD_CHANNELS = ['voice', 'chat', 'web', 'partner'] as const;

/** A lead event's data. */
function leadData(seq: number, stage: string): Record<string, unknown> {
  return {
    leadId: `l${seq}`,
    stage,
    channel: LEAD_CHANNELS[seq % LEAD_CHANNELS.length],
    ...(stage === 'won' ? { valueUsd: 1200 } : {}),
  };
}

/** A KPI source in memory: hour and day buckets per tenant and for the fleet (`*`). */
export class InMemoryKpiSource implements ReportKpiSource {
  private readonly sets = new Map<string, KpiSet>();

  constructor(private readonly catalog: KpiCatalog) {}

  /** Adds an event to its tenant's and the fleet's hour and day buckets. */
  observe(event: AgentEvent, timeMs: number): void {
    for (const tenant of [event.tenantid, '*']) {
      for (const g of ['hour', 'day'] as const) {
        const key = `${tenant}|${g}|${bucketStart(timeMs, g)}`;
        let set = this.sets.get(key);
        if (set === undefined) {
          set = new KpiSet(this.catalog);
          this.sets.set(key, set);
        }
        set.observe(event);
      }
    }
  }

  /** Buckets of [fromMs, toMs), oldest first; each a copy, so callers may merge into it. */
  async read(q: {
    tenant: string;
    granularity: Granularity;
    fromMs: number;
    toMs: number;
  }): Promise<Array<{ bucketStartMs: number; set: KpiSet }>> {
    const out: Array<{ bucketStartMs: number; set: KpiSet }> = [];
    const size = GRANULARITY_MS[q.granularity];
    for (let t = bucketStart(q.fromMs, q.granularity); t < q.toMs; t += size) {
      const set = this.sets.get(`${q.tenant}|${q.granularity}|${t}`);
      if (set !== undefined) out.push({ bucketStartMs: t, set: set.clone() });
    }
    return out;
  }
}

/** Incidents in memory. */
export class InMemoryIncidentReader implements ReportIncidentReader {
  constructor(private readonly incidents: readonly ReportIncident[]) {}

  /** Incidents opened in [fromMs, toMs). */
  async listBetween(fromMs: number, toMs: number): Promise<readonly ReportIncident[]> {
    return this.incidents.filter((i) => {
      const t = typeof i.openedAt === 'number' ? i.openedAt : Date.parse(i.openedAt);
      return t >= fromMs && t < toMs;
    });
  }
}

/** Mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** Options of {@link buildReportFixture}. */
export interface ReportFixtureOptions {
  /** Last day covered (any instant of it). */
  readonly lastDayMs: number;
  /** Days of history before and including the last day. @default 36 */
  readonly days?: number;
  /** Tenants. @default 6 */
  readonly tenants?: number;
  /** Sessions per tenant per day (other events scale with it). @default 30 */
  readonly sessionsPerDay?: number;
  readonly seed?: number;
}

/** The fixture: source, incidents, configuration and catalog. */
export interface ReportFixture {
  readonly source: InMemoryKpiSource;
  readonly incidents: InMemoryIncidentReader;
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
}

/** Names that must come out escaped (markup, quotes, ampersands) and one long one that must wrap. */
const TENANT_NAMES = [
  'Acme Voice',
  'Globex <Support> & "Co"',
  "O'Brien Sales <script>alert(1)</script>",
  'Initech',
  'Umbrella Customer Care International Holdings Limited Partnership',
  'Hooli',
];

/** A tenant of the fixture, as its configuration lists it. */
interface FixtureTenant {
  readonly id: string;
  readonly name: string;
  readonly tier: 'enterprise' | 'standard';
}

/** One tenant's day of synthetic events. */
interface TenantDay {
  /** Observes one event of `type` at a random instant of the day. */
  readonly emit: (type: AgentEvent['type'], data: Record<string, unknown>) => void;
  readonly random: () => number;
  /** Events emitted so far in the fixture: names sessions, leads and tickets. */
  readonly seq: () => number;
  readonly tenantIndex: number;
  /** Slow responses, errors and poor scores on this day. */
  readonly degraded: boolean;
}

const FEATURES = ['search', 'voice', 'handoff', 'analytics'];

/**
 * Builds a fixture with `tenants` tenants over `days` days ending on `lastDayMs`'s day. Tenant 1
 * degrades on the last three days (slow responses, errors, poor CSAT) so reports have movers, missed
 * targets and a red-band client.
 */
export function buildReportFixture(options: ReportFixtureOptions): ReportFixture {
  const days = options.days ?? 36;
  const perDay = options.sessionsPerDay ?? 30;
  const random = rng(options.seed ?? 7);
  const catalog = KpiCatalog.builtIn();
  const source = new InMemoryKpiSource(catalog);
  const lastStart = bucketStart(options.lastDayMs, 'day');
  const tenants = fixtureTenants(options.tenants ?? 6);
  let seq = 0;
  for (let d = days - 1; d >= 0; d--) {
    const dayStart = lastStart - d * DAY;
    tenants.forEach((t, ti) => {
      const emit = (type: AgentEvent['type'], data: Record<string, unknown>) => {
        const timeMs = dayStart + Math.floor(random() * DAY);
        const event = {
          specversion: '1.0',
          id: `e${seq++}`,
          source: '/fixture',
          type,
          time: new Date(timeMs).toISOString(),
          tenantid: t.id,
          data,
        } as AgentEvent;
        source.observe(event, timeMs);
      };
      // Tenant 1 degrades over the last three days; the others are steady with noise.
      const day: TenantDay = { emit, random, seq: () => seq, tenantIndex: ti, degraded: ti === 1 && d <= 2 };
      emitSessions(day, perDay);
      emitDailyEvents(day);
    });
  }
  return { source, incidents: fixtureIncidents(lastStart), config: fixtureConfig(tenants), catalog };
}

function fixtureTenants(count: number): FixtureTenant[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `tenant-${String(i).padStart(2, '0')}`,
    name: TENANT_NAMES[i % TENANT_NAMES.length] ?? `Tenant ${i}`,
    tier: i % 3 === 0 ? 'enterprise' : 'standard',
  }));
}

/** Sessions of the day, each with its turns, an API request and a voice synthesis. */
function emitSessions(day: TenantDay, perDay: number): void {
  const { emit, random, seq, degraded } = day;
  const sessions = Math.round(perDay * (0.8 + 0.4 * random()) * (degraded ? 0.6 : 1));
  for (let s = 0; s < sessions; s++) {
    const resolved = random() < (degraded ? 0.5 : 0.85);
    emit('agent.session.completed', {
      sessionId: `s${seq()}`,
      channel: SESSION_CHANNELS[seq() % SESSION_CHANNELS.length],
      handleTimeMs: 60_000 + random() * 240_000,
      resolved,
      firstContact: resolved && random() < 0.9,
      escalated: !resolved && random() < 0.5,
    });
    for (let k = 0; k < 2; k++) {
      emit('agent.turn.completed', {
        sessionId: `s${seq()}`,
        totalMs: (degraded ? 3500 : 900) + random() * (degraded ? 4000 : 1200),
        cacheHit: random() < 0.6,
        ok: random() > (degraded ? 0.06 : 0.002),
      });
    }
    emit('api.request.completed', {
      route: '/v1/answer',
      method: 'POST',
      status: random() < (degraded ? 0.05 : 0.001) ? 503 : 200,
      latencyMs: 80 + random() * 300,
    });
    emit('voice.synthesis.completed', {
      latencyMs: 300 + random() * 900,
      ok: true,
      cacheHit: random() < 0.5,
      qualityScore: 0.93,
    });
  }
}

/** The day's health checks, feedback, active users, sales, revenue and support tickets. */
function emitDailyEvents(day: TenantDay): void {
  const { emit, random, seq, degraded, tenantIndex } = day;
  for (let h = 0; h < 24; h++)
    emit('healthcheck.completed', { target: 'api', ok: !(degraded && h < 2), latencyMs: 40 });
  for (let f = 0; f < 6; f++) {
    emit('feedback.submitted', {
      kind: 'csat',
      score: degraded ? 1 + Math.floor(random() * 3) : 4 + Math.floor(random() * 2),
    });
    emit('feedback.submitted', {
      kind: 'nps',
      score: degraded ? Math.floor(random() * 7) : 7 + Math.floor(random() * 4),
    });
  }
  const users = Math.round(10 + 5 * random());
  for (let u = 0; u < users; u++) {
    emit('user.active', { userId: `u${u}`, feature: FEATURES[u % (2 + (tenantIndex % 3))] });
  }
  for (const stage of ['lead', 'lead', 'contacted', 'qualified', 'proposal', 'won'] as const) {
    if (random() < 0.7) emit('sales.stage.changed', leadData(seq(), stage));
  }
  if (random() < 0.3)
    emit('revenue.recorded', { kind: degraded ? 'churn' : 'expansion', mrrDeltaUsd: degraded ? -400 : 250 });
  const tickets = degraded ? 6 : random() < 0.5 ? 1 : 0;
  for (let k = 0; k < tickets; k++) {
    emit('support.ticket.updated', { ticketId: `k${seq()}`, status: 'opened', priority: degraded ? 'P1' : 'P3' });
    emit('support.ticket.updated', {
      ticketId: `k${seq()}`,
      status: 'resolved',
      resolutionMs: 3_600_000 * (1 + random() * 5),
    });
  }
}

function fixtureConfig(tenants: readonly FixtureTenant[]): PipelineConfig {
  return parseConfig(
    {
      tiers: {
        standard: { perTenantAlarms: false, perTenantDashboard: false, licensedSeats: 20 },
        enterprise: { perTenantAlarms: true, perTenantDashboard: true, licensedSeats: 25 },
      },
      tenants,
      reports: { senderEmail: 'reports@example.com' },
    },
    'report fixture',
  );
}

/** A resolved P1 on tenant 1's last day, with a muted P2 beside it, and an open fleet P2 (names to escape). */
function fixtureIncidents(lastStart: number): InMemoryIncidentReader {
  const opened = lastStart + 3 * 3_600_000;
  return new InMemoryIncidentReader([
    {
      id: 'inc-1',
      alarmName: 'agent-kpi-response_latency-p1-tenant-01',
      ruleId: 'response_latency-p1',
      severity: 'P1',
      tenant: 'tenant-01',
      state: 'resolved',
      openedAt: opened,
      acknowledgedAt: opened + 6 * 60_000,
      resolvedAt: opened + 42 * 60_000,
      alerts: [
        {
          ruleId: 'api_error_rate-p2',
          severity: 'P2',
          reason:
            'Threshold Crossed: 1 out of the last 1 datapoints [0.031 (2026-11-20T03:00:00.000Z)] was greater than the threshold (0.02)',
          mutedBy: 'same-kpi by agent-kpi-response_latency-p1-tenant-01',
        },
        {
          ruleId: 'response_latency-p1',
          severity: 'P1',
          reason:
            'Threshold Crossed: 3 out of the last 5 datapoints [7600 (2026-11-20T03:04:00.000Z), 7100 (2026-11-20T03:03:00.000Z)] were greater than the threshold (5000)',
        },
      ],
    },
    {
      id: 'inc-2',
      alarmName: 'agent-kpi-csat-p2 <b>fleet</b>',
      ruleId: 'csat-p2',
      severity: 'P2',
      tenant: '*',
      state: 'open',
      openedAt: new Date(opened + 5 * 3_600_000).toISOString(),
    },
  ]);
}
