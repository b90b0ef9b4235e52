/**
 * The per-tenant alarm evaluator's adapters: DynamoDbTenantAlarmStateStore against DynamoDB Local
 * (a table shaped like the construct's: string `pk`), and the EventBridge sink through a mocked
 * EventBridge client (no emulator exists), whose entries are read back as EventBridge delivers
 * them to the router: the rule's pattern must match and the router's parser must accept them.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { localClientConfig, type StandIn, startDynamoDb } from '../../cli/local/standins';
import { EventBridgeAlarmEventSink } from '../../lambdas/adapters/alarm-events-eventbridge';
import { DynamoDbTenantAlarmStateStore } from '../../lambdas/adapters/tenant-alarm-state-dynamodb';
import { KpiSet } from '../../lambdas/core/aggregates';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import { parseAlarmStateChange } from '../../lambdas/core/incidents/alarm-event';
import type { KpiBucket, KpiQuery, KpiSource } from '../../lambdas/core/kpi-reader';
import { type TenantAlarmStates, tenantAlarmPlans } from '../../lambdas/core/tenant-alarms';
import { createTenantAlarmsHandler } from '../../lambdas/handlers/tenant-alarms/handler';
import { tenantAlarmEventSource } from '../../lib/constructs/tenant-alarms';
import { makeEvent } from '../support/events';

const TABLE = 'tenant-alarm-states';
const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const MIN = 60_000;
const catalog = KpiCatalog.create([]);
const config = parseConfig({
  name: 'acme',
  tiers: { gold: { perTenantAlarms: true } },
  tenants: [
    { id: 'big', name: 'Big', tier: 'gold' },
    { id: 'small', name: 'Small', tier: 'gold' },
    { id: 'fresh', name: 'Fresh', tier: 'gold' },
  ],
});
const ERROR_P1 = 'acme/P1/technical/tenant-big/api_error_rate-p1';
const SOURCE = tenantAlarmEventSource(config);

let dynamo: StandIn;
let ddb: DynamoDBClient;
let store: DynamoDbTenantAlarmStateStore;
const eventBridge = mockClient(EventBridgeClient);

beforeAll(async () => {
  dynamo = await startDynamoDb();
  ddb = new DynamoDBClient(localClientConfig(dynamo.endpoint));
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  store = new DynamoDbTenantAlarmStateStore({ client: ddb, tableName: TABLE });
});

afterAll(async () => {
  ddb?.destroy();
  await dynamo?.stop();
});

beforeEach(() => eventBridge.reset());

const alarmState = (state: 'OK' | 'ALARM', sinceMs: number): TenantAlarmStates => ({
  'acme/P2/technical/tenant-x/api_latency-p2': { state, sinceMs },
});

describe('DynamoDbTenantAlarmStateStore', () => {
  it('returns what was put, at the next version, and nothing for tenants never stored', async () => {
    const states = alarmState('ALARM', T0);
    expect(await store.put('rt-a', states, 0)).toBe(true);
    const got = await store.getMany(['rt-a', 'rt-never']);
    expect(got.get('rt-a')).toEqual({ states, version: 1 });
    expect(got.has('rt-never')).toBe(false);
  });

  it('refuses a write from a stale version (a concurrent evaluation) without throwing', async () => {
    expect(await store.put('cc-a', alarmState('OK', T0), 0)).toBe(true);
    // A second first write and a write at the old version both lose.
    expect(await store.put('cc-a', alarmState('ALARM', T0), 0)).toBe(false);
    expect(await store.put('cc-a', alarmState('ALARM', T0), 1)).toBe(true);
    expect(await store.put('cc-a', alarmState('OK', T0 + MIN), 1)).toBe(false);
    expect((await store.getMany(['cc-a'])).get('cc-a')).toEqual({ states: alarmState('ALARM', T0), version: 2 });
  });

  it('reads more tenants than one BatchGetItem takes (100 keys)', async () => {
    const tenants = Array.from({ length: 230 }, (_, i) => `many-${i}`);
    for (const t of tenants.filter((_, i) => i % 3 === 0)) {
      expect(await store.put(t, alarmState('OK', T0), 0)).toBe(true);
    }
    const got = await store.getMany(tenants);
    expect([...got.keys()].sort()).toEqual(tenants.filter((_, i) => i % 3 === 0).sort());
  });
});

/** Minute buckets: `big` answers half its API requests with 500 from minute 10 on. */
class FakeKpis implements KpiSource {
  async read(q: KpiQuery): Promise<KpiBucket[]> {
    if (q.granularity !== 'minute') return [];
    const out: KpiBucket[] = [];
    for (let t = Math.ceil(q.fromMs / MIN) * MIN; t < q.toMs; t += MIN) {
      const bad = q.tenant === 'big' && t >= T0 + 10 * MIN;
      const set = new KpiSet(catalog);
      for (let i = 0; i < 100; i++) {
        const status = bad && i < 50 ? 500 : 200;
        set.observe(makeEvent('api.request.completed', { tenantid: q.tenant, data: { status, latencyMs: 100 } }));
      }
      out.push({ bucketStartMs: t, set });
    }
    return out;
  }
}

/** An entry as EventBridge delivers it to a rule's target. */
function delivered(entry: PutEventsRequestEntry): Record<string, unknown> {
  return {
    version: '0',
    id: 'delivered',
    source: entry.Source,
    'detail-type': entry.DetailType,
    account: '123456789012',
    region: 'eu-west-1',
    time: entry.Time?.toISOString(),
    resources: [],
    detail: JSON.parse(entry.Detail ?? 'null'),
  };
}

/** The evaluator as index.ts wires it, over the DynamoDB store and the EventBridge sink. */
function evaluator(tenants: readonly string[], now: { t: number }) {
  return createTenantAlarmsHandler({
    plans: tenantAlarmPlans(config, catalog, tenants),
    kpis: new FakeKpis(),
    states: store,
    sink: new EventBridgeAlarmEventSink(new EventBridgeClient({ region: 'eu-west-1' }), SOURCE),
    log: { info: () => {}, warn: () => {} },
    now: () => now.t,
    account: '123456789012',
    region: 'eu-west-1',
  });
}

describe('the tenant alarms evaluator over DynamoDB and EventBridge', () => {
  it('pages the router through EventBridge and keeps the alarm state in DynamoDB', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const now = { t: T0 };
    const handler = evaluator(['big', 'small'], now);
    for (let m = 6; m <= 20; m++) {
      now.t = T0 + (m + 1) * MIN + 5_000;
      await handler({ shard: 0, shards: 1 });
    }

    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    const pages = entries.map(delivered).filter((e) => (e.detail as { alarmName: string }).alarmName === ERROR_P1);
    const alarm = pages.find((e) => parseAlarmStateChange(e).state === 'ALARM');
    expect(alarm).toBeDefined();
    // The rule in lib/constructs/tenant-alarms.ts: this source, this detail-type, the deployment's prefix.
    expect(alarm).toMatchObject({ source: SOURCE, 'detail-type': 'CloudWatch Alarm State Change' });
    expect(parseAlarmStateChange(alarm).alarmName.startsWith(`${config.name}/`)).toBe(true);
    // The healthy tenant's alarms only left INSUFFICIENT_DATA for OK.
    const small = entries.map((e) => parseAlarmStateChange(delivered(e))).filter((c) => c.alarmName.includes('small'));
    expect(small.length).toBeGreaterThan(0);
    expect(small.filter((c) => c.state !== 'OK')).toEqual([]);

    const item = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'big' } } }));
    const stored = JSON.parse(item.Item?.states?.S ?? '{}') as TenantAlarmStates;
    expect(stored[ERROR_P1]?.state).toBe('ALARM');
  });

  it('stores no state when EventBridge refuses the page, so the next minute sends it again', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    // A tenant never evaluated: its first evaluation moves its alarms out of INSUFFICIENT_DATA.
    const now = { t: T0 + 7 * MIN };
    await expect(evaluator(['fresh'], now)({ shard: 0, shards: 1 })).rejects.toThrow(
      /evaluation failed for 1 tenant\(s\): fresh/,
    );
    expect(eventBridge.commandCalls(PutEventsCommand).length).toBeGreaterThan(0);
    expect((await store.getMany(['fresh'])).has('fresh')).toBe(false);

    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    now.t += MIN;
    await evaluator(['fresh'], now)({ shard: 0, shards: 1 });
    expect((await store.getMany(['fresh'])).get('fresh')?.version).toBe(1);
  });
});
