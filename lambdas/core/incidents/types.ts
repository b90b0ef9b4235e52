/**
 * The incident model: what the router records when an alarm fires, what the ladder appends to as
 * it pages, and what reports read back. Pure data; instants are epoch milliseconds (UTC).
 */
import type { Channel, LadderName, Severity } from '../config/schema';

/** Where an incident stands. `silenced` incidents are recorded but page nobody. */
export type IncidentState = 'open' | 'acknowledged' | 'resolved' | 'silenced';

/** What happened on an incident's timeline. */
export type IncidentTimelineKind =
  | 'opened'
  | 'paged'
  | 'page_failed'
  | 'fallback'
  | 'climbed'
  | 'acknowledged'
  | 'resolved'
  | 'silenced'
  | 'repeat'
  | 'note';

/** One step on an incident's timeline, oldest first. */
export interface IncidentTimelineEntry {
  /** When it happened, epoch ms. */
  readonly atMs: number;
  readonly kind: IncidentTimelineKind;
  /** Human-readable detail, e.g. `level 2 (Technical lead): techlead by sms`. */
  readonly detail: string;
}

/** One page sent to one contact. */
export interface IncidentPage {
  /** Key of `escalation.contacts`. */
  readonly contactId: string;
  /** The channel that delivered it (after any fallback). */
  readonly channel: Channel;
  readonly atMs: number;
  /** Ladder level (1-based) the page was for. */
  readonly level: number;
}

/** An incident: one alarm episode, from its ALARM transition to acknowledgement and resolution. */
export interface Incident {
  /** Stable id derived from the episode, e.g. `inc-3f9a1c0d2b7e`. */
  readonly id: string;
  /** Full CloudWatch alarm name, `<deployment>/<severity>/<ladder>/<scope>/<ruleId>`. */
  readonly alarmName: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly ladder: LadderName;
  /** Tenant id, or `*` for a fleet alarm. */
  readonly tenant: string;
  readonly state: IncidentState;
  /** The alarm's ALARM transition, epoch ms. */
  readonly openedAt: number;
  readonly acknowledgedAt?: number;
  /** Who acknowledged (contact id, or `cli:<user>`). */
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: number;
  /** Alarm episode key: the alarm name and its ALARM transition timestamp. One ladder per episode. */
  readonly episode: string;
  /** Highest ladder level paged so far (1-based); 0 before the first page. */
  readonly level: number;
  readonly paged: readonly IncidentPage[];
  readonly timeline: readonly IncidentTimelineEntry[];
  /** Id of the silence that muted it, when `state` is `silenced`. */
  readonly silencedBy?: string;
  /** First bad event seen for the alarm's metric, when known (time to detect starts here). */
  readonly firstBadEventAt?: number;
  /** The Step Functions execution running its ladder. */
  readonly executionArn?: string;
}

/** Reads incidents; reports and the CLI code against this port. */
export interface IncidentReader {
  /** Incidents opened in `[fromMs, toMs)`, oldest first. */
  listBetween(fromMs: number, toMs: number): Promise<Incident[]>;
  /** One incident by id. */
  get(id: string): Promise<Incident | undefined>;
}
