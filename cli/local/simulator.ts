/**
 * Realistic, seedable traffic for the local mode: a simulated day of events for a fleet of
 * tenants of different sizes, with a daily pattern, log-normal latencies, a few bad records of
 * every rejection reason, and an optional injected incident.
 *
 * Deterministic: the same options give byte-identical records, so a demo run and its test agree.
 * Time is an argument (the simulated day); nothing here reads the clock.
 */
import { REJECTION_REASONS } from '../../lambdas/core/events/decode';

/** One Kinesis record the simulator produces. */
export interface SimulatedRecord {
  /** The Kinesis partition key: the tenant id (or a placeholder for records without a valid one). */
  readonly partitionKey: string;
  /** The record body as sent by a producer (usually CloudEvents JSON; bad records may be anything). */
  readonly data: string;
  /** When the producer sends it (epoch ms), which orders the records and drives the simulated clock. */
  readonly sentAtMs: number;
}

/** A tenant of the simulated fleet. */
export interface SimulatedTenant {
  readonly id: string;
  readonly name: string;
  /** `enterprise` tenants get per-tenant alarms in the default configuration. */
  readonly tier: 'enterprise' | 'standard';
  /** Sessions per minute at the daily peak. */
  readonly peakSessionsPerMinute: number;
  /** Licensed seats, for the health score's platform usage. */
  readonly licensedSeats: number;
  /** Whether the tenant runs voice agents (voice channel, synthesis events). */
  readonly voice: boolean;
}

/** A degradation injected into one tenant's traffic. */
export interface IncidentSpec {
  readonly tenant: string;
  readonly startMs: number;
  readonly durationMs: number;
  /** Median voice response time during the incident. @default 6500 */
  readonly responseMedianMs?: number;
  /** Share of API requests answered with a 5xx during the incident. @default 0.06 */
  readonly apiErrorRate?: number;
}

/** Options of {@link simulateDay}. */
export interface SimulationOptions {
  /** Start of the simulated UTC day (epoch ms, midnight). */
  readonly dayStartMs: number;
  readonly tenants: readonly SimulatedTenant[];
  /** PRNG seed. @default 1 */
  readonly seed?: number;
  /** Multiplies every tenant's traffic (0.1 for a quick run). @default 1 */
  readonly scale?: number;
  readonly incident?: IncidentSpec;
  /** Add a few bad records of every rejection reason. @default true */
  readonly badRecords?: boolean;
  /** Simulated minutes, from `dayStartMs`. @default 1440 */
  readonly minutes?: number;
  /**
   * Traffic only every N-th minute, N times as dense: the same daily totals, rates and latency
   * distributions in 1/N of the minute buckets, for cheap history days. @default 1
   */
  readonly sampleEveryMinutes?: number;
  /**
   * Tenants in decline on this day, `level` 0 (healthy) to 1 (worst): fewer sessions and users,
   * more failed turns (so more escalations and unhappy CSAT), more tickets, MRR lost. A history
   * run raises the level day by day so the client reports show a client sliding into yellow or red.
   */
  readonly declines?: ReadonlyArray<{ readonly tenant: string; readonly level: number }>;
  /**
   * Turns per session, drawn uniformly from [min, max]. Fewer turns make a cheaper day with the
   * same sessions, outcomes, feedback and business events: the per-turn error chance is adjusted
   * so a session fails as often as with the default range. @default { min: 2, max: 8 }
   */
  readonly turnsPerSession?: { readonly min: number; readonly max: number };
  /** A running A/B experiment on one tenant's sessions (see {@link SimulatedExperiment}). */
  readonly experiment?: SimulatedExperiment;
}

/**
 * An experiment in the simulated traffic: each session of `tenant` is assigned `control` or
 * `treatment` at random, half and half, and every event of the session carries the assignment.
 * The treatment resolves more sessions (the real effect); every other KPI is drawn from the same
 * distributions in both variants.
 */
export interface SimulatedExperiment {
  readonly id: string;
  readonly tenant: string;
  readonly control: string;
  readonly treatment: string;
  /** Share of non-escalated sessions the treatment resolves (control: 0.95). @default 0.995 */
  readonly treatmentResolvedShare?: number;
}

/** The rejection reasons the simulator produces bad records for: every reason the decoder has. */
export const SIMULATED_BAD_REASONS = REJECTION_REASONS;

/** How many bad records of each reason a simulated day carries. */
export const BAD_RECORDS_PER_REASON = 3;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * A small, fast, seedable PRNG (mulberry32): good enough for traffic shapes, and identical on
 * every platform, unlike `Math.random`.
 */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** A standard normal deviate (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** A log-normal deviate with the given median and shape (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
  /** A Poisson deviate (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

const NAMES = [
  ['acme-voice', 'Acme Voice'],
  ['globex-support', 'Globex Support'],
  ['initech-sales', 'Initech Sales'],
  ['umbrella-care', 'Umbrella Care'],
  ['stark-assist', 'Stark Assist'],
  ['wayne-helpdesk', 'Wayne Helpdesk'],
  ['hooli-chat', 'Hooli Chat'],
  ['soylent-voice', 'Soylent Voice'],
  ['tyrell-agents', 'Tyrell Agents'],
  ['cyberdyne-ops', 'Cyberdyne Ops'],
  ['wonka-orders', 'Wonka Orders'],
  ['vandelay-import', 'Vandelay Import'],
  ['massive-dynamic', 'Massive Dynamic'],
  ['oscorp-service', 'Oscorp Service'],
  ['aperture-labs', 'Aperture Labs'],
  ['gringotts-bank', 'Gringotts Bank'],
  ['dunder-paper', 'Dunder Paper'],
  ['pied-piper', 'Pied Piper'],
  ['nakatomi-travel', 'Nakatomi Travel'],
  ['duff-retail', 'Duff Retail'],
] as const;

/**
 * A fleet of `count` tenants with a long-tailed size distribution (a few large, many small), as
 * real fleets have. The first tenant is the largest and an enterprise voice tenant: the default
 * incident target.
 */
export function simulatedFleet(count: number, seed = 1): SimulatedTenant[] {
  if (!Number.isInteger(count) || count < 1 || count > 200) {
    throw new RangeError(`tenant count must be an integer from 1 to 200, got ${count}`);
  }
  const rnd = new SeededRandom(seed ^ 0x9e3779b9);
  const tenants: SimulatedTenant[] = [];
  for (let i = 0; i < count; i++) {
    const base = NAMES[i % NAMES.length] as readonly [string, string];
    const suffix = i < NAMES.length ? '' : `-${Math.floor(i / NAMES.length) + 1}`;
    // Zipf-like sizes: rank 1 gets ~30 sessions/min at peak, the tail about one every minute.
    const peak = Math.max(0.3, 30 / (i + 1) ** 1.2) * (0.8 + 0.4 * rnd.next());
    // The two largest tenants are enterprise (per-tenant alarms); small ones would page on noise.
    const enterprise = i < 2;
    tenants.push({
      id: `${base[0]}${suffix}`,
      name: `${base[1]}${suffix === '' ? '' : ` ${suffix.slice(1)}`}`,
      tier: enterprise ? 'enterprise' : 'standard',
      peakSessionsPerMinute: Math.round(peak * 100) / 100,
      licensedSeats: enterprise ? 200 : 25,
      voice: i === 0 || rnd.chance(0.5),
    });
  }
  return tenants;
}

/** Traffic share of the peak at a minute of the UTC day: quiet nights, a midday peak. */
export function dailyShape(minuteOfDay: number): number {
  const hour = minuteOfDay / 60;
  // A raised cosine centred on 14:00 UTC, floor 15% at night.
  const phase = ((hour - 14) / 24) * 2 * Math.PI;
  return 0.15 + 0.85 * ((1 + Math.cos(phase)) / 2) ** 2;
}

/** Minutes between health checks of standard-tier tenants. */
export const STANDARD_HEALTHCHECK_EVERY = 5;

interface TenantState {
  readonly tenant: SimulatedTenant;
  /** Staggers the health checks of standard tenants so the fleet sees some every minute. */
  readonly offset: number;
  readonly users: number;
  seq: number;
  leads: number;
  tickets: string[];
}

/**
 * Generates one simulated day (or `minutes` of it) of records, sorted by send time.
 * @throws RangeError when the options are out of range (scale <= 0, no tenants)
 */
export function simulateDay(options: SimulationOptions): SimulatedRecord[] {
  const scale = options.scale ?? 1;
  const minutes = options.minutes ?? 1440;
  const every = options.sampleEveryMinutes ?? 1;
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`);
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`sampleEveryMinutes must be >= 1, got ${every}`);
  if (options.tenants.length === 0) throw new RangeError('the simulation needs at least one tenant');
  const rnd = new SeededRandom(options.seed ?? 1);
  const records: SimulatedRecord[] = [];
  const states = options.tenants.map<TenantState>((tenant, i) => ({
    tenant,
    offset: i % STANDARD_HEALTHCHECK_EVERY,
    users: Math.max(5, Math.round(tenant.licensedSeats * (0.4 + 0.5 * rnd.next()))),
    seq: 0,
    leads: 0,
    tickets: [],
  }));
  const turns = options.turnsPerSession ?? DEFAULT_TURNS;
  if (!Number.isInteger(turns.min) || turns.min < 1 || !Number.isInteger(turns.max) || turns.max < turns.min) {
    throw new RangeError(`turnsPerSession must be whole numbers 1 <= min <= max, got ${turns.min}..${turns.max}`);
  }
  // Assignment draws come from their own generator, so the rest of the day is the same with or without the experiment.
  const assignRnd = new SeededRandom((options.seed ?? 1) ^ 0x5eed);

  for (let m = 0; m < minutes; m += every) {
    const minuteStart = options.dayStartMs + m * MINUTE_MS;
    // The shape follows the UTC clock, whichever minute the simulation starts at.
    const shape = dailyShape(Math.floor(minuteStart / MINUTE_MS) % 1440);
    for (const st of states) {
      simulateTenantMinute(st, { rnd, assignRnd, records, options, scale, every, turns, m, minuteStart, shape });
    }
  }

  if (options.badRecords ?? true) records.push(...badRecords(rnd, options.tenants, options.dayStartMs, minutes));
  records.sort((a, b) => a.sentAtMs - b.sentAtMs);
  return records;
}

/** What one simulated minute of one tenant draws from and writes to. */
interface MinuteContext {
  readonly rnd: SeededRandom;
  /** Experiment assignments, drawn apart from `rnd` so the rest of the day does not depend on them. */
  readonly assignRnd: SeededRandom;
  readonly records: SimulatedRecord[];
  readonly options: SimulationOptions;
  readonly scale: number;
  readonly every: number;
  readonly turns: { readonly min: number; readonly max: number };
  /** Minute index from the start of the simulation. */
  readonly m: number;
  readonly minuteStart: number;
  /** The daily traffic shape at this minute. */
  readonly shape: number;
}

/** One tenant's records for one (sampled) minute: health checks, sessions and business events. */
function simulateTenantMinute(st: TenantState, c: MinuteContext): void {
  const { rnd, assignRnd, options, scale, every, turns, m, minuteStart, shape } = c;
  const incident = options.incident;
  const t = st.tenant;
  const inIncident =
    incident !== undefined &&
    incident.tenant === t.id &&
    minuteStart >= incident.startMs &&
    minuteStart < incident.startMs + incident.durationMs;
  const at = () => minuteStart + rnd.int(0, MINUTE_MS - 1);
  const emit: Emit = (type, data, timeMs = at(), assignment) => {
    st.seq++;
    const event = {
      specversion: '1.0',
      id: `${t.id}-${m}-${st.seq}`,
      source: `/${t.voice ? 'voice-gateway' : 'chat-gateway'}/eu-1`,
      type,
      time: new Date(timeMs).toISOString(),
      tenantid: t.id,
      ...assignment,
      data,
    };
    c.records.push({ partitionKey: t.id, data: JSON.stringify(event), sentAtMs: timeMs });
  };

  // Health checks run regardless of traffic: every minute for enterprise tenants (their
  // per-tenant availability alarms need each minute), every 5 minutes, staggered, for the rest.
  if (t.tier === 'enterprise' || (m + st.offset) % STANDARD_HEALTHCHECK_EVERY === 0) {
    emit('healthcheck.completed', {
      target: 'agent-api',
      ok: inIncident ? rnd.chance(0.9) : true,
      latencyMs: Math.round(rnd.logNormal(40, 0.3)),
    });
  }

  const decline = Math.min(1, Math.max(0, options.declines?.find((d) => d.tenant === t.id)?.level ?? 0));
  const sessions = rnd.poisson(t.peakSessionsPerMinute * shape * scale * every * (1 - 0.7 * decline));
  const exp = options.experiment?.tenant === t.id ? options.experiment : undefined;
  for (let s = 0; s < sessions; s++) {
    const variant = exp === undefined ? undefined : assignRnd.chance(0.5) ? exp.treatment : exp.control;
    const assigned: Emit =
      exp === undefined || variant === undefined
        ? emit
        : (type, data, timeMs) => emit(type, data, timeMs, { experiment: exp.id, variant });
    const resolvedShare =
      variant !== undefined && variant === exp?.treatment ? (exp.treatmentResolvedShare ?? 0.995) : 0.95;
    emitSession(rnd, st, assigned, inIncident, incident, decline, turns, resolvedShare);
  }

  // Business events are rare: a few per tenant and day (drawn once per covered minute).
  const business = (t.peakSessionsPerMinute * shape * scale) / 40;
  for (let k = 0; k < every; k++) {
    if (rnd.chance(business)) emitSales(rnd, st, emit);
    if (rnd.chance(business / 4)) emitRevenue(rnd, emit, decline);
    // A declining client files more tickets (up to four times as many).
    if (rnd.chance(business * 1.5 * (1 + 3 * decline))) emitTicket(rnd, st, emit);
  }
}

type Emit = (
  type: string,
  data: Record<string, unknown>,
  timeMs?: number,
  assignment?: { experiment: string; variant: string },
) => void;

const DEFAULT_TURNS = { min: 2, max: 8 } as const;

/**
 * The per-turn failure chance that fails a session of `meanTurns` turns as often as `p` per turn
 * fails a session of the default length.
 */
function perTurnChance(p: number, meanTurns: number): number {
  const defaultMean = (DEFAULT_TURNS.min + DEFAULT_TURNS.max) / 2;
  return 1 - (1 - p) ** (defaultMean / meanTurns);
}

function emitSession(
  rnd: SeededRandom,
  st: TenantState,
  emit: Emit,
  inIncident: boolean,
  incident: IncidentSpec | undefined,
  decline = 0,
  turnRange: { readonly min: number; readonly max: number } = DEFAULT_TURNS,
  resolvedShare = 0.95,
): void {
  const t = st.tenant;
  const sessionId = `s-${t.id}-${st.seq}`;
  // A declining client's users drift away: fewer of them come back.
  const userId = `u-${rnd.int(1, Math.max(1, Math.round(st.users * (1 - 0.6 * decline))))}`;
  const channel = t.voice && rnd.chance(0.7) ? 'voice' : rnd.pick(['chat', 'email', 'whatsapp', 'web'] as const);
  const turns = rnd.int(turnRange.min, turnRange.max);
  const failChance = perTurnChance(inIncident ? 0.05 : 0.0005 + 0.12 * decline, (turnRange.min + turnRange.max) / 2);
  let anyError = false;
  for (let i = 0; i < turns; i++) {
    const stt = channel === 'voice' ? Math.round(rnd.logNormal(250, 0.35)) : undefined;
    const llm = Math.round(rnd.logNormal(inIncident ? (incident?.responseMedianMs ?? 6500) * 0.8 : 900, 0.45));
    const tts = channel === 'voice' ? Math.round(rnd.logNormal(300, 0.4)) : undefined;
    const ok = !rnd.chance(failChance);
    anyError ||= !ok;
    const data: Record<string, unknown> = {
      sessionId,
      totalMs: (stt ?? 0) + llm + (tts ?? 0) + Math.round(rnd.logNormal(60, 0.3)),
      llmMs: llm,
      ok,
      cacheHit: rnd.chance(0.75),
    };
    if (stt !== undefined) data.sttMs = stt;
    if (tts !== undefined) data.ttsMs = tts;
    emit('agent.turn.completed', data);
    if (channel === 'voice') {
      const latency = rnd.logNormal(inIncident ? 1600 : 450, 0.3);
      emit('voice.synthesis.completed', {
        latencyMs: Math.round(latency),
        ok: !rnd.chance(0.002),
        cacheHit: rnd.chance(0.6),
        qualityScore: Math.round(Math.min(1, Math.max(0, 0.93 + 0.04 * rnd.normal())) * 1000) / 1000,
      });
    }
    const errorRate = inIncident ? (incident?.apiErrorRate ?? 0.06) : 0.0001;
    emit('api.request.completed', {
      route: rnd.pick(['/v1/respond', '/v1/context', '/v1/tools/search', '/v1/handoff']),
      method: rnd.chance(0.8) ? 'POST' : 'GET',
      status: rnd.chance(errorRate) ? rnd.pick([500, 502, 503]) : rnd.chance(0.03) ? 404 : 200,
      latencyMs: Math.round(rnd.logNormal(inIncident ? 900 : 120, 0.5)),
    });
  }
  const escalated = rnd.chance(anyError ? 0.5 : 0.05);
  const resolved = !escalated && rnd.chance(resolvedShare);
  emit('agent.session.completed', {
    sessionId,
    channel,
    handleTimeMs: Math.round(rnd.logNormal(channel === 'voice' ? 180_000 : 420_000, 0.6)),
    resolved,
    firstContact: rnd.chance(0.8),
    escalated,
    userId,
  });
  emit('user.active', { userId, feature: rnd.pick(['voice', 'chat', 'knowledge-base', 'handoff', 'analytics']) });
  if (rnd.chance(0.15)) {
    const csat = rnd.chance(0.5);
    emit('feedback.submitted', {
      kind: csat ? 'csat' : 'nps',
      // Unhappy scores follow failed sessions, as in real fleets; healthy sessions rate 4-5.
      score: csat ? (anyError ? rnd.int(1, 3) : rnd.chance(0.8) ? 5 : 4) : rnd.int(anyError ? 0 : 6, 10),
      sessionId,
    });
  }
  if (escalated || rnd.chance(0.05)) {
    const actual = escalated ? rnd.chance(0.995) : rnd.chance(0.005);
    emit('escalation.reviewed', { sessionId, predicted: escalated, actual, category: 'handoff' });
  }
}

const FUNNEL = ['lead', 'contacted', 'qualified', 'proposal', 'won'] as const;
/**
 * Channels leads come in on, in turn (no random draw, so the rest of a simulated day is unchanged):
 * the conversation channels of the contract, and one that is not (reports show it as other).
 */
const LEAD_CHANNELS = ['voice', 'chat', 'web', 'whatsapp', 'email', 'referral'] as const;

function emitSales(rnd: SeededRandom, st: TenantState, emit: Emit): void {
  st.leads++;
  const leadId = `lead-${st.tenant.id}-${st.leads}`;
  const valueUsd = Math.round(rnd.logNormal(2000, 0.8));
  const channel = LEAD_CHANNELS[st.leads % LEAD_CHANNELS.length];
  // A lead moves down the funnel a few stages within the day, losing some at each step.
  for (const stage of FUNNEL) {
    emit('sales.stage.changed', { leadId, stage, valueUsd, channel });
    if (!rnd.chance(0.6)) {
      if (stage !== 'lead' && rnd.chance(0.5)) emit('sales.stage.changed', { leadId, stage: 'lost', valueUsd });
      return;
    }
  }
}

function emitRevenue(rnd: SeededRandom, emit: Emit, decline = 0): void {
  // A declining client's revenue movements are contractions and churn, as often as it declines.
  const kind = rnd.chance(decline)
    ? rnd.pick(['contraction', 'churn'] as const)
    : rnd.pick(['new', 'new', 'expansion', 'expansion', 'contraction', 'churn'] as const);
  const amount = Math.round(rnd.logNormal(400, 0.7));
  emit('revenue.recorded', { kind, mrrDeltaUsd: kind === 'new' || kind === 'expansion' ? amount : -amount });
}

function emitTicket(rnd: SeededRandom, st: TenantState, emit: Emit): void {
  const open = st.tickets.length > 0 && rnd.chance(0.5);
  if (open) {
    const ticketId = st.tickets.shift() as string;
    emit('support.ticket.updated', {
      ticketId,
      status: 'resolved',
      resolutionMs: Math.round(rnd.logNormal(3 * 3600_000, 0.8)),
    });
    return;
  }
  const ticketId = `t-${st.tenant.id}-${st.seq}`;
  st.tickets.push(ticketId);
  emit('support.ticket.updated', { ticketId, status: 'opened', priority: rnd.pick(['P2', 'P3', 'P3', 'P4'] as const) });
}

/** A few records of every rejection reason, spread over the day, so the quarantine has content. */
function badRecords(
  rnd: SeededRandom,
  tenants: readonly SimulatedTenant[],
  dayStartMs: number,
  minutes: number,
): SimulatedRecord[] {
  const out: SimulatedRecord[] = [];
  for (const reason of SIMULATED_BAD_REASONS) {
    for (let i = 0; i < BAD_RECORDS_PER_REASON; i++) {
      const sentAtMs = dayStartMs + rnd.int(0, minutes * MINUTE_MS - 1);
      const tenant = rnd.pick(tenants).id;
      const envelope = (type: string, time: number, data: Record<string, unknown>, tenantid = tenant) =>
        JSON.stringify({
          specversion: '1.0',
          id: `bad-${reason}-${i}`,
          source: '/simulator/bad-records',
          type,
          time: new Date(time).toISOString(),
          tenantid,
          data,
        });
      const health = { target: 'agent-api', ok: true, latencyMs: 30 };
      let data: string;
      switch (reason) {
        case 'invalid_json':
          data = `{"specversion":"1.0","id":"bad-${i}","tenantid":"${tenant}",`;
          break;
        case 'too_large':
          data = envelope('healthcheck.completed', sentAtMs, { ...health, target: 'x'.repeat(70_000) });
          break;
        case 'schema':
          data = envelope('agent.turn.completed', sentAtMs, { sessionId: 's-bad', totalMs: -5, ok: true });
          break;
        case 'unknown_type':
          data = envelope('agent.coffee.brewed', sentAtMs, { cups: 2 });
          break;
        case 'bad_tenant':
          data = envelope('healthcheck.completed', sentAtMs, health, 'Not A Tenant!');
          break;
        case 'late':
          data = envelope('healthcheck.completed', sentAtMs - 8 * DAY_MS, health);
          break;
        case 'future':
          data = envelope('healthcheck.completed', sentAtMs + 3600_000, health);
          break;
      }
      out.push({ partitionKey: tenant, data, sentAtMs });
    }
  }
  return out;
}

/**
 * The experiment the simulation runs: the first configured one on a single tenant with two
 * variants (the shipped configuration has one on the largest tenant), or none.
 */
export function simulatedExperimentOf(config: {
  experiments: ReadonlyArray<{ id: string; tenant: string; control: string; variants: ReadonlyArray<{ id: string }> }>;
}): SimulatedExperiment | undefined {
  const e = config.experiments.find((x) => x.tenant !== '*' && x.variants.length === 2);
  const treatment = e?.variants.find((v) => v.id !== e.control);
  return e === undefined || treatment === undefined
    ? undefined
    : { id: e.id, tenant: e.tenant, control: e.control, treatment: treatment.id };
}
