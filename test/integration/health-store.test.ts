/**
 * DynamoDbHealthStore against DynamoDB Local, in a table shaped like the CDK KPI table (string
 * pk/sk): scores come back as computed, per tenant only, within the asked days, oldest first,
 * and with their list of missing inputs intact (a missing input must never read as scored).
 */
import { DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { localClientConfig, type StandIn, startDynamoDb } from '../../cli/local/standins';
import {
  DynamoDbHealthStore,
  HealthStoreError,
  healthPartitionKey,
} from '../../lambdas/adapters/health-store-dynamodb';
import { parseConfig } from '../../lambdas/core/config/schema';
import { computeHealthScore, type HealthScore, type KpiReading } from '../../lambdas/core/health';
import { createKpiTable } from '../support/aggregator-harness';

const TABLE = 'health-test-kpis';
const settings = parseConfig({}).healthScore;

let dynamo: StandIn;
let ddb: DynamoDBClient;
let store: DynamoDbHealthStore;

beforeAll(async () => {
  dynamo = await startDynamoDb();
  ddb = new DynamoDBClient(localClientConfig(dynamo.endpoint));
  await createKpiTable(ddb, TABLE);
  store = new DynamoDbHealthStore(ddb, { tableName: TABLE });
});

afterAll(async () => {
  ddb?.destroy();
  await dynamo?.stop();
});

function r(kpi: string, value: number | null, count = 10, p95?: number): KpiReading {
  return p95 === undefined ? { kpi, value, count } : { kpi, value, count, p95 };
}

/** A day with usage and performance data but no support, revenue or feedback inputs. */
function partialDay(): KpiReading[] {
  return [
    r('active_users', 60),
    r('feature_adoption:search', 30),
    r('sessions', 90),
    r('response_latency', 1500, 400, 2600),
    r('api_error_rate', 0.004, 800),
    r('turn_error_rate', 0.01, 400),
    r('fcr_rate', 0.7, 90),
  ];
}

/** A real computed score of `tenant` on `date`. */
function scoreOf(tenant: string, date: string, today: KpiReading[] = partialDay()): HealthScore {
  return computeHealthScore(
    {
      tenant,
      date,
      today,
      baseline: [[r('sessions', 100), r('active_users', 70)]],
      licensedSeats: 100,
      fleetFeatureCount: 2,
      history: [],
    },
    settings,
  );
}

function days(from: string, n: number): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}

describe('DynamoDbHealthStore', () => {
  it('returns what was put, deep-equal, missing inputs and all', async () => {
    const score = scoreOf('roundtrip', '2026-11-20');
    // The fixture must exercise the point: some inputs and components are missing.
    expect(score.missing.length).toBeGreaterThan(0);
    expect(score.components.some((c) => c.inputs.some((i) => i.score === null && i.missingReason))).toBe(true);
    await store.put([score]);
    const back = await store.history('roundtrip', '2026-11-20', '2026-11-20');
    expect(back).toEqual([score]);
    expect(back[0]!.missing).toEqual(score.missing);
    expect(back[0]!.renormalised).toBe(score.renormalised);
  });

  it('keeps a day without data as no_data, with no score and every component missing', async () => {
    const empty = scoreOf('quiet', '2026-11-21', []);
    expect(empty.status).toBe('no_data');
    await store.put([empty]);
    const [back] = await store.history('quiet', '2026-11-21', '2026-11-21');
    expect(back?.status).toBe('no_data');
    expect(back?.score).toBeNull();
    expect(back?.band).toBeNull();
    expect(back?.missing).toEqual(empty.missing);
  });

  it("never returns another tenant's scores, including tenants whose id extends the other's", async () => {
    const tenants = ['acme', 'acme-eu', 'acm', 'globex'];
    await store.put(tenants.flatMap((t) => days('2026-10-01', 3).map((d) => scoreOf(t, d))));
    for (const t of tenants) {
      const back = await store.history(t, '2026-10-01', '2026-10-03');
      expect(back.map((s) => `${s.tenant}/${s.date}`)).toEqual(days('2026-10-01', 3).map((d) => `${t}/${d}`));
    }
    expect(await store.history('acme-', '2026-10-01', '2026-10-03')).toEqual([]);
    expect(await store.history('*', '2026-10-01', '2026-10-03')).toEqual([]);
  });

  it('returns exactly the days from..to inclusive, oldest first, whatever the write order', async () => {
    const all = days('2026-08-25', 14); // 2026-08-25 .. 2026-09-07, across a month end
    await store.put([...all].reverse().map((d) => scoreOf('ranged', d)));
    const back = await store.history('ranged', '2026-08-30', '2026-09-02');
    expect(back.map((s) => s.date)).toEqual(['2026-08-30', '2026-08-31', '2026-09-01', '2026-09-02']);
    expect((await store.history('ranged', '2026-09-07', '2026-09-30')).map((s) => s.date)).toEqual(['2026-09-07']);
    expect(await store.history('ranged', '2026-09-08', '2026-09-30')).toEqual([]);
    expect(await store.history('ranged', '2026-01-01', '2026-08-24')).toEqual([]);
  });

  it('returns nothing, without an error, for a range that ends before it starts', async () => {
    await store.put([scoreOf('reversed', '2026-11-10')]);
    await expect(store.history('reversed', '2026-11-12', '2026-11-08')).resolves.toEqual([]);
  });

  it('overwrites a day, and keeps the last score when a day appears twice in one put', async () => {
    const first = scoreOf('rewrite', '2026-11-01');
    const better = scoreOf('rewrite', '2026-11-01', [...partialDay(), r('csat', 4.8, 30), r('nps', 50, 30)]);
    expect(better.missing).not.toEqual(first.missing);
    await store.put([first]);
    await store.put([better]);
    expect(await store.history('rewrite', '2026-11-01', '2026-11-01')).toEqual([better]);

    const other = scoreOf('rewrite', '2026-11-02');
    await store.put([first, other, better]);
    expect(await store.history('rewrite', '2026-11-01', '2026-11-02')).toEqual([better, other]);
  });

  it('writes and reads back more scores than one batch write or query page holds', async () => {
    const many = days('2025-01-01', 400).map((d) => scoreOf('long-history', d));
    await store.put(many);
    const back = await store.history('long-history', '2025-01-01', '2026-12-31');
    expect(back).toHaveLength(400);
    expect(back.map((s) => s.date)).toEqual(many.map((s) => s.date));
    expect(back[399]).toEqual(many[399]);
  });

  it('stores one item per tenant and day under health#<tenant>, with the headline attributes readable', async () => {
    const score = scoreOf('console', '2026-11-03');
    await store.put([score]);
    const items = (await ddb.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
    const mine = items.map((i) => unmarshall(i)).filter((i) => i.pk === healthPartitionKey('console'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ sk: '2026-11-03', tenant: 'console', status: score.status, score: score.score });
  });

  it('skips items of the partition that hold no score document', async () => {
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: healthPartitionKey('stray') }, sk: { S: '2026-11-04' }, tenant: { S: 'stray' } },
      }),
    );
    expect(await store.history('stray', '2026-11-01', '2026-11-30')).toEqual([]);
  });

  it('says which table it could not reach', async () => {
    const missing = new DynamoDbHealthStore(ddb, { tableName: 'no-such-table' });
    await expect(missing.put([scoreOf('x', '2026-11-05')])).rejects.toThrow(HealthStoreError);
    await expect(missing.history('x', '2026-11-01', '2026-11-30')).rejects.toThrow(/no-such-table: ResourceNotFound/);
  });
});
