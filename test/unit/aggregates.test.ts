import fc from 'fast-check';
import {
  AggregateDecodeError,
  HyperLogLog,
  KpiSet,
  type KpiValue,
  MAX_GROUPS_PER_KPI,
  MAX_SERIALIZED_BYTES,
} from '../../lambdas/core/aggregates';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { exportRows } from '../../lambdas/core/export';
import { bucketStart } from '../../lambdas/core/time/buckets';
import { arbBimodal, arbEvent, arbHeavyTail, arbLogNormal, makeCustomEvent, makeEvent } from '../support/events';
import { exactKpis, exactQuantile } from '../support/exact-kpis';

const catalog = KpiCatalog.builtIn();

function setOf(events: readonly AgentEvent[], cat = catalog): KpiSet {
  const s = new KpiSet(cat);
  for (const e of events) s.observe(e);
  return s;
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-12);

/** Values equal up to float rounding of sums (merging reorders additions). */
function expectSameValues(actual: KpiValue[], expected: KpiValue[]): void {
  expect(actual.map((v) => v.kpi)).toEqual(expected.map((v) => v.kpi));
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect(a.count).toBe(e.count);
    for (const k of ['value', 'p50', 'p95', 'p99'] as const) {
      const x = a[k];
      const y = e[k];
      if (x === null || y === null || x === undefined || y === undefined) expect(x).toBe(y);
      else if (!close(x, y, 1e-9)) throw new Error(`${a.kpi}.${k}: ${x} != ${y}`);
    }
  });
}

/** Splits `items` into consecutive chunks at the given cut points. */
function chunks<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let prev = 0;
  for (const p of [...points, items.length]) {
    out.push(items.slice(prev, p));
    prev = p;
  }
  return out;
}

/** Merges sets by a random binary tree (any grouping). */
function mergeTree(sets: KpiSet[], picks: readonly number[]): KpiSet {
  const pool = [...sets];
  let i = 0;
  while (pool.length > 1) {
    const a = pool.splice((picks[i++ % picks.length] ?? 0) % pool.length, 1)[0]!;
    const b = pool.splice((picks[i++ % picks.length] ?? 0) % pool.length, 1)[0]!;
    const m = new KpiSet(catalog);
    m.mergeFrom(a);
    m.mergeFrom(b);
    pool.push(m);
  }
  return pool[0] ?? new KpiSet(catalog);
}

describe('KpiSet values', () => {
  it('agree with the exact reference on arbitrary events (one tenant, one bucket)', () => {
    fc.assert(
      fc.property(
        fc.array(arbEvent({ tenants: ['acme'], toMs: Date.UTC(2026, 10, 22, 8, 1) }), { maxLength: 120 }),
        (events) => {
          const got = new Map(
            setOf(events)
              .values()
              .map((v) => [v.kpi, v]),
          );
          const want = exactKpis(events, { granularity: 'minute' }).filter((r) => r.tenant === 'acme');
          expect([...got.keys()].sort()).toEqual(want.map((r) => r.kpi).sort());
          for (const w of want) {
            const g = got.get(w.kpi)!;
            expect(g.count).toBe(w.count);
            if (w.value === null) expect(g.value).toBeNull();
            else if (w.kpi === 'active_users' || w.kpi.startsWith('feature_adoption:')) {
              expect(Math.abs(g.value! - w.value)).toBeLessThanOrEqual(Math.max(0.02 * w.value, 0.5));
            } else expect(close(g.value!, w.value, 1e-9)).toBe(true);
            for (const q of ['p50', 'p95', 'p99'] as const) {
              if (w[q] === undefined) expect(g[q]).toBeUndefined();
              else expect(close(g[q]!, w[q]!, 0.01)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rates are empty (null), not 0, when the denominator is 0', () => {
    const s = setOf([
      makeEvent('escalation.reviewed', { data: { predicted: false, actual: false } }),
      makeEvent('sales.stage.changed', { data: { stage: 'contacted' } }),
    ]);
    expect(s.value('escalation_precision')).toEqual({ kpi: 'escalation_precision', value: null, count: 0 });
    expect(s.value('escalation_recall')).toEqual({ kpi: 'escalation_recall', value: null, count: 0 });
    expect(s.value('escalation_accuracy')).toEqual({ kpi: 'escalation_accuracy', value: 1, count: 1 });
    expect(s.value('conversion_lead_to_contacted')).toEqual({
      kpi: 'conversion_lead_to_contacted',
      value: null,
      count: 0,
    });
    expect(s.value('conversion_contacted_to_qualified')).toEqual({
      kpi: 'conversion_contacted_to_qualified',
      value: 0,
      count: 1,
    });
    // No turn carried cacheHit: the KPI has no data at all.
    expect(
      setOf([makeEvent('agent.turn.completed', { data: { cacheHit: undefined } })]).value('cache_hit_rate'),
    ).toBeUndefined();
  });

  it('computes NPS on -100..100 and CSAT as a mean of csat scores only', () => {
    const scores = [10, 9, 9, 8, 7, 6, 0, 3];
    const s = setOf([
      ...scores.map((score) => makeEvent('feedback.submitted', { data: { kind: 'nps', score } })),
      makeEvent('feedback.submitted', { data: { kind: 'csat', score: 4 } }),
      makeEvent('feedback.submitted', { data: { kind: 'csat', score: 3 } }),
    ]);
    expect(s.value('nps')).toEqual({ kpi: 'nps', value: (100 * (3 - 3)) / 8, count: 8 });
    expect(s.value('csat')).toEqual({ kpi: 'csat', value: 3.5, count: 2 });
    expect(setOf([makeEvent('feedback.submitted', { data: { kind: 'nps', score: 10 } })]).value('nps')?.value).toBe(
      100,
    );
    expect(setOf([makeEvent('feedback.submitted', { data: { kind: 'nps', score: 2 } })]).value('nps')?.value).toBe(
      -100,
    );
  });

  it('counts rejections per reason without counting them as events', () => {
    const s = new KpiSet(catalog);
    expect(s.isEmpty()).toBe(true);
    s.observeRejection('schema');
    s.observeRejection('schema');
    s.observeRejection('late');
    expect(s.isEmpty()).toBe(false);
    expect(s.eventCount()).toBe(0);
    expect(s.values()).toEqual([
      { kpi: 'rejected_events', value: 3, count: 3 },
      { kpi: 'rejected_events:late', value: 1, count: 1 },
      { kpi: 'rejected_events:schema', value: 2, count: 2 },
    ]);
  });

  it('answers any quantile, e.g. p99.9, and nothing for non-quantile KPIs', () => {
    const events = Array.from({ length: 2000 }, (_, i) =>
      makeEvent('voice.synthesis.completed', { data: { latencyMs: i + 1 } }),
    );
    const s = setOf(events);
    expect(close(s.quantile('synthesis_latency', 0.999)!, 1998, 0.01)).toBe(true);
    expect(s.quantile('syntheses', 0.5)).toBeUndefined();
    expect(s.quantile('handle_time', 0.5)).toBeUndefined();
    expect(s.quantile('synthesis_latency', 1.5)).toBeUndefined();
  });

  it('caps feature groups per KPI and folds the rest into _other', () => {
    const events = Array.from({ length: MAX_GROUPS_PER_KPI + 5 }, (_, i) =>
      makeEvent('user.active', { data: { userId: `u${i}`, feature: `f${i}` } }),
    );
    const s = setOf(events);
    const groups = s.values().filter((v) => v.kpi.startsWith('feature_adoption:'));
    expect(groups).toHaveLength(MAX_GROUPS_PER_KPI + 1);
    expect(s.value('feature_adoption:_other')).toEqual({ kpi: 'feature_adoption:_other', value: 5, count: 5 });
    // Merging two capped sets stays capped.
    const other = setOf(
      events.map((e) => makeEvent('user.active', { data: { userId: e.data.userId, feature: `g-${e.data.feature}` } })),
    );
    s.mergeFrom(other);
    expect(s.values().filter((v) => v.kpi.startsWith('feature_adoption:'))).toHaveLength(MAX_GROUPS_PER_KPI + 1);
  });

  it('feeds custom KPIs, with their filter', () => {
    const cat = KpiCatalog.create([
      {
        name: 'bookings',
        eventType: 'custom.booking',
        aggregation: 'count',
        where: { field: 'kind', equals: 'table' },
      },
      { name: 'booking_seats', eventType: 'custom.booking', aggregation: 'sum', field: 'seats' },
      { name: 'booking_ok', eventType: 'custom.booking', aggregation: 'rate', field: 'ok' },
      { name: 'booking_wait', eventType: 'custom.booking', aggregation: 'quantiles', field: 'waitMs' },
      { name: 'bookers', eventType: 'custom.booking', aggregation: 'distinct', field: 'guest' },
    ]);
    const s = setOf(
      [
        makeCustomEvent('custom.booking', { kind: 'table', seats: 2, ok: true, waitMs: 100, guest: 'a' }),
        makeCustomEvent('custom.booking', { kind: 'room', seats: 1, ok: false, waitMs: 300, guest: 'a' }),
        makeCustomEvent('custom.booking', { kind: 'table', guest: 'b' }),
      ],
      cat,
    );
    expect(s.value('bookings')).toEqual({ kpi: 'bookings', value: 2, count: 2 });
    expect(s.value('booking_seats')).toEqual({ kpi: 'booking_seats', value: 3, count: 2 });
    expect(s.value('booking_ok')).toEqual({ kpi: 'booking_ok', value: 0.5, count: 2 });
    expect(s.value('booking_wait')).toMatchObject({ value: 200, count: 2 });
    expect(s.value('bookers')).toEqual({ kpi: 'bookers', value: 2, count: 3 });
  });
});

describe('hour and fleet buckets from minute sets', () => {
  it('merged minute sets export the same rows as the exact reference, per tenant and fleet-wide', () => {
    const from = Date.UTC(2026, 10, 22, 8, 0);
    fc.assert(
      fc.property(
        fc.array(arbEvent({ tenants: ['acme', 'globex'], fromMs: from, toMs: from + 2 * 3_600_000 }), {
          maxLength: 150,
        }),
        (events) => {
          const minutes = new Map<string, KpiSet>();
          for (const e of events) {
            const key = `${e.tenantid}|${bucketStart(Date.parse(e.time), 'minute')}`;
            const set = minutes.get(key) ?? new KpiSet(catalog);
            set.observe(e);
            minutes.set(key, set);
          }
          const hours = new Map<string, KpiSet>();
          for (const [key, set] of minutes) {
            const [tenant, minute] = key.split('|') as [string, string];
            const hour = bucketStart(Number(minute), 'hour');
            for (const t of [tenant, '*']) {
              const k = `${t}|${hour}`;
              const h = hours.get(k) ?? new KpiSet(catalog);
              h.mergeFrom(KpiSet.deserialize(set.serialize(), catalog));
              hours.set(k, h);
            }
          }
          const got = [...hours].flatMap(([k, set]) => {
            const [tenant, hour] = k.split('|') as [string, string];
            return exportRows(tenant, 'hour', Number(hour), set);
          });
          const key = (r: { tenant: string; bucketStart: string; kpi: string }) =>
            `${r.tenant}|${r.bucketStart}|${r.kpi}`;
          const want = new Map(exactKpis(events, { granularity: 'hour' }).map((r) => [key(r), r]));
          expect(got.map(key).sort()).toEqual([...want.keys()].sort());
          for (const g of got) {
            const w = want.get(key(g))!;
            expect(g.count).toBe(w.count);
            if (w.value === null || g.value === null) expect(g.value).toBe(w.value);
            else {
              // Distinct counts are sketches (2%); everything else is exact up to float rounding.
              const distinct = g.kpi === 'active_users' || g.kpi.startsWith('feature_adoption:');
              expect(close(g.value, w.value, distinct ? 0.02 : 1e-9)).toBe(true);
            }
            if (w.p95 !== undefined) expect(close(g.p95!, w.p95, 0.01)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('KpiSet merge', () => {
  const arbCase = fc.record({
    events: fc.array(arbEvent(), { maxLength: 150 }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
  });

  it('merging in any order and grouping equals one pass', () => {
    fc.assert(
      fc.property(arbCase, ({ events, cuts, picks }) => {
        const onePass = setOf(events);
        const merged = mergeTree(
          chunks(events, cuts).map((c) => setOf(c)),
          picks,
        );
        expectSameValues(merged.values(), onePass.values());
        expect(merged.eventCount()).toBe(events.length);
      }),
      { numRuns: 120 },
    );
  });

  it('serialize-then-merge equals merge, and serialization round-trips exactly', () => {
    fc.assert(
      fc.property(arbCase, ({ events, cuts, picks }) => {
        const parts = chunks(events, cuts).map((c) => setOf(c));
        const direct = mergeTree(parts, picks);
        const viaBytes = mergeTree(
          parts.map((p) => KpiSet.deserialize(p.serialize(), catalog)),
          picks,
        );
        expect(viaBytes.serialize()).toEqual(direct.serialize());
        expectSameValues(viaBytes.values(), direct.values());
        const again = KpiSet.deserialize(direct.serialize(), catalog);
        expect(again.values()).toEqual(direct.values());
        expect(again.eventCount()).toBe(direct.eventCount());
      }),
      { numRuns: 80 },
    );
  });

  it('clone is independent of the original', () => {
    const s = setOf([makeEvent('agent.turn.completed')]);
    const c = s.clone();
    c.observe(makeEvent('agent.turn.completed', { data: { totalMs: 5000 } }));
    expect(s.value('turns')?.value).toBe(1);
    expect(c.value('turns')?.value).toBe(2);
    expect(s.value('response_latency')?.count).toBe(1);
  });
});

describe('quantile accuracy (1% relative at p50/p95/p99)', () => {
  it.each([
    ['log-normal', arbLogNormal(6, 1.2)],
    ['bimodal', arbBimodal()],
    ['heavy tail', arbHeavyTail()],
  ])('%s data', (_name, arb) => {
    fc.assert(
      fc.property(fc.array(arb, { minLength: 200, maxLength: 3000 }), fc.nat(), (values, split) => {
        const events = values.map((totalMs) => makeEvent('agent.turn.completed', { data: { totalMs } }));
        const cut = split % events.length;
        const s = setOf(events.slice(0, cut));
        s.mergeFrom(KpiSet.deserialize(setOf(events.slice(cut)).serialize(), catalog));
        const sorted = [...values].sort((a, b) => a - b);
        const v = s.value('response_latency')!;
        for (const [q, key] of [
          [0.5, 'p50'],
          [0.95, 'p95'],
          [0.99, 'p99'],
        ] as const) {
          const exact = exactQuantile(sorted, q);
          const got = v[key]!;
          if (!close(got, exact, 0.01)) throw new Error(`${key}: ${got} vs exact ${exact}`);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('distinct counts (2% at 10,000)', () => {
  it('estimates 10,000 distinct users within 2%, across merged minute sets', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 2, max: 12 }), (prefix, parts) => {
        const sets = Array.from({ length: parts }, () => new KpiSet(catalog));
        for (let i = 0; i < 10_000; i++) {
          // Each user is active in one or two of the minutes: duplicates must not count twice.
          const e = makeEvent('user.active', { data: { userId: `${prefix}:${i}`, feature: undefined } });
          sets[i % parts]!.observe(e);
          if (i % 3 === 0) sets[(i + 1) % parts]!.observe(e);
        }
        const day = new KpiSet(catalog);
        for (const s of sets) day.mergeFrom(KpiSet.deserialize(s.serialize(), catalog));
        const v = day.value('active_users')!;
        expect(Math.abs(v.value! - 10_000) / 10_000).toBeLessThanOrEqual(0.02);
        expect(v.count).toBe(10_000 + Math.ceil(10_000 / 3));
      }),
      { numRuns: 8 },
    );
  });

  it('stays within 2% across the sparse-to-dense range and beyond', () => {
    for (const n of [1, 10, 100, 1000, 3000, 50_000, 100_000]) {
      const h = new HyperLogLog();
      for (let i = 0; i < n; i++) h.add(`user-${i}`);
      expect(Math.abs(h.estimate() - n) / n).toBeLessThanOrEqual(0.02);
    }
  });
});

/** `count` values of every quantile KPI spread from 0.001 ms to 10^9 ms (plus `offset`). */
function observeEveryLatency(set: KpiSet, count: number, offset: number): void {
  for (let i = 0; i < count; i++) {
    const wide = 10 ** ((i % 1200) / 100 - 3) * (1 + (i % 7) / 100) + offset;
    set.observe(makeEvent('agent.turn.completed', { data: { totalMs: wide, sttMs: wide, llmMs: wide, ttsMs: wide } }));
    set.observe(makeEvent('agent.session.completed', { data: { handleTimeMs: wide } }));
    set.observe(makeEvent('voice.synthesis.completed', { data: { latencyMs: wide } }));
    set.observe(makeEvent('api.request.completed', { data: { latencyMs: wide } }));
    set.observe(makeEvent('support.ticket.updated', { data: { status: 'resolved', resolutionMs: wide } }));
  }
}

describe('KpiSet serialization', () => {
  it('keeps a quiet minute small and a worst-case item under the stated bound', () => {
    const quiet = setOf([
      makeEvent('agent.turn.completed'),
      makeEvent('user.active'),
      makeEvent('api.request.completed'),
    ]);
    expect(quiet.serialize().length).toBeLessThan(400);

    // Worst case: every KPI fed, sketches spanning 0.001 ms to 10^9 ms, every distinct sketch dense.
    const worst = new KpiSet(catalog);
    for (let i = 0; i < 200_000; i++) {
      const feature = `feature-${i % (MAX_GROUPS_PER_KPI + 4)}`;
      worst.observe(makeEvent('user.active', { data: { userId: `u-${i}`, feature } }));
    }
    observeEveryLatency(worst, 40_000, 0);
    const bytes = worst.serialize();
    expect(worst.values().filter((v) => v.kpi.startsWith('feature_adoption:'))).toHaveLength(MAX_GROUPS_PER_KPI + 1);
    expect(bytes.length).toBeLessThan(MAX_SERIALIZED_BYTES);
    expect(KpiSet.deserialize(bytes, catalog).values()).toEqual(worst.values());
  });

  it('keeps a worst-case experiment item, every value list full of fractions, under the stated bound', () => {
    const worst = new KpiSet(catalog, { secondMoments: true, exactValues: true });
    for (let i = 0; i < 200_000; i++) {
      worst.observe(makeEvent('user.active', { data: { userId: `u-${i}`, feature: `feature-${i % 40}` } }));
    }
    // 1,000 values per quantile KPI (the most an item keeps), each in its own bin, none an integer.
    observeEveryLatency(worst, 1000, 1e-7);
    const bytes = worst.serialize();
    expect(bytes.length).toBeLessThan(MAX_SERIALIZED_BYTES);
    const back = KpiSet.deserialize(bytes, catalog);
    expect(back.exactValues('response_latency')).toHaveLength(1000);
    expect(back.values()).toEqual(worst.values());
  });

  it('rejects bytes that are not a KpiSet with AggregateDecodeError, never another error', () => {
    const good = setOf([makeEvent('agent.turn.completed'), makeEvent('user.active')]).serialize();
    // An experiment item (format 4, with value lists) too.
    const withValues = new KpiSet(catalog, { secondMoments: true, exactValues: true });
    for (const ms of [900, 1200.5]) withValues.observe(makeEvent('agent.turn.completed', { data: { totalMs: ms } }));
    const experiment = withValues.serialize();
    expect(() => KpiSet.deserialize(new Uint8Array([9, 0]), catalog)).toThrow(AggregateDecodeError);
    expect(() => KpiSet.deserialize(good.subarray(0, good.length - 3), catalog)).toThrow(AggregateDecodeError);
    expect(() => KpiSet.deserialize(experiment.subarray(0, experiment.length - 3), catalog)).toThrow(
      AggregateDecodeError,
    );
    const flip = (bytes: Uint8Array, at: number, byte: number) =>
      Uint8Array.from(bytes, (b, i) => (i === at % bytes.length ? byte : b));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat({ max: 255 }), (noise, at, byte) => {
        for (const input of [noise, flip(good, at, byte), flip(experiment, at, byte)]) {
          try {
            KpiSet.deserialize(input, catalog);
          } catch (err) {
            expect(err).toBeInstanceOf(AggregateDecodeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('drops states of KPIs the catalog no longer has', () => {
    const withCustom = KpiCatalog.create([{ name: 'bookings', eventType: 'custom.booking', aggregation: 'count' }]);
    const s = setOf([makeCustomEvent('custom.booking', {}), makeEvent('agent.turn.completed')], withCustom);
    const back = KpiSet.deserialize(s.serialize(), catalog);
    expect(back.value('bookings')).toBeUndefined();
    expect(back.value('turns')?.value).toBe(1);
  });
});
