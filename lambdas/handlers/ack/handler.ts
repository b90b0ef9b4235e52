/**
 * Acknowledgement over a Lambda function URL.
 *
 * `GET /?t=<token>` checks the token and answers a confirmation page; `POST` (the page's button,
 * body `t=<token>`) redeems it and acknowledges the incident. Acknowledging on GET would let mail
 * scanners and chat link previews, which fetch every link, acknowledge pages nobody read.
 * The ladder sees the acknowledgement at its next check and pages nobody else.
 * Refusals (forged, expired, replayed, other-incident) are logged with their reason.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { type AckNonceStore, redeemAckToken, verifyAckToken } from '../../core/escalation/ack-token';
import { AckTokenError } from '../../core/escalation/errors';
import { acknowledgeIncident } from '../../core/incidents/decisions';
import { IncidentNotFoundError, IncidentStateError } from '../../core/incidents/errors';
import type { IncidentMetricsSink } from '../../core/incidents/metrics';
import type { IncidentStore } from '../../core/incidents/store';
import type { EscalationLog } from '../escalation-log';

/** The HTTP answer of the function URL (the structured form of a Lambda function URL result). */
export interface AckResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Dependencies of the acknowledgement handler. */
export interface AckDeps {
  readonly store: IncidentStore;
  readonly nonces: AckNonceStore;
  readonly ackKey: () => Promise<string>;
  readonly now: () => number;
  readonly metrics?: IncidentMetricsSink;
  readonly log: EscalationLog;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function html(statusCode: number, title: string, body: string): AckResponse {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'none'; form-action 'self'",
      'x-frame-options': 'DENY',
    },
    body: `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  };
}

function formParams(event: LambdaFunctionURLEvent): URLSearchParams {
  const raw =
    event.body === undefined
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return new URLSearchParams(raw);
}

/** Builds the acknowledgement handler. */
export function createAckHandler(deps: AckDeps): (event: LambdaFunctionURLEvent) => Promise<AckResponse> {
  const { store, log } = deps;

  const refuse = (err: AckTokenError, method: string): AckResponse => {
    log.warn('acknowledgement refused', { reason: err.reason, method, message: err.message });
    return html(err.reason === 'replayed' ? 409 : 403, 'Acknowledgement refused', `<p>${escapeHtml(err.message)}</p>`);
  };

  return async (event) => {
    const method = event.requestContext.http.method.toUpperCase();
    if (method !== 'GET' && method !== 'POST')
      return html(405, 'Method not allowed', '<p>Use the link from the page.</p>');
    const params = method === 'POST' ? formParams(event) : new URLSearchParams(event.rawQueryString ?? '');
    const token = params.get('t') ?? '';
    const expected = params.get('incident') ?? undefined;
    const options = { key: await deps.ackKey(), nowMs: deps.now(), ...(expected ? { incidentId: expected } : {}) };
    try {
      if (method === 'GET') {
        const claims = verifyAckToken(token, options);
        const incident = await store.get(claims.incidentId);
        if (incident === undefined) throw new IncidentNotFoundError(claims.incidentId);
        return html(
          200,
          `Acknowledge ${incident.severity} incident ${incident.id}?`,
          `<p>${escapeHtml(incident.alarmName)} (${escapeHtml(incident.state)}), paged at level ${claims.level}.</p>` +
            `<form method="post"><input type="hidden" name="t" value="${escapeHtml(token)}"><button type="submit">Acknowledge</button></form>`,
        );
      }
      const claims = await redeemAckToken(token, { ...options, nonces: deps.nonces });
      const by = `ack link (level ${claims.level})`;
      const incident = await store.update(claims.incidentId, (i) => acknowledgeIncident(i, by, deps.now()));
      log.info('incident acknowledged', { incidentId: incident.id, level: claims.level });
      try {
        await deps.metrics?.publish(incident, ['TimeToAcknowledge']);
      } catch (err) {
        log.warn('incident metrics not published', { incidentId: incident.id, error: String(err) });
      }
      return html(
        200,
        `Incident ${incident.id} acknowledged`,
        '<p>The escalation stops; nobody else will be paged for it.</p>',
      );
    } catch (err) {
      if (err instanceof AckTokenError) return refuse(err, method);
      if (err instanceof IncidentNotFoundError)
        return html(404, 'No such incident', `<p>${escapeHtml(err.message)}</p>`);
      if (err instanceof IncidentStateError) return html(409, 'Already resolved', `<p>${escapeHtml(err.message)}</p>`);
      throw err;
    }
  };
}
