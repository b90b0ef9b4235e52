/**
 * What an alarm transition means for incidents, and the state changes an incident goes through.
 *
 * One incident per alarm episode. The episode is the alarm name plus the instant it entered
 * ALARM; the incident id is a hash of it, so a repeated event, a retried Lambda or an OK that
 * arrives before its ALARM all land on the same incident, and the ladder (whose execution name is
 * the incident id) starts at most once. Pure: time comes in as arguments.
 */
import { createHash } from 'node:crypto';
import { parseAlarmName } from '../alarms/naming';
import type { Channel } from '../config/schema';
import { activeSilence, type PipelineConfig } from '../config/schema';
import type { AlarmStateChange } from './alarm-event';
import { IncidentStateError } from './errors';
import type { Incident, IncidentTimelineEntry, IncidentTimelineKind } from './types';

/** The episode key of an alarm that entered ALARM at `alarmAtMs`. */
export function episodeKey(alarmName: string, alarmAtMs: number): string {
  return `${alarmName}@${new Date(alarmAtMs).toISOString()}`;
}

/**
 * The incident id of an episode: `inc-` and 12 hex digits of its SHA-256. Short enough for an
 * SMS and a Step Functions execution name; 48 bits make a collision between the episodes of one
 * deployment vanishingly unlikely.
 */
export function incidentIdFor(episode: string): string {
  return `inc-${createHash('sha256').update(episode).digest('hex').slice(0, 12)}`;
}

/** What the router must do for one alarm transition. */
export type AlarmDecision =
  /** Nothing: not an incident (e.g. INSUFFICIENT_DATA -> OK on deploy). */
  | { readonly kind: 'ignore'; readonly reason: string }
  /** Create the incident (if it does not exist yet) and, when it is open, start its ladder. */
  | { readonly kind: 'open'; readonly incident: Incident }
  /** Resolve the episode's incident, or record it resolved when its ALARM event has not arrived. */
  | { readonly kind: 'resolve'; readonly incidentId: string; readonly atMs: number; readonly ifMissing: Incident }
  /** Add a note to the episode's incident, if it exists. */
  | { readonly kind: 'note'; readonly incidentId: string; readonly atMs: number; readonly detail: string };

function entry(atMs: number, kind: IncidentTimelineKind, detail: string): IncidentTimelineEntry {
  return { atMs, kind, detail };
}

function newIncident(config: PipelineConfig, change: AlarmStateChange, alarmAtMs: number): Incident {
  const identity = parseAlarmName(change.alarmName);
  const episode = episodeKey(change.alarmName, alarmAtMs);
  const silence = activeSilence(config, identity.ruleId, identity.tenant, alarmAtMs);
  const opened = entry(alarmAtMs, 'opened', `${change.alarmName} entered ALARM: ${change.reason}`.trim());
  const base = {
    id: incidentIdFor(episode),
    alarmName: change.alarmName,
    ruleId: identity.ruleId,
    severity: identity.severity,
    ladder: identity.ladder,
    tenant: identity.tenant,
    openedAt: alarmAtMs,
    episode,
    level: 0,
    paged: [],
    ...(change.firstBadAtMs === undefined ? {} : { firstBadEventAt: Math.min(change.firstBadAtMs, alarmAtMs) }),
  };
  if (silence !== undefined) {
    return {
      ...base,
      state: 'silenced',
      silencedBy: silence.id,
      timeline: [
        opened,
        entry(alarmAtMs, 'silenced', `silence ${silence.id} (until ${silence.end}): ${silence.reason}`),
      ],
    };
  }
  return { ...base, state: 'open', timeline: [opened] };
}

/**
 * Decides what an alarm transition does. ALARM opens the episode's incident (silenced when a
 * silence covers the rule and tenant); ALARM -> OK resolves it; INSUFFICIENT_DATA -> OK and
 * OK -> OK are not incidents (deploying alarms must not page anyone); ALARM -> INSUFFICIENT_DATA
 * only notes it, since missing data is not recovery.
 * @throws AlarmNameError when the alarm name does not follow the naming convention
 */
export function decideAlarmChange(config: PipelineConfig, change: AlarmStateChange): AlarmDecision {
  const { state, previousState } = change;
  if (state === 'ALARM') {
    // ALARM -> ALARM (a reason update) belongs to the episode that began at the previous ALARM.
    const alarmAtMs = previousState === 'ALARM' ? change.previousStateAtMs : change.stateAtMs;
    return { kind: 'open', incident: newIncident(config, change, alarmAtMs) };
  }
  if (previousState !== 'ALARM') {
    return { kind: 'ignore', reason: `${previousState} -> ${state} is not an incident` };
  }
  const incidentId = incidentIdFor(episodeKey(change.alarmName, change.previousStateAtMs));
  if (state === 'OK') {
    const opened = newIncident(config, change, change.previousStateAtMs);
    const ifMissing = resolveIncident(opened, change.stateAtMs, 'alarm returned to OK (its ALARM event came late)');
    return { kind: 'resolve', incidentId, atMs: change.stateAtMs, ifMissing };
  }
  return {
    kind: 'note',
    incidentId,
    atMs: change.stateAtMs,
    detail: 'alarm went to INSUFFICIENT_DATA; missing data is not recovery, so the incident stays as it is',
  };
}

/** Appends a timeline entry. */
export function addTimeline(incident: Incident, atMs: number, kind: IncidentTimelineKind, detail: string): Incident {
  return { ...incident, timeline: [...incident.timeline, entry(atMs, kind, detail)] };
}

/**
 * Resolves an incident. Resolving a resolved incident changes nothing (repeated OK events).
 */
export function resolveIncident(incident: Incident, atMs: number, detail = 'alarm returned to OK'): Incident {
  if (incident.state === 'resolved') return incident;
  return { ...addTimeline(incident, atMs, 'resolved', detail), state: 'resolved', resolvedAt: atMs };
}

/**
 * Acknowledges an incident. Acknowledging twice keeps the first acknowledgement.
 * @throws IncidentStateError when the incident is already resolved
 */
export function acknowledgeIncident(incident: Incident, by: string, atMs: number): Incident {
  if (incident.state === 'acknowledged') return incident;
  if (incident.state === 'resolved') throw new IncidentStateError(incident.id, incident.state, 'acknowledged');
  return {
    ...addTimeline(incident, atMs, 'acknowledged', `acknowledged by ${by} at level ${incident.level}`),
    state: 'acknowledged',
    acknowledgedAt: atMs,
    acknowledgedBy: by,
  };
}

/** The outcome of paging one contact, as the notifier saw it. */
export interface PageOutcome {
  readonly contactId: string;
  /** The channel that delivered it, or undefined when every channel failed. */
  readonly deliveredBy?: Channel;
  /** The channel the severity asked for. */
  readonly requested: Channel;
  /** Errors of failed attempts, in order (`sms: Throttled`). */
  readonly failures: readonly string[];
}

/**
 * Records a level's pages on the incident: `paged`, `fallback` and `page_failed` entries, and
 * `climbed` / `repeat` when the level is above / equal to the one paged before.
 */
export function recordPages(
  incident: Incident,
  level: number,
  levelName: string,
  outcomes: readonly PageOutcome[],
  atMs: number,
): Incident {
  let next: Incident = incident;
  if (incident.level > 0 && level > incident.level) {
    next = addTimeline(
      next,
      atMs,
      'climbed',
      `no acknowledgement at level ${incident.level}; level ${level} (${levelName})`,
    );
  } else if (incident.level > 0 && level === incident.level) {
    next = addTimeline(next, atMs, 'repeat', `still unacknowledged; paging level ${level} (${levelName}) again`);
  }
  const paged = [...next.paged];
  for (const o of outcomes) {
    if (o.deliveredBy === undefined) {
      next = addTimeline(
        next,
        atMs,
        'page_failed',
        `level ${level}: ${o.contactId} unreachable (${o.failures.join('; ')})`,
      );
      continue;
    }
    if (o.deliveredBy !== o.requested) {
      next = addTimeline(
        next,
        atMs,
        'fallback',
        `level ${level}: ${o.contactId} ${o.requested} failed (${o.failures.join('; ')}); sent by ${o.deliveredBy}`,
      );
    }
    next = addTimeline(next, atMs, 'paged', `level ${level} (${levelName}): ${o.contactId} by ${o.deliveredBy}`);
    paged.push({ contactId: o.contactId, channel: o.deliveredBy, atMs, level });
  }
  return { ...next, paged, level: Math.max(next.level, level) };
}
