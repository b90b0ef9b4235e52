/**
 * The alarm router's use case: one alarm state change -> the incident of its group.
 *
 * An ALARM joins the group's open incident, or opens one when the group has none (or only a
 * resolved one, or one whose quiet period ran out). Opening is one conditional write of the
 * incident and the group's pointer together, so two alarm events of one group racing through two
 * Lambdas open one incident: the loser's write fails on the pointer, it reads the winner's
 * incident and joins it. OK and INSUFFICIENT_DATA update the alert in its incident; when no alert
 * fires any more the quiet period starts (grouping.ts).
 */
import { parseAlarmName } from '../alarms/naming';
import { activeSilence, type PipelineConfig } from '../config/schema';
import type { AlarmStateChange } from './alarm-event';
import { episodeKey, incidentIdFor, resolveIncident } from './decisions';
import { IncidentError } from './errors';
import {
  type AlertEffect,
  alertOf,
  applyAlarmChange,
  crossScopeKeyOf,
  fleetAlertCovers,
  fleetMayJoin,
  groupKeyOf,
  incidentScope,
  quietEndsAt,
  quietPeriodOver,
  tenantAlertBehind,
} from './grouping';
import type { IncidentStore } from './store';
import type { Incident } from './types';

/** How many times the router re-reads a group whose pointer moved under it before giving up. */
const MAX_GROUP_ATTEMPTS = 8;

/** What routing one alarm state change did. */
export type RouteOutcome =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'opened'; readonly incident: Incident }
  | { readonly kind: 'changed'; readonly effect: AlertEffect; readonly incident: Incident };

/** The group's pointer kept moving (many alarm events of one group at once); the event is retried. */
export class GroupContentionError extends IncidentError {
  constructor(readonly groupKey: string) {
    super(
      `Incident group ${groupKey} changed under ${MAX_GROUP_ATTEMPTS} attempts in a row; the event will be retried.`,
    );
    this.name = 'GroupContentionError';
  }
}

/** Whether an incident no longer takes alerts at `atMs`: resolved, or quiet for the whole quiet period. */
function closedAt(config: PipelineConfig, incident: Incident, atMs: number): boolean {
  return incident.state === 'resolved' || quietPeriodOver(config, incident, atMs);
}

/** Resolves an incident whose quiet period is over; resolution time is when it went quiet. */
export function resolveQuietIncident(config: PipelineConfig, incident: Incident, atMs: number): Incident {
  if (incident.state === 'resolved' || !quietPeriodOver(config, incident, atMs)) return incident;
  const quietSince = incident.quietSince!;
  const resolved = resolveIncident(
    incident,
    quietEndsAt(config, incident)!,
    `every alert out of ALARM since ${new Date(quietSince).toISOString()} for the ${config.alerting.quietPeriodMinutes}-minute quiet period`,
  );
  return { ...resolved, resolvedAt: quietSince };
}

/** A new incident for a group, with the change's alert as its first. */
export function newGroupIncident(config: PipelineConfig, change: AlarmStateChange, groupKey: string): Incident {
  const identity = parseAlarmName(change.alarmName);
  const alarmAtMs =
    change.state === 'ALARM' && change.previousState !== 'ALARM' ? change.stateAtMs : change.previousStateAtMs;
  const episode = episodeKey(change.alarmName, alarmAtMs);
  const alert = alertOf(change, alarmAtMs);
  const silence = activeSilence(config, identity.ruleId, identity.tenant, alarmAtMs);
  const opened = {
    atMs: alarmAtMs,
    kind: 'opened' as const,
    detail: `${change.alarmName} entered ALARM: ${change.reason}`.trim(),
  };
  const base = {
    id: incidentIdFor(episode),
    alarmName: change.alarmName,
    ruleId: identity.ruleId,
    severity: identity.severity,
    ladder: identity.ladder,
    tenant: identity.tenant,
    openedAt: alarmAtMs,
    episode,
    groupKey,
    alerts: [alert],
    level: 0,
    paged: [],
    ...(change.firstBadAtMs === undefined ? {} : { firstBadEventAt: Math.min(change.firstBadAtMs, alarmAtMs) }),
  };
  const timeline = [opened];
  if (change.state !== 'ALARM') {
    // The OK came before its ALARM (EventBridge does not order events): record the episode quiet,
    // so the late ALARM joins it and nobody is paged for an alarm that has already recovered.
    timeline.push({
      atMs: change.stateAtMs,
      kind: 'opened',
      detail: `${change.alarmName} left ALARM (${change.state}) before its ALARM event arrived`,
    });
  }
  const quiet = change.state === 'ALARM' ? {} : { quietSince: change.stateAtMs };
  if (silence !== undefined) {
    return {
      ...base,
      ...quiet,
      state: 'silenced',
      silencedBy: silence.id,
      timeline: [
        ...timeline,
        {
          atMs: alarmAtMs,
          kind: 'silenced',
          detail: `silence ${silence.id} (until ${silence.end}): ${silence.reason}`,
        },
      ],
    };
  }
  return { ...base, ...quiet, state: 'open', timeline };
}

/**
 * The open incident of a tenant group a fleet alarm may join: one whose tenant is behind it (a
 * firing alert on the fleet alarm's KPI) first; else the oldest one that fires.
 */
async function fleetTarget(
  config: PipelineConfig,
  store: IncidentStore,
  change: AlarmStateChange,
): Promise<Incident | undefined> {
  const identity = parseAlarmName(change.alarmName);
  const behind: Incident[] = [];
  const firingOnes: Incident[] = [];
  const seen = new Set<string>();
  for (const g of await store.listOpenGroups()) {
    if (seen.has(g.incidentId) || !fleetMayJoin(config, identity, g.groupKey)) continue;
    seen.add(g.incidentId);
    const incident = await store.get(g.incidentId);
    if (incident === undefined || closedAt(config, incident, change.stateAtMs)) continue;
    if (incident.quietSince !== undefined) continue;
    if (tenantAlertBehind(config, incident, identity.ruleId)) behind.push(incident);
    else firingOnes.push(incident);
  }
  const oldest = (xs: Incident[]) => xs.sort((a, b) => a.openedAt - b.openedAt)[0];
  return oldest(behind) ?? oldest(firingOnes);
}

/**
 * The open fleet incident a tenant's alarm may join (the fleet group's pointer, same key, fleet
 * scope): one with a firing fleet alert on the same KPI, which counts this tenant's events (a
 * fleet-wide cause: every tenant's alarm joins); or one that fires and holds no other tenant's alerts (a tenant's problem seen fleet-wide: the fleet and the tenant alarms
 * fire in the same minute, in either order).
 */
async function fleetIncidentFor(
  config: PipelineConfig,
  store: IncidentStore,
  change: AlarmStateChange,
): Promise<Incident | undefined> {
  const identity = parseAlarmName(change.alarmName);
  const fleetKey = groupKeyOf(config, { ...identity, tenant: '*' });
  if (
    fleetKey === groupKeyOf(config, identity) ||
    !fleetMayJoin(config, { ...identity, tenant: '*' }, groupKeyOf(config, identity))
  ) {
    return undefined;
  }
  const id = await store.groupIncident(fleetKey);
  const incident = id === undefined ? undefined : await store.get(id);
  if (incident === undefined || closedAt(config, incident, change.stateAtMs) || incident.quietSince !== undefined) {
    return undefined;
  }
  if (fleetAlertCovers(config, incident, identity.ruleId)) return incident;
  const tenants = new Set((incident.alerts ?? []).map((a) => a.tenant).filter((t) => t !== '*'));
  if (tenants.size > 1 || (tenants.size === 1 && !tenants.has(identity.tenant))) return undefined;
  return incident;
}

/**
 * Routes one alarm state change to the incident of its group.
 * @throws AlarmNameError when the alarm name does not follow the convention
 * @throws GroupContentionError when the group kept changing under it (retry the event)
 */
export async function routeAlarmChange(
  config: PipelineConfig,
  store: IncidentStore,
  change: AlarmStateChange,
): Promise<RouteOutcome> {
  const { state, previousState } = change;
  if (state !== 'ALARM' && previousState !== 'ALARM') {
    return { kind: 'ignored', reason: `${previousState} -> ${state} is not an incident` };
  }
  const identity = parseAlarmName(change.alarmName);
  const groupKey = groupKeyOf(config, identity);
  const crossKey = crossScopeKeyOf(config, identity);
  for (let attempt = 0; attempt < MAX_GROUP_ATTEMPTS; attempt++) {
    // Read before anything that decides to open: an incident opened under the key since fails the open.
    const openingsSeen = crossKey === undefined ? 0 : await store.openings(crossKey);
    const pointed = await store.groupIncident(groupKey);
    let target = pointed === undefined ? undefined : await store.get(pointed);
    if (target !== undefined && closedAt(config, target, change.stateAtMs)) {
      if (state !== 'ALARM') {
        const known = target.alerts?.find((a) => a.alarmName === change.alarmName);
        // The incident knew this episode (a repeated or late OK): nothing to do.
        if (known !== undefined && known.lastStateAt >= change.previousStateAtMs) {
          return { kind: 'ignored', reason: `incident ${target.id} is closed` };
        }
      }
      // Its quiet period ran out before anyone noticed (the ladder checks once a poll): resolve it now.
      if (target.state !== 'resolved')
        await store.update(target.id, (i) => resolveQuietIncident(config, i, change.stateAtMs));
      target = undefined;
    }
    if (target === undefined && state === 'ALARM') {
      const joinable =
        identity.tenant === '*'
          ? await fleetTarget(config, store, change)
          : await fleetIncidentFor(config, store, change);
      if (joinable !== undefined) {
        if (!(await store.linkGroup(groupKey, joinable.id, pointed))) continue;
        target = joinable;
      }
    }
    if (target !== undefined) {
      let closed = false;
      let effect: AlertEffect = 'unchanged';
      const updated = await store.update(target.id, (current) => {
        closed = closedAt(config, current, change.stateAtMs);
        if (closed) return resolveQuietIncident(config, current, change.stateAtMs);
        const result = applyAlarmChange(config, current, change);
        effect = result.effect;
        // An incident speaks for its one tenant (a tenant's problem seen fleet-wide too), or for
        // the fleet once its alerts span several tenants.
        if (effect === 'unchanged') return result.incident;
        const tenant = incidentScope(result.incident.alerts ?? [], result.incident.tenant);
        return tenant === result.incident.tenant ? result.incident : { ...result.incident, tenant };
      });
      if (!closed) return { kind: 'changed', effect, incident: updated };
      if (state !== 'ALARM' && updated.alerts?.some((a) => a.alarmName === change.alarmName)) {
        return { kind: 'ignored', reason: `incident ${updated.id} is closed` };
      }
    }
    if (state === 'INSUFFICIENT_DATA') {
      return { kind: 'ignored', reason: 'no open incident for this alarm; missing data opens none' };
    }
    const incident = newGroupIncident(config, change, groupKey);
    const guard = crossKey === undefined ? undefined : { key: crossKey, seen: openingsSeen };
    if (await store.openInGroup(groupKey, incident, pointed, guard)) return { kind: 'opened', incident };
    // Another event of the group (or a retry of this one) won the race: read the pointer again.
    const existing = await store.get(incident.id);
    if (existing !== undefined && (await store.groupIncident(groupKey)) === incident.id) {
      return { kind: 'changed', effect: 'unchanged', incident: existing };
    }
  }
  throw new GroupContentionError(groupKey);
}
