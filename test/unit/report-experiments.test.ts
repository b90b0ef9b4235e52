/**
 * The executive summary's Experiments section: its numbers are the analysis's (lift, interval,
 * p-value, sample-ratio check), its chart is the daily primary KPI per variant, and no other report
 * shows it.
 */
import { buildReportFixture } from '../../cli/report-fixture';
import { KpiSet } from '../../lambdas/core/aggregates';
import { itemId, type KpiItemAddress, kpiItemKey, type StoredKpiItem } from '../../lambdas/core/aggregation';
import { parseConfig } from '../../lambdas/core/config/schema';
import {
  analyzeExperiment,
  type ExperimentConfig,
  experimentRows,
  formatPValue,
  formatRelativeLift,
} from '../../lambdas/core/experiments';
import { InMemoryHealthStore } from '../../lambdas/core/health';
import {
  buildReportModel,
  collectReportData,
  experimentChartAlt,
  experimentChartSpec,
  MissingExperimentStoreError,
  parseUtcDate,
  type ReportExperimentStore,
  type ReportModel,
  renderHtml,
  renderText,
  reportPeriod,
  vegaLiteToPng,
} from '../../lambdas/core/reports';
import { makeEvent } from '../support/events';

const DAY = 86_400_000;
const LAST_DAY = parseUtcDate('2026-11-20');
const FIRST_DAY = LAST_DAY - 6 * DAY;
const fx = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 3, days: 8 });

function experiment(): ExperimentConfig {
  return parseConfig({
    experiments: [
      {
        id: 'prompt-v2',
        title: 'Prompt v2',
        variants: [
          { id: 'control', allocation: 50 },
          { id: 'treatment', allocation: 50 },
        ],
        control: 'control',
        primaryKpi: 'resolution_rate',
        secondaryKpis: ['csat'],
        start: '2026-11-14T00:00:00Z',
      },
    ],
  }).experiments[0]!;
}

/** One day of one variant: `sessions` sessions of which the first `resolvedShare` resolve (spread deterministically). */
function daySet(sessions: number, resolvedShare: number): KpiSet {
  const set = new KpiSet(fx.catalog, { secondMoments: true });
  for (let i = 0; i < sessions; i++) {
    const u = ((i * 7919) % sessions) / sessions;
    set.observe(makeEvent('agent.session.completed', { data: { resolved: u < resolvedShare } }));
  }
  return set;
}

/** Experiment day items in memory, read by key as the DynamoDB KPI store does. */
class InMemoryExperimentStore implements ReportExperimentStore {
  readonly items = new Map<string, StoredKpiItem>();
  put(address: KpiItemAddress, set: KpiSet): void {
    this.items.set(itemId(kpiItemKey(address)), { address, set, version: 1, watermarks: {} });
  }
  async read(addresses: readonly KpiItemAddress[]): Promise<Map<string, StoredKpiItem>> {
    const out = new Map<string, StoredKpiItem>();
    for (const a of addresses) {
      const id = itemId(kpiItemKey(a));
      const item = this.items.get(id);
      if (item !== undefined) out.set(id, item);
    }
    return out;
  }
}

/** Seven days of the experiment; the treatment resolves 10% more, and gets `treatmentSessions` a day. */
function storeWith(exp: ExperimentConfig, treatmentSessions = 1000) {
  const store = new InMemoryExperimentStore();
  const merged = new Map([
    ['control', new KpiSet(fx.catalog, { secondMoments: true })],
    ['treatment', new KpiSet(fx.catalog, { secondMoments: true })],
  ]);
  for (let d = 0; d < 7; d++) {
    const dayMs = FIRST_DAY + d * DAY;
    const sets = { control: daySet(1000, 0.6 + d * 0.002), treatment: daySet(treatmentSessions, 0.66 + d * 0.002) };
    for (const [variant, set] of Object.entries(sets)) {
      store.put({ tenant: '*', granularity: 'day', bucketStartMs: dayMs, experiment: { id: exp.id, variant } }, set);
      merged.get(variant)!.mergeFrom(set);
    }
  }
  return { store, expected: analyzeExperiment(exp, fx.catalog, merged, LAST_DAY + DAY) };
}

async function report(kind: ReportModel['kind'], exp: ExperimentConfig | undefined, store: ReportExperimentStore) {
  const config = { ...fx.config, experiments: exp === undefined ? [] : [exp] };
  const deps = { ...fx, config, health: new InMemoryHealthStore(), experimentStore: store };
  const data = await collectReportData(kind, reportPeriod('week', LAST_DAY), deps);
  return { data, model: buildReportModel(data, fx.catalog, config) };
}

describe('Experiments section of the executive summary', () => {
  it("shows the analysis's primary lift, interval, p-value, verdict and sample-ratio check", async () => {
    const exp = experiment();
    const { store, expected } = storeWith(exp);
    const { model } = await report('executive_summary', exp, store);
    const [section] = model.story.experiments!;
    const row = experimentRows(expected).find((r) => r.role === 'primary')!;
    expect(section!.rows).toEqual([row]);
    expect(row.rel_lift as number).toBeCloseTo(0.1, 2);
    expect(row.rel_ci_low as number).toBeGreaterThan(0);
    expect(row.p_value as number).toBeLessThan(0.001);
    expect(section!.srm).toEqual({ pValue: expected.srm.pValue, mismatch: false });
    expect(section!.status).toBe('running');

    const text = renderText(model);
    const lift = formatRelativeLift(row.rel_lift as number, row.rel_ci_low as number, row.rel_ci_high as number);
    expect(text).toContain('EXPERIMENTS');
    expect(text).toContain('- Prompt v2 (running, fleet, 2026-11-14)');
    expect(text).toContain(`lift ${lift} (95% CI), p ${formatPValue(row.p_value as number)}: significant, better`);
    expect(text).toContain(`Sample ratio as planned (p ${formatPValue(expected.srm.pValue)})`);
    const html = renderHtml(model, []);
    expect(html).toContain('Experiments</h2>');
    expect(html).toContain(lift);
  });

  it('charts the daily primary KPI per variant, with the values in its text alternative', async () => {
    const exp = experiment();
    const { store } = storeWith(exp);
    const { model } = await report('executive_summary', exp, store);
    const section = model.story.experiments![0]!;
    expect(section.daily).toHaveLength(14);
    expect(section.daily.find((d) => d.date === '2026-11-14' && d.variant === 'treatment')?.value).toBeCloseTo(0.66, 3);
    const spec = experimentChartSpec(section)!;
    expect((spec as { data: { values: unknown[] } }).data.values).toHaveLength(14);
    const png = await vegaLiteToPng(spec, {});
    expect(png.width).toBeGreaterThan(0);
    const alt = experimentChartAlt(section);
    expect(alt).toContain('Prompt v2: daily Resolution rate per variant');
    expect(alt).toMatch(/treatment 11-14 66\.00%, /);
  });

  it('flags a sample-ratio mismatch when the split is not the planned one', async () => {
    const exp = experiment();
    const { store, expected } = storeWith(exp, 800);
    const { model } = await report('executive_summary', exp, store);
    const section = model.story.experiments![0]!;
    expect(expected.srm.mismatch).toBe(true);
    expect(section.srm).toEqual({ pValue: expected.srm.pValue, mismatch: true });
    expect(renderText(model)).toContain('Sample ratio mismatch (p < 0.001): the split is not the planned one');
  });

  it.each(['system_health', 'business_performance', 'client_success'] as const)(
    'is absent from the %s report',
    async (kind) => {
      const exp = experiment();
      const { store } = storeWith(exp);
      const { data, model } = await report(kind, exp, store);
      expect(data.experiments).toBeUndefined();
      expect(model.story.experiments).toBeUndefined();
      expect(renderText(model)).not.toContain('EXPERIMENTS');
      expect(renderHtml(model, [])).not.toContain('Experiments</h2>');
    },
  );

  it('is absent when no experiment is configured', async () => {
    const { model } = await report('executive_summary', undefined, new InMemoryExperimentStore());
    expect(model.story.experiments).toBeUndefined();
    expect(renderText(model)).not.toContain('EXPERIMENTS');
  });

  it('leaves out experiments that had not started by the period end', async () => {
    const exp = { ...experiment(), start: '2026-11-21T00:00:00Z' };
    const { model } = await report('executive_summary', exp, new InMemoryExperimentStore());
    expect(model.story.experiments).toEqual([]);
    expect(renderText(model)).toContain('EXPERIMENTS\n  none ran in the period');
  });

  it('refuses to build the executive summary without a way to read configured experiments', async () => {
    const config = { ...fx.config, experiments: [experiment()] };
    const deps = { source: fx.source, incidents: fx.incidents, config, health: new InMemoryHealthStore() };
    await expect(collectReportData('executive_summary', reportPeriod('week', LAST_DAY), deps)).rejects.toThrow(
      MissingExperimentStoreError,
    );
  });
});
