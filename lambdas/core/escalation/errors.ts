/** Base class of the escalation core's errors. */
export class EscalationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EscalationError';
  }
}

/** Why an acknowledgement link was refused; logged, and shown to whoever clicked it. */
export type AckRefusal = 'malformed' | 'forged' | 'expired' | 'replayed' | 'other-incident';

/** An acknowledgement token that was refused. `reason` says which check failed. */
export class AckTokenError extends EscalationError {
  constructor(
    readonly reason: AckRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'AckTokenError';
  }
}

/** The token is not in the `<incident>.<level>.<expiry>.<nonce>.<signature>` form. */
export class MalformedAckTokenError extends AckTokenError {
  constructor(why: string) {
    super(
      'malformed',
      `The acknowledgement link is damaged (${why}); use the link from the latest page or \`kpi ack\`.`,
    );
    this.name = 'MalformedAckTokenError';
  }
}

/** The signature does not match: the token was not issued by this deployment, or was altered. */
export class ForgedAckTokenError extends AckTokenError {
  constructor() {
    super('forged', 'The acknowledgement link was not signed by this deployment (or was altered); it is refused.');
    this.name = 'ForgedAckTokenError';
  }
}

/** The token's expiry has passed. */
export class ExpiredAckTokenError extends AckTokenError {
  constructor(readonly expiredAtMs: number) {
    super(
      'expired',
      `The acknowledgement link expired at ${new Date(expiredAtMs).toISOString()}; use the link from the latest page or \`kpi ack\`.`,
    );
    this.name = 'ExpiredAckTokenError';
  }
}

/** The token was used before; links are single-use. */
export class ReplayedAckTokenError extends AckTokenError {
  constructor() {
    super('replayed', 'This acknowledgement link was already used; links work once.');
    this.name = 'ReplayedAckTokenError';
  }
}

/** The token belongs to another incident than the one being acknowledged. */
export class OtherIncidentAckTokenError extends AckTokenError {
  constructor(
    readonly tokenIncidentId: string,
    readonly expectedIncidentId: string,
  ) {
    super(
      'other-incident',
      `This acknowledgement link is for incident ${tokenIncidentId}, not ${expectedIncidentId}; it is refused.`,
    );
    this.name = 'OtherIncidentAckTokenError';
  }
}

/** A page text cannot hold what it must (e.g. an SMS whose link alone is over 160 characters). */
export class PageTextError extends EscalationError {
  constructor(reason: string) {
    super(reason);
    this.name = 'PageTextError';
  }
}
