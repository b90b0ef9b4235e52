/**
 * Quantile KPIs of experiment items keep their values while few (format 4), so the U test runs
 * on the values: kept through observe, merge and storage, dropped (never partly) beyond the cap
 * or when merged with a state without values, and the sketch answers exactly as before.
 */
import { AggregateDecodeError, KpiSet } from '../../lambdas/core/aggregates';
import { EXACT_VALUES_CAP } from '../../lambdas/core/aggregates/value-list';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { makeEvent } from '../support/events';

const catalog = KpiCatalog.builtIn();

const turn = (totalMs: number): AgentEvent => makeEvent('agent.turn.completed', { data: { totalMs } });

function setOf(latencies: readonly number[], exactValues: boolean): KpiSet {
  const s = new KpiSet(catalog, { secondMoments: exactValues, exactValues });
  for (const ms of latencies) s.observe(turn(ms));
  return s;
}

const sorted = (xs: readonly number[] | undefined) => (xs === undefined ? undefined : [...xs].sort((a, b) => a - b));
const roundTrip = (s: KpiSet) => KpiSet.deserialize(s.serialize(), catalog);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('KpiSet exact values (format 4)', () => {
  it('keeps every observed value of a quantile KPI and answers quantiles as a plain set does', () => {
    const latencies = [900, 1200, 640, 900, 3100];
    const s = setOf(latencies, true);
    expect(sorted(s.exactValues('response_latency'))).toEqual([640, 900, 900, 1200, 3100]);
    const plain = setOf(latencies, false);
    expect(plain.exactValues('response_latency')).toBeUndefined();
    expect(s.values()).toEqual(plain.values());
    expect(s.quantile('response_latency', 0.9)).toBe(plain.quantile('response_latency', 0.9));
    // Only quantile KPIs keep values.
    expect(s.exactValues('turn_error_rate')).toBeUndefined();
  });

  it('writes format 4 only when a state holds values; regular items stay format 2', () => {
    expect(setOf([900], true).serialize()[0]).toBe(4);
    expect(setOf([900], false).serialize()[0]).toBe(2);
  });

  it('writes these exact bytes (frozen: stored experiment items hold them)', () => {
    // One turn of 900 ms: the response_latency state is kind 8 with the sketch, then the value
    // list "02 00 00 84 07": one value (length + 1), integer mode, positive, varint 900.
    const bytes = hex(setOf([900], true).serialize());
    expect(bytes).toContain('0200008407');
    expect(KpiSet.deserialize(Buffer.from(bytes, 'hex'), catalog).exactValues('response_latency')).toEqual([900]);
  });

  it('reads back integers, negatives, fractions and extremes exactly', () => {
    for (const values of [
      [5, 5, 5],
      [0.25, 1e-9, 123456.789],
      [Number.MAX_SAFE_INTEGER, 0, 17],
      [Number.MAX_VALUE, 2 ** 60],
    ]) {
      const back = roundTrip(setOf(values, true));
      expect(sorted(back.exactValues('response_latency'))).toEqual(sorted(values));
      expect(back.value('response_latency')).toEqual(setOf(values, true).value('response_latency'));
    }
  });

  it('equal sets serialize to equal bytes whatever the order of observation', () => {
    expect(hex(setOf([3, 1, 2], true).serialize())).toBe(hex(setOf([2, 3, 1], true).serialize()));
  });

  it('merges lists, and a merge with a state without values keeps the sketch only', () => {
    const a = setOf([100, 200], true);
    a.mergeFrom(setOf([300], true));
    expect(sorted(a.exactValues('response_latency'))).toEqual([100, 200, 300]);
    for (const [first, second] of [
      [true, false],
      [false, true],
    ] as const) {
      const s = setOf([100, 200], first);
      s.mergeFrom(setOf([300], second));
      expect(s.exactValues('response_latency')).toBeUndefined();
      expect(s.value('response_latency')).toEqual(setOf([100, 200, 300], false).value('response_latency'));
    }
    // An empty plain set merging experiment sets (what the stores do) keeps the values.
    const into = new KpiSet(catalog);
    into.mergeFrom(setOf([7], true));
    into.mergeFrom(setOf([8], true));
    expect(sorted(into.exactValues('response_latency'))).toEqual([7, 8]);
  });

  it('stores all the values up to the cap and none beyond it, with the sketch unchanged', () => {
    const full = Array.from({ length: EXACT_VALUES_CAP }, (_, i) => 100 + i);
    expect(roundTrip(setOf(full, true)).exactValues('response_latency')).toHaveLength(EXACT_VALUES_CAP);
    const over = setOf([...full, 5000], true);
    // In memory (a batch, a read over several days) nothing is capped...
    expect(over.exactValues('response_latency')).toHaveLength(EXACT_VALUES_CAP + 1);
    // ...where it is stored, the list goes.
    const back = roundTrip(over);
    expect(back.exactValues('response_latency')).toBeUndefined();
    expect(back.value('response_latency')).toEqual(over.value('response_latency'));
    // And a later merge of new values does not bring a partial list back.
    back.mergeFrom(setOf([42], true));
    expect(back.exactValues('response_latency')).toBeUndefined();
    expect(back.value('response_latency')?.count).toBe(EXACT_VALUES_CAP + 2);
  });

  it('a stored list of 1,000 latencies in ms costs under 2 bytes a value', () => {
    const values = Array.from({ length: EXACT_VALUES_CAP }, (_, i) =>
      Math.round(400 + (3000 * ((i * 7919) % 1000)) / 1000),
    );
    const withValues = setOf(values, true).serialize().length;
    const without = setOf(values, false).serialize().length;
    expect(withValues - without).toBeLessThan(2 * EXACT_VALUES_CAP);
  });

  it('refuses a value list whose length is not the state count', () => {
    const bytes = setOf([900, 901], true).serialize();
    // The value list of the only quantile state is at the end: "03 00 00 84 07 01" -> claim 1 value.
    const h = hex(bytes);
    const at = h.lastIndexOf('0300008407');
    expect(at).toBeGreaterThan(0);
    const forged = `${h.slice(0, at)}0200008407`;
    expect(() => KpiSet.deserialize(Buffer.from(forged, 'hex'), catalog)).toThrow(AggregateDecodeError);
  });
});
