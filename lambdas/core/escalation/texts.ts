/**
 * Page texts. SMS must fit one 160-character GSM-7 segment (a non-GSM character would halve the
 * limit), so the SMS keeps the severity, the incident id and the acknowledgement link whole and
 * shortens only the description.
 */
import { alertSummary, alertsOf } from '../incidents/grouping';
import type { Incident } from '../incidents/types';
import { scopeLabel } from '../vocabulary';
import { PageTextError } from './errors';

/** Longest SMS sent: one GSM-7 segment. */
export const SMS_MAX_CHARS = 160;

/** What a page is about. */
export interface PageContext {
  readonly incident: Incident;
  readonly level: number;
  readonly levelName: string;
  /** The acknowledgement link for this page. */
  readonly ackUrl: string;
  /** Deployment name (config `name`). */
  readonly deployment: string;
}

/** A rendered page: the SMS and chat line, and the e-mail. */
export interface PageText {
  readonly sms: string;
  readonly subject: string;
  readonly body: string;
}

function scope(incident: Incident): string {
  return scopeLabel(incident.tenant, (t) => `tenant ${t}`);
}

/** The rule of the most urgent unmuted alert, and how many other alerts the incident has: `response_latency-p1 +4`. */
function headline(incident: Incident): string {
  const alerts = alertsOf(incident);
  const top =
    alerts.find((a) => a.severity === incident.severity && a.mutedBy === undefined && a.lastState === 'ALARM') ??
    alerts.find((a) => a.severity === incident.severity) ??
    alerts[0];
  const rule = top?.ruleId ?? incident.ruleId;
  return alerts.length > 1 ? `${rule} +${alerts.length - 1}` : rule;
}

/** One line per alert: severity, alarm, first fired, last state. */
function alertLines(incident: Incident): string[] {
  return alertsOf(incident).map(
    (a) =>
      `- ${a.severity} ${a.alarmName}: first fired ${new Date(a.firstFiredAt).toISOString()}, ${a.lastState}` +
      `${a.mutedBy === undefined ? '' : ` (muted: ${a.mutedBy})`}${a.reason === '' ? '' : ` - ${a.reason}`}`,
  );
}

/** Replaces characters outside printable ASCII, so the SMS stays GSM-7. */
function gsmSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * The SMS of a page: `P1 inc-3f9a1c0d2b7e response_latency-p1 fleet L2 ack <link>`, the middle
 * part shortened (ending in `~`) to fit.
 * @throws PageTextError when the severity, id and link alone exceed 160 characters
 */
export function smsText(ctx: PageContext): string {
  const { incident } = ctx;
  const head = `${incident.severity} ${incident.id}`;
  const tail = ` ack ${ctx.ackUrl}`;
  const fixed = head.length + tail.length;
  if (fixed > SMS_MAX_CHARS) {
    throw new PageTextError(
      `An SMS cannot hold the acknowledgement link (${fixed} > ${SMS_MAX_CHARS} characters); shorten the ack URL.`,
    );
  }
  const middle = gsmSafe(` ${headline(incident)} ${scopeLabel(incident.tenant)} L${ctx.level}`);
  const room = SMS_MAX_CHARS - fixed;
  const fitted = middle.length <= room ? middle : room >= 2 ? `${middle.slice(0, room - 1)}~` : '';
  return `${head}${fitted}${tail}`;
}

/** The page as an e-mail and a chat message. */
export function pageText(ctx: PageContext): PageText {
  const { incident } = ctx;
  const subject = `[${incident.severity}] ${headline(incident)} (${scope(incident)}) - ${incident.id}, level ${ctx.level}`;
  const body = [
    `${incident.severity} incident ${incident.id} on ${ctx.deployment}: ${alertSummary(incident)}.`,
    `Opened ${new Date(incident.openedAt).toISOString()}; you are paged at level ${ctx.level} (${ctx.levelName}).`,
    '',
    'Alerts:',
    ...alertLines(incident),
    '',
    `Acknowledge (stops the escalation; the link works once): ${ctx.ackUrl}`,
    `Or: kpi ack ${incident.id}`,
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
  return { sms: smsText(ctx), subject, body };
}

/** The resolution notice sent to everyone paged. */
export function resolutionText(incident: Incident, deployment: string): PageText {
  const resolvedAt = incident.resolvedAt === undefined ? 'now' : new Date(incident.resolvedAt).toISOString();
  const subject = `[RESOLVED] [${incident.severity}] ${headline(incident)} (${scope(incident)}) - ${incident.id}`;
  const body = [
    `Incident ${incident.id} on ${deployment} is resolved: its alarms are out of ALARM since ${resolvedAt}.`,
    ...alertLines(incident),
    incident.acknowledgedBy === undefined
      ? 'It was not acknowledged.'
      : `Acknowledged by ${incident.acknowledgedBy} at ${new Date(incident.acknowledgedAt ?? 0).toISOString()}.`,
    'No further pages will be sent for it.',
  ].join('\n');
  const sms = gsmSafe(`RESOLVED ${incident.severity} ${incident.id} ${incident.ruleId}`).slice(0, SMS_MAX_CHARS);
  return { sms, subject, body };
}
