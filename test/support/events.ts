/**
 * Event factories for tests: `makeEvent(type, overrides)` builds a valid event of any built-in
 * type, and fast-check arbitraries generate valid events (and skewed value distributions).
 */
import fc from 'fast-check';
import {
  type AgentEvent,
  type BuiltInEventType,
  type CloudEventEnvelope,
  type CustomEvent,
  type CustomEventData,
  EVENT_TYPES,
  type EventDataByType,
  REVENUE_KINDS,
  SALES_STAGES,
  SESSION_CHANNELS,
  TICKET_PRIORITIES,
} from '../../lambdas/core/events/contract';

/** The time every factory event carries unless overridden. */
export const DEFAULT_EVENT_TIME = '2026-11-22T08:00:00Z';
/** {@link DEFAULT_EVENT_TIME} in epoch ms: a good `nowMs` for decoding factory events. */
export const DEFAULT_EVENT_TIME_MS = Date.UTC(2026, 10, 22, 8, 0, 0);
/** The tenant every factory event carries unless overridden. */
export const DEFAULT_TENANT = 'acme';

const DEFAULT_DATA: { [T in BuiltInEventType]: EventDataByType[T] } = {
  'agent.session.completed': {
    sessionId: 's-1',
    channel: 'voice',
    handleTimeMs: 120_000,
    resolved: true,
    firstContact: true,
    escalated: false,
    userId: 'u-1',
  },
  'agent.turn.completed': {
    sessionId: 's-1',
    totalMs: 900,
    sttMs: 150,
    llmMs: 500,
    ttsMs: 250,
    cacheHit: false,
    ok: true,
  },
  'voice.synthesis.completed': { latencyMs: 800, ok: true, cacheHit: false, qualityScore: 0.95 },
  'api.request.completed': { route: '/v1/calls', method: 'POST', status: 200, latencyMs: 120 },
  'healthcheck.completed': { target: 'voice-gateway', ok: true, latencyMs: 40 },
  'feedback.submitted': { kind: 'csat', score: 5, sessionId: 's-1' },
  'escalation.reviewed': { sessionId: 's-1', predicted: true, actual: true, category: 'billing' },
  'user.active': { userId: 'u-1', feature: 'search' },
  'sales.stage.changed': { leadId: 'l-1', stage: 'lead', valueUsd: 0, channel: 'web' },
  'revenue.recorded': { kind: 'new', mrrDeltaUsd: 500 },
  'support.ticket.updated': { ticketId: 't-1', status: 'opened', priority: 'P3' },
};

/** Envelope overrides plus a partial `data` merged over the defaults (`undefined` removes a field). */
export interface EventOverrides<D> {
  id?: string;
  source?: string;
  time?: string;
  tenantid?: string;
  data?: { [K in keyof D]?: D[K] | undefined };
}

let sequence = 0;

/** A valid event of `type` (defaults above), with `overrides` applied. Ids are unique per call. */
export function makeEvent<T extends BuiltInEventType>(
  type: T,
  overrides: EventOverrides<EventDataByType[T]> = {},
): CloudEventEnvelope<T, EventDataByType[T]> {
  const data: Record<string, unknown> = { ...DEFAULT_DATA[type] };
  for (const [k, v] of Object.entries(overrides.data ?? {})) {
    if (v === undefined) delete data[k];
    else data[k] = v;
  }
  sequence++;
  return {
    specversion: '1.0',
    id: overrides.id ?? `evt-${sequence}`,
    source: overrides.source ?? '/test/producer',
    type,
    time: overrides.time ?? DEFAULT_EVENT_TIME,
    tenantid: overrides.tenantid ?? DEFAULT_TENANT,
    data: data as unknown as EventDataByType[T],
  };
}

/** A custom event (`custom.*`) with the given data. */
export function makeCustomEvent(
  type: `custom.${string}`,
  data: CustomEventData,
  overrides: Omit<EventOverrides<never>, 'data'> = {},
): CustomEvent {
  sequence++;
  return {
    specversion: '1.0',
    id: overrides.id ?? `evt-${sequence}`,
    source: overrides.source ?? '/test/producer',
    type,
    time: overrides.time ?? DEFAULT_EVENT_TIME,
    tenantid: overrides.tenantid ?? DEFAULT_TENANT,
    data,
  };
}

/** The record bytes a producer would put on the stream for `event`. */
export function encodeEvent(event: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** Valid tenant ids. */
export function arbTenantId(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}$/);
}

/** Log-normal values (median ~ e^mu), e.g. latencies. */
export function arbLogNormal(mu = 6, sigma = 1): fc.Arbitrary<number> {
  return fc
    .tuple(fc.double({ min: 1e-9, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([u1, u2]) => Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)));
}

/** Bimodal values: cache hits around 50 ms, misses around 2 s. */
export function arbBimodal(): fc.Arbitrary<number> {
  return fc.oneof(fc.double({ min: 20, max: 80, noNaN: true }), fc.double({ min: 1500, max: 2500, noNaN: true }));
}

/** Heavy-tailed (Pareto, alpha 1.2) values from 10 up. */
export function arbHeavyTail(): fc.Arbitrary<number> {
  return fc.double({ min: 1e-6, max: 1, noNaN: true }).map((u) => 10 / u ** (1 / 1.2));
}

const id = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const ms = fc.integer({ min: 0, max: 60_000 });

/** `data` arbitraries per built-in type, covering optional fields being absent. */
const DATA_ARBS: { [T in BuiltInEventType]: fc.Arbitrary<EventDataByType[T]> } = {
  'agent.session.completed': fc.record(
    {
      sessionId: id,
      channel: fc.constantFrom(...SESSION_CHANNELS),
      handleTimeMs: ms,
      resolved: fc.boolean(),
      firstContact: fc.boolean(),
      escalated: fc.boolean(),
      userId: id,
    },
    { requiredKeys: ['sessionId', 'channel', 'handleTimeMs', 'resolved', 'firstContact', 'escalated'] },
  ),
  'agent.turn.completed': fc.record(
    { sessionId: id, totalMs: ms, sttMs: ms, llmMs: ms, ttsMs: ms, cacheHit: fc.boolean(), ok: fc.boolean() },
    { requiredKeys: ['sessionId', 'totalMs', 'ok'] },
  ),
  'voice.synthesis.completed': fc.record(
    {
      latencyMs: ms,
      ok: fc.boolean(),
      cacheHit: fc.boolean(),
      qualityScore: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    { requiredKeys: ['latencyMs', 'ok', 'cacheHit'] },
  ),
  'api.request.completed': fc.record({
    route: fc.constantFrom('/v1/calls', '/v1/users', '/health'),
    method: fc.constantFrom('GET', 'POST'),
    status: fc.integer({ min: 100, max: 599 }),
    latencyMs: ms,
  }),
  'healthcheck.completed': fc.record({ target: id, ok: fc.boolean(), latencyMs: ms }),
  'feedback.submitted': fc.oneof(
    fc.record({ kind: fc.constant('csat' as const), score: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ kind: fc.constant('nps' as const), score: fc.integer({ min: 0, max: 10 }) }),
  ),
  'escalation.reviewed': fc.record({ sessionId: id, predicted: fc.boolean(), actual: fc.boolean() }),
  'user.active': fc.record(
    { userId: fc.stringMatching(/^u-[0-9]{1,3}$/), feature: fc.constantFrom('search', 'voice', 'reports') },
    { requiredKeys: ['userId'] },
  ),
  'sales.stage.changed': fc.record(
    { leadId: id, stage: fc.constantFrom(...SALES_STAGES), valueUsd: fc.integer({ min: 0, max: 100_000 }) },
    { requiredKeys: ['leadId', 'stage'] },
  ),
  'revenue.recorded': fc.constantFrom(...REVENUE_KINDS).chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      mrrDeltaUsd: fc
        .integer({ min: 0, max: 10_000 })
        .map((v) => (kind === 'new' || kind === 'expansion' || v === 0 ? v : -v)),
    }),
  ),
  'support.ticket.updated': fc.oneof(
    fc.record({
      ticketId: id,
      status: fc.constant('opened' as const),
      priority: fc.constantFrom(...TICKET_PRIORITIES),
    }),
    fc.record({
      ticketId: id,
      status: fc.constant('resolved' as const),
      resolutionMs: fc.integer({ min: 0, max: 1e8 }),
    }),
  ),
};

/** Options of {@link arbEvent}. */
export interface ArbEventOptions {
  /** Tenants to draw from. @default ['acme', 'globex'] */
  tenants?: readonly string[];
  /** Event times are drawn from [fromMs, toMs). @default one hour from DEFAULT_EVENT_TIME_MS */
  fromMs?: number;
  toMs?: number;
  /** Types to draw from. @default every built-in type */
  types?: readonly BuiltInEventType[];
}

/** A valid event of `type`. */
export function arbEventOfType<T extends BuiltInEventType>(
  type: T,
  opts: ArbEventOptions = {},
): fc.Arbitrary<CloudEventEnvelope<T, EventDataByType[T]>> {
  const from = opts.fromMs ?? DEFAULT_EVENT_TIME_MS;
  const to = opts.toMs ?? from + 3_600_000;
  return fc
    .record({
      id: fc.uuid(),
      tenantid: fc.constantFrom(...(opts.tenants ?? ['acme', 'globex'])),
      timeMs: fc.integer({ min: from, max: to - 1 }),
      data: DATA_ARBS[type] as fc.Arbitrary<EventDataByType[T]>,
    })
    .map(({ id: eventId, tenantid, timeMs, data }) => ({
      specversion: '1.0' as const,
      id: eventId,
      source: '/test/producer',
      type,
      time: new Date(timeMs).toISOString(),
      tenantid,
      data,
    }));
}

/** A valid event of any built-in type (or of `opts.types`). */
export function arbEvent(opts: ArbEventOptions = {}): fc.Arbitrary<AgentEvent> {
  const types = opts.types ?? EVENT_TYPES;
  return fc.constantFrom(...types).chain((t) => arbEventOfType(t, opts) as fc.Arbitrary<AgentEvent>);
}
