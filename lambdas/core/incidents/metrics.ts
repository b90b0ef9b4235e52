/**
 * Incident response times: time to detect (first bad datapoint to ALARM), to acknowledge and to
 * resolve (both from ALARM). Pure; reports and the metrics publisher read them.
 */
import type { Incident } from './types';

/** An incident's response times in milliseconds; absent when the incident has not got there. */
export interface IncidentTimings {
  readonly timeToDetectMs?: number;
  readonly timeToAcknowledgeMs?: number;
  readonly timeToResolveMs?: number;
}

/** The response times of one incident. */
export function incidentTimings(incident: Incident): IncidentTimings {
  const out: { timeToDetectMs?: number; timeToAcknowledgeMs?: number; timeToResolveMs?: number } = {};
  if (incident.firstBadEventAt !== undefined)
    out.timeToDetectMs = Math.max(0, incident.openedAt - incident.firstBadEventAt);
  if (incident.acknowledgedAt !== undefined)
    out.timeToAcknowledgeMs = Math.max(0, incident.acknowledgedAt - incident.openedAt);
  if (incident.resolvedAt !== undefined) out.timeToResolveMs = Math.max(0, incident.resolvedAt - incident.openedAt);
  return out;
}

/** Mean response times over incidents (each mean over the incidents that have that time). */
export function meanTimings(incidents: readonly Incident[]): IncidentTimings {
  const sums = { d: [0, 0], a: [0, 0], r: [0, 0] };
  for (const i of incidents) {
    const t = incidentTimings(i);
    if (t.timeToDetectMs !== undefined) sums.d = [sums.d[0]! + t.timeToDetectMs, sums.d[1]! + 1];
    if (t.timeToAcknowledgeMs !== undefined) sums.a = [sums.a[0]! + t.timeToAcknowledgeMs, sums.a[1]! + 1];
    if (t.timeToResolveMs !== undefined) sums.r = [sums.r[0]! + t.timeToResolveMs, sums.r[1]! + 1];
  }
  const mean = ([s, n]: number[]): number | undefined => (n === 0 ? undefined : s! / n!);
  const d = mean(sums.d);
  const a = mean(sums.a);
  const r = mean(sums.r);
  return {
    ...(d === undefined ? {} : { timeToDetectMs: d }),
    ...(a === undefined ? {} : { timeToAcknowledgeMs: a }),
    ...(r === undefined ? {} : { timeToResolveMs: r }),
  };
}

/** The incident response-time metrics published to CloudWatch. */
export type IncidentMetricName = 'TimeToDetect' | 'TimeToAcknowledge' | 'TimeToResolve';

/** Where response times are published (CloudWatch in AWS). Publishing is best effort. */
export interface IncidentMetricsSink {
  /** Publishes the named response times the incident has. */
  publish(incident: Incident, which: readonly IncidentMetricName[]): Promise<void>;
}
