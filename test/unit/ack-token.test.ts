import {
  type AckClaims,
  ExpiredAckTokenError,
  ForgedAckTokenError,
  InMemoryAckNonceStore,
  MalformedAckTokenError,
  OtherIncidentAckTokenError,
  ReplayedAckTokenError,
  redeemAckToken,
  signAckToken,
  verifyAckToken,
} from '../../lambdas/core/escalation';

const KEY = 'a-signing-key-of-the-deployment-0123456789abcdef';
const NOW = Date.parse('2026-11-23T08:00:00Z');
const claims: AckClaims = { incidentId: 'inc-3f9a1c0d2b7e', level: 2, expiresAtMs: NOW + 3_600_000, nonce: 'AbCdEf12' };

describe('acknowledgement tokens', () => {
  it('a token signed by the deployment is accepted once, for its incident and level', async () => {
    const token = signAckToken(claims, KEY);
    const nonces = new InMemoryAckNonceStore();
    const redeemed = await redeemAckToken(token, { key: KEY, nowMs: NOW, incidentId: claims.incidentId, nonces });
    expect(redeemed).toEqual(claims);
  });

  it('is short enough to fit an SMS link', () => {
    expect(signAckToken(claims, KEY).length).toBeLessThanOrEqual(60);
  });

  it('refuses a token signed with another key (forged)', () => {
    const forged = signAckToken(claims, 'somebody-elses-key');
    expect(() => verifyAckToken(forged, { key: KEY, nowMs: NOW })).toThrow(ForgedAckTokenError);
  });

  it('refuses a token whose signed fields were altered (level, incident, expiry)', () => {
    const token = signAckToken(claims, KEY);
    const [id, , exp, nonce, mac] = token.split('.');
    const tampered = [
      [id, '1', exp, nonce, mac],
      ['inc-000000000000', '2', exp, nonce, mac],
      [id, '2', (Number.parseInt(exp!, 36) + 86_400).toString(36), nonce, mac],
    ];
    for (const parts of tampered) {
      expect(() => verifyAckToken(parts.join('.'), { key: KEY, nowMs: NOW })).toThrow(ForgedAckTokenError);
    }
  });

  it('refuses an expired token, naming when it expired', () => {
    const token = signAckToken(claims, KEY);
    const verify = () => verifyAckToken(token, { key: KEY, nowMs: claims.expiresAtMs });
    expect(verify).toThrow(ExpiredAckTokenError);
    expect(verify).toThrow(/expired at 2026-11-23T09:00:00.000Z/);
    expect(verifyAckToken(token, { key: KEY, nowMs: claims.expiresAtMs - 1000 }).incidentId).toBe(claims.incidentId);
  });

  it('refuses a replayed token: the second redemption fails', async () => {
    const token = signAckToken(claims, KEY);
    const nonces = new InMemoryAckNonceStore();
    await redeemAckToken(token, { key: KEY, nowMs: NOW, nonces });
    await expect(redeemAckToken(token, { key: KEY, nowMs: NOW + 1000, nonces })).rejects.toThrow(ReplayedAckTokenError);
  });

  it("refuses another incident's token", async () => {
    const token = signAckToken(claims, KEY);
    const nonces = new InMemoryAckNonceStore();
    await expect(
      redeemAckToken(token, { key: KEY, nowMs: NOW, incidentId: 'inc-aaaaaaaaaaaa', nonces }),
    ).rejects.toThrow(OtherIncidentAckTokenError);
    // A refused token does not burn its nonce: the right incident can still use it.
    await expect(
      redeemAckToken(token, { key: KEY, nowMs: NOW, incidentId: claims.incidentId, nonces }),
    ).resolves.toEqual(claims);
  });

  it('refuses malformed tokens with a reason', () => {
    for (const bad of ['', 'abc', 'a.b.c.d', 'a.b.c.d.e.f']) {
      expect(() => verifyAckToken(bad, { key: KEY, nowMs: NOW })).toThrow(MalformedAckTokenError);
    }
    const e = (() => {
      try {
        verifyAckToken('x.y', { key: KEY, nowMs: NOW });
      } catch (err) {
        return err as MalformedAckTokenError;
      }
      return undefined;
    })();
    expect(e?.reason).toBe('malformed');
  });
});
