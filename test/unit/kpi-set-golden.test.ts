/**
 * Golden bytes of every KpiSet format version. Stored KPI items hold these bytes, so a change to
 * the codec, the state kinds or the KEY_WORDS dictionary that alters them must fail here.
 *
 * FORMAT_1 was written by the format-1 writer (commit 3a5a060^) from GOLDEN_EVENTS plus one
 * `schema` rejection, over the built-in catalog plus the custom KPI `bookings`; it is deflated
 * (flags byte 1). FORMAT_2 is the same set as written now. FORMAT_3 is the same set with second
 * moments. The format-3 layout of a single mean KPI is also pinned in kpi-set-moments.test.ts.
 * FORMAT_4 is the same set with second moments and exact values (kpi-set-exact-values.test.ts).
 * FORMAT_2_BEFORE_BREAKDOWNS is FORMAT_2 as written before the catalog kept some counts and sums
 * per channel (`sessions:voice`): the codec did not change, the golden set gained those states,
 * and items stored without them read as before.
 */
import { inflateRawSync } from 'node:zlib';
import { KpiSet } from '../../lambdas/core/aggregates';
import { KEY_WORDS } from '../../lambdas/core/aggregates/kpi-set-codec';
import { StateKind, stateKindOf } from '../../lambdas/core/aggregates/state-kinds';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { makeCustomEvent, makeEvent } from '../support/events';

const catalog = KpiCatalog.create([{ name: 'bookings', eventType: 'custom.booking', aggregation: 'count' }]);

/** Two events of each built-in type (where two differ), every funnel stage and revenue kind, and one custom event. */
const GOLDEN_EVENTS: readonly AgentEvent[] = [
  makeEvent('agent.session.completed'),
  makeEvent('agent.session.completed', {
    data: { resolved: false, firstContact: false, escalated: true, handleTimeMs: 300_000 },
  }),
  makeEvent('agent.turn.completed'),
  makeEvent('agent.turn.completed', { data: { cacheHit: true, ok: false, totalMs: 2400 } }),
  makeEvent('voice.synthesis.completed'),
  makeEvent('voice.synthesis.completed', { data: { latencyMs: 2500, qualityScore: 0.5 } }),
  makeEvent('api.request.completed'),
  makeEvent('api.request.completed', { data: { status: 503, latencyMs: 900 } }),
  makeEvent('healthcheck.completed'),
  makeEvent('feedback.submitted', { data: { kind: 'csat', score: 4 } }),
  makeEvent('feedback.submitted', { data: { kind: 'nps', score: 10 } }),
  makeEvent('escalation.reviewed'),
  makeEvent('escalation.reviewed', { data: { predicted: true, actual: false } }),
  makeEvent('user.active'),
  makeEvent('user.active', { data: { userId: 'u-2', feature: 'export' } }),
  ...(['lead', 'contacted', 'qualified', 'proposal', 'won', 'lost'] as const).map((stage) =>
    makeEvent('sales.stage.changed', { data: { stage, valueUsd: stage === 'won' ? 1200 : 0 } }),
  ),
  ...(['new', 'expansion', 'contraction', 'churn'] as const).map((kind) =>
    makeEvent('revenue.recorded', { data: { kind, mrrDeltaUsd: kind === 'new' || kind === 'expansion' ? 500 : -200 } }),
  ),
  makeEvent('support.ticket.updated'),
  makeEvent('support.ticket.updated', { data: { status: 'resolved', resolutionMs: 3_600_000 } }),
  makeCustomEvent('custom.booking', {}),
];

function goldenSet(secondMoments = false, exactValues = false): KpiSet {
  const s = new KpiSet(catalog, { secondMoments, exactValues });
  for (const e of GOLDEN_EVENTS) s.observe(e);
  s.observeRejection('schema');
  return s;
}

const FORMAT_1 =
  'AQFtk89uEzEQxmecBKVs26QqakHiISjceijbM6+AZLnOhDV17K3HmzSnor5ApT4AB270KXJEPATtiSNHOIK8Tch2VZ/s7zf72fNnXx5sKh3NlGTFFLgrQNwe4d9XYluVRlIIPsigIgmBWVKsiuT0vCMgrburHMRdB78jwmbCgc4q4sggNtVUGatOjDVxLhD7J96fGveBAbe10gXJwsSVdVezioi1JwzzXWKtrIrGO6m0roLS8ycJP2uAMpA2bLyryaBBlqY7TYm0sraO7I/1/5T2x6RiFUiqkS9T4CGdlz7ELgLeHj2CmVTQRcI/vBiOK+fISu1dVDrSCDBbSpZU8+Q5Ag6WpzL40rOygCuDs0pZMzbJ4OlSmnkHmBXKjSzJaCZ0X/FPX14cg7jewPcImbWTVj/yqxzwV1fA1iQEqYsqOFnxaFVZs9itde9iSF33LbqTKJ2XyvFDll/kWWKOZg/VgaNYq4km0q3J4jLvuJJ7iDAI9JFScSRNyUUG3Gsph6wLmijAQSD2tmr2cBiIS++YWol++5qDuOnhCUKfidNzGUTGMbYCFyEH/N0RsMFzFwtiYhDPl3vDsj2KsLNmj1z5uYcBYX8d46cU5GuWXKhQD90a1V2NcxRv6vXn7d6acaU1MS8vbT6ociMK8mDtuBeNPqUoG8Wp56HuQT57dwz4M0PYvg9j6UtyaZKGK6H+cFpPZ4ztrPKLHPCmK2AQ07A8+OF7SWIQWzPv5FTZihrNX1zn/wA=';

const FORMAT_2 =
  'AgAcNToEAgAC3z4B/zACLAICASoDAgAAAAAA4I9AAALgAwHKAQEAKAACLgIBAQAIYm9va2luZ3MAARgCAgEwAQEAAAAAAAAQQDgGAQEAADQGAQEAAAoCAgE2BgEBAAAGAgIBPQZleHBvcnQEAQAB3z4BPQZzZWFyY2gEAQAB3m8CQAABPgABPwN3ZWIAAUgAAUQAAUIAAUYAAUcDd2ViAAEEAwIAAAAAgKIZQQACkgkBXAEAEgMCAAAAAABAj0AAAe4EAgBSAQEAAAAAAABpwFABAQAAAAAAAGnATgEBAAAAAABAf0BMAQEAAAAAAEB/QFQBBAAAAAAAwIJAMgUBAQBcAAFdBnNjaGVtYQABCAICAQ4DAgAAAAAAyKlAAAKqBQFiAQACAAIDBXZvaWNlAAIQAwIAAAAAAMByQAAB9gMCABoAAiACAgAcAwIAAAAAAMipQAACngUBcgEAJgICASIBAjMzMzMzM/c/HgICAiQCAgFaAwEAAAAAQHdLQQAB5gsBAFYAAVgAARQDAgAAAAAAQH9AAAGqBAIAFgICAQwAAkoBAQAAAAAAwJJASwN3ZWIBAQAAAAAAwJJA';

/** FORMAT_2 as written before sessions, leads, wins and won value were kept per channel. */
const FORMAT_2_BEFORE_BREAKDOWNS =
  'AgAcMToEAgAC3z4B/zACLAICASoDAgAAAAAA4I9AAALgAwHKAQEAKAACLgIBAQAIYm9va2luZ3MAARgCAgEwAQEAAAAAAAAQQDgGAQEAADQGAQEAAAoCAgE2BgEBAAAGAgIBPQZleHBvcnQEAQAB3z4BPQZzZWFyY2gEAQAB3m8CQAABPgABSAABRAABQgABRgABBAMCAAAAAICiGUEAApIJAVwBABIDAgAAAAAAQI9AAAHuBAIAUgEBAAAAAAAAacBQAQEAAAAAAABpwE4BAQAAAAAAQH9ATAEBAAAAAABAf0BUAQQAAAAAAMCCQDIFAQEAXAABXQZzY2hlbWEAAQgCAgEOAwIAAAAAAMipQAACqgUBYgEAAgACEAMCAAAAAADAckAAAfYDAgAaAAIgAgIAHAMCAAAAAADIqUAAAp4FAXIBACYCAgEiAQIzMzMzMzP3Px4CAgIkAgIBWgMBAAAAAEB3S0EAAeYLAQBWAAFYAAEUAwIAAAAAAEB/QAABqgQCABYCAgEMAAJKAQEAAAAAAMCSQA==';

const FORMAT_3 =
  'AwAcNToEAgAC3z4B/zACLAICASoDAgAAAAAA4I9AAALgAwHKAQEAKAACLgIBAQAIYm9va2luZ3MAARgCAgEwBwEAAAAAAAAQQAAAAAAAADBAOAYBAQAANAYBAQAACgICATYGAQEAAAYCAgE9BmV4cG9ydAQBAAHfPgE9BnNlYXJjaAQBAAHebwJAAAE+AAE/A3dlYgABSAABRAABQgABRgABRwN3ZWIAAQQDAgAAAACAohlBAAKSCQFcAQASAwIAAAAAAECPQAAB7gQCAFIBAQAAAAAAAGnAUAEBAAAAAAAAacBOAQEAAAAAAEB/QEwBAQAAAAAAQH9AVAEEAAAAAADAgkAyBQEBAFwAAV0Gc2NoZW1hAAEIAgIBDgMCAAAAAADIqUAAAqoFAWIBAAIAAgMFdm9pY2UAAhADAgAAAAAAwHJAAAH2AwIAGgACIAICABwDAgAAAAAAyKlAAAKeBQFyAQAmAgIBIgcCMzMzMzMz9z9wPQrXo3DyPx4CAgIkAgIBWgMBAAAAAEB3S0EAAeYLAQBWAAFYAAEUAwIAAAAAAEB/QAABqgQCABYCAgEMAAJKAQEAAAAAAMCSQEsDd2ViAQEAAAAAAMCSQA==';

/** FORMAT_3's set with exact values: every quantile state is kind 8 with its sorted value list. */
const FORMAT_4 =
  'BAAcNToEAgAC3z4B/zACLAICASoIAgAAAAAA4I9AAALgAwHKAQEAAwAAeIwGKAACLgIBAQAIYm9va2luZ3MAARgCAgEwBwEAAAAAAAAQQAAAAAAAADBAOAYBAQAANAYBAQAACgICATYGAQEAAAYCAgE9BmV4cG9ydAQBAAHfPgE9BnNlYXJjaAQBAAHebwJAAAE+AAE/A3dlYgABSAABRAABQgABRgABRwN3ZWIAAQQIAgAAAACAohlBAAKSCQFcAQADAADAqQeg/goSCAIAAAAAAECPQAAB7gQCAAMAAPQDAFIBAQAAAAAAAGnAUAEBAAAAAAAAacBOAQEAAAAAAEB/QEwBAQAAAAAAQH9AVAEEAAAAAADAgkAyBQEBAFwAAV0Gc2NoZW1hAAEIAgIBDggCAAAAAADIqUAAAqoFAWIBAAMAAIQH3AsCAAIDBXZvaWNlAAIQCAIAAAAAAMByQAAB9gMCAAMAAJYBABoAAiACAgAcCAIAAAAAAMipQAACngUBcgEAAwAAoAakDSYCAgEiBwIzMzMzMzP3P3A9CtejcPI/HgICAiQCAgFaCAEAAAAAQHdLQQAB5gsBAAIAAIDd2wFWAAFYAAEUCAIAAAAAAEB/QAABqgQCAAMAAPoBABYCAgEMAAJKAQEAAAAAAMCSQEsDd2ViAQEAAAAAAMCSQA==';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
/** The readings without the per-channel states (`sessions:voice`), which older items do not hold. */
const withoutBreakdowns = <T extends { kpi: string }>(vs: readonly T[]): T[] =>
  vs.filter((v) => !/^(sessions|funnel_lead|funnel_won|won_value_usd):/.test(v.kpi));
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('KpiSet golden bytes', () => {
  it('covers every dictionary word and every state kind of format 2', () => {
    const s = goldenSet();
    const keys = new Set(s.values().map((v) => v.kpi.split(':')[0]));
    expect(KEY_WORDS.filter((w) => !keys.has(w))).toEqual([]);
    const kinds = new Set(s.values().map((v) => stateKindOf(catalog.get(v.kpi.split(':')[0]!)!)));
    expect([...kinds].sort()).toEqual(
      Object.values(StateKind).filter((k) => k !== StateKind.MeanMoments && k !== StateKind.QuantileValues),
    );
    // Kind bytes are numbered without gaps (the decoder's range check relies on it).
    expect(Object.values(StateKind)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('format 2: writes these exact bytes and reads them back', () => {
    expect(b64(goldenSet().serialize())).toBe(FORMAT_2);
    const back = KpiSet.deserialize(bytes(FORMAT_2), catalog);
    expect(back.values()).toEqual(goldenSet().values());
    expect(back.eventCount()).toBe(GOLDEN_EVENTS.length);
    expect(back.secondMoments).toBe(false);
  });

  it('format 3: writes these exact bytes and reads them back', () => {
    const s = goldenSet(true);
    expect(b64(s.serialize())).toBe(FORMAT_3);
    const back = KpiSet.deserialize(bytes(FORMAT_3), catalog);
    expect(back.values()).toEqual(s.values());
    expect(back.moments('csat')).toEqual({ n: 1, sum: 4, sumOfSquares: 16 });
    expect(back.moments('synthesis_quality')).toEqual({ n: 2, sum: 1.45, sumOfSquares: 0.95 ** 2 + 0.25 });
  });

  it('format 4: writes these exact bytes and reads them back', () => {
    const s = goldenSet(true, true);
    expect(b64(s.serialize())).toBe(FORMAT_4);
    const back = KpiSet.deserialize(bytes(FORMAT_4), catalog);
    expect(back.values()).toEqual(s.values());
    expect(back.moments('csat')).toEqual({ n: 1, sum: 4, sumOfSquares: 16 });
    expect(back.exactValues('response_latency')).toEqual([900, 2400]);
    expect(back.exactValues('synthesis_latency')).toEqual([800, 2500]);
  });

  it('format 1 (deflated, keys as text): reads to the values of observing the events now, per-channel states aside', () => {
    const stored = bytes(FORMAT_1);
    expect([stored[0], stored[1]]).toEqual([1, 1]);
    // The inflated body names its keys as text.
    expect(Buffer.from(inflateRawSync(stored.subarray(2))).toString('latin1')).toContain('feature_adoption:search');
    const back = KpiSet.deserialize(stored, catalog);
    expect(back.values()).toEqual(withoutBreakdowns(goldenSet().values()));
    // Re-encoding moves it to format 2, byte for byte the golden form of its time.
    expect(b64(back.serialize())).toBe(FORMAT_2_BEFORE_BREAKDOWNS);
  });

  it('format 2 written before the channel breakdowns reads to the same totals, without per-channel states', () => {
    const back = KpiSet.deserialize(bytes(FORMAT_2_BEFORE_BREAKDOWNS), catalog);
    expect(back.values()).toEqual(withoutBreakdowns(goldenSet().values()));
    const now = goldenSet();
    expect(now.value('sessions:voice')?.value).toBe(2);
    expect(now.value('won_value_usd:web')?.value).toBe(1200);
    expect(b64(back.serialize())).toBe(FORMAT_2_BEFORE_BREAKDOWNS);
  });
});
