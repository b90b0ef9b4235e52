/**
 * analyzeExperiment over real KPI sets (the state experiment items keep): verdicts per KPI,
 * Holm on secondary KPIs, the unit-of-randomization note and the sample-ratio check.
 */
import { KpiSet } from '../../lambdas/core/aggregates';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import {
  analyzeExperiment,
  EXPERIMENT_SET_OPTIONS,
  type ExperimentConfig,
  experimentStatus,
  primaryVerdict,
} from '../../lambdas/core/experiments';
import { makeEvent } from '../support/events';

const catalog = KpiCatalog.builtIn();
const START_MS = Date.UTC(2026, 10, 20);

function experiment(overrides: Record<string, unknown> = {}): ExperimentConfig {
  const config = parseConfig({
    experiments: [
      {
        id: 'prompt-v2',
        variants: [
          { id: 'control', allocation: 50 },
          { id: 'treatment', allocation: 50 },
        ],
        control: 'control',
        primaryKpi: 'resolution_rate',
        secondaryKpis: ['csat', 'response_latency', 'escalation_rate'],
        start: '2026-11-20T00:00:00Z',
        end: '2026-11-27T00:00:00Z',
        ...overrides,
      },
    ],
  });
  return config.experiments[0]!;
}

/** Deterministic per-unit draws: unit i of n resolves when i is below the rate's share. */
function variantSet(sessions: number, resolvedShare: number, latencyMs: number, csatHigh: number): KpiSet {
  const set = new KpiSet(catalog, EXPERIMENT_SET_OPTIONS);
  for (let i = 0; i < sessions; i++) {
    const u = ((i * 7919) % sessions) / sessions;
    set.observe(
      makeEvent('agent.session.completed', { data: { resolved: u < resolvedShare, escalated: (i * 31) % 10 === 0 } }),
    );
    set.observe(makeEvent('agent.turn.completed', { data: { totalMs: latencyMs * (0.5 + ((i * 13) % 100) / 100) } }));
    set.observe(makeEvent('feedback.submitted', { data: { kind: 'csat', score: (i * 17) % 100 < csatHigh ? 5 : 3 } }));
  }
  return set;
}

describe('analyzeExperiment', () => {
  it('finds the real effect on the primary KPI and none on an unchanged secondary KPI', () => {
    const sets = new Map([
      ['control', variantSet(4000, 0.6, 900, 50)],
      ['treatment', variantSet(4000, 0.66, 900, 50)],
    ]);
    const result = analyzeExperiment(experiment(), catalog, sets, START_MS + 86_400_000);
    expect(result.status).toBe('running');
    expect(primaryVerdict(result)).toBe('better');
    const primary = result.kpis[0]!;
    expect(primary.test).toMatch(/two-proportion z-test/);
    const t = primary.variants[1]!;
    expect(t.value).toBeCloseTo(0.66, 3);
    expect(t.n).toBe(4000);
    expect(t.comparison!.relative).toBeCloseTo(0.1, 3);
    expect(t.comparison!.relativeCi.low!).toBeGreaterThan(0);
    expect(t.comparison!.pValue).toBeLessThan(0.001);
    const csat = result.kpis.find((k) => k.kpi === 'csat')!;
    expect(csat.test).toMatch(/Welch/);
    expect(csat.variants[1]!.comparison!.verdict).toBe('not_significant');
    expect(result.srm.mismatch).toBe(false);
  });

  it('adjusts secondary p-values with Holm and leaves the primary as is', () => {
    const sets = new Map([
      ['control', variantSet(3000, 0.6, 900, 50)],
      ['treatment', variantSet(3000, 0.62, 1000, 55)],
    ]);
    const result = analyzeExperiment(experiment(), catalog, sets, START_MS);
    const primary = result.kpis[0]!.variants[1]!.comparison!;
    expect(primary.adjustedPValue).toBe(primary.pValue);
    const secondary = result.kpis.slice(1).map((k) => k.variants[1]!.comparison!);
    const smallest = secondary.reduce((a, b) => (a.pValue < b.pValue ? a : b));
    expect(smallest.adjustedPValue).toBeCloseTo(Math.min(1, smallest.pValue * secondary.length), 12);
    const latency = result.kpis.find((k) => k.kpi === 'response_latency')!;
    expect(latency.test).toMatch(/Mann-Whitney U on the values/);
    expect(latency.variants[1]!.comparison!.verdict).toBe('worse');
    // In memory every value is there; 3,000 per variant is past the exact distribution's limit.
    expect(latency.variants[1]!.comparison!.method).toBe('normal approximation, on the values');
  });

  it('tests stored items on their values up to the cap and on sketch bins beyond it', () => {
    const stored = (s: KpiSet) => KpiSet.deserialize(s.serialize(), catalog);
    const methodAt = (sessions: number) => {
      const sets = new Map([
        ['control', stored(variantSet(sessions, 0.6, 900, 50))],
        ['treatment', stored(variantSet(sessions, 0.6, 1000, 50))],
      ]);
      const r = analyzeExperiment(experiment(), catalog, sets, START_MS + 86_400_000);
      return r.kpis.find((k) => k.kpi === 'response_latency')!.variants[1]!.comparison!;
    };
    const small = methodAt(200);
    // These latencies take 100 distinct values, so ties send the test to the tie-corrected normal approximation.
    expect(small.method).toBe('normal approximation, on the values');
    expect(small.verdict).toBe('worse');
    const large = methodAt(1500);
    expect(large.method).toBe('normal approximation, on sketch bins');
    expect(large.verdict).toBe('worse');
  });

  it('says plainly when a KPI is not measured per randomized unit', () => {
    const sets = new Map([
      ['control', variantSet(500, 0.6, 900, 50)],
      ['treatment', variantSet(500, 0.6, 900, 50)],
    ]);
    const result = analyzeExperiment(experiment(), catalog, sets, START_MS);
    const latency = result.kpis.find((k) => k.kpi === 'response_latency')!;
    expect(latency.unitNote).toMatch(/agent\.turn\.completed events, not the randomized units/);
    expect(latency.unitNote).toMatch(/p-value and interval are too small/);
    expect(result.kpis[0]!.unitNote).toBeUndefined();
  });

  it('flags a sample-ratio mismatch against the planned allocation', () => {
    const sets = new Map([
      ['control', variantSet(2000, 0.6, 900, 50)],
      ['treatment', variantSet(1750, 0.6, 900, 50)],
    ]);
    const result = analyzeExperiment(experiment(), catalog, sets, START_MS);
    expect(result.srm.observed.map((o) => o.units)).toEqual([2000, 1750]);
    expect(result.srm.pValue).toBeLessThan(0.001);
    expect(result.srm.mismatch).toBe(true);
    const planned = analyzeExperiment(
      experiment({
        variants: [
          { id: 'control', allocation: 10 },
          { id: 'treatment', allocation: 8.75 },
        ],
      }),
      catalog,
      sets,
      START_MS,
    );
    expect(planned.srm.mismatch).toBe(false);
  });

  it('reports no data for a variant without events', () => {
    const result = analyzeExperiment(
      experiment(),
      catalog,
      new Map([['control', variantSet(100, 0.5, 900, 50)]]),
      START_MS,
    );
    expect(primaryVerdict(result)).toBe('no_data');
    expect(result.kpis[0]!.variants[1]).toMatchObject({ variant: 'treatment', value: null, n: 0 });
  });

  it('knows scheduled, running and finished', () => {
    const e = experiment();
    expect(experimentStatus(e, START_MS - 1)).toBe('scheduled');
    expect(experimentStatus(e, START_MS)).toBe('running');
    expect(experimentStatus(e, Date.UTC(2026, 10, 27))).toBe('finished');
  });
});

describe('experiments[] configuration', () => {
  function issues(exp: Record<string, unknown>, extra: Record<string, unknown> = {}): string[] {
    try {
      parseConfig({ experiments: [exp], ...extra });
      return [];
    } catch (err) {
      return (err as { issues: Array<{ key: string; rule: string }> }).issues.map((i) => `${i.key}: ${i.rule}`);
    }
  }
  const base = {
    id: 'voice-v3',
    variants: [
      { id: 'a', allocation: 1 },
      { id: 'b', allocation: 1 },
    ],
    control: 'a',
    primaryKpi: 'fcr_rate',
    start: '2026-11-20T00:00:00Z',
  };

  it('fills in the fleet scope, alpha 0.05, no secondary KPIs and sessions as the unit', () => {
    const c = parseConfig({ experiments: [base] }).experiments[0]!;
    expect(c).toMatchObject({ tenant: '*', alpha: 0.05, secondaryKpis: [], unitKpi: 'sessions' });
  });

  it('names the key and the rule of each mistake', () => {
    expect(issues({ ...base, control: 'c' })).toEqual(['experiments.0.control: names "c", which is not in variants']);
    expect(issues({ ...base, primaryKpi: 'resolution' })[0]).toMatch(
      /^experiments\.0\.primaryKpi: names KPI "resolution", which is neither a built-in KPI nor in customKpis/,
    );
    expect(issues({ ...base, secondaryKpis: ['sessions'] })[0]).toMatch(
      /^experiments\.0\.secondaryKpis\.0: .*a count KPI/,
    );
    expect(issues({ ...base, tenant: 'nobody' })[0]).toMatch(/^experiments\.0\.tenant: names tenant "nobody"/);
    expect(issues({ ...base, end: '2026-11-19T00:00:00Z' })).toEqual(['experiments.0.end: must be after start']);
    expect(issues({ ...base, alpha: 0 })).toEqual(['experiments.0.alpha: must be > 0']);
    expect(issues({ ...base, id: 'Voice V3' })[0]).toMatch(/^experiments\.0\.id: must match/);
    expect(issues({ ...base, variants: [{ id: 'a', allocation: 0 }] })).toContain(
      'experiments.0.variants: needs at least two variants (a control and a treatment)',
    );
    expect(issues({ ...base, unitKpi: 'csat' })[0]).toMatch(/^experiments\.0\.unitKpi: .*not a count KPI/);
  });

  it('accepts custom KPIs', () => {
    const custom = { name: 'booking_rate', eventType: 'custom.booking', aggregation: 'rate', field: 'booked' };
    expect(issues({ ...base, secondaryKpis: ['booking_rate'] }, { customKpis: [custom] })).toEqual([]);
  });
});
