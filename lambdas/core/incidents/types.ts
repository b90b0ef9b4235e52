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
  | 'note'
  /** An alert of the incident's group fired and joined it (paging nobody by itself). */
  | 'joined'
  /** An alert of a higher severity joined: the incident now pages at that severity. */
  | 'raised'
  /** An alert fired while an inhibition rule muted it: recorded, pages nobody. */
  | 'muted'
  /** One of the incident's alerts changed state (OK, INSUFFICIENT_DATA, fired again). */
  | 'alert';

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

/** The last state of an alert, as its alarm reported it. */
export type AlertState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** One alarm that belongs to an incident. */
export interface IncidentAlert {
  /** Full CloudWatch alarm name. */
  readonly alarmName: string;
  readonly ruleId: string;
  readonly severity: Severity;
  /** Tenant id, or `*` for a fleet alarm. */
  readonly tenant: string;
  /** When it first entered ALARM within this incident, epoch ms. */
  readonly firstFiredAt: number;
  readonly lastState: AlertState;
  /** When the alarm entered `lastState`, epoch ms (later state changes win; earlier ones are stale). */
  readonly lastStateAt: number;
  /** The alarm's reason of its last ALARM, e.g. `Threshold Crossed: 1 datapoint [7600] > 5000`. */
  readonly reason: string;
  /** The inhibition rule muting it while it fires (`<rule id> by <alarm name>`); muted alerts never page. */
  readonly mutedBy?: string;
}

/** An incident: one problem, its alerts, from the first ALARM to acknowledgement and resolution. */
export interface Incident {
  /** Stable id derived from the episode of its first alert, e.g. `inc-3f9a1c0d2b7e`. */
  readonly id: string;
  /** The first alert's CloudWatch alarm name, `<deployment>/<severity>/<ladder>/<scope>/<ruleId>`. */
  readonly alarmName: string;
  /** The first alert's rule. */
  readonly ruleId: string;
  /** The highest severity among its alerts that fired and were not muted: the severity it pages at. */
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
  /** Episode key of the first alert: the alarm name and its ALARM transition timestamp. */
  readonly episode: string;
  /**
   * The grouping key (see `alerting.grouping.by`), e.g. `acme-voice|technical`. Alerts of one
   * group join the group's open incident instead of opening their own. Absent on incidents
   * recorded before grouping existed.
   */
  readonly groupKey?: string;
  /** The alerts that joined it, in the order they first fired. */
  readonly alerts?: readonly IncidentAlert[];
  /**
   * Since when every alert has been out of ALARM, epoch ms; absent while any alert fires. The
   * incident resolves once this has lasted `alerting.quietPeriodMinutes`.
   */
  readonly quietSince?: number;
  /** Severity of the last round of pages (a raise pages again at the new severity). */
  readonly pagedSeverity?: Severity;
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
