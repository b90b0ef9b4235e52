import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { crashingHalfway, throttleEvery } from '../support/aggregator-faults';
import {
  aggregatorHandler,
  catalog,
  localQuarantine,
  localStore,
  NOW_MS,
  sampleEvents,
} from '../support/aggregator-fixture';
import {
  type AggregatorEnv,
  compareRows,
  createBucket,
  createKpiTable,
  deliverShard,
  exportedRows,
  listKeys,
  putAndReadBack,
  type RecordToPut,
  startAggregatorEnv,
} from '../support/aggregator-harness';
import { DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';
import { type ExactRejection, exactKpis } from '../support/exact-kpis';

const FROM = DEFAULT_EVENT_TIME_MS - 8 * 86_400_000;
const TO = DEFAULT_EVENT_TIME_MS + 2 * 86_400_000;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella'];

let env: AggregatorEnv;
let streams = 0;

beforeAll(async () => {
  env = await startAggregatorEnv();
});

afterAll(async () => {
  await env?.stop();
});

/** Fresh table, bucket and stream; returns the shard's records as Lambda records. */
async function setUp(name: string, records: readonly RecordToPut[]): Promise<KinesisStreamRecord[]> {
  await createKpiTable(env.ddb, name);
  await createBucket(env.s3, name);
  const shards = await putAndReadBack(env.kinesis, `${name}-${++streams}`, records);
  return [...shards.values()][0]!;
}

function toPut(events: readonly AgentEvent[]): RecordToPut[] {
  return events.map((e) => ({ data: encodeEvent(e), partitionKey: e.tenantid }));
}

async function expectExact(
  table: string,
  accepted: readonly AgentEvent[],
  rejections: readonly ExactRejection[] = [],
): Promise<void> {
  for (const g of GRANULARITIES) {
    const rows = await exportedRows(env.ddb, table, catalog, TENANTS, g, FROM, TO);
    expect(compareRows(rows, exactKpis(accepted, { granularity: g, rejections }))).toEqual([]);
  }
}

describe('aggregator under faults, against kinesalite, DynamoDB Local and S3 (fauxqs)', () => {
  it('counts every record once when the same records are delivered twice', async () => {
    const events = sampleEvents(400, 101, TENANTS);
    const records = await setUp('twice', toPut(events));
    const handler = aggregatorHandler(localStore(env.ddb, 'twice'), localQuarantine(env.s3, 'twice'));

    await deliverShard(handler, records, { batchSize: 200 });
    await deliverShard(handler, records, { batchSize: 150 });

    await expectExact('twice', events);
  });

  it('recovers exactly from a crash half-way through a batch’s writes (whole-batch retry)', async () => {
    const events = sampleEvents(400, 202, TENANTS);
    const records = await setUp('crash', toPut(events));
    const store = crashingHalfway(localStore(env.ddb, 'crash'), 2);
    const handler = aggregatorHandler(store, localQuarantine(env.s3, 'crash'));

    const log = await deliverShard(handler, records, { batchSize: 300 });

    expect(store.crashed).toBe(2);
    expect(log.crashes).toBe(2);
    await expectExact('crash', events);
  });

  it('recovers exactly when the event source bisects a failing batch', async () => {
    const events = sampleEvents(400, 303, TENANTS);
    const records = await setUp('bisect', toPut(events));
    const store = crashingHalfway(localStore(env.ddb, 'bisect'), 3);
    const handler = aggregatorHandler(store, localQuarantine(env.s3, 'bisect'));

    const log = await deliverShard(handler, records, { batchSize: 600, bisectOnError: true });

    expect(log.crashes).toBe(3);
    await expectExact('bisect', events);
  });

  it('retries throttled writes, reports what still fails, and ends exact after redelivery', async () => {
    const events = sampleEvents(400, 404, TENANTS);
    const records = await setUp('throttle', toPut(events));
    // Two attempts per request and every second request throttled: some items fail after
    // retries, so the handler must report batch item failures and rely on redelivery.
    const store = localStore(env.ddb, 'throttle', 2);
    const handler = aggregatorHandler(store, localQuarantine(env.s3, 'throttle'));
    const throttle = throttleEvery(env.ddb, 2);
    let log: Awaited<ReturnType<typeof deliverShard>>;
    try {
      log = await deliverShard(handler, records, { batchSize: 150 });
    } finally {
      throttle.restore();
    }

    expect(throttle.throttled).toBeGreaterThan(0);
    expect(store.stats.retries).toBeGreaterThan(0);
    expect(log.partialFailures).toBeGreaterThan(0);
    await expectExact('throttle', events);
  });

  it('quarantines poison records mid-batch once each, counts them per reason, and does not block the shard', async () => {
    const good = sampleEvents(400, 505, TENANTS);
    const poison: Array<{ put: RecordToPut; reason: string; tenantId?: string }> = [
      { put: { data: Buffer.from('{not json'), partitionKey: 'acme' }, reason: 'invalid_json' },
      {
        put: { data: encodeEvent(makeEvent('agent.turn.completed', { data: { totalMs: -5 } })), partitionKey: 'acme' },
        reason: 'schema',
        tenantId: 'acme',
      },
      {
        put: { data: encodeEvent({ ...makeEvent('agent.turn.completed'), tenantid: 'Bad#Tenant' }), partitionKey: 'x' },
        reason: 'bad_tenant',
      },
      {
        put: {
          data: encodeEvent({ ...makeEvent('agent.turn.completed', { tenantid: 'globex' }), type: 'agent.unknown' }),
          partitionKey: 'globex',
        },
        reason: 'unknown_type',
        tenantId: 'globex',
      },
      {
        put: { data: Buffer.from(JSON.stringify({ pad: 'x'.repeat(70_000) })), partitionKey: 'acme' },
        reason: 'too_large',
      },
    ];
    const puts = [...toPut(good.slice(0, 200)), ...poison.map((p) => p.put), ...toPut(good.slice(200))];
    const records = await setUp('poison', puts);
    const handler = aggregatorHandler(localStore(env.ddb, 'poison'), localQuarantine(env.s3, 'poison'));

    const first = await handler({ Records: records });
    await deliverShard(handler, records, { batchSize: 150 });

    expect(first.batchItemFailures).toEqual([]);
    const arrivalOf = (i: number) => Math.round(records[200 + i]!.kinesis.approximateArrivalTimestamp * 1000);
    const rejections: ExactRejection[] = poison.map((p, i) => ({
      reason: p.reason,
      timeMs: arrivalOf(i),
      ...(p.tenantId === undefined ? {} : { tenantId: p.tenantId }),
    }));
    await expectExact('poison', good, rejections);
    const keys = await listKeys(env.s3, 'poison');
    expect(keys).toHaveLength(poison.length);
    const schemaKey = keys.find((k) => k.startsWith('acme/'))!;
    const body = JSON.parse(
      await (await env.s3.send(new GetObjectCommand({ Bucket: 'poison', Key: schemaKey }))).Body!.transformToString(),
    ) as { reason: string; field?: string; shardId: string; sequenceNumber: string; data: string };
    expect(body.reason).toBe('schema');
    expect(body.field).toBe('data.totalMs');
    expect(body.shardId).toBe('shardId-000000000000');
    expect(schemaKey).toBe(`acme/${schemaKey.split('/')[1]}/shardId-000000000000/${body.sequenceNumber}.json`);
    expect(JSON.parse(Buffer.from(body.data, 'base64').toString())).toMatchObject({ tenantid: 'acme' });
  });

  it('buckets out-of-order and late events by event time, and rejects those too late or too early', async () => {
    // Spread over 7 days before processing time, in shuffled order; plus out-of-window ones.
    const spread = sampleEvents(300, 606, TENANTS, NOW_MS - 6.9 * 86_400_000, NOW_MS);
    const tooLate = makeEvent('api.request.completed', { time: new Date(NOW_MS - 8 * 86_400_000).toISOString() });
    const tooEarly = makeEvent('api.request.completed', {
      tenantid: 'globex',
      time: new Date(NOW_MS + 3_600_000).toISOString(),
    });
    const puts = [...toPut(spread.slice(0, 150)), ...toPut([tooLate, tooEarly]), ...toPut(spread.slice(150))];
    const records = await setUp('late', puts);
    const handler = aggregatorHandler(localStore(env.ddb, 'late'), localQuarantine(env.s3, 'late'));

    await deliverShard(handler, records, { batchSize: 200 });
    await deliverShard(handler, records.slice(50, 250), { batchSize: 100 });

    const arrival = (i: number) => Math.round(records[150 + i]!.kinesis.approximateArrivalTimestamp * 1000);
    await expectExact('late', spread, [
      { reason: 'late', tenantId: 'acme', timeMs: arrival(0) },
      { reason: 'future', tenantId: 'globex', timeMs: arrival(1) },
    ]);
  });
});
