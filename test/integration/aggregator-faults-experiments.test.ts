/**
 * Experiment items under the aggregator's fault tests: redelivery, crashes half-way through the
 * writes, bisected batches and throttling, against kinesalite and DynamoDB Local. Each
 * (scope, experiment, variant, day) item must hold every event of its cell exactly once.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamRecord } from 'aws-lambda';
import { KpiSet } from '../../lambdas/core/aggregates';
import {
  AggregateBatch,
  type AppliedMinuteDelta,
  type KpiItemAddress,
  type KpiMetricsSink,
  type KpiStore,
} from '../../lambdas/core/aggregation';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { EXPERIMENT_SET_OPTIONS, type RoutedExperiment } from '../../lambdas/core/experiments/routing';
import { bucketStart } from '../../lambdas/core/time/buckets';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { crashingHalfway, throttleEvery } from '../support/aggregator-faults';
import { catalog, localQuarantine, localStore, NOW_MS, sampleEvents } from '../support/aggregator-fixture';
import {
  type AggregatorEnv,
  createBucket,
  createKpiTable,
  deliverShard,
  putAndReadBack,
  startAggregatorEnv,
} from '../support/aggregator-harness';
import { DEFAULT_EVENT_TIME_MS, encodeEvent } from '../support/events';

const TENANTS = ['acme', 'globex', 'initech'];
const EXPERIMENTS: RoutedExperiment[] = [
  {
    id: 'prompt-v2',
    tenant: '*',
    variants: [{ id: 'control' }, { id: 'treatment' }],
    start: new Date(DEFAULT_EVENT_TIME_MS - 86_400_000).toISOString(),
  },
  { id: 'acme-voice', tenant: 'acme', variants: [{ id: 'a' }, { id: 'b' }], start: '2026-01-01T00:00:00Z' },
];

let env: AggregatorEnv;
let streams = 0;

beforeAll(async () => {
  env = await startAggregatorEnv();
});

afterAll(async () => {
  await env?.stop();
});

/** Gives most events an assignment: both experiments, unknown variants and unknown experiments. */
function assign(events: readonly AgentEvent[]): AgentEvent[] {
  return events.map((e, i) => {
    const k = i % 10;
    if (k < 5) return { ...e, experiment: 'prompt-v2', variant: k % 2 === 0 ? 'control' : 'treatment' };
    if (k === 5) return { ...e, experiment: 'prompt-v2', variant: 'c' };
    if (k === 6) return { ...e, experiment: 'retired-test', variant: 'a' };
    if (k === 7) return { ...e, experiment: 'acme-voice', variant: i % 3 === 0 ? 'a' : 'b' };
    return e;
  });
}

const sortedCopy = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const QUANTILE_KPIS = catalog
  .all()
  .filter((d) => d.measure.kind === 'quantiles')
  .map((d) => d.name);

/** The exact experiment items: each cell's events observed once. */
function expectedItems(events: readonly AgentEvent[]): Map<string, { address: KpiItemAddress; set: KpiSet }> {
  const out = new Map<string, { address: KpiItemAddress; set: KpiSet }>();
  for (const e of events) {
    if (e.experiment === undefined || e.variant === undefined) continue;
    const routed = EXPERIMENTS.find((x) => x.id === e.experiment);
    let scope = '*';
    let id = '_unknown';
    let variant = '_unknown';
    if (routed !== undefined && (routed.tenant === '*' || routed.tenant === e.tenantid)) {
      scope = routed.tenant;
      id = routed.id;
      variant = routed.variants.some((v) => v.id === e.variant) ? e.variant : '_unknown';
    }
    const day = bucketStart(Date.parse(e.time), 'day');
    const key = `${scope}|${id}|${variant}|${day}`;
    let entry = out.get(key);
    if (entry === undefined) {
      entry = {
        address: { tenant: scope, granularity: 'day', bucketStartMs: day, experiment: { id, variant } },
        set: new KpiSet(catalog, EXPERIMENT_SET_OPTIONS),
      };
      out.set(key, entry);
    }
    entry.set.observe(e);
  }
  return out;
}

/** Events per experiment item handed to the metrics sink, by `scope|experiment|variant|day`. */
class PublishedExperimentEvents implements KpiMetricsSink {
  readonly events = new Map<string, number>();

  publish(deltas: readonly AppliedMinuteDelta[]): void {
    for (const d of deltas) {
      if (d.experiment === undefined) continue;
      const key = `${d.tenant}|${d.experiment.id}|${d.experiment.variant}|${d.bucketStartMs}`;
      this.events.set(key, (this.events.get(key) ?? 0) + d.set.eventCount());
    }
  }
}

/**
 * Metrics are published after the writes they follow, never twice: per item, the events handed
 * to the sink are the item's events when no invocation died between its writes and its
 * publication, and never more than them when one did.
 */
function expectPublishedOnce(events: readonly AgentEvent[], sink: PublishedExperimentEvents, exact: boolean): void {
  const expected = new Map([...expectedItems(events)].map(([key, { set }]) => [key, set.eventCount()] as const));
  expect([...sink.events.keys()].every((k) => expected.has(k))).toBe(true);
  for (const [key, count] of expected) {
    if (exact) expect({ key, published: sink.events.get(key) }).toEqual({ key, published: count });
    else expect(sink.events.get(key) ?? 0).toBeLessThanOrEqual(count);
  }
}

async function expectExactItems(table: string, events: readonly AgentEvent[]): Promise<void> {
  const expected = expectedItems(events);
  const stored = await localStore(env.ddb, table).read([...expected.values()].map((e) => e.address));
  expect(stored.size).toBe(expected.size);
  const variants = new Set<string>();
  let checkedValueLists = 0;
  for (const { address, set } of expected.values()) {
    const item = [...stored.values()].find(
      (s) =>
        s.address.tenant === address.tenant &&
        s.address.experiment?.id === address.experiment?.id &&
        s.address.experiment?.variant === address.experiment?.variant,
    );
    expect(item).toBeDefined();
    variants.add(`${address.tenant}/${address.experiment!.id}/${address.experiment!.variant}`);
    expect(item!.set.eventCount()).toBe(set.eventCount());
    const actual = new Map(item!.set.values().map((v) => [v.kpi, v]));
    for (const v of set.values()) {
      const a = actual.get(v.kpi);
      expect({ kpi: v.kpi, count: a?.count }).toEqual({ kpi: v.kpi, count: v.count });
      if (v.value !== null) expect(a!.value!).toBeCloseTo(v.value, 6);
    }
    const moments = set.moments('csat');
    if (moments !== undefined) {
      const m = item!.set.moments('csat')!;
      expect(m.n).toBe(moments.n);
      expect(m.sumOfSquares).toBeCloseTo(moments.sumOfSquares, 6);
    }
    // The values the U test reads: each event's value exactly once, none lost to a retry.
    for (const kpi of QUANTILE_KPIS) {
      const want = set.exactValues(kpi);
      if (want === undefined) continue;
      checkedValueLists++;
      const got = item!.set.exactValues(kpi);
      expect({ kpi, values: got === undefined ? undefined : sortedCopy(got) }).toEqual({
        kpi,
        values: sortedCopy(want),
      });
    }
  }
  // The fixture's events give the value lists something to prove.
  expect(checkedValueLists).toBeGreaterThan(0);
  // Every kind of item exists: both variants of each experiment, and the unknown ones.
  expect([...variants].sort()).toEqual([
    '*/_unknown/_unknown',
    '*/prompt-v2/_unknown',
    '*/prompt-v2/control',
    '*/prompt-v2/treatment',
    'acme/acme-voice/a',
    'acme/acme-voice/b',
  ]);
}

async function setUp(name: string, events: readonly AgentEvent[]): Promise<KinesisStreamRecord[]> {
  await createKpiTable(env.ddb, name);
  await createBucket(env.s3, name);
  const shards = await putAndReadBack(
    env.kinesis,
    `${name}-${++streams}`,
    events.map((e) => ({ data: encodeEvent(e), partitionKey: e.tenantid })),
  );
  return [...shards.values()][0]!;
}

function handlerFor(store: KpiStore, name: string, metrics?: KpiMetricsSink) {
  return createAggregatorHandler({
    aggregate: new AggregateBatch({
      catalog,
      store,
      quarantine: localQuarantine(env.s3, name),
      experiments: EXPERIMENTS,
      ...(metrics === undefined ? {} : { metrics }),
    }),
    logger: new Logger({ serviceName: 'aggregator-test', logLevel: 'SILENT' }),
    now: () => NOW_MS,
  });
}

describe('experiment items under faults, against kinesalite and DynamoDB Local', () => {
  it('counts every event once in its variant when the same records are delivered twice', async () => {
    const events = assign(sampleEvents(300, 1601, TENANTS));
    const records = await setUp('exp-twice', events);
    const published = new PublishedExperimentEvents();
    const handler = handlerFor(localStore(env.ddb, 'exp-twice'), 'exp-twice', published);

    await deliverShard(handler, records, { batchSize: 120 });
    await deliverShard(handler, records, { batchSize: 90 });

    await expectExactItems('exp-twice', events);
    expectPublishedOnce(events, published, true);
  });

  it('recovers exactly from crashes half-way through the writes, whole-batch retried and bisected', async () => {
    const events = assign(sampleEvents(300, 1602, TENANTS));
    const records = await setUp('exp-crash', events);
    const store = crashingHalfway(localStore(env.ddb, 'exp-crash'), 3);

    const published = new PublishedExperimentEvents();
    const log = await deliverShard(handlerFor(store, 'exp-crash', published), records, {
      batchSize: 200,
      bisectOnError: true,
    });

    expect(log.crashes).toBe(3);
    await expectExactItems('exp-crash', events);
    // An invocation killed between its writes and its publication takes those metrics with it.
    expectPublishedOnce(events, published, false);
  });

  it('ends exact after throttled writes are reported and redelivered', async () => {
    const events = assign(sampleEvents(300, 1603, TENANTS));
    const records = await setUp('exp-throttle', events);
    const store = localStore(env.ddb, 'exp-throttle', 2);
    const throttle = throttleEvery(env.ddb, 2);
    const published = new PublishedExperimentEvents();
    let log: Awaited<ReturnType<typeof deliverShard>>;
    try {
      log = await deliverShard(handlerFor(store, 'exp-throttle', published), records, { batchSize: 100 });
    } finally {
      throttle.restore();
    }

    expect(throttle.throttled).toBeGreaterThan(0);
    expect(log.partialFailures).toBeGreaterThan(0);
    await expectExactItems('exp-throttle', events);
    expectPublishedOnce(events, published, true);
  });
});
