/**
 * The notifier: the one task of the escalation state machine. Each call is one step of the
 * ladder loop (lambdas/core/escalation/ladder.ts):
 * - `page`: page a level's contacts on the severity's channel (with retries and the e-mail
 *   fallback), record it on the timeline, and say how long to wait;
 * - `check`: after a wait, stop (acknowledged, silenced), resolve, wait on, or climb;
 * - `resolve`: tell everyone paged that the incident is resolved.
 * A failing channel never fails the step: the outcome is recorded and the ladder goes on.
 */

import type { PageRecipient } from '../../adapters/channels/page-channel';
import type { FallbackPager } from '../../adapters/channels/with-fallback';
import type { PipelineConfig, Severity } from '../../core/config/schema';
import { signAckToken } from '../../core/escalation/ack-token';
import { PageTextError } from '../../core/escalation/errors';
import {
  contactsToTellOfResolution,
  type LadderContext,
  type LadderPlan,
  type LadderStep,
  type LevelPlan,
  ladderPlan,
  levelOf,
  RESOLUTION_CLAIMED,
  RESOLUTION_SENT,
  resolutionNotified,
  stepAfterPage,
  stepAfterWait,
  stepBeforePage,
} from '../../core/escalation/ladder';
import { type PageText, pageText, resolutionText } from '../../core/escalation/texts';
import { addTimeline, type PageOutcome, recordPages } from '../../core/incidents/decisions';
import { IncidentNotFoundError } from '../../core/incidents/errors';
import { quietPeriodOver } from '../../core/incidents/grouping';
import type { IncidentMetricsSink } from '../../core/incidents/metrics';
import { resolveQuietIncident } from '../../core/incidents/route-alarm';
import type { IncidentStore } from '../../core/incidents/store';
import type { Incident } from '../../core/incidents/types';
import type { EscalationLog } from '../escalation-log';

/** The state machine's input to the notifier. */
export type NotifierInput =
  | { readonly action: 'page'; readonly incidentId: string; readonly level: number; readonly severity?: Severity }
  | {
      readonly action: 'check';
      readonly incidentId: string;
      readonly level: number;
      readonly deadlineMs: number;
      readonly severity?: Severity;
    }
  | { readonly action: 'resolve'; readonly incidentId: string; readonly level: number; readonly severity?: Severity };

/** Dependencies of the notifier. */
export interface NotifierDeps {
  readonly config: PipelineConfig;
  readonly store: IncidentStore;
  readonly pager: Pick<FallbackPager, 'page'>;
  /** The acknowledgement endpoint, e.g. `https://<id>.lambda-url.<region>.on.aws/`; `?t=<token>` is appended. */
  readonly ackUrl: string;
  /** The HMAC key signing acknowledgement links. */
  readonly ackKey: () => Promise<string>;
  readonly now: () => number;
  /** A fresh random nonce, 8+ base64url characters. */
  readonly newNonce: () => string;
  /** Longest single wait, so acknowledgements and resolutions are seen within it. */
  readonly pollSeconds: number;
  readonly log: EscalationLog;
  /** Where TimeToResolve goes when the ladder resolves an incident after its quiet period. */
  readonly metrics?: IncidentMetricsSink;
}

/** Thrown for an input the state machine never sends. */
export class InvalidNotifierInputError extends Error {
  constructor(reason: string) {
    super(`Invalid notifier input: ${reason}`);
    this.name = 'InvalidNotifierInputError';
  }
}

function recipient(config: PipelineConfig, contactId: string): PageRecipient | undefined {
  const contact = config.escalation.contacts[contactId];
  return contact === undefined ? undefined : { ...contact, id: contactId };
}

function stop(incidentId: string, level: number, reason: string, severity?: Severity): LadderStep {
  return {
    incidentId,
    ...(severity === undefined ? {} : { severity }),
    next: 'stop',
    level,
    waitSeconds: 0,
    deadlineMs: -1,
    reason,
  };
}

type Channel = PipelineConfig['escalation']['severities']['P1']['channel'];

/** Reads the incident, resolving it first when its quiet period ran out (the ladder is its timer). */
async function loadIncident(deps: NotifierDeps, id: string, nowMs: number): Promise<Incident> {
  const { config, store, log } = deps;
  const incident = await store.get(id);
  if (incident === undefined) throw new IncidentNotFoundError(id);
  if (!quietPeriodOver(config, incident, nowMs)) return incident;
  const resolved = await store.update(id, (i) => resolveQuietIncident(config, i, nowMs));
  log.info('incident resolved after its quiet period', { incidentId: id });
  try {
    await deps.metrics?.publish(resolved, ['TimeToResolve']);
  } catch (err) {
    // Metrics are for reports; a failed publish must not fail the ladder step.
    log.warn('incident metrics not published', { incidentId: id, error: String(err) });
  }
  return resolved;
}

function ladderContext(deps: NotifierDeps, nowMs: number, severity: Severity | undefined): LadderContext {
  return {
    config: deps.config,
    nowMs,
    pollSeconds: deps.pollSeconds,
    ...(severity === undefined ? {} : { severity }),
  };
}

async function ackLink(deps: NotifierDeps, incident: Incident, level: number, nowMs: number): Promise<string> {
  const token = signAckToken(
    {
      incidentId: incident.id,
      level,
      expiresAtMs: nowMs + deps.config.escalation.ackLinkTtlMinutes * 60_000,
      nonce: deps.newNonce(),
    },
    await deps.ackKey(),
  );
  return `${deps.ackUrl}${deps.ackUrl.includes('?') ? '&' : '?'}t=${token}`;
}

async function pageContact(
  deps: NotifierDeps,
  incident: Incident,
  contactId: string,
  lvl: LevelPlan,
  channel: Channel,
  nowMs: number,
): Promise<PageOutcome> {
  const { config, pager } = deps;
  const { level, name: levelName } = lvl;
  const to = recipient(config, contactId);
  if (to === undefined) return { contactId, requested: channel, failures: ['not in escalation.contacts'] };
  let text: PageText;
  try {
    const ackUrl = await ackLink(deps, incident, level, nowMs);
    text = pageText({ incident, level, levelName, ackUrl, deployment: config.name });
  } catch (err) {
    // An SMS that cannot hold its link goes out as e-mail, where it fits.
    if (!(err instanceof PageTextError)) throw err;
    const ackUrl = await ackLink(deps, incident, level, nowMs);
    const full = pageText({ incident, level, levelName, ackUrl: '', deployment: config.name });
    const mailed = await pager.page(to, 'email', { ...full, body: `${full.body}\n${ackUrl}` });
    return { ...mailed, requested: channel, failures: [err.message, ...mailed.failures] };
  }
  return pager.page(to, channel, text);
}

/** Pages every contact of a level on the plan's channel and its extra channels, then the fallback if nobody was reached. */
async function pageLevel(
  deps: NotifierDeps,
  incident: Incident,
  plan: LadderPlan,
  lvl: LevelPlan,
  nowMs: number,
): Promise<PageOutcome[]> {
  const outcomes = (
    await Promise.all(
      lvl.contacts.map(async (c) => {
        const first = await pageContact(deps, incident, c, lvl, plan.channel, nowMs);
        // The same page on the severity's extra channels (P1: e-mail besides the SMS).
        const extra = plan.alsoChannels.filter((ch) => ch !== plan.channel && ch !== first.deliveredBy);
        const more = await Promise.all(
          extra.map(async (ch) => ({
            ...(await pageContact(deps, incident, c, lvl, ch, nowMs)),
            requested: ch,
          })),
        );
        return [first, ...more.filter((o) => o.deliveredBy === o.requested)];
      }),
    )
  ).flat();
  if (outcomes.every((o) => o.deliveredBy === undefined) && plan.unreachedFallback.length > 0) {
    // Nobody on the chat route could be reached: the ladder's first level hears it by e-mail.
    const fallback = await Promise.all(
      plan.unreachedFallback.map(async (c) => {
        const o = await pageContact(deps, incident, c, lvl, 'email', nowMs);
        return { ...o, requested: plan.channel, failures: ['no chat contact could be reached', ...o.failures] };
      }),
    );
    outcomes.push(...fallback);
  }
  return outcomes;
}

function logPages(log: EscalationLog, incidentId: string, level: number, outcomes: readonly PageOutcome[]): void {
  for (const o of outcomes) {
    const entry = {
      incidentId,
      level,
      contactId: o.contactId,
      deliveredBy: o.deliveredBy,
      failures: o.failures,
    };
    if (o.deliveredBy === o.requested) log.info('paged', entry);
    else log.warn(o.deliveredBy === undefined ? 'page failed on every channel' : 'page fell back', entry);
  }
}

async function pageStep(
  deps: NotifierDeps,
  incidentId: string,
  level: number,
  severity: Severity | undefined,
): Promise<LadderStep> {
  const { config, store } = deps;
  const nowMs = deps.now();
  const incident = await loadIncident(deps, incidentId, nowMs);
  const ctx = ladderContext(deps, nowMs, severity);
  const early = stepBeforePage(incident, level, ctx);
  if (early !== undefined) return early;
  const plan = ladderPlan(config, incident.severity, incident.ladder);
  const lvl = levelOf(plan, level);
  const outcomes = await pageLevel(deps, incident, plan, lvl, nowMs);
  const recorded = await store.update(incidentId, (i) => ({
    ...recordPages(i, lvl.level, lvl.name, outcomes, nowMs),
    pagedSeverity: incident.severity,
  }));
  logPages(deps.log, incidentId, lvl.level, outcomes);
  return stepAfterPage(plan, recorded, lvl.level, ctx);
}

async function checkStep(deps: NotifierDeps, input: Extract<NotifierInput, { action: 'check' }>): Promise<LadderStep> {
  const nowMs = deps.now();
  const incident = await loadIncident(deps, input.incidentId, nowMs);
  const plan = ladderPlan(deps.config, input.severity ?? incident.severity, incident.ladder);
  return stepAfterWait(plan, incident, input, ladderContext(deps, nowMs, input.severity));
}

async function resolveStep(
  deps: NotifierDeps,
  incidentId: string,
  level: number,
  severity: Severity | undefined,
): Promise<LadderStep> {
  const { config, store, pager, log } = deps;
  const nowMs = deps.now();
  let claimed = false;
  // Claim first: the incident's ladder and a quiet-period run may both reach this step.
  const incident = await store.update(incidentId, (i) => {
    claimed = !resolutionNotified(i);
    return claimed ? addTimeline(i, nowMs, 'note', `${RESOLUTION_CLAIMED} by level ${level}`) : i;
  });
  if (!claimed) return stop(incidentId, level, 'resolution already notified', severity);
  const text = resolutionText(incident, config.name);
  const outcomes = await Promise.all(
    contactsToTellOfResolution(incident).map(async (contactId) => {
      const to = recipient(config, contactId);
      if (to === undefined) return { contactId, requested: 'email' as const, failures: ['unknown contact'] };
      // Resolutions go by e-mail; a contact without an address hears it where it was paged.
      const lastChannel = [...incident.paged].reverse().find((p) => p.contactId === contactId)?.channel ?? 'email';
      return pager.page(to, to.email !== undefined ? 'email' : lastChannel, text);
    }),
  );
  const told = outcomes.filter((o) => o.deliveredBy !== undefined).map((o) => `${o.contactId} by ${o.deliveredBy}`);
  const missed = outcomes.filter((o) => o.deliveredBy === undefined).map((o) => o.contactId);
  const detail = `${RESOLUTION_SENT} ${told.length === 0 ? 'nobody' : told.join(', ')}${missed.length > 0 ? `; not delivered to ${missed.join(', ')}` : ''}`;
  await store.update(incidentId, (i) => addTimeline(i, nowMs, 'note', detail));
  log.info('resolution notified', { incidentId, told, missed });
  return stop(incidentId, level, 'resolved', severity);
}

/** Builds the notifier handler. */
export function createNotifierHandler(deps: NotifierDeps): (input: NotifierInput) => Promise<LadderStep> {
  return async (input) => {
    switch (input.action) {
      case 'page':
        return pageStep(deps, input.incidentId, input.level, input.severity);
      case 'check':
        return checkStep(deps, input);
      case 'resolve':
        return resolveStep(deps, input.incidentId, input.level, input.severity);
      default:
        throw new InvalidNotifierInputError(`unknown action ${JSON.stringify((input as { action?: unknown }).action)}`);
    }
  };
}
