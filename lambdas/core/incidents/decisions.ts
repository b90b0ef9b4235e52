/**
 * The state changes an incident goes through: its id, timeline entries, resolution,
 * acknowledgement and pages. Which incident an alarm state change belongs to is decided in
 * grouping.ts and route-alarm.ts.
 *
 * An incident's id is a hash of the episode of its first alert (the alarm name plus the instant
 * it entered ALARM), so a repeated event or a retried Lambda lands on the same incident, and the
 * ladder (whose execution name is the incident id) starts at most once. Pure: time comes in as
 * arguments.
 */
import { createHash } from 'node:crypto';
import type { Channel } from '../config/schema';
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

function entry(atMs: number, kind: IncidentTimelineKind, detail: string): IncidentTimelineEntry {
  return { atMs, kind, detail };
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
