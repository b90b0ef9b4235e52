import { AggregateDecodeError, KpiSet } from '../../lambdas/core/aggregates';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { makeEvent } from '../support/events';

const catalog = KpiCatalog.builtIn();

/** CSAT 5, 4 and 2, and one NPS 9 (an NPS answer is not a CSAT value). */
const FEEDBACK: readonly AgentEvent[] = [
  makeEvent('feedback.submitted', { data: { kind: 'csat', score: 5 } }),
  makeEvent('feedback.submitted', { data: { kind: 'csat', score: 4 } }),
  makeEvent('feedback.submitted', { data: { kind: 'csat', score: 2 } }),
  makeEvent('feedback.submitted', { data: { kind: 'nps', score: 9 } }),
];

function setOf(events: readonly AgentEvent[], secondMoments: boolean): KpiSet {
  const s = new KpiSet(catalog, { secondMoments });
  for (const e of events) s.observe(e);
  return s;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/*
 * Golden bytes of FEEDBACK (frozen: stored items hold these bytes). Format 3 differs from format 2
 * only in the csat state: kind 7 (was 1) and 8 more bytes, the sum of squares 45 as a float64.
 */
const FORMAT_2 = '0200040230010300000000000026403205010100';
const FORMAT_3 = '03000402300703000000000000264000000000008046403205010100';

describe('KpiSet with second moments (format 3)', () => {
  it('keeps n, sum and sum of squares of a mean KPI, and the same values as a plain set', () => {
    const s = setOf(FEEDBACK, true);
    expect(s.secondMoments).toBe(true);
    expect(s.moments('csat')).toEqual({ n: 3, sum: 11, sumOfSquares: 45 });
    expect(s.values()).toEqual(setOf(FEEDBACK, false).values());
    // Only mean KPIs have second moments.
    expect(s.moments('nps')).toBeUndefined();
  });

  it('writes these exact bytes, and a plain set still writes format 2 (regular items do not grow)', () => {
    expect(hex(setOf(FEEDBACK, true).serialize())).toBe(FORMAT_3);
    expect(hex(setOf(FEEDBACK, false).serialize())).toBe(FORMAT_2);
    expect(setOf(FEEDBACK, false).moments('csat')).toBeUndefined();
  });

  it('reads the golden bytes back, and keeps second moments for what is observed next', () => {
    const back = KpiSet.deserialize(fromHex(FORMAT_3), catalog);
    expect(back.secondMoments).toBe(true);
    expect(back.moments('csat')).toEqual({ n: 3, sum: 11, sumOfSquares: 45 });
    back.observe(makeEvent('feedback.submitted', { data: { kind: 'csat', score: 3 } }));
    expect(back.moments('csat')).toEqual({ n: 4, sum: 14, sumOfSquares: 54 });

    const plain = KpiSet.deserialize(fromHex(FORMAT_2), catalog);
    expect(plain.secondMoments).toBe(false);
    expect(plain.value('csat')).toEqual({ kpi: 'csat', value: 11 / 3, count: 3 });
  });

  it('adds moments on merge, also into an empty plain set (the stores merge that way)', () => {
    const [a, b] = [setOf(FEEDBACK.slice(0, 2), true), setOf(FEEDBACK.slice(2), true)];
    const into = new KpiSet(catalog);
    into.mergeFrom(a);
    into.mergeFrom(b);
    expect(into.moments('csat')).toEqual({ n: 3, sum: 11, sumOfSquares: 45 });
    expect(into.serialize()).toEqual(setOf(FEEDBACK, true).serialize());
  });

  it('merged with a plain mean, keeps n and sum exact and no sum of squares', () => {
    for (const [first, second] of [
      [true, false],
      [false, true],
    ] as const) {
      const s = setOf(FEEDBACK.slice(0, 2), first);
      s.mergeFrom(setOf(FEEDBACK.slice(2), second));
      expect(s.moments('csat')).toBeUndefined();
      expect(s.value('csat')).toEqual({ kpi: 'csat', value: 11 / 3, count: 3 });
      expect(s.serialize()[0]).toBe(2);
    }
  });

  it('rejects a sum-of-squares state in format 2 bytes as corrupt', () => {
    const forged = fromHex(FORMAT_3);
    forged[0] = 2;
    expect(() => KpiSet.deserialize(forged, catalog)).toThrow(AggregateDecodeError);
  });
});
