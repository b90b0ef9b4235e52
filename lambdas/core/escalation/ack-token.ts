/**
 * Acknowledgement tokens: the proof carried by the link in a page.
 *
 * `<incidentId>.<level>.<expiry>.<nonce>.<signature>`: expiry in base-36 epoch seconds, a 48-bit
 * random nonce and an HMAC-SHA256 over the rest truncated to 96 bits (NIST SP 800-107 allows
 * truncation to >= 64 bits), all base64url, so the whole link fits an SMS. The token is bound to
 * its incident and level by the signature, expires, and works once: redeeming it claims its
 * nonce with a conditional write, so a second use (or a race of two clicks) is refused.
 *
 * Pure: node:crypto only; the key, the clock and the nonce come in as arguments.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  ExpiredAckTokenError,
  ForgedAckTokenError,
  MalformedAckTokenError,
  OtherIncidentAckTokenError,
  ReplayedAckTokenError,
} from './errors';

/** What a token says. */
export interface AckClaims {
  readonly incidentId: string;
  /** Ladder level the page was for. */
  readonly level: number;
  /** Expiry, epoch ms (whole seconds). */
  readonly expiresAtMs: number;
  /** Random, unique per token, base64url (8 characters = 48 bits). */
  readonly nonce: string;
}

/** Claims nonces of redeemed tokens, once each (a conditional write in DynamoDB). */
export interface AckNonceStore {
  /**
   * Claims a nonce; it may be forgotten after `expiresAtMs`, when its token is refused anyway.
   * @returns true the first time, false when it was claimed before
   */
  claim(nonce: string, expiresAtMs: number): Promise<boolean>;
}

const MAC_BYTES = 12;
const ID = /^[A-Za-z0-9-]{1,64}$/;
const NONCE = /^[A-Za-z0-9_-]{8,32}$/;

function mac(payload: string, key: string | Buffer): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
}

/**
 * Signs a token.
 * @param key the HMAC key (the deployment's ack signing secret)
 */
export function signAckToken(claims: AckClaims, key: string | Buffer): string {
  if (!ID.test(claims.incidentId)) throw new MalformedAckTokenError(`bad incident id "${claims.incidentId}"`);
  if (!NONCE.test(claims.nonce)) throw new MalformedAckTokenError('nonce must be 8-32 base64url characters');
  const payload = [
    claims.incidentId,
    String(claims.level),
    Math.floor(claims.expiresAtMs / 1000).toString(36),
    claims.nonce,
  ].join('.');
  return `${payload}.${mac(payload, key).toString('base64url')}`;
}

/** Options of {@link verifyAckToken}. */
export interface VerifyAckOptions {
  readonly key: string | Buffer;
  readonly nowMs: number;
  /** When set, a token for another incident is refused. */
  readonly incidentId?: string;
}

/**
 * Checks a token's form, signature, expiry and incident, in that order (the signature first, so
 * nothing of an unsigned token is trusted).
 * @throws MalformedAckTokenError, ForgedAckTokenError, ExpiredAckTokenError, OtherIncidentAckTokenError
 */
export function verifyAckToken(token: string, options: VerifyAckOptions): AckClaims {
  const parts = token.split('.');
  if (parts.length !== 5) throw new MalformedAckTokenError(`expected 5 parts, found ${parts.length}`);
  const [incidentId, levelText, expiryText, nonce, signature] = parts as [string, string, string, string, string];
  const expected = mac(parts.slice(0, 4).join('.'), options.key);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ForgedAckTokenError();
  const level = Number(levelText);
  const expirySeconds = Number.parseInt(expiryText, 36);
  if (!Number.isInteger(level) || level < 1 || !Number.isFinite(expirySeconds) || !NONCE.test(nonce)) {
    throw new MalformedAckTokenError('signed fields are out of range');
  }
  const expiresAtMs = expirySeconds * 1000;
  if (options.nowMs >= expiresAtMs) throw new ExpiredAckTokenError(expiresAtMs);
  if (options.incidentId !== undefined && options.incidentId !== incidentId) {
    throw new OtherIncidentAckTokenError(incidentId, options.incidentId);
  }
  return { incidentId, level, expiresAtMs, nonce };
}

/**
 * Verifies a token and claims its nonce, so it cannot be used again.
 * @throws every error of {@link verifyAckToken}, and ReplayedAckTokenError on a second use
 */
export async function redeemAckToken(
  token: string,
  options: VerifyAckOptions & { readonly nonces: AckNonceStore },
): Promise<AckClaims> {
  const claims = verifyAckToken(token, options);
  if (!(await options.nonces.claim(claims.nonce, claims.expiresAtMs))) throw new ReplayedAckTokenError();
  return claims;
}

/** An {@link AckNonceStore} in memory (tests, local previews). */
export class InMemoryAckNonceStore implements AckNonceStore {
  private readonly claimed = new Set<string>();

  /** {@inheritDoc AckNonceStore.claim} */
  async claim(nonce: string): Promise<boolean> {
    if (this.claimed.has(nonce)) return false;
    this.claimed.add(nonce);
    return true;
  }
}
