/**
 * EmfKpiMetrics: the EMF documents the aggregator writes to stdout, read back the way CloudWatch
 * reads them (the project's EMF parser and period statistics), and checked against what the
 * alarms and dashboards of the same configuration address: namespace, the one `Tenant`
 * dimension, metric names and units, and the statistic each alarm computes.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EmfKpiMetrics } from '../../lambdas/adapters/metrics-emf';
import { KpiSet } from '../../lambdas/core/aggregates';
import type { AppliedMinuteDelta } from '../../lambdas/core/aggregation';
import { MetricStore, parseEmfLines } from '../../lambdas/core/alarm-evaluator';
import { resolveAlarmRules } from '../../lambdas/core/alarms/rules';
import { type CustomKpiSpec, KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfig, parseConfig, perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { tenantMetricNames } from '../../lambdas/core/dashboards/tenant-metrics';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { makeCustomEvent, makeEvent } from '../support/events';
import { stdoutLinesOf } from '../support/stdout-lines';

const NAMESPACE = 'AcmeAgents';
const ENTERPRISE = 'acme';
const STANDARD = 'globex';
const config: PipelineConfig = parseConfig({
  metricsNamespace: NAMESPACE,
  tenants: [
    { id: ENTERPRISE, name: 'Acme', tier: 'enterprise' },
    { id: STANDARD, name: 'Globex', tier: 'standard' },
  ],
});
const catalog = KpiCatalog.builtIn();
/** The minute the documents are stamped with. */
const MINUTE_MS = Date.UTC(2026, 10, 22, 10, 0);

// CloudWatch (and Powertools, against the system clock) refuse EMF timestamps older than 14 days: the
// tests' clock stands five minutes after the documents' minute, whenever the suite runs.
beforeAll(() => {
  jest.spyOn(Date, 'now').mockReturnValue(MINUTE_MS + 5 * 60_000);
});
afterAll(() => {
  jest.restoreAllMocks();
});

interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

interface Captured {
  readonly lines: string[];
  readonly docs: EmfDocument[];
  readonly warnings: string[];
}

/** Runs `publish` against a fresh sink and captures what Powertools writes to stdout. */
function capture(
  deltas: readonly AppliedMinuteDelta[],
  options: {
    catalog?: KpiCatalog;
    maxValuesPerMetric?: number;
    perTenant?: readonly string[];
    perTenantNames?: readonly string[];
  } = {},
): Captured {
  const warnings: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (...args: unknown[]) => warnings.push(args.map(String).join(' ')),
    error: (...args: unknown[]) => warnings.push(args.map(String).join(' ')),
  };
  const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: 'aggregator', logger });
  const sink = new EmfKpiMetrics({
    metrics,
    catalog: options.catalog ?? catalog,
    perTenantAlarmTenants: options.perTenant ?? perTenantAlarmTenants(config),
    ...(options.perTenantNames === undefined ? {} : { perTenantMetricNames: options.perTenantNames }),
    ...(options.maxValuesPerMetric === undefined ? {} : { maxValuesPerMetric: options.maxValuesPerMetric }),
  });
  const lines = stdoutLinesOf(() => sink.publish(deltas));
  const docs = lines.map((l) => JSON.parse(l) as EmfDocument).filter((d) => d._aws !== undefined);
  return { lines, docs, warnings };
}

function setOf(events: readonly AgentEvent[], c: KpiCatalog = catalog): KpiSet {
  const set = new KpiSet(c);
  for (const e of events) set.observe(e);
  return set;
}

function delta(tenant: string, set: KpiSet, bucketStartMs = MINUTE_MS): AppliedMinuteDelta {
  return { tenant, bucketStartMs, set };
}

function apiRequests(n: number, errors: number, latency: (i: number) => number = () => 120): AgentEvent[] {
  return Array.from({ length: n }, (_, i) =>
    makeEvent('api.request.completed', { data: { status: i < errors ? 503 : 200, latencyMs: latency(i) } }),
  );
}

function healthChecks(n: number, failed: number): AgentEvent[] {
  return Array.from({ length: n }, (_, i) => makeEvent('healthcheck.completed', { data: { ok: i >= failed } }));
}

/** One event of every built-in type, with data feeding every published KPI. */
function everyKpi(): AgentEvent[] {
  return [
    makeEvent('agent.session.completed'),
    makeEvent('agent.session.completed', { data: { resolved: false, escalated: true, firstContact: false } }),
    makeEvent('agent.turn.completed'),
    makeEvent('agent.turn.completed', { data: { ok: false, cacheHit: true, totalMs: 4000 } }),
    makeEvent('voice.synthesis.completed'),
    makeEvent('voice.synthesis.completed', { data: { latencyMs: 2500, cacheHit: true, ok: false } }),
    ...apiRequests(3, 1),
    ...healthChecks(4, 1),
    makeEvent('feedback.submitted', { data: { kind: 'csat', score: 4 } }),
    makeEvent('feedback.submitted', { data: { kind: 'nps', score: 9 } }),
    makeEvent('escalation.reviewed'),
    makeEvent('user.active'),
    makeEvent('sales.stage.changed', { data: { stage: 'won', valueUsd: 1200 } }),
    makeEvent('revenue.recorded'),
    makeEvent('support.ticket.updated'),
  ];
}

/** The period statistic an alarm on (name, dimension) computes from the captured documents. */
function statistic(docs: readonly EmfDocument[], name: string, tenant: string, stat: string): number | undefined {
  const store = MetricStore.of(parseEmfLines(docs.map((d) => JSON.stringify(d))));
  return store.statistic(NAMESPACE, name, { Tenant: tenant }, stat, MINUTE_MS, MINUTE_MS + 60_000)?.value;
}

/** Every value published for (name, tenant), across documents. */
function valuesOf(docs: readonly EmfDocument[], name: string, tenant: string): number[] {
  const out: number[] = [];
  for (const d of docs) {
    if (d.Tenant !== tenant || d[name] === undefined) continue;
    const v = d[name];
    out.push(...(Array.isArray(v) ? (v as number[]) : [v as number]));
  }
  return out;
}

describe('EmfKpiMetrics: namespace and dimensions', () => {
  const withRejection = setOf(everyKpi());
  withRejection.observeRejection('schema');
  const { docs, lines, warnings } = capture([
    delta('*', withRejection),
    delta(ENTERPRISE, setOf(everyKpi())),
    delta(STANDARD, setOf(everyKpi())),
  ]);

  it('writes only EMF documents, without Powertools warnings', () => {
    expect(docs.length).toBeGreaterThan(0);
    expect(docs).toHaveLength(lines.length);
    expect(warnings).toEqual([]);
  });

  it('puts every document in the configured namespace with exactly the Tenant dimension', () => {
    for (const d of docs) {
      expect(d._aws.CloudWatchMetrics).toHaveLength(1);
      expect(d._aws.CloudWatchMetrics[0]!.Namespace).toBe(NAMESPACE);
      expect(d._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Tenant']]);
      // No `service` dimension value leaks in: alarms address metrics by Tenant alone.
      expect(d.service).toBeUndefined();
      expect(d._aws.Timestamp).toBe(MINUTE_MS);
    }
  });

  it('publishes the fleet as Tenant=ALL and per-tenant metrics only for tiers with per-tenant alarms', () => {
    const tenants = new Set(docs.map((d) => d.Tenant));
    expect([...tenants].sort()).toEqual(['ALL', ENTERPRISE].sort());
    expect(docs.some((d) => d.Tenant === STANDARD)).toBe(false);
  });

  it('publishes nothing for a tenant without per-tenant alarms, even alone in a batch', () => {
    expect(capture([delta(STANDARD, setOf(everyKpi()))]).lines).toEqual([]);
  });

  it('publishes per tenant only the metrics the tenant dashboard draws, and every metric for the fleet', () => {
    const names = tenantMetricNames(catalog);
    const { docs: limited } = capture([delta('*', setOf(everyKpi())), delta(ENTERPRISE, setOf(everyKpi()))], {
      perTenantNames: names,
    });
    const metricNames = (tenant: string) =>
      new Set(
        limited
          .filter((d) => d.Tenant === tenant)
          .flatMap((d) => d._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)),
      );
    expect([...metricNames(ENTERPRISE)].every((n) => names.includes(n))).toBe(true);
    expect(metricNames(ENTERPRISE).size).toBeGreaterThan(0);
    expect(metricNames('ALL').size).toBeGreaterThan(metricNames(ENTERPRISE).size);
  });
});

describe('EmfKpiMetrics: the metrics the alarms and dashboards read exist', () => {
  const withRejection = () => {
    const set = setOf(everyKpi());
    set.observeRejection('schema');
    return set;
  };
  const { docs } = capture([delta('*', withRejection()), delta(ENTERPRISE, withRejection())]);
  const published = new Map<string, string>();
  for (const d of docs) {
    for (const m of d._aws.CloudWatchMetrics[0]!.Metrics) published.set(`${m.Name}|${String(d.Tenant)}`, m.Unit);
  }
  const plan = resolveAlarmRules(config, catalog);

  it('every threshold and anomaly alarm finds its metric under its namespace and dimension', () => {
    const read = plan.alarms.flatMap((a) => (a.kind === 'burn-window' ? [] : [a.metric]));
    expect(read.length).toBeGreaterThan(0);
    for (const m of read) {
      expect(m.namespace).toBe(NAMESPACE);
      expect(published.has(`${m.metricName}|${m.dimensions.Tenant}`)).toBe(true);
    }
  });

  it('every SLO burn-rate window finds its rate metric', () => {
    const windows = plan.alarms.filter((a) => a.kind === 'burn-window');
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) {
      expect(w.metric.namespace).toBe(NAMESPACE);
      expect(published.has(`${w.metric.metricName}|${w.metric.dimensions.Tenant}`)).toBe(true);
    }
  });

  it("publishes every catalog metric under its catalog name and unit (the dashboards' names)", () => {
    for (const def of catalog.all()) {
      if (def.metric === undefined) continue;
      for (const tenant of ['ALL', ENTERPRISE]) {
        expect([def.name, published.get(`${def.metric.name}|${tenant}`)]).toEqual([def.name, def.metric.unit]);
      }
    }
  });

  it('publishes no metric outside the catalog', () => {
    const known = new Set(catalog.all().flatMap((d) => (d.metric === undefined ? [] : [d.metric.name])));
    for (const key of published.keys()) expect(known.has(key.split('|')[0]!)).toBe(true);
  });
});

describe('EmfKpiMetrics: rate KPIs against the alarm thresholds', () => {
  it('a minute with 2% API errors reads 0.02, above the P1 threshold of 1%', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(1000, 20)))]);
    const p1 = catalog.get('api_error_rate')!.defaultAlarms.find((r) => r.severity === 'P1')!;
    const value = statistic(docs, 'ApiErrorRate', 'ALL', p1.statistic);
    expect(value).toBeCloseTo(0.02, 12);
    expect(value!).toBeGreaterThan(p1.threshold!);
  });

  it('a minute with 0.4% API errors stays under the P2 threshold of 0.5%', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(1000, 4)))]);
    const p2 = catalog.get('api_error_rate')!.defaultAlarms.find((r) => r.severity === 'P2')!;
    expect(statistic(docs, 'ApiErrorRate', 'ALL', p2.statistic)!).toBeLessThan(p2.threshold!);
  });

  it('weights batches of one minute by their events: 0 of 300 and 12 of 300 average to 2%', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(300, 0))), delta('*', setOf(apiRequests(300, 12)))]);
    expect(statistic(docs, 'ApiErrorRate', 'ALL', 'Average')).toBeCloseTo(0.02, 12);
  });

  it('keeps the exact rate when a batch has more events than the value cap', () => {
    // 3 errors in 5,000 requests is 0.06%; 0.6 errors out of 1,000 capped samples must not round to 0.1%.
    const { docs } = capture([delta('*', setOf(apiRequests(5000, 3)))]);
    expect(statistic(docs, 'ApiErrorRate', 'ALL', 'Average')).toBeCloseTo(0.0006, 12);
    expect(valuesOf(docs, 'ApiErrorRate', 'ALL').length).toBeLessThanOrEqual(1000);
  });

  it('a burn-rate window reads the event-weighted share: a quiet bad minute weighs less than a busy good one', () => {
    // Minute 1: 1,000 requests, no errors; minute 2: 100 requests, 50 errors. Over both minutes
    // 50 of 1,100 requests failed (4.5%), not the 25% mean of the two minutes' shares.
    const { docs } = capture([
      delta('*', setOf(apiRequests(1000, 0)), MINUTE_MS),
      delta('*', setOf(apiRequests(100, 50)), MINUTE_MS + 60_000),
    ]);
    const window = resolveAlarmRules(config, catalog).alarms.find(
      (a) => a.kind === 'burn-window' && a.kpi === 'api_error_rate' && a.identity.tenant === '*',
    )!;
    const store = MetricStore.of(parseEmfLines(docs.map((d) => JSON.stringify(d))));
    const m = window.metric;
    const value = store.statistic(m.namespace, m.metricName, m.dimensions, m.statistic, MINUTE_MS, MINUTE_MS + 120_000);
    expect(value?.value).toBeCloseTo(50 / 1100, 12);
  });

  it('availability: 2 failed of 100 checks reads 0.98, below the P1 threshold of 99%', () => {
    const { docs } = capture([delta(ENTERPRISE, setOf(healthChecks(100, 2)))]);
    const p1 = catalog.get('availability')!.defaultAlarms.find((r) => r.severity === 'P1')!;
    const value = statistic(docs, 'Availability', ENTERPRISE, p1.statistic)!;
    expect(value).toBeCloseTo(0.98, 12);
    expect(value).toBeLessThan(p1.threshold!);
  });

  it('publishes one 0/1 sample per event up to the cap', () => {
    const { docs } = capture([delta('*', setOf(healthChecks(40, 3)))]);
    const values = valuesOf(docs, 'Availability', 'ALL');
    expect(values).toHaveLength(40);
    expect(values.filter((v) => v === 0)).toHaveLength(3);
    expect(values.filter((v) => v === 1)).toHaveLength(37);
  });
});

describe('EmfKpiMetrics: mean-like KPIs', () => {
  const csat = (scores: readonly number[]) =>
    setOf(scores.map((score) => makeEvent('feedback.submitted', { data: { kind: 'csat', score } })));

  it('weights CSAT by responses across batches: 2 low answers do not outvote 5 good ones', () => {
    const { docs } = capture([delta('*', csat([2, 3])), delta('*', csat([4, 4, 4, 4, 4]))]);
    const p2 = catalog.get('csat')!.defaultAlarms[0]!;
    const value = statistic(docs, 'Csat', 'ALL', p2.statistic)!;
    expect(value).toBeCloseTo(25 / 7, 12);
    // The mean of the two batch means (3.25) would page; the responses' mean (3.57) does not.
    expect(value).toBeGreaterThan(p2.threshold!);
  });
});

describe('EmfKpiMetrics: quantile KPIs as distributions', () => {
  /** 1,000 requests: 90% at 100..189 ms, 10% at 800..809 ms (p95 is about 800 ms). */
  const latency = (i: number) => (i % 10 === 9 ? 800 + (i % 10) : 100 + (i % 90));

  it('publishes one value per request up to the cap, at most 100 values per metric and document', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(1000, 0, latency)))]);
    expect(valuesOf(docs, 'ApiLatency', 'ALL')).toHaveLength(1000);
    for (const d of docs) {
      for (const m of d._aws.CloudWatchMetrics[0]!.Metrics) {
        const v = d[m.Name];
        expect(Array.isArray(v) ? (v as number[]).length : 1).toBeLessThanOrEqual(100);
      }
    }
  });

  it('lets the p95 alarm see the slow tail: p95 > 500 ms fires, p50 stays fast', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(1000, 0, latency)))]);
    const rule = catalog.get('api_latency')!.defaultAlarms[0]!;
    const p95 = statistic(docs, 'ApiLatency', 'ALL', rule.statistic)!;
    expect(p95).toBeGreaterThan(rule.threshold!);
    expect(Math.abs(p95 - 800) / 800).toBeLessThan(0.02);
    const p50 = statistic(docs, 'ApiLatency', 'ALL', 'p50')!;
    expect(p50).toBeGreaterThan(90);
    expect(p50).toBeLessThan(200);
  });

  it('bounds the values of a large batch by the cap, keeping its percentiles', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(5000, 0, latency)))], { maxValuesPerMetric: 250 });
    expect(valuesOf(docs, 'ApiLatency', 'ALL')).toHaveLength(250);
    expect(Math.abs(statistic(docs, 'ApiLatency', 'ALL', 'p95')! - 800) / 800).toBeLessThan(0.02);
  });

  it('a single slow response is visible as the maximum', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(1, 0, () => 4321)))]);
    expect(Math.abs(statistic(docs, 'ApiLatency', 'ALL', 'Maximum')! - 4321) / 4321).toBeLessThan(0.01);
  });
});

describe('EmfKpiMetrics: counts and sums', () => {
  it('publishes counts once per batch, so Sum adds up batches', () => {
    const { docs } = capture([delta('*', setOf(apiRequests(700, 0))), delta('*', setOf(apiRequests(300, 0)))]);
    expect(valuesOf(docs, 'ApiRequests', 'ALL')).toEqual([700, 300]);
    expect(statistic(docs, 'ApiRequests', 'ALL', 'Sum')).toBe(1000);
  });

  it('publishes rejected records as RejectedEvents', () => {
    const set = new KpiSet(catalog);
    set.observeRejection('schema');
    set.observeRejection('too_large');
    const { docs } = capture([delta('*', set)]);
    expect(statistic(docs, 'RejectedEvents', 'ALL', 'Sum')).toBe(2);
  });

  it('publishes nothing for an empty set', () => {
    expect(capture([delta('*', new KpiSet(catalog))]).lines).toEqual([]);
  });
});

describe('EmfKpiMetrics: more metrics than one EMF document holds', () => {
  // 120 custom quantile KPIs plus the built-in ones: more than 100 metrics for one dimension.
  const specs: CustomKpiSpec[] = Array.from({ length: 120 }, (_, i) => ({
    name: `step_${i}_ms`,
    eventType: 'custom.pipeline.step',
    aggregation: 'quantiles',
    field: `step${i}`,
    unit: 'ms',
  }));
  const big = KpiCatalog.create(specs);
  const events: AgentEvent[] = [
    ...apiRequests(150, 3),
    ...Array.from({ length: 150 }, (_, e) =>
      makeCustomEvent('custom.pipeline.step', Object.fromEntries(specs.map((_, i) => [`step${i}`, 10 + e]))),
    ),
  ];
  const { docs, warnings } = capture([delta('*', setOf(events, big))], { catalog: big });

  it('splits into documents of at most 100 metrics, each keeping the Tenant dimension and the minute', () => {
    expect(warnings).toEqual([]);
    for (const d of docs) {
      expect(d._aws.CloudWatchMetrics[0]!.Metrics.length).toBeLessThanOrEqual(100);
      expect(d._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Tenant']]);
      expect(d.Tenant).toBe('ALL');
      expect(d._aws.Timestamp).toBe(MINUTE_MS);
    }
  });

  it('publishes every value of every metric exactly once', () => {
    for (const s of specs) {
      const name = big.get(s.name)!.metric!.name;
      expect([name, valuesOf(docs, name, 'ALL').length]).toEqual([name, 150]);
    }
    expect(statistic(docs, 'ApiErrorRate', 'ALL', 'Average')).toBeCloseTo(0.02, 12);
  });
});
