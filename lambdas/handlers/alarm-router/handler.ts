/**
 * The alarm router: EventBridge "CloudWatch Alarm State Change" -> incident -> ladder.
 *
 * ALARM creates the episode's incident (a conditional write, so duplicates are no-ops) and, when
 * it is open, starts its ladder under the incident id as execution name (at most one per
 * episode, even when a retry follows a crash between the two writes). OK resolves it; the ladder
 * sees that at its next check and tells everyone paged.
 */

import { AlarmNameError, parseAlarmName } from '../../core/alarms/naming';
import type { PipelineConfig } from '../../core/config/schema';
import type { LadderStarter } from '../../core/escalation/ladder';
import { type AlarmStateChange, parseAlarmStateChange } from '../../core/incidents/alarm-event';
import { addTimeline, decideAlarmChange, resolveIncident } from '../../core/incidents/decisions';
import { InvalidAlarmEventError } from '../../core/incidents/errors';
import type { IncidentMetricName, IncidentMetricsSink } from '../../core/incidents/metrics';
import type { IncidentStore } from '../../core/incidents/store';
import type { Incident } from '../../core/incidents/types';
import type { EscalationLog } from '../escalation-log';

/** What the router did with one event. */
export interface RouterResult {
  readonly action: 'ignored' | 'opened' | 'duplicate' | 'silenced' | 'resolved' | 'noted';
  readonly incidentId?: string;
  readonly executionArn?: string;
  readonly reason?: string;
}

/** Dependencies of the alarm router. */
export interface AlarmRouterDeps {
  readonly config: PipelineConfig;
  readonly store: IncidentStore;
  readonly ladder: LadderStarter;
  readonly metrics?: IncidentMetricsSink;
  readonly log: EscalationLog;
}

/** Builds the router handler. */
export function createAlarmRouterHandler(deps: AlarmRouterDeps): (event: unknown) => Promise<RouterResult> {
  const { config, store, ladder, log } = deps;

  const publish = async (incident: Incident, which: IncidentMetricName[]): Promise<void> => {
    try {
      await deps.metrics?.publish(incident, which);
    } catch (err) {
      // Metrics are for reports; a failed publish must not make EventBridge retry the page.
      log.warn('incident metrics not published', { incidentId: incident.id, error: String(err) });
    }
  };

  const startLadder = async (incident: Incident): Promise<string> => {
    const executionArn = await ladder.start(incident.id);
    if (incident.executionArn !== executionArn) {
      await store.update(incident.id, (i) => (i.executionArn === executionArn ? i : { ...i, executionArn }));
    }
    return executionArn;
  };

  return async (event) => {
    let change: AlarmStateChange;
    try {
      change = parseAlarmStateChange(event);
      parseAlarmName(change.alarmName);
    } catch (err) {
      // Retrying cannot fix a foreign or malformed event: log it and let EventBridge move on.
      if (!(err instanceof InvalidAlarmEventError || err instanceof AlarmNameError)) throw err;
      log.warn('alarm event ignored', { reason: err.message });
      return { action: 'ignored', reason: err.message };
    }
    if (parseAlarmName(change.alarmName).deployment !== config.name) {
      return { action: 'ignored', reason: `alarm belongs to another deployment than ${config.name}` };
    }
    const decision = decideAlarmChange(config, change);
    switch (decision.kind) {
      case 'ignore':
        log.info('alarm change ignored', { alarmName: change.alarmName, reason: decision.reason });
        return { action: 'ignored', reason: decision.reason };
      case 'open': {
        const created = await store.create(decision.incident);
        const incident = created ? decision.incident : await store.get(decision.incident.id);
        if (incident === undefined) return { action: 'duplicate', incidentId: decision.incident.id };
        if (created) await publish(incident, ['TimeToDetect']);
        if (incident.state === 'silenced') {
          log.info('incident silenced', { incidentId: incident.id, silence: incident.silencedBy });
          return { action: 'silenced', incidentId: incident.id };
        }
        // A duplicate event re-starts only a ladder that never started (the name makes it idempotent).
        if (!created && (incident.executionArn !== undefined || incident.state !== 'open')) {
          return {
            action: 'duplicate',
            incidentId: incident.id,
            ...(incident.executionArn ? { executionArn: incident.executionArn } : {}),
          };
        }
        const executionArn = await startLadder(incident);
        log.info('incident opened', { incidentId: incident.id, alarmName: incident.alarmName, executionArn });
        return { action: created ? 'opened' : 'duplicate', incidentId: incident.id, executionArn };
      }
      case 'resolve': {
        let resolved: Incident;
        let ladderStopped = false;
        if (await store.create(decision.ifMissing)) {
          resolved = decision.ifMissing;
        } else {
          resolved = await store.update(decision.incidentId, (i) => {
            // An acknowledged incident's ladder has stopped; nobody else will tell the people paged.
            ladderStopped = i.state === 'acknowledged' && i.paged.length > 0;
            return resolveIncident(i, decision.atMs);
          });
        }
        await publish(resolved, ['TimeToResolve']);
        let executionArn: string | undefined;
        if (ladderStopped) executionArn = await ladder.start(resolved.id, `${resolved.id}-resolved`);
        log.info('incident resolved', { incidentId: resolved.id, resolutionExecution: executionArn });
        return { action: 'resolved', incidentId: resolved.id, ...(executionArn ? { executionArn } : {}) };
      }
      case 'note': {
        const existing = await store.get(decision.incidentId);
        if (existing === undefined) return { action: 'ignored', reason: 'no incident for this episode' };
        await store.update(decision.incidentId, (i) => addTimeline(i, decision.atMs, 'note', decision.detail));
        return { action: 'noted', incidentId: decision.incidentId };
      }
    }
  };
}
