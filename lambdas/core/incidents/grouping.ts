/**
 * Alert grouping, inhibition and flap damping: how one alarm state change changes the incident of
 * its group. Pure: the configuration, the incident and the change come in; the next incident and
 * what it means for paging come out.
 *
 * - **Grouping.** Alerts whose grouping key (`alerting.grouping.by`, default tenant-or-fleet plus
 *   ladder) is equal join the group's open incident. A fleet alert joins an open incident of a
 *   tenant on the same key otherwise (the tenants behind a fleet alarm are usually the problem).
 * - **Raise.** The incident pages at the highest severity among its firing, unmuted alerts; an
 *   alert of a higher severity joining raises it, and the router starts that severity's ladder.
 * - **Inhibition.** While a source alert fires, matching target alerts in the same incident are
 *   muted: recorded, never raising, never paging.
 * - **Damping.** When the last alert leaves ALARM the incident becomes quiet; it resolves once it
 *   has been quiet for `alerting.quietPeriodMinutes`. An alert firing inside the quiet period
 *   joins again and pages no one (unless it raises the severity).
 */
import { type AlarmIdentity, parseAlarmName } from '../alarms/naming';
import type { GroupByField, InhibitionConfig, PipelineConfig, Severity } from '../config/schema';
import { SEVERITIES } from '../config/schema';
import { isFleet, scopeLabel } from '../vocabulary';
import type { AlarmStateChange } from './alarm-event';
import type { AlertState, Incident, IncidentAlert, IncidentTimelineEntry, IncidentTimelineKind } from './types';

/** The scope part of a grouping key for fleet alarms. */
export const FLEET_SCOPE_KEY = 'fleet';

/** The grouping key of an alarm, e.g. `acme-voice|technical` with the default fields. */
export function groupKeyOf(config: PipelineConfig, identity: AlarmIdentity): string {
  return config.alerting.grouping.by.map((field) => keyPart(field, identity)).join('|');
}

function keyPart(field: GroupByField, identity: AlarmIdentity): string {
  switch (field) {
    case 'scope':
      return isFleet(identity.tenant) ? FLEET_SCOPE_KEY : identity.tenant;
    case 'ladder':
      return identity.ladder;
    case 'severity':
      return identity.severity;
    case 'rule':
      return identity.ruleId;
  }
}

/**
 * Whether a fleet alarm may join the incident of another group: grouping includes the scope,
 * the other group is a tenant's, and every other field of the key is equal.
 */
export function fleetMayJoin(config: PipelineConfig, identity: AlarmIdentity, otherGroupKey: string): boolean {
  const { by, fleetJoinsTenantIncidents } = config.alerting.grouping;
  if (!fleetJoinsTenantIncidents || identity.tenant !== '*') return false;
  const scopeAt = by.indexOf('scope');
  if (scopeAt < 0) return false;
  const mine = groupKeyOf(config, identity).split('|');
  const theirs = otherGroupKey.split('|');
  if (theirs.length !== mine.length || theirs[scopeAt] === FLEET_SCOPE_KEY) return false;
  return mine.every((part, i) => i === scopeAt || part === theirs[i]);
}

/**
 * The key every scope of one group shares: the grouping key with its scope part blanked
 * (`*|technical`), or undefined when scopes never join (no `scope` in the key, or
 * `fleetJoinsTenantIncidents: false`). Incidents opening under one such key are serialized by the
 * store (see `IncidentStore.openings`), so a fleet and a tenant alarm of one problem racing
 * through two Lambdas cannot open two incidents.
 */
export function crossScopeKeyOf(config: PipelineConfig, identity: AlarmIdentity): string | undefined {
  const { by, fleetJoinsTenantIncidents } = config.alerting.grouping;
  if (!fleetJoinsTenantIncidents || !by.includes('scope')) return undefined;
  return by.map((field) => (field === 'scope' ? '*' : keyPart(field, identity))).join('|');
}

/** The KPI an alarm rule watches, and whether it is an SLO burn-rate rule. */
export interface RuleSubject {
  readonly kpi: string;
  readonly burnRate: boolean;
}

/**
 * Reads the KPI out of a rule id: `<kpi>-p1`, `<kpi>-anomaly`, or `slo-<sloId>-p1-1h` (the SLO's
 * KPI). Undefined for rules that watch no KPI of the catalog.
 */
export function ruleSubject(config: PipelineConfig, ruleId: string): RuleSubject | undefined {
  for (const slo of config.alarms.slos) {
    if (ruleId.startsWith(`slo-${slo.id}-`)) return { kpi: slo.kpi, burnRate: true };
  }
  const dash = ruleId.lastIndexOf('-');
  if (dash <= 0) return undefined;
  return { kpi: ruleId.slice(0, dash), burnRate: false };
}

/**
 * Whether the incident holds a firing fleet alert on the KPI `ruleId` watches. The fleet metric
 * counts every tenant's events, so a tenant alarm on that KPI fires inside what the fleet alert
 * sees: the same problem (a fleet-wide cause shows as one fleet alarm and several tenant alarms).
 * Only a firing one: a tenant alarm after the fleet's has cleared is news, and must page.
 */
export function fleetAlertCovers(config: PipelineConfig, incident: Incident, ruleId: string): boolean {
  return alertsOf(incident).some((a) => isFleet(a.tenant) && firingOnKpiOf(config, a, ruleId));
}

/**
 * Whether the incident holds a firing tenant alert on the KPI a fleet alarm's `ruleId` watches:
 * that tenant is behind the fleet alarm.
 */
export function tenantAlertBehind(config: PipelineConfig, incident: Incident, ruleId: string): boolean {
  return alertsOf(incident).some((a) => !isFleet(a.tenant) && firingOnKpiOf(config, a, ruleId));
}

function firingOnKpiOf(config: PipelineConfig, alert: IncidentAlert, ruleId: string): boolean {
  const subject = ruleSubject(config, ruleId);
  return subject !== undefined && alert.lastState === 'ALARM' && ruleSubject(config, alert.ruleId)?.kpi === subject.kpi;
}

/**
 * The scope an incident speaks for: its one tenant when its alerts (fleet ones aside) are all of
 * one tenant, the fleet when they span several tenants, else `current`.
 */
export function incidentScope(alerts: readonly IncidentAlert[], current: string): string {
  const tenants = new Set(alerts.map((a) => a.tenant).filter((t) => !isFleet(t)));
  if (tenants.size === 1) return [...tenants][0]!;
  return tenants.size > 1 ? '*' : current;
}

function rank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `a` is more urgent than `b` (P1 before P2). */
export function moreUrgent(a: Severity, b: Severity): boolean {
  return rank(a) < rank(b);
}

function inhibits(config: PipelineConfig, rule: InhibitionConfig, source: IncidentAlert, target: IncidentAlert) {
  if (!rule.enabled || source.alarmName === target.alarmName || source.tenant !== target.tenant) return false;
  if (!rule.sourceSeverities.includes(source.severity) || !rule.targetSeverities.includes(target.severity)) {
    return false;
  }
  const s = ruleSubject(config, source.ruleId);
  const t = ruleSubject(config, target.ruleId);
  if (s === undefined || t === undefined || s.kpi !== t.kpi) return false;
  // A less urgent burn rate (the 1-day P2) must not mute a P1 threshold: that would lower the
  // incident's paging severity and page again when the next P1 arrives.
  if (rule.kind === 'burn-rate-over-threshold') {
    return s.burnRate && !t.burnRate && !moreUrgent(target.severity, source.severity);
  }
  return !s.burnRate && !t.burnRate && moreUrgent(source.severity, target.severity);
}

/**
 * Marks each alert muted when a firing alert of the incident inhibits it. Only unmuted sources
 * mute, evaluated most urgent first, so two rules can never mute each other's sources.
 */
export function applyInhibitions(config: PipelineConfig, alerts: readonly IncidentAlert[]): IncidentAlert[] {
  const order = [...alerts].sort((a, b) => rank(a.severity) - rank(b.severity));
  const muted = new Map<string, string>();
  for (const target of order) {
    for (const source of order) {
      if (source.lastState !== 'ALARM' || muted.has(source.alarmName)) continue;
      const rule = config.alerting.inhibitions.find((r) => inhibits(config, r, source, target));
      if (rule !== undefined) {
        muted.set(target.alarmName, `${rule.id} by ${source.alarmName}`);
        break;
      }
    }
  }
  return alerts.map((a) => {
    const by = muted.get(a.alarmName);
    if (by === a.mutedBy) return a;
    const { mutedBy: _was, ...rest } = a;
    return by === undefined ? rest : { ...rest, mutedBy: by };
  });
}

/** The severity an incident pages at: its most urgent alert that fired and is not muted. */
export function pagingSeverity(alerts: readonly IncidentAlert[], fallback: Severity): Severity {
  let best: Severity | undefined;
  for (const a of alerts) {
    if (a.mutedBy !== undefined) continue;
    if (best === undefined || moreUrgent(a.severity, best)) best = a.severity;
  }
  return best ?? fallback;
}

/** The instant an incident's quiet period ends, or undefined while an alert fires. */
export function quietEndsAt(config: PipelineConfig, incident: Incident): number | undefined {
  if (incident.quietSince === undefined) return undefined;
  return incident.quietSince + config.alerting.quietPeriodMinutes * 60_000;
}

/** Whether the incident's quiet period has run out at `atMs`: it is over, whatever arrives later. */
export function quietPeriodOver(config: PipelineConfig, incident: Incident, atMs: number): boolean {
  const end = quietEndsAt(config, incident);
  return end !== undefined && atMs >= end;
}

/** What an alarm state change did to its incident. */
export type AlertEffect =
  /** A stale or repeated change: the incident is unchanged. */
  | 'unchanged'
  /** An alert fired and joined (or fired again inside the quiet period): nobody is paged for it. */
  | 'joined'
  /** An alert of a more urgent severity fired: page again at `incident.severity`. */
  | 'raised'
  /** An alert fired but is muted by an inhibition rule. */
  | 'muted'
  /** An alert left ALARM; other alerts still fire. */
  | 'cleared'
  /** The last firing alert left ALARM: the quiet period starts. */
  | 'quiet';

/** The outcome of {@link applyAlarmChange}. */
export interface AlertChangeResult {
  readonly incident: Incident;
  readonly effect: AlertEffect;
}

function entry(atMs: number, kind: IncidentTimelineKind, detail: string): IncidentTimelineEntry {
  return { atMs, kind, detail };
}

function firing(alerts: readonly IncidentAlert[]): IncidentAlert[] {
  return alerts.filter((a) => a.lastState === 'ALARM');
}

/** The alert an ALARM change starts, before it joins an incident. */
export function alertOf(change: AlarmStateChange, alarmAtMs: number): IncidentAlert {
  const identity = parseAlarmName(change.alarmName);
  return {
    alarmName: change.alarmName,
    ruleId: identity.ruleId,
    severity: identity.severity,
    tenant: identity.tenant,
    firstFiredAt: alarmAtMs,
    lastState: change.state,
    lastStateAt: change.stateAtMs,
    reason: change.reason,
  };
}

/** The alerts of an incident (an incident recorded before grouping has its one alarm). */
export function alertsOf(incident: Incident): readonly IncidentAlert[] {
  if (incident.alerts !== undefined) return incident.alerts;
  return [
    {
      alarmName: incident.alarmName,
      ruleId: incident.ruleId,
      severity: incident.severity,
      tenant: incident.tenant,
      firstFiredAt: incident.openedAt,
      lastState: incident.state === 'resolved' ? 'OK' : 'ALARM',
      lastStateAt: incident.resolvedAt ?? incident.openedAt,
      reason: '',
    },
  ];
}

/**
 * What an ALARM of one alert does to its incident (muted, raised or joined), its timeline entry
 * pushed onto `timeline`.
 * @param now the alert after the change, inhibitions applied
 * @param severity the incident's paging severity after the change
 * @param again whether the alert had been in the incident before
 */
function firedEffect(
  incident: Incident,
  change: AlarmStateChange,
  now: IncidentAlert,
  severity: Severity,
  again: boolean,
  timeline: IncidentTimelineEntry[],
): AlertEffect {
  if (now.mutedBy !== undefined) {
    timeline.push(
      entry(change.stateAtMs, 'muted', `${change.alarmName} fired, muted (${now.mutedBy}): ${change.reason}`),
    );
    return 'muted';
  }
  if (moreUrgent(severity, incident.severity)) {
    timeline.push(
      entry(
        change.stateAtMs,
        'raised',
        `${change.alarmName} fired: raised ${incident.severity} -> ${severity}: ${change.reason}`.trim(),
      ),
    );
    return 'raised';
  }
  const againText = again ? ' again' : '';
  const inQuiet = incident.quietSince !== undefined ? ' inside the quiet period (no page)' : '';
  timeline.push(entry(change.stateAtMs, 'joined', `${change.alarmName} fired${againText}${inQuiet}: ${change.reason}`));
  return 'joined';
}

/**
 * Applies one alarm state change to an open incident of its group. Changes older than the
 * alert's last known state are stale (EventBridge does not order events) and change nothing.
 * The caller makes sure the incident is not resolved and its quiet period has not run out.
 */
export function applyAlarmChange(
  config: PipelineConfig,
  incident: Incident,
  change: AlarmStateChange,
): AlertChangeResult {
  const before = alertsOf(incident);
  const existing = before.find((a) => a.alarmName === change.alarmName);
  const state: AlertState = change.state;
  // Stale or repeated (EventBridge neither orders nor deduplicates), or a reason update of a firing alert.
  if (existing !== undefined && change.stateAtMs <= existing.lastStateAt) return { incident, effect: 'unchanged' };
  if (existing?.lastState === state) return { incident, effect: 'unchanged' };
  // An OK without its ALARM (EventBridge does not order events): record the alert in its state,
  // so the late ALARM is stale and pages nobody.
  if (existing === undefined && state !== 'ALARM' && change.previousState !== 'ALARM') {
    return { incident, effect: 'unchanged' };
  }

  const next: IncidentAlert =
    existing === undefined
      ? alertOf(
          change,
          change.previousState === 'ALARM' || state !== 'ALARM' ? change.previousStateAtMs : change.stateAtMs,
        )
      : {
          ...existing,
          lastState: state,
          lastStateAt: change.stateAtMs,
          ...(state === 'ALARM' ? { reason: change.reason } : {}),
        };
  const merged = existing === undefined ? [...before, next] : before.map((a) => (a === existing ? next : a));
  const alerts = applyInhibitions(config, merged);
  const now = alerts.find((a) => a.alarmName === change.alarmName)!;
  const severity = pagingSeverity(alerts, incident.severity);
  const stillFiring = firing(alerts);
  const timeline = [...incident.timeline];
  let effect: AlertEffect;
  let quietSince = incident.quietSince;

  if (state === 'ALARM') {
    quietSince = undefined;
    effect = firedEffect(incident, change, now, severity, existing !== undefined, timeline);
  } else {
    const detail =
      state === 'OK'
        ? `${change.alarmName} returned to OK`
        : `${change.alarmName} went to INSUFFICIENT_DATA (no data to evaluate; counted as not firing)`;
    timeline.push(entry(change.stateAtMs, 'alert', detail));
    if (stillFiring.length === 0) {
      effect = 'quiet';
      quietSince = change.stateAtMs;
      timeline.push(
        entry(
          change.stateAtMs,
          'note',
          `every alert is out of ALARM; resolves after ${config.alerting.quietPeriodMinutes} quiet minutes`,
        ),
      );
    } else {
      effect = 'cleared';
    }
  }
  const { quietSince: _q, ...rest } = incident;
  return {
    incident: {
      ...rest,
      alerts,
      severity,
      timeline,
      ...(quietSince === undefined ? {} : { quietSince }),
    },
    effect,
  };
}

/** A one-line summary of the incident's alerts for pages: `acme-voice: 3 alarms, highest P1: ...`. */
export function alertSummary(incident: Incident, maxChars = 400): string {
  const alerts = alertsOf(incident);
  const scope = scopeLabel(incident.tenant);
  const ordered = [...alerts].sort((a, b) => rank(a.severity) - rank(b.severity) || a.firstFiredAt - b.firstFiredAt);
  const parts = ordered.map((a) => {
    const who = a.tenant === incident.tenant ? '' : ` (${scopeLabel(a.tenant)})`;
    const state = a.mutedBy !== undefined ? ', muted' : a.lastState === 'ALARM' ? '' : `, ${a.lastState}`;
    return `${a.severity} ${a.ruleId}${who}${state}`;
  });
  const head = `${scope}: ${alerts.length} alarm${alerts.length === 1 ? '' : 's'}, highest ${incident.severity}: `;
  let text = head;
  for (let i = 0; i < parts.length; i++) {
    const piece = `${i === 0 ? '' : ', '}${parts[i]}`;
    if (text.length + piece.length > maxChars) {
      text += `, and ${parts.length - i} more`;
      break;
    }
    text += piece;
  }
  return text;
}
