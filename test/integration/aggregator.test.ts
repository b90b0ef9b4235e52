import type { KinesisStreamRecord } from 'aws-lambda';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { exportRows } from '../../lambdas/core/export';
import { readMerged } from '../../lambdas/core/kpi-reader';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { aggregatorHandler, catalog, localQuarantine, localStore, sampleEvents } from '../support/aggregator-fixture';
import {
  type AggregatorEnv,
  compareRows,
  createBucket,
  createKpiTable,
  deliverShard,
  exportedRows,
  putAndReadBack,
  startAggregatorEnv,
} from '../support/aggregator-harness';
import { DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';
import { exactKpis } from '../support/exact-kpis';

const FROM = DEFAULT_EVENT_TIME_MS - 86_400_000;
const TO = DEFAULT_EVENT_TIME_MS + 2 * 86_400_000;
const TENANTS = ['acme', 'globex', 'initech'];

describe('aggregator on kinesalite batches into DynamoDB Local', () => {
  let env: AggregatorEnv;

  beforeAll(async () => {
    env = await startAggregatorEnv();
    await createBucket(env.s3, 'quarantine');
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('writes per-tenant and fleet KPIs at every granularity equal to the exact computation', async () => {
    const table = 'kpis-basic';
    await createKpiTable(env.ddb, table);
    const events = sampleEvents(1000, 11, TENANTS);
    const shards = await putAndReadBack(
      env.kinesis,
      'basic',
      events.map((e) => ({ data: encodeEvent(e), partitionKey: e.tenantid })),
    );
    const store = localStore(env.ddb, table);
    const handler = aggregatorHandler(store, localQuarantine(env.s3, 'quarantine'));
    const log = await deliverShard(handler, [...shards.values()][0]!, { batchSize: 500 });

    expect(log).toEqual({ invocations: 2, crashes: 0, partialFailures: 0 });
    for (const g of GRANULARITIES) {
      const rows = await exportedRows(env.ddb, table, catalog, TENANTS, g, FROM, TO);
      expect(compareRows(rows, exactKpis(events, { granularity: g }))).toEqual([]);
    }
    // Never one write per event: one conditional put per minute item a batch touches (these events
    // spread over an hour: ~60 minutes x 4 items per batch), plus one roll-up per closed hour and item.
    expect(store.stats.writeRequests).toBeLessThan(events.length / 2);
  });

  it('counts duplicate event ids within a batch once', async () => {
    const table = 'kpis-dupes';
    await createKpiTable(env.ddb, table);
    const original = makeEvent('agent.turn.completed', { id: 'turn-1', data: { totalMs: 800 } });
    const other = makeEvent('agent.turn.completed', { id: 'turn-2', data: { totalMs: 1200 } });
    const shards = await putAndReadBack(
      env.kinesis,
      'dupes',
      [original, original, other, original].map((e) => ({ data: encodeEvent(e), partitionKey: e.tenantid })),
    );
    const handler = aggregatorHandler(localStore(env.ddb, table), localQuarantine(env.s3, 'quarantine'));
    const res = await handler({ Records: [...shards.values()][0]! });

    expect(res.batchItemFailures).toEqual([]);
    const reader = new DynamoDbKpiReader({ client: env.ddb, tableName: table, catalog, consistentRead: true });
    const set = await readMerged(reader, catalog, { tenant: 'acme', granularity: 'hour', fromMs: FROM, toMs: TO });
    expect(set.value('turns')?.value).toBe(2);
    expect(set.value('response_latency')?.value).toBe(1000);
  });

  it('keeps the fleet exact when two shards write the same fleet items concurrently', async () => {
    const table = 'kpis-shards';
    await createKpiTable(env.ddb, table);
    const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
    const events = sampleEvents(800, 23, tenants);
    const shards = await putAndReadBack(
      env.kinesis,
      'shards',
      events.map((e) => ({ data: encodeEvent(e), partitionKey: e.tenantid })),
      2,
    );
    const perShard: KinesisStreamRecord[][] = [...shards.values()];
    expect(perShard.filter((s) => s.length > 0).length).toBe(2);
    const store = localStore(env.ddb, table, 20);
    const handler = aggregatorHandler(store, localQuarantine(env.s3, 'quarantine'));
    await Promise.all(perShard.map((records) => deliverShard(handler, records, { batchSize: 100 })));

    for (const g of GRANULARITIES) {
      const rows = await exportedRows(env.ddb, table, catalog, tenants, g, FROM, TO);
      expect(compareRows(rows, exactKpis(events, { granularity: g }))).toEqual([]);
    }
  });

  it('reads a range by Query and merges it: a day equals the merge of its hours', async () => {
    const table = 'kpis-basic';
    const reader = new DynamoDbKpiReader({ client: env.ddb, tableName: table, catalog, consistentRead: true });
    const dayStart = Math.floor(DEFAULT_EVENT_TIME_MS / 86_400_000) * 86_400_000;
    const hours = await readMerged(reader, catalog, {
      tenant: 'globex',
      granularity: 'hour',
      fromMs: dayStart,
      toMs: dayStart + 86_400_000,
    });
    const days = await reader.read({ tenant: 'globex', granularity: 'day', fromMs: dayStart, toMs: dayStart + 1 });
    expect(days).toHaveLength(1);
    expect(exportRows('globex', 'day', dayStart, hours)).toEqual(exportRows('globex', 'day', dayStart, days[0]!.set));
    // Empty range and a range before the data return nothing.
    expect(await reader.read({ tenant: 'globex', granularity: 'hour', fromMs: FROM, toMs: FROM })).toEqual([]);
    expect(await reader.read({ tenant: 'globex', granularity: 'hour', fromMs: 0, toMs: 3_600_000 })).toEqual([]);
  });
});
