/**
 * The event contract (v1): CloudEvents 1.0 envelopes in structured JSON mode, one per Kinesis
 * record, with a typed `data` per event type. See the README's "The event contract" section.
 *
 * These types describe events AFTER {@link decodeEvent} accepted them: every field has been
 * checked, unknown envelope attributes are dropped, and `data` holds only the contract's fields.
 */

/** Every built-in event type, in contract order. */
export const EVENT_TYPES = [
  'agent.session.completed',
  'agent.turn.completed',
  'voice.synthesis.completed',
  'api.request.completed',
  'healthcheck.completed',
  'feedback.submitted',
  'escalation.reviewed',
  'user.active',
  'sales.stage.changed',
  'revenue.recorded',
  'support.ticket.updated',
] as const;

/** A built-in event type. */
export type BuiltInEventType = (typeof EVENT_TYPES)[number];

/** A custom event type declared in the configuration (`custom.` prefix). */
export type CustomEventType = `custom.${string}`;

/** The CloudEvents 1.0 envelope every record carries. */
export interface CloudEventEnvelope<T extends string, D> {
  readonly specversion: '1.0';
  /** 1-128 chars, unique per event for its producer. */
  readonly id: string;
  /** 1-256 chars, the producer, e.g. `/voice-gateway/eu-1`. */
  readonly source: string;
  readonly type: T;
  /** RFC 3339 timestamp with zone: when the event happened. */
  readonly time: string;
  /** The tenant, {@link TENANT_ID_PATTERN}. */
  readonly tenantid: string;
  /** Experiment the event belongs to ({@link EXPERIMENT_ID_PATTERN}); present exactly when `variant` is. */
  readonly experiment?: string;
  /** Variant of {@link experiment} ({@link VARIANT_ID_PATTERN}); present exactly when `experiment` is. */
  readonly variant?: string;
  readonly data: D;
}

/** Conversation channels of a session. */
export const SESSION_CHANNELS = ['voice', 'chat', 'email', 'whatsapp', 'web'] as const;
/** Sales funnel stages, in funnel order (`lost` last: it leaves the funnel). */
export const SALES_STAGES = ['lead', 'contacted', 'qualified', 'proposal', 'won', 'lost'] as const;
/** Kinds of MRR movement. */
export const REVENUE_KINDS = ['new', 'expansion', 'contraction', 'churn'] as const;
/** Ticket priorities. */
export const TICKET_PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;

/** `data` of `agent.session.completed`. */
export interface SessionCompletedData {
  readonly sessionId: string;
  readonly channel: (typeof SESSION_CHANNELS)[number];
  readonly handleTimeMs: number;
  readonly resolved: boolean;
  readonly firstContact: boolean;
  readonly escalated: boolean;
  readonly userId?: string;
}
/** `data` of `agent.turn.completed`. */
export interface TurnCompletedData {
  readonly sessionId: string;
  readonly totalMs: number;
  readonly sttMs?: number;
  readonly llmMs?: number;
  readonly ttsMs?: number;
  readonly cacheHit?: boolean;
  readonly ok: boolean;
}
/** `data` of `voice.synthesis.completed`. */
export interface SynthesisCompletedData {
  readonly latencyMs: number;
  readonly ok: boolean;
  readonly cacheHit: boolean;
  /** 0..1 */
  readonly qualityScore?: number;
}
/** `data` of `api.request.completed`. */
export interface ApiRequestCompletedData {
  readonly route: string;
  readonly method: string;
  /** Integer 100..599. */
  readonly status: number;
  readonly latencyMs: number;
}
/** `data` of `healthcheck.completed`. */
export interface HealthcheckCompletedData {
  readonly target: string;
  readonly ok: boolean;
  readonly latencyMs: number;
}
/** `data` of `feedback.submitted`: csat scores 1..5, nps scores 0..10 (integers). */
export interface FeedbackSubmittedData {
  readonly kind: 'csat' | 'nps';
  readonly score: number;
  readonly sessionId?: string;
}
/** `data` of `escalation.reviewed`. */
export interface EscalationReviewedData {
  readonly sessionId: string;
  /** The agent escalated. */
  readonly predicted: boolean;
  /** A human says it should have. */
  readonly actual: boolean;
  readonly category?: string;
}
/** `data` of `user.active`. */
export interface UserActiveData {
  readonly userId: string;
  readonly feature?: string;
}
/** `data` of `sales.stage.changed`. */
export interface SalesStageChangedData {
  readonly leadId: string;
  readonly stage: (typeof SALES_STAGES)[number];
  readonly valueUsd?: number;
  readonly channel?: string;
}
/** `data` of `revenue.recorded`; the sign of `mrrDeltaUsd` follows `kind` (contraction and churn are <= 0). */
export interface RevenueRecordedData {
  readonly kind: (typeof REVENUE_KINDS)[number];
  readonly mrrDeltaUsd: number;
}
/** `data` of `support.ticket.updated`. */
export interface SupportTicketUpdatedData {
  readonly ticketId: string;
  readonly status: 'opened' | 'resolved';
  readonly priority?: (typeof TICKET_PRIORITIES)[number];
  readonly resolutionMs?: number;
}
/**
 * `data` of a custom event: the top-level string, number and boolean fields the producer sent.
 * Nested values and prototype-polluting keys are dropped by the decoder.
 */
export type CustomEventData = Readonly<Record<string, string | number | boolean>>;

/** An accepted `agent.session.completed` event. */
export type SessionCompletedEvent = CloudEventEnvelope<'agent.session.completed', SessionCompletedData>;
/** An accepted `agent.turn.completed` event. */
export type TurnCompletedEvent = CloudEventEnvelope<'agent.turn.completed', TurnCompletedData>;
/** An accepted `voice.synthesis.completed` event. */
export type SynthesisCompletedEvent = CloudEventEnvelope<'voice.synthesis.completed', SynthesisCompletedData>;
/** An accepted `api.request.completed` event. */
export type ApiRequestCompletedEvent = CloudEventEnvelope<'api.request.completed', ApiRequestCompletedData>;
/** An accepted `healthcheck.completed` event. */
export type HealthcheckCompletedEvent = CloudEventEnvelope<'healthcheck.completed', HealthcheckCompletedData>;
/** An accepted `feedback.submitted` event. */
export type FeedbackSubmittedEvent = CloudEventEnvelope<'feedback.submitted', FeedbackSubmittedData>;
/** An accepted `escalation.reviewed` event. */
export type EscalationReviewedEvent = CloudEventEnvelope<'escalation.reviewed', EscalationReviewedData>;
/** An accepted `user.active` event. */
export type UserActiveEvent = CloudEventEnvelope<'user.active', UserActiveData>;
/** An accepted `sales.stage.changed` event. */
export type SalesStageChangedEvent = CloudEventEnvelope<'sales.stage.changed', SalesStageChangedData>;
/** An accepted `revenue.recorded` event. */
export type RevenueRecordedEvent = CloudEventEnvelope<'revenue.recorded', RevenueRecordedData>;
/** An accepted `support.ticket.updated` event. */
export type SupportTicketUpdatedEvent = CloudEventEnvelope<'support.ticket.updated', SupportTicketUpdatedData>;
/** An accepted custom event (its type is declared by a custom KPI of the configuration). */
export type CustomEvent = CloudEventEnvelope<CustomEventType, CustomEventData>;

/** Any accepted event, discriminated on `type`. */
export type AgentEvent =
  | SessionCompletedEvent
  | TurnCompletedEvent
  | SynthesisCompletedEvent
  | ApiRequestCompletedEvent
  | HealthcheckCompletedEvent
  | FeedbackSubmittedEvent
  | EscalationReviewedEvent
  | UserActiveEvent
  | SalesStageChangedEvent
  | RevenueRecordedEvent
  | SupportTicketUpdatedEvent
  | CustomEvent;

/** Maps each built-in type to its `data` shape. */
export interface EventDataByType {
  'agent.session.completed': SessionCompletedData;
  'agent.turn.completed': TurnCompletedData;
  'voice.synthesis.completed': SynthesisCompletedData;
  'api.request.completed': ApiRequestCompletedData;
  'healthcheck.completed': HealthcheckCompletedData;
  'feedback.submitted': FeedbackSubmittedData;
  'escalation.reviewed': EscalationReviewedData;
  'user.active': UserActiveData;
  'sales.stage.changed': SalesStageChangedData;
  'revenue.recorded': RevenueRecordedData;
  'support.ticket.updated': SupportTicketUpdatedData;
}

/** Tenant ids: lowercase letters, digits and dashes, 2-63 chars, not starting with a dash. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** The `experiment` extension attribute: lowercase letters, digits, `_` and `-`, 1-63 chars. */
export const EXPERIMENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The `variant` extension attribute: lowercase letters, digits, `_` and `-`, 1-32 chars. */
export const VARIANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Whether `id` is a valid tenant id (so it is safe in keys, alarm names and paths). */
export function isValidTenantId(id: unknown): id is string {
  return typeof id === 'string' && TENANT_ID_PATTERN.test(id);
}

/** Whether `type` is one of the built-in event types. */
export function isBuiltInEventType(type: string): type is BuiltInEventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}

/** The prefix of custom event types. */
export const CUSTOM_EVENT_PREFIX = 'custom.';
