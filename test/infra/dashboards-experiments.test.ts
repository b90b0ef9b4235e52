/**
 * The fleet overview draws one graph per experiment that is running (or yet to start) at synth
 * time: its primary KPI per variant, addressing exactly the metrics the aggregator publishes.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EmfKpiMetrics } from '../../lambdas/adapters/metrics-emf';
import { EmfExperimentMetrics } from '../../lambdas/adapters/metrics-emf-experiments';
import { KpiSet } from '../../lambdas/core/aggregates';
import { MetricStore, parseEmfLines } from '../../lambdas/core/alarm-evaluator';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { makeEvent } from '../support/events';
import { type DashboardWidget, dashboards, type SynthesizedApp, synthesize } from './synth';

/** Synth time. */
const NOW_MS = Date.UTC(2026, 11, 2, 12);
const NAMESPACE = 'AcmeAgents';
const variants = (...ids: string[]) => ids.map((id) => ({ id, allocation: 1 }));
const input: PipelineConfigInput = {
  name: 'exp',
  metricsNamespace: NAMESPACE,
  tenants: [{ id: 'acme-voice', name: 'Acme', tier: 'enterprise' }],
  experiments: [
    {
      id: 'prompt-v2',
      tenant: 'acme-voice',
      variants: variants('treatment', 'control'),
      control: 'control',
      primaryKpi: 'resolution_rate',
      secondaryKpis: ['csat'],
      start: '2026-11-01T00:00:00Z',
    },
    {
      id: 'fast-voice',
      variants: variants('a', 'b', 'c'),
      control: 'a',
      primaryKpi: 'response_latency',
      start: '2026-11-20T00:00:00Z',
      // Ends later today: still running at synth time.
      end: '2026-12-02T18:00:00Z',
    },
    {
      id: 'old-greeting',
      variants: variants('a', 'b'),
      control: 'a',
      primaryKpi: 'csat',
      start: '2026-10-01T00:00:00Z',
      // Ended an hour before synth time.
      end: '2026-12-02T11:00:00Z',
    },
  ],
};

function experimentGraphs(s: SynthesizedApp): DashboardWidget[] {
  const fleet = dashboards(s.pipeline).get('exp-fleet-overview') ?? [];
  return fleet.filter((w) => w.properties.title?.startsWith('Experiment '));
}

describe('experiment widgets on the fleet overview', () => {
  let s: SynthesizedApp;
  beforeAll(() => {
    s = synthesize(input, { validate: false, now: () => NOW_MS });
  });

  it('draws one graph per running experiment and none for one that has ended', () => {
    expect(experimentGraphs(s).map((w) => w.properties.title)).toEqual([
      'Experiment prompt-v2: Resolution rate by variant',
      'Experiment fast-voice: Response latency p50 by variant',
    ]);
    const fleet = dashboards(s.pipeline).get('exp-fleet-overview') ?? [];
    expect(fleet.some((w) => w.properties.markdown?.startsWith('## Experiments'))).toBe(true);
  });

  it('plots the primary KPI of each configured variant, control first, hourly', () => {
    const [prompt, latency] = experimentGraphs(s);
    expect(prompt!.properties.metrics).toEqual([
      [
        NAMESPACE,
        'ResolutionRate',
        'Experiment',
        'prompt-v2',
        'Variant',
        'control',
        expect.objectContaining({ label: 'control (control)', period: 3600 }),
      ],
      [
        NAMESPACE,
        'ResolutionRate',
        'Experiment',
        'prompt-v2',
        'Variant',
        'treatment',
        expect.objectContaining({ label: 'treatment', period: 3600 }),
      ],
    ]);
    expect(latency!.properties.metrics?.map((m) => [m[1], m[5], (m[6] as { stat: string }).stat])).toEqual([
      ['ResponseLatency', 'a', 'p50'],
      ['ResponseLatency', 'b', 'p50'],
      ['ResponseLatency', 'c', 'p50'],
    ]);
  });

  it('drops the graph of an experiment once its end has passed at synth time', () => {
    const later = synthesize(input, { validate: false, now: () => Date.UTC(2026, 11, 3) });
    expect(experimentGraphs(later).map((w) => w.properties.title)).toEqual([
      'Experiment prompt-v2: Resolution rate by variant',
    ]);
  });

  it('reads metrics the aggregator publishes: every plotted series has data after a batch', () => {
    const config = parseConfig(input);
    const catalog = catalogFor(config);
    const lines: string[] = [];
    const metrics = new Metrics({ namespace: NAMESPACE, serviceName: 'aggregator' });
    const sink = new EmfExperimentMetrics({
      inner: new EmfKpiMetrics({ metrics, catalog }),
      metrics,
      catalog,
      experiments: config.experiments,
      now: () => NOW_MS,
    });
    const set = new KpiSet(catalog, { secondMoments: true });
    set.observe(makeEvent('agent.session.completed'));
    set.observe(makeEvent('agent.turn.completed'));
    const day = Date.UTC(2026, 11, 2);
    const spy = jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n'));
      return true;
    });
    try {
      sink.publish([
        ...['control', 'treatment'].map((variant) => ({
          tenant: 'acme-voice',
          bucketStartMs: day,
          set,
          experiment: { id: 'prompt-v2', variant },
        })),
        ...['a', 'b', 'c'].map((variant) => ({
          tenant: '*',
          bucketStartMs: day,
          set,
          experiment: { id: 'fast-voice', variant },
        })),
      ]);
    } finally {
      write.mockRestore();
      spy.mockRestore();
    }
    const store = MetricStore.of(parseEmfLines(lines));
    const plotted = experimentGraphs(s).flatMap((w) => w.properties.metrics ?? []);
    expect(plotted).toHaveLength(5);
    for (const [namespace, name, d1, v1, d2, v2, options] of plotted) {
      // The dashboard body leaves out the default statistic, Average.
      const stat = (options as { stat?: string }).stat ?? 'Average';
      const value = store.statistic(
        String(namespace),
        String(name),
        { [String(d1)]: String(v1), [String(d2)]: String(v2) },
        stat,
        day,
        day + 86_400_000,
      );
      expect(value).toBeDefined();
    }
  });
});
