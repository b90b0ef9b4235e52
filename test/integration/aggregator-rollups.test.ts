import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig, type StandIns, startStandIns } from '../../cli/local/standins';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { KpiSet } from '../../lambdas/core/aggregates';
import {
  AggregateBatch,
  kpiItemKey,
  LATE_REROLL_AFTER_MS,
  ROLLUP_DELAY_MS,
  type StreamRecord,
} from '../../lambdas/core/aggregation';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { catalog, localStore, sampleEvents } from '../support/aggregator-fixture';
import { compareRows, createKpiTable, exportedRows } from '../support/aggregator-harness';
import { DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';
import { exactKpis } from '../support/exact-kpis';

const HOUR = 3_600_000;
const T = DEFAULT_EVENT_TIME_MS; // 08:00 UTC
const DAY_START = T - 8 * HOUR;
const DAY_END = DAY_START + 24 * HOUR;
const FROM = DAY_START - 24 * HOUR;
const TO = DAY_END + 24 * HOUR;
const TENANTS = ['acme', 'globex'];

let seq = 1_000n;
function records(events: readonly AgentEvent[], arrivalMs: number): StreamRecord[] {
  return events.map((e) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: (seq++).toString(),
    data: encodeEvent(e),
    arrivalMs,
  }));
}

describe('roll-ups of closed hours and days, against DynamoDB Local', () => {
  let standIns: StandIns;
  let ddb: DynamoDBClient;
  const table = 'kpis-rollups';
  const sent: AgentEvent[] = [];
  let aggregate: AggregateBatch;

  async function deliver(events: readonly AgentEvent[], nowMs: number): Promise<void> {
    const report = await aggregate.run(records(events, nowMs), nowMs);
    expect(report.failures).toEqual([]);
    sent.push(...events);
  }

  async function expectExact(): Promise<void> {
    for (const g of GRANULARITIES) {
      const rows = await exportedRows(ddb, table, catalog, TENANTS, g, FROM, TO);
      expect(compareRows(rows, exactKpis(sent, { granularity: g }))).toEqual([]);
    }
  }

  async function storedEvents(
    tenant: string,
    granularity: 'hour' | 'day',
    startMs: number,
  ): Promise<number | undefined> {
    const key = kpiItemKey({ tenant, granularity, bucketStartMs: startMs });
    const res = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: true }),
    );
    return res.Item?.events?.N === undefined ? undefined : Number(res.Item.events.N);
  }

  beforeAll(async () => {
    standIns = await startStandIns(['dynamodb']);
    ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb!.endpoint));
    await createKpiTable(ddb, table);
    aggregate = new AggregateBatch({
      catalog,
      store: localStore(ddb, table),
      quarantine: { put: async () => ({ failedSequenceNumbers: [] }) },
    });
  });

  afterAll(async () => {
    ddb?.destroy();
    await standIns?.stop();
  });

  it('shows the open hour and day to readers, merged from minutes, before any roll-up', async () => {
    await deliver(sampleEvents(300, 71, TENANTS, T, T + 30 * 60_000), T + 31 * 60_000);

    expect(await storedEvents('acme', 'hour', T)).toBeUndefined();
    expect(await storedEvents('acme', 'day', DAY_START)).toBeUndefined();
    await expectExact();
  });

  it('rolls a closed hour up once its delay has passed, and readers then read the stored hour', async () => {
    const next = [
      makeEvent('healthcheck.completed', {
        tenantid: 'acme',
        time: new Date(T + HOUR + 21 * 60_000).toISOString(),
        id: 'hc-1',
      }),
    ];
    await deliver(next, T + HOUR + ROLLUP_DELAY_MS + 60_000);

    const acmeInHour = sent.filter((e) => e.tenantid === 'acme' && Date.parse(e.time) < T + HOUR).length;
    expect(await storedEvents('acme', 'hour', T)).toBe(acmeInHour);
    await expectExact();
  });

  it('rolls the day up after its last hour, and re-rolls a closed hour and day that a late event touches', async () => {
    const tomorrow = [
      makeEvent('healthcheck.completed', {
        tenantid: 'globex',
        time: new Date(DAY_END + 10 * 60_000).toISOString(),
        id: 'hc-2',
      }),
    ];
    await deliver(tomorrow, DAY_END + ROLLUP_DELAY_MS + 5 * 60_000);
    const beforeLate = sent.filter((e) => e.tenantid === 'acme' && Date.parse(e.time) < DAY_END).length;
    expect(await storedEvents('acme', 'day', DAY_START)).toBe(beforeLate);

    // A day later, an event of 08:10 the day before: its hour and day were rolled up long ago.
    const late = [
      makeEvent('agent.turn.completed', {
        tenantid: 'acme',
        time: new Date(T + 10 * 60_000).toISOString(),
        id: 'late-1',
      }),
    ];
    await deliver(late, DAY_END + 20 * HOUR + LATE_REROLL_AFTER_MS);

    expect(await storedEvents('acme', 'day', DAY_START)).toBe(beforeLate + 1);
    expect(await storedEvents('acme', 'hour', T)).toBe(
      sent.filter((e) => e.tenantid === 'acme' && Date.parse(e.time) >= T && Date.parse(e.time) < T + HOUR).length,
    );
    await expectExact();
  });

  it('still reads hour and day items written before roll-ups existed (no open mark, legacy watermarks)', async () => {
    const legacyDay = DAY_START - 3 * 24 * HOUR;
    const key = kpiItemKey({ tenant: 'initech', granularity: 'day', bucketStartMs: legacyDay });
    const set = new KpiSet(catalog);
    set.observe(
      makeEvent('healthcheck.completed', { tenantid: 'initech', time: new Date(legacyDay + HOUR).toISOString() }),
    );
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          tenant: { S: 'initech' },
          granularity: { S: 'day' },
          bucketStart: { S: key.sk },
          kpis: { B: set.serialize() },
          events: { N: '1' },
          version: { N: '7' },
          wm: { M: { 'shardId-000000000000': { S: '49590338271490256608559692538361571095921575989136588898' } } },
          expiresAt: { N: '9999999999' },
        },
      }),
    );
    const reader = new DynamoDbKpiReader({ client: ddb, tableName: table, catalog, consistentRead: true });
    const days = await reader.read({ tenant: 'initech', granularity: 'day', fromMs: legacyDay, toMs: legacyDay + 1 });
    expect(days.map((d) => [d.bucketStartMs, d.set.eventCount()])).toEqual([[legacyDay, 1]]);
  });
});
