/**
 * Ladder decisions: who is paged at which level, on which channel, how long each level has to
 * acknowledge, and what the state machine does after each page and each wait.
 *
 * The state machine (lib/constructs/escalation.ts) is a loop over {@link LadderStep}s: page a
 * level, wait, check, then page the next level, wait again, stop or resolve. Every decision is
 * made here, from the configuration and the incident, so it is unit-tested without AWS.
 */
import type { Channel, LadderName, PipelineConfig, Severity } from '../config/schema';
import type { Incident } from '../incidents/types';

/** One level of a ladder as it will be paged. */
export interface LevelPlan {
  /** 1-based. */
  readonly level: number;
  readonly name: string;
  readonly contacts: readonly string[];
  /** How long this level has before the next is paged (the repeat interval at the top). */
  readonly windowSeconds: number;
}

/** How an incident of a severity and ladder is paged. */
export interface LadderPlan {
  readonly channel: Channel;
  /** False for severities that page once and do not climb (P3/P4 by default). */
  readonly climbs: boolean;
  readonly levels: readonly LevelPlan[];
}

/**
 * The ladder for a severity. A climbing severity uses the configured ladder, its top level
 * repeating every `topLevelRepeatMinutes`; a non-climbing one pages `chatContacts` once.
 */
export function ladderPlan(config: PipelineConfig, severity: Severity, ladder: LadderName): LadderPlan {
  const route = config.escalation.severities[severity];
  if (!route.climb) {
    return {
      channel: route.channel,
      climbs: false,
      levels: [{ level: 1, name: 'Chat', contacts: config.escalation.chatContacts, windowSeconds: 0 }],
    };
  }
  const levels = config.escalation.ladders[ladder];
  return {
    channel: route.channel,
    climbs: true,
    levels: levels.map((l, i) => ({
      level: i + 1,
      name: l.name,
      contacts: l.contacts,
      windowSeconds: (i === levels.length - 1 ? config.escalation.topLevelRepeatMinutes : l.ackWindowMinutes) * 60,
    })),
  };
}

/** The plan of one level; levels past the top are the top (it repeats). */
export function levelOf(plan: LadderPlan, level: number): LevelPlan {
  return plan.levels[Math.min(Math.max(level, 1), plan.levels.length) - 1]!;
}

/**
 * What the state machine does next. Every variant carries the same fields so the machine's
 * Choice and Wait states can read them by path.
 */
export interface LadderStep {
  readonly incidentId: string;
  /** `page`: page `level`; `wait`: wait `waitSeconds` then check; `resolved`: tell everyone paged; `stop`: end. */
  readonly next: 'page' | 'wait' | 'resolved' | 'stop';
  readonly level: number;
  /** Seconds to wait before the next check (`wait` only; 0 otherwise). */
  readonly waitSeconds: number;
  /** When the level's window ends, epoch ms; -1 when it never does (non-climbing ladders). */
  readonly deadlineMs: number;
  /** Why the ladder stops (`stop` only). */
  readonly reason: string;
}

function terminal(incident: Incident, level: number): LadderStep | undefined {
  if (incident.state === 'resolved') {
    return { incidentId: incident.id, next: 'resolved', level, waitSeconds: 0, deadlineMs: -1, reason: '' };
  }
  if (incident.state === 'acknowledged' || incident.state === 'silenced') {
    const reason = incident.state === 'acknowledged' ? `acknowledged by ${incident.acknowledgedBy}` : 'silenced';
    return { incidentId: incident.id, next: 'stop', level, waitSeconds: 0, deadlineMs: -1, reason };
  }
  return undefined;
}

/** Before paging: stop when the incident was acknowledged, silenced or resolved meanwhile. */
export function stepBeforePage(incident: Incident, level: number): LadderStep | undefined {
  return terminal(incident, level);
}

function waitStep(incidentId: string, level: number, deadlineMs: number, nowMs: number, pollSeconds: number) {
  const remaining = deadlineMs < 0 ? pollSeconds : Math.ceil((deadlineMs - nowMs) / 1000);
  const step: LadderStep = {
    incidentId,
    next: 'wait',
    level,
    waitSeconds: Math.max(1, Math.min(pollSeconds, remaining)),
    deadlineMs,
    reason: '',
  };
  return step;
}

/**
 * After paging `level`: wait for its window. The wait is cut into polls of at most
 * `pollSeconds` so an acknowledgement or a resolution is seen within a poll, not a window.
 */
export function stepAfterPage(
  plan: LadderPlan,
  incidentId: string,
  level: number,
  nowMs: number,
  pollSeconds: number,
): LadderStep {
  const deadlineMs = plan.climbs ? nowMs + levelOf(plan, level).windowSeconds * 1000 : -1;
  return waitStep(incidentId, level, deadlineMs, nowMs, pollSeconds);
}

/**
 * After a wait: resolved -> tell everyone paged; acknowledged or silenced -> stop; window over ->
 * page the next level (the top level again, which is the repeat); otherwise wait on.
 */
export function stepAfterWait(
  plan: LadderPlan,
  incident: Incident,
  previous: Pick<LadderStep, 'level' | 'deadlineMs'>,
  nowMs: number,
  pollSeconds: number,
): LadderStep {
  const done = terminal(incident, previous.level);
  if (done !== undefined) return done;
  if (previous.deadlineMs >= 0 && nowMs >= previous.deadlineMs) {
    const level = Math.min(previous.level + 1, plan.levels.length);
    return { incidentId: incident.id, next: 'page', level, waitSeconds: 0, deadlineMs: -1, reason: '' };
  }
  return waitStep(incident.id, previous.level, previous.deadlineMs, nowMs, pollSeconds);
}

/** Timeline detail prefix of the resolution notice, which also marks it as sent. */
export const RESOLUTION_SENT = 'resolution sent to';

/** True once the resolution notices of an incident went out (they go out once). */
export function resolutionNotified(incident: Incident): boolean {
  return incident.timeline.some((t) => t.kind === 'note' && t.detail.startsWith(RESOLUTION_SENT));
}

/** Contacts to tell about a resolution: everyone paged, once each, in the order first paged. */
export function contactsToTellOfResolution(incident: Incident): string[] {
  return [...new Set(incident.paged.map((p) => p.contactId))];
}

/** Starts an incident's ladder (a Step Functions execution named after the incident). */
export interface LadderStarter {
  /**
   * Starts the ladder once per execution name; starting it again with the same name starts nothing.
   * @param executionName defaults to the incident id; `<id>-resolved` runs the machine only to
   *   send resolution notices, for an incident whose ladder already stopped on acknowledgement
   * @returns the execution ARN
   */
  start(incidentId: string, executionName?: string): Promise<string>;
}
