/**
 * The alarm router: EventBridge "CloudWatch Alarm State Change" -> the incident of the alarm's
 * group -> its ladder.
 *
 * The first ALARM of a group opens its incident (a conditional write of incident and group
 * pointer together) and starts its ladder, named after the incident, so a retried event starts
 * nothing twice. Later alarms of the group join it without paging; one that raises the severity
 * starts the new severity's ladder (the old one stops at its next step). When the last alert
 * leaves ALARM the incident is quiet; the running ladder resolves it when the quiet period ends,
 * and for an acknowledged or silenced incident, whose ladder has stopped, a quiet-period run does.
 */

import { AlarmNameError, parseAlarmName } from '../../core/alarms/naming';
import type { PipelineConfig } from '../../core/config/schema';
import { type LadderStarter, ladderRunFor } from '../../core/escalation/ladder';
import { type AlarmStateChange, parseAlarmStateChange } from '../../core/incidents/alarm-event';
import { InvalidAlarmEventError } from '../../core/incidents/errors';
import type { IncidentMetricName, IncidentMetricsSink } from '../../core/incidents/metrics';
import { routeAlarmChange } from '../../core/incidents/route-alarm';
import type { IncidentStore } from '../../core/incidents/store';
import type { Incident } from '../../core/incidents/types';
import type { EscalationLog } from '../escalation-log';

/** What the router did with one event. */
export interface RouterResult {
  readonly action:
    | 'ignored'
    | 'opened'
    | 'joined'
    | 'raised'
    | 'muted'
    | 'cleared'
    | 'quiet'
    | 'duplicate'
    | 'silenced';
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

  const start = async (incident: Incident, why: 'opened' | 'raised' | 'quiet'): Promise<string> => {
    const run = ladderRunFor(incident, why);
    const executionArn = await ladder.start(incident.id, run);
    if (why === 'opened' && incident.executionArn !== executionArn) {
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
    const outcome = await routeAlarmChange(config, store, change);
    if (outcome.kind === 'ignored') {
      log.info('alarm change ignored', { alarmName: change.alarmName, reason: outcome.reason });
      return { action: 'ignored', reason: outcome.reason };
    }
    const { incident } = outcome;
    if (outcome.kind === 'opened') {
      await publish(incident, ['TimeToDetect']);
      if (incident.state === 'silenced') {
        // No ladder: it would page nobody. When it goes quiet, a quiet-period run resolves it.
        log.info('incident silenced', { incidentId: incident.id, silence: incident.silencedBy });
        return { action: 'silenced', incidentId: incident.id };
      }
      const executionArn = await start(incident, 'opened');
      log.info('incident opened', { incidentId: incident.id, alarmName: change.alarmName, executionArn });
      return { action: 'opened', incidentId: incident.id, executionArn };
    }
    switch (outcome.effect) {
      case 'unchanged':
        // A retried event whose ladder never started (a crash between the two writes) starts it now.
        if (incident.executionArn === undefined && incident.state === 'open') await start(incident, 'opened');
        return { action: 'duplicate', incidentId: incident.id };
      case 'raised': {
        const executionArn = await start(incident, 'raised');
        log.info('incident raised', { incidentId: incident.id, severity: incident.severity, executionArn });
        return { action: 'raised', incidentId: incident.id, executionArn };
      }
      case 'quiet': {
        let executionArn: string | undefined;
        // The ladder of an acknowledged or silenced incident has stopped; a quiet-period run
        // resolves it and tells everyone paged.
        if (incident.state === 'acknowledged' || incident.state === 'silenced') {
          executionArn = await start(incident, 'quiet');
        }
        log.info('incident quiet', { incidentId: incident.id, quietSince: incident.quietSince, executionArn });
        return { action: 'quiet', incidentId: incident.id, ...(executionArn ? { executionArn } : {}) };
      }
      default:
        log.info(`alert ${outcome.effect}`, { incidentId: incident.id, alarmName: change.alarmName });
        return { action: outcome.effect, incidentId: incident.id };
    }
  };
}
