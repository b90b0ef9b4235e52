/**
 * EmfExperimentMetrics: the per-variant EMF documents the aggregator writes for experiment items,
 * read back the way CloudWatch reads them (the project's EMF parser and period statistics), and
 * checked against what the fleet dashboard's experiment widget addresses (experimentMetrics).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EmfKpiMetrics } from '../../lambdas/adapters/metrics-emf';
import { EmfExperimentMetrics } from '../../lambdas/adapters/metrics-emf-experiments';
import { KpiSet } from '../../lambdas/core/aggregates';
import type { AppliedMinuteDelta } from '../../lambdas/core/aggregation';
import { MetricStore, parseEmfLines } from '../../lambdas/core/alarm-evaluator';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { experimentMetricCount, experimentMetrics } from '../../lambdas/core/experiments';
import { makeEvent } from '../support/events';
import { stdoutLinesOf } from '../support/stdout-lines';

const NAMESPACE = 'AcmeAgents';
const DAY_MS = Date.UTC(2026, 10, 22);
/** The aggregator's clock: 10:07:30 on the experiment items' day. */
const NOW_MS = DAY_MS + 10 * 3_600_000 + 7.5 * 60_000;
const config = parseConfig({
  metricsNamespace: NAMESPACE,
  tenants: [{ id: 'acme', name: 'Acme', tier: 'enterprise' }],
  experiments: [
    {
      id: 'prompt-v2',
      tenant: 'acme',
      variants: [
        { id: 'treatment', allocation: 1 },
        { id: 'control', allocation: 1 },
      ],
      control: 'control',
      primaryKpi: 'resolution_rate',
      secondaryKpis: ['csat', 'response_latency'],
      start: '2026-11-01T00:00:00Z',
    },
    {
      id: 'fast-voice',
      variants: [
        { id: 'a', allocation: 1 },
        { id: 'b', allocation: 1 },
        { id: 'c', allocation: 2 },
      ],
      control: 'a',
      primaryKpi: 'response_latency',
      start: '2026-11-01T00:00:00Z',
    },
  ],
});
const catalog = KpiCatalog.builtIn();

// Powertools warns about EMF timestamps more than 14 days from its clock: keep it beside the documents.
beforeAll(() => {
  jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
});
afterAll(() => {
  jest.restoreAllMocks();
});

/** A set of `resolved` resolved and `unresolved` unresolved sessions, one CSAT 5 and turns of `turnMs`. */
function sessions(resolved: number, unresolved: number, turnMs: readonly number[] = []): KpiSet {
  const set = new KpiSet(catalog, { secondMoments: true });
  const events: AgentEvent[] = [
    ...Array.from({ length: resolved }, () => makeEvent('agent.session.completed', { data: { resolved: true } })),
    ...Array.from({ length: unresolved }, () => makeEvent('agent.session.completed', { data: { resolved: false } })),
    makeEvent('feedback.submitted', { data: { kind: 'csat', score: 5 } }),
    ...turnMs.map((ms) => makeEvent('agent.turn.completed', { data: { totalMs: ms } })),
  ];
  for (const e of events) set.observe(e);
  return set;
}

function experimentDelta(id: string, variant: string, set: KpiSet, dayMs = DAY_MS, scope = 'acme'): AppliedMinuteDelta {
  return { tenant: scope, bucketStartMs: dayMs, set, experiment: { id, variant } };
}

/** Publishes through the aggregator's composition (experiment sink around the KPI sink) and parses stdout. */
function publish(deltas: readonly AppliedMinuteDelta[], nowMs = NOW_MS, alone = false) {
  const warnings: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => warnings.push(args.map(String).join(' ')),
    error: (...args: unknown[]) => warnings.push(args.map(String).join(' ')),
  };
  const metrics = new Metrics({ namespace: NAMESPACE, serviceName: 'aggregator', logger });
  const sink = new EmfExperimentMetrics({
    inner: alone ? { publish: () => {} } : new EmfKpiMetrics({ metrics, catalog }),
    metrics,
    catalog,
    experiments: config.experiments,
    now: () => nowMs,
  });
  const lines = stdoutLinesOf(() => sink.publish(deltas));
  const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: EmfAws });
  return { docs, warnings, store: MetricStore.of(parseEmfLines(lines)) };
}

interface EmfAws {
  readonly Timestamp: number;
  readonly CloudWatchMetrics: readonly { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
}

const HOUR = (store: MetricStore, name: string, dims: Record<string, string>, stat: string) =>
  store.statistic(NAMESPACE, name, dims, stat, DAY_MS, DAY_MS + 86_400_000);

describe('EmfExperimentMetrics', () => {
  const fleet: AppliedMinuteDelta = { tenant: '*', bucketStartMs: DAY_MS + 10 * 3_600_000, set: sessions(5, 5) };
  const { docs, warnings, store } = publish([
    fleet,
    experimentDelta('prompt-v2', 'control', sessions(6, 4)),
    experimentDelta('prompt-v2', 'treatment', sessions(9, 1)),
    experimentDelta('prompt-v2', '_unknown', sessions(3, 0)),
    experimentDelta('_unknown', '_unknown', sessions(2, 0), DAY_MS, '*'),
    experimentDelta('retired', 'a', sessions(2, 0)),
  ]);
  const experimentDocs = docs.filter((d) => d.Experiment !== undefined);

  it("publishes the primary KPI's value per configured variant, as the widget reads it", () => {
    expect(warnings).toEqual([]);
    const [widget] = experimentMetrics(config.experiments, catalog);
    expect(widget).toMatchObject({
      metricName: 'ResolutionRate',
      statistic: 'Average',
      variants: ['control', 'treatment'],
    });
    const rate = (variant: string) =>
      HOUR(store, widget!.metricName, { Experiment: 'prompt-v2', Variant: variant }, widget!.statistic);
    expect(rate('control')).toMatchObject({ value: 0.6, sampleCount: 10 });
    expect(rate('treatment')).toMatchObject({ value: 0.9, sampleCount: 10 });
  });

  it('uses exactly the Experiment and Variant dimensions in the namespace, and no other metric', () => {
    expect(experimentDocs).toHaveLength(2);
    for (const d of experimentDocs) {
      const directive = d._aws.CloudWatchMetrics[0]!;
      expect(directive.Namespace).toBe(NAMESPACE);
      expect(directive.Dimensions).toEqual([['Experiment', 'Variant']]);
      expect(directive.Metrics.map((m) => m.Name)).toEqual(['ResolutionRate']);
      expect(d.Tenant).toBeUndefined();
      expect(d.service).toBeUndefined();
    }
  });

  it('adds no Powertools service dimension when composed without the KPI sink', () => {
    const { docs: alone } = publish([experimentDelta('prompt-v2', 'control', sessions(1, 1))], NOW_MS, true);
    expect(alone.map((d) => d._aws.CloudWatchMetrics[0]!.Dimensions)).toEqual([[['Experiment', 'Variant']]]);
    expect(alone[0]!.service).toBeUndefined();
  });

  it('never publishes unknown experiments, unknown variants or experiments no longer configured', () => {
    const pairs = experimentDocs.map((d) => `${String(d.Experiment)}/${String(d.Variant)}`).sort();
    expect(pairs).toEqual(['prompt-v2/control', 'prompt-v2/treatment']);
  });

  it('leaves the fleet metrics to the KPI sink: experiment items are not counted into Tenant=ALL twice', () => {
    expect(HOUR(store, 'ResolutionRate', { Tenant: 'ALL' }, 'Average')).toMatchObject({ value: 0.5, sampleCount: 10 });
  });

  it("stamps the clock's minute inside the item's day, and the day's last minute for a late day", () => {
    expect(experimentDocs.map((d) => d._aws.Timestamp)).toEqual([NOW_MS - 30_000, NOW_MS - 30_000]);
    const earlier = DAY_MS - 86_400_000;
    const late = publish([experimentDelta('prompt-v2', 'control', sessions(1, 1), earlier)]);
    expect(late.docs.map((d) => d._aws.Timestamp)).toEqual([DAY_MS - 60_000]);
  });

  it('publishes a quantile primary KPI as a distribution, so the widget p50 is the variant median', () => {
    const { docs: latencyDocs, store: s } = publish([
      experimentDelta('fast-voice', 'a', sessions(1, 0, [800, 900, 1000, 1100, 1200]), DAY_MS, '*'),
      experimentDelta('fast-voice', 'c', sessions(1, 0, [400, 500, 600]), DAY_MS, '*'),
    ]);
    expect(latencyDocs.map((d) => d.Variant)).toEqual(['a', 'c']);
    const median = (variant: string) =>
      HOUR(s, 'ResponseLatency', { Experiment: 'fast-voice', Variant: variant }, 'p50')?.value;
    expect(median('a')).toBeCloseTo(1000, -1);
    expect(median('c')).toBeCloseTo(500, -1);
  });
});

describe('experimentMetrics', () => {
  it('names a KPI the catalog does not publish in PascalCase, with its unit', () => {
    const [m] = experimentMetrics([{ ...config.experiments[1]!, primaryKpi: 'stt_latency' }], catalog);
    expect(m).toMatchObject({ metricName: 'SttLatency', unit: 'Milliseconds', statistic: 'p50' });
  });

  it('counts one metric per configured (experiment, variant)', () => {
    expect(experimentMetricCount(config.experiments)).toBe(5);
  });
});
