/**
 * Ladder decisions: who is paged at which level, on which channel, how long each level has to
 * acknowledge, and what the state machine does after each page and each wait.
 *
 * The state machine (lib/constructs/escalation.ts) is a loop over {@link LadderStep}s: page a
 * level, wait, check, then page the next level, wait again, stop or resolve. Every decision is
 * made here, from the configuration and the incident, so it is unit-tested without AWS.
 */
import type { Channel, LadderName, PipelineConfig, Severity } from '../config/schema';
import { quietEndsAt } from '../incidents/grouping';
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
  /** Channels each page also goes out on (besides `channel`, unless it fell back to one of them). */
  readonly alsoChannels: readonly Channel[];
  /**
   * Who gets the page by e-mail when no contact of the level could be reached (non-climbing
   * pages: the first level of the ladder); empty when there is no such fallback.
   */
  readonly unreachedFallback: readonly string[];
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
      alsoChannels: route.alsoChannels,
      unreachedFallback: config.escalation.chatFallbackToLadder ? config.escalation.ladders[ladder][0]!.contacts : [],
      climbs: false,
      levels: [{ level: 1, name: 'Chat', contacts: config.escalation.chatContacts, windowSeconds: 0 }],
    };
  }
  const levels = config.escalation.ladders[ladder];
  return {
    channel: route.channel,
    alsoChannels: route.alsoChannels,
    unreachedFallback: [],
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
  /**
   * The severity this execution pages at. A raise starts the new severity's execution; this one
   * stops at its next step. Absent on executions started before severities were carried.
   */
  readonly severity?: Severity;
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

/** What every ladder decision reads besides the incident. */
export interface LadderContext {
  readonly config: PipelineConfig;
  readonly nowMs: number;
  readonly pollSeconds: number;
  /** The severity of the execution asking (see {@link LadderStep.severity}). */
  readonly severity?: Severity;
}

function step(
  incident: Incident,
  ctx: LadderContext,
  fields: Pick<LadderStep, 'next' | 'level'> & Partial<Pick<LadderStep, 'waitSeconds' | 'deadlineMs' | 'reason'>>,
): LadderStep {
  return {
    incidentId: incident.id,
    ...(ctx.severity === undefined ? {} : { severity: ctx.severity }),
    waitSeconds: 0,
    deadlineMs: -1,
    reason: '',
    ...fields,
  };
}

function waitStep(incident: Incident, ctx: LadderContext, level: number, deadlineMs: number, untilMs?: number) {
  const limits = [ctx.pollSeconds];
  if (deadlineMs >= 0) limits.push(Math.ceil((deadlineMs - ctx.nowMs) / 1000));
  if (untilMs !== undefined) limits.push(Math.ceil((untilMs - ctx.nowMs) / 1000));
  return step(incident, ctx, { next: 'wait', level, waitSeconds: Math.max(1, Math.min(...limits)), deadlineMs });
}

/**
 * Steps every decision starts with: resolved -> tell everyone paged; a raise superseded this
 * execution -> stop; acknowledged or silenced -> stop, unless the incident is quiet (then wait
 * for the quiet period to end, so the resolution is announced); quiet -> wait, never climbing
 * while no alert fires. The caller resolves an incident whose quiet period is over before asking.
 */
function settled(incident: Incident, ctx: LadderContext, level: number, deadlineMs: number): LadderStep | undefined {
  if (incident.state === 'resolved') return step(incident, ctx, { next: 'resolved', level });
  if (ctx.severity !== undefined && ctx.severity !== incident.severity) {
    return step(incident, ctx, { next: 'stop', level, reason: `raised to ${incident.severity}; its ladder took over` });
  }
  const quietEnd = quietEndsAt(ctx.config, incident);
  if (quietEnd !== undefined) return waitStep(incident, ctx, level, deadlineMs, quietEnd);
  if (incident.state === 'acknowledged' || incident.state === 'silenced') {
    const reason = incident.state === 'acknowledged' ? `acknowledged by ${incident.acknowledgedBy}` : 'silenced';
    return step(incident, ctx, { next: 'stop', level, reason });
  }
  return undefined;
}

/**
 * Before paging `level`: settle (see above), or wait out the group wait (the first page goes out
 * `groupWaitSeconds` after the incident opened, carrying every alert that joined by then) or the
 * group interval (a raise pages no sooner than `groupIntervalSeconds` after the last page).
 * Undefined: page now.
 */
export function stepBeforePage(incident: Incident, level: number, ctx: LadderContext): LadderStep | undefined {
  const early = settled(incident, ctx, level - 1, ctx.nowMs);
  if (early !== undefined) return early;
  if (level !== 1) return undefined;
  const { groupWaitSeconds, groupIntervalSeconds } = ctx.config.alerting.grouping;
  const lastPage = incident.paged.reduce((m, p) => Math.max(m, p.atMs), -1);
  const notBefore = lastPage < 0 ? incident.openedAt + groupWaitSeconds * 1000 : lastPage + groupIntervalSeconds * 1000;
  if (ctx.nowMs < notBefore) return waitStep(incident, ctx, 0, notBefore);
  return undefined;
}

/**
 * After paging `level`: wait for its window. The wait is cut into polls of at most
 * `pollSeconds` so an acknowledgement or a resolution is seen within a poll, not a window.
 */
export function stepAfterPage(plan: LadderPlan, incident: Incident, level: number, ctx: LadderContext): LadderStep {
  const deadlineMs = plan.climbs ? ctx.nowMs + levelOf(plan, level).windowSeconds * 1000 : -1;
  return waitStep(incident, ctx, level, deadlineMs);
}

/**
 * After a wait: settle (see above); window over -> page the next level (the top level again,
 * which is the repeat); otherwise wait on.
 */
export function stepAfterWait(
  plan: LadderPlan,
  incident: Incident,
  previous: Pick<LadderStep, 'level' | 'deadlineMs'>,
  ctx: LadderContext,
): LadderStep {
  const done = settled(incident, ctx, previous.level, previous.deadlineMs);
  if (done !== undefined) return done;
  if (previous.deadlineMs >= 0 && ctx.nowMs >= previous.deadlineMs) {
    return step(incident, ctx, { next: 'page', level: Math.min(previous.level + 1, plan.levels.length) });
  }
  return waitStep(incident, ctx, previous.level, previous.deadlineMs);
}

/** Timeline detail prefix of the resolution notice, which also marks it as sent. */
export const RESOLUTION_SENT = 'resolution sent to';

/**
 * Timeline detail prefix of the claim an execution writes before sending resolution notices, so
 * two executions of one incident (its ladder and a quiet-period run) never both send them.
 */
export const RESOLUTION_CLAIMED = 'resolution notices claimed';

/** True once an execution claimed (and then sent) the resolution notices of an incident. */
export function resolutionNotified(incident: Incident): boolean {
  return incident.timeline.some(
    (t) => t.kind === 'note' && (t.detail.startsWith(RESOLUTION_SENT) || t.detail.startsWith(RESOLUTION_CLAIMED)),
  );
}

/** Contacts to tell about a resolution: everyone paged, once each, in the order first paged. */
export function contactsToTellOfResolution(incident: Incident): string[] {
  return [...new Set(incident.paged.map((p) => p.contactId))];
}

/** Which ladder execution to start for an incident. */
export interface LadderRun {
  /** Step Functions execution name: unique per run, so a retried start starts nothing twice. */
  readonly name: string;
  readonly severity: Severity;
}

/**
 * The execution runs of an incident: `<id>` for its first severity, `<id>-p1` when raised to P1,
 * `<id>-quiet-<ms>` to announce the resolution of an incident whose ladder already stopped.
 */
export function ladderRunFor(incident: Incident, why: 'opened' | 'raised' | 'quiet'): LadderRun {
  const name =
    why === 'opened'
      ? incident.id
      : why === 'raised'
        ? `${incident.id}-${incident.severity.toLowerCase()}`
        : `${incident.id}-quiet-${incident.quietSince ?? 0}`;
  return { name, severity: incident.severity };
}

/** The input every ladder execution starts with. */
export interface LadderInput {
  readonly incidentId: string;
  readonly level: 1;
  readonly severity: Severity;
}

/** Starts an incident's ladder (a Step Functions execution). */
export interface LadderStarter {
  /**
   * Starts a ladder run once per name; starting it again with the same name starts nothing.
   * @returns the execution ARN
   */
  start(incidentId: string, run: LadderRun): Promise<string>;
}
