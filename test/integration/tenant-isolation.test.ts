/**
 * Tenant isolation: nothing a tenant sends can land under another tenant's key, and the paths
 * that read data back (KPI items, reports, acknowledgements) only ever see the tenant asked for.
 *
 * The key properties are pure; the rest runs the real aggregator and acknowledgement handlers
 * and the report collection against DynamoDB Local and the fauxqs S3 quarantine, and reads the
 * whole table back with Scan to see every item a batch touched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import fc from 'fast-check';
import { DynamoDbHealthStore } from '../../lambdas/adapters/health-store-dynamodb';
import { DynamoDbAckNonceStore, DynamoDbIncidentStore } from '../../lambdas/adapters/incident-store-dynamodb';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import {
  FLEET_TENANT,
  InvalidKpiKeyError,
  isKpiTenant,
  kpiItemKey,
  kpiPartitionKey,
  parseKpiItemKey,
} from '../../lambdas/core/aggregation/keys';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import { signAckToken } from '../../lambdas/core/escalation/ack-token';
import { decodeEvent, TENANT_ID_PATTERN } from '../../lambdas/core/events';
import type { Incident } from '../../lambdas/core/incidents/types';
import { collectReportData } from '../../lambdas/core/reports/collect';
import { reportPeriod } from '../../lambdas/core/reports/period';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { createAckHandler } from '../../lambdas/handlers/ack/handler';
import { aggregatorHandler, localQuarantine, localStore, NOW_MS } from '../support/aggregator-fixture';
import {
  type AggregatorEnv,
  createBucket,
  createKpiTable,
  kinesisEvent,
  listKeys,
  startAggregatorEnv,
} from '../support/aggregator-harness';
import { arbTenantId, DEFAULT_EVENT_TIME, DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';
import { lambdaRecord, syntheticShardRecords } from '../support/kinesis-batches';
import { createPkSkTable } from '../support/tables';

/** Tenant ids an attacker would try: separators, wildcards, lookalikes, case, prototype names. */
const HOSTILE_TENANTS = [
  'a#b',
  'acme#minute',
  'acme#*',
  'a/b',
  '../globex',
  '*',
  '**',
  'acme*',
  'аcme', // Cyrillic "а"
  'acme\u200b', // zero-width space
  'ａｃｍｅ', // full-width
  'ACME',
  'Acme',
  '__proto__',
  'acme ',
  ' acme',
  'acme\n',
  'a',
  '-acme',
  'a'.repeat(64),
  '',
  'acme|globex',
  'acme%23b',
];

/**
 * Valid tenant ids that are also property names of every JavaScript object: code that keeps
 * per-tenant state in plain objects would mix them up with the prototype, so they must behave
 * like any other tenant.
 */
const PROTOTYPE_NAMED_TENANTS = ['constructor', 'prototype', 'tostring', 'valueof', 'hasownproperty'];

const catalog = KpiCatalog.builtIn();
const nowMs = DEFAULT_EVENT_TIME_MS + 60_000;

describe('tenant keys', () => {
  it('rejects hostile tenant ids at the decoder, without keying the rejection by them', () => {
    for (const tenant of HOSTILE_TENANTS) {
      const r = decodeEvent(encodeEvent(makeEvent('user.active', { tenantid: tenant })), { nowMs, catalog });
      expect({ tenant, ok: r.ok }).toEqual({ tenant, ok: false });
      if (!r.ok) {
        expect(r.rejection.reason).toBe('bad_tenant');
        expect(r.rejection.tenantId).toBeUndefined();
      }
    }
  });

  it('accepts tenant ids that happen to be prototype property names, as ordinary tenants', () => {
    for (const tenant of PROTOTYPE_NAMED_TENANTS) {
      const r = decodeEvent(encodeEvent(makeEvent('user.active', { tenantid: tenant })), { nowMs, catalog });
      expect(r.ok && r.event.tenantid).toBe(tenant);
      expect(parseKpiItemKey(kpiItemKey({ tenant, granularity: 'hour', bucketStartMs: 0 })).tenant).toBe(tenant);
    }
  });

  it('refuses to build a key for any hostile tenant id', () => {
    for (const tenant of HOSTILE_TENANTS.filter((t) => t !== FLEET_TENANT)) {
      for (const g of GRANULARITIES) {
        expect(() => kpiPartitionKey(tenant, g)).toThrow(InvalidKpiKeyError);
      }
    }
  });

  it('builds a key only for valid tenant ids or the fleet, and every key names exactly its tenant', () => {
    const anyTenant = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 70 }),
      fc.constantFrom(...HOSTILE_TENANTS),
      arbTenantId(),
      // Valid ids with one hostile character spliced in.
      fc
        .tuple(arbTenantId(), fc.nat(), fc.constantFrom('#', '*', '/', 'A', '\u0430', '\u200b', '|', ' ', '_'))
        .map(([t, at, ch]) => t.slice(0, at % (t.length + 1)) + ch + t.slice(at % (t.length + 1))),
    );
    fc.assert(
      fc.property(
        anyTenant,
        fc.constantFrom(...GRANULARITIES),
        fc.integer({ min: 0, max: 100_000 }),
        (tenant, g, n) => {
          const bucketStartMs = n * 86_400_000;
          let key: ReturnType<typeof kpiItemKey> | undefined;
          try {
            key = kpiItemKey({ tenant, granularity: g, bucketStartMs });
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidKpiKeyError);
          }
          expect(key !== undefined).toBe(tenant === FLEET_TENANT || TENANT_ID_PATTERN.test(tenant));
          if (key !== undefined) {
            // The key reads back as the same tenant: it cannot be another tenant's key.
            expect(parseKpiItemKey(key)).toEqual({ tenant, granularity: g, bucketStartMs });
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('gives two different tenants keys that never coincide, at any granularity', () => {
    const tenantOrFleet = fc.oneof(arbTenantId(), fc.constant(FLEET_TENANT));
    fc.assert(
      fc.property(
        tenantOrFleet,
        tenantOrFleet,
        fc.constantFrom(...GRANULARITIES),
        fc.constantFrom(...GRANULARITIES),
        (a, b, ga, gb) => {
          fc.pre(a !== b);
          const ka = kpiPartitionKey(a, ga);
          const kb = kpiPartitionKey(b, gb);
          expect(ka).not.toBe(kb);
          // No tenant's partition is a prefix-extension of another's (no range query can spill over).
          expect(ka.startsWith(`kpi#${b}#`)).toBe(false);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('never treats a forged key as belonging to a tenant', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 30 }), (pk, sk) => {
        let address: ReturnType<typeof parseKpiItemKey> | undefined;
        try {
          address = parseKpiItemKey({ pk, sk });
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidKpiKeyError);
        }
        if (address !== undefined) {
          expect(isKpiTenant(address.tenant)).toBe(true);
          expect(kpiItemKey(address)).toEqual({ pk, sk });
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

// ---------------------------------------------------------------- against the local servers

const KPI_TABLE = 'kpi-isolation';
const INCIDENT_TABLE = 'incidents-isolation';
const BUCKET = 'quarantine-isolation';
/** The default configuration's tenants: A, B, and one that sends nothing. */
const config = parseConfig(JSON.parse(readFileSync(join(__dirname, '../../config/pipeline.json'), 'utf8')));
const [TENANT_A, TENANT_B, TENANT_SILENT] = config.tenants.map((t) => t.id) as [string, string, string];

let env: AggregatorEnv;
let sequence = BigInt(`49${'0'.repeat(54)}`);

beforeAll(async () => {
  env = await startAggregatorEnv();
  await createKpiTable(env.ddb, KPI_TABLE);
  await createBucket(env.s3, BUCKET);
  await createPkSkTable(env.ddb, INCIDENT_TABLE);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

/** Every item of a table, keyed `pk|sk`, with its attributes as JSON (to see what changed). */
async function scanAll(table: string): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await env.ddb.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.set(`${item.pk?.S}|${item.sk?.S}`, JSON.stringify(item));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Item keys added or changed between two scans. */
function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
}

/** Runs the real aggregator handler over one batch of records on one shard. */
async function aggregate(payloads: ReadonlyArray<{ data: Uint8Array; partitionKey: string }>): Promise<void> {
  const records = syntheticShardRecords(payloads, { firstSequence: sequence, arrivalMs: NOW_MS - 1_000 });
  sequence += BigInt(payloads.length * 10 + 10);
  const handler = aggregatorHandler(localStore(env.ddb, KPI_TABLE), localQuarantine(env.s3, BUCKET));
  const res = await handler(kinesisEvent(records.map((r) => lambdaRecord(r))));
  expect(res.batchItemFailures).toEqual([]);
}

const sessions = (tenant: string, n: number, handleTimeMs: number, partitionKey = tenant) =>
  Array.from({ length: n }, () => ({
    data: encodeEvent(makeEvent('agent.session.completed', { tenantid: tenant, data: { handleTimeMs } })),
    partitionKey,
  }));

describe('aggregator items per tenant', () => {
  beforeAll(async () => {
    // Other tenants' data first, including tenants named like prototype properties.
    await aggregate([
      ...sessions(TENANT_B, 5, 200_000),
      ...PROTOTYPE_NAMED_TENANTS.flatMap((t) => sessions(t, 2, 50_000)),
    ]);
  });

  it("a batch of tenant A's records changes only A's items and the fleet's", async () => {
    const before = await scanAll(KPI_TABLE);
    // The partition key claims tenant B: only the envelope's tenantid may decide.
    await aggregate([...sessions(TENANT_A, 3, 100_000), ...sessions(TENANT_A, 2, 100_000, TENANT_B)]);
    const changed = changedKeys(before, await scanAll(KPI_TABLE));
    const partitions = [...new Set(changed.map((k) => k.split('|')[0]))].sort();
    // Minutes, and the hours they re-roll (the batch runs two hours after the events); the day is
    // still open. The roll-up ledger gains A's id, and nothing else of another tenant changes.
    expect(partitions).toEqual(
      [`kpi#*#hour`, `kpi#*#minute`, `kpi#${TENANT_A}#hour`, `kpi#${TENANT_A}#minute`, 'rollup#ledger'].sort(),
    );
    // A's numbers are A's alone: 5 sessions, none of B's 200 s handle times.
    const reader = new DynamoDbKpiReader({ client: env.ddb, tableName: KPI_TABLE, catalog, consistentRead: true });
    const day = Math.floor(DEFAULT_EVENT_TIME_MS / 86_400_000) * 86_400_000;
    const [a] = await reader.read({ tenant: TENANT_A, granularity: 'day', fromMs: day, toMs: day + 86_400_000 });
    expect(a?.set.value('sessions')?.value).toBe(5);
    // Quantiles are sketches with 1% relative accuracy.
    expect(Math.abs((a?.set.value('handle_time')?.p99 ?? 0) - 100_000)).toBeLessThanOrEqual(1_000);
    const [b] = await reader.read({ tenant: TENANT_B, granularity: 'day', fromMs: day, toMs: day + 86_400_000 });
    expect(b?.set.value('sessions')?.value).toBe(5);
    expect(Math.abs((b?.set.value('handle_time')?.p50 ?? 0) - 200_000)).toBeLessThanOrEqual(2_000);
  });

  it('keeps tenants named constructor or prototype apart from each other and from everyone else', async () => {
    const reader = new DynamoDbKpiReader({ client: env.ddb, tableName: KPI_TABLE, catalog, consistentRead: true });
    const day = Math.floor(DEFAULT_EVENT_TIME_MS / 86_400_000) * 86_400_000;
    for (const t of PROTOTYPE_NAMED_TENANTS) {
      const [bucket] = await reader.read({ tenant: t, granularity: 'day', fromMs: day, toMs: day + 86_400_000 });
      expect({ t, sessions: bucket?.set.value('sessions')?.value }).toEqual({ t, sessions: 2 });
    }
  });

  it('records with hostile tenant ids touch no tenant item: only the fleet counts them as rejected', async () => {
    const before = await scanAll(KPI_TABLE);
    const quarantinedBefore = (await listKeys(env.s3, BUCKET)).length;
    await aggregate(
      HOSTILE_TENANTS.map((tenant) => ({
        data: encodeEvent(makeEvent('agent.session.completed', { tenantid: tenant, time: DEFAULT_EVENT_TIME })),
        partitionKey: TENANT_A,
      })),
    );
    const after = await scanAll(KPI_TABLE);
    const changed = changedKeys(before, after);
    expect(changed.length).toBeGreaterThan(0);
    for (const key of changed) {
      if (key.startsWith('rollup#')) {
        // Roll-up bookkeeping for the fleet's hour: it may list tenants, never a hostile id.
        const listed: string[] = JSON.parse(after.get(key)!).tenants?.SS ?? [];
        for (const t of listed) expect(HOSTILE_TENANTS).not.toContain(t);
        continue;
      }
      expect(key).toMatch(/^kpi#\*#(minute|hour|day)\|/);
    }
    // Every item in the table still names a valid tenant or the fleet.
    for (const key of after.keys()) {
      if (!key.startsWith('kpi#')) continue;
      const [pk] = key.split('|') as [string];
      const tenant = pk.split('#')[1] as string;
      expect(isKpiTenant(tenant)).toBe(true);
    }
    // All of them are quarantined, under the unknown-tenant prefix, never under a tenant's.
    const keys = await listKeys(env.s3, BUCKET);
    expect(keys.length - quarantinedBefore).toBe(HOSTILE_TENANTS.length);
    for (const k of keys) expect(k.startsWith('_unknown/')).toBe(true);
  });
});

describe('reports per tenant', () => {
  it("a tenant's report rows come from its own items only; a tenant with no events shows none", async () => {
    const reader = new DynamoDbKpiReader({ client: env.ddb, tableName: KPI_TABLE, catalog, consistentRead: true });
    const incidents = new DynamoDbIncidentStore(env.ddb, { tableName: INCIDENT_TABLE });
    const health = new DynamoDbHealthStore(env.ddb, { tableName: KPI_TABLE });
    const data = await collectReportData('client_success', reportPeriod('day', DEFAULT_EVENT_TIME_MS), {
      source: reader,
      incidents,
      health,
      config,
    });
    const row = (t: string) => data.tenants.find((x) => x.tenant === t);
    const sessionsOf = (t: string) => row(t)?.current.find((r) => r.kpi === 'sessions')?.value;
    expect(sessionsOf(TENANT_A)).toBe(5);
    expect(sessionsOf(TENANT_B)).toBe(5);
    // The fleet holds other tenants' sessions too: none of it reaches a tenant's row.
    expect(data.fleetCurrent.find((r) => r.kpi === 'sessions')?.value).toBe(5 + 5 + 2 * PROTOTYPE_NAMED_TENANTS.length);
    expect(row(TENANT_SILENT)?.current).toEqual([]);
    // Tenants outside the configuration never get a row of their own.
    expect(data.tenants.map((t) => t.tenant).sort()).toEqual([TENANT_A, TENANT_B, TENANT_SILENT].sort());
  });
});

describe('acknowledgement handler across tenants', () => {
  const ACK_KEY = 'isolation-test-ack-key-0123456789abcdef';
  const OPENED = NOW_MS - 600_000;
  const incident = (id: string, tenant: string): Incident => ({
    id,
    alarmName: `agent-kpi/P1/technical/${tenant}/availability-${tenant}`,
    ruleId: 'availability',
    severity: 'P1',
    ladder: 'technical',
    tenant,
    state: 'open',
    openedAt: OPENED,
    episode: `agent-kpi/P1/technical/${tenant}/availability@${OPENED}`,
    level: 1,
    paged: [],
    timeline: [{ atMs: OPENED, kind: 'opened', detail: 'opened' }],
  });
  const A = incident('inc-aaaa0001', TENANT_A);
  const B = incident('inc-bbbb0002', TENANT_B);
  let store: DynamoDbIncidentStore;
  let nonce = 0;

  const tokenFor = (id: string) =>
    signAckToken(
      { incidentId: id, level: 1, expiresAtMs: NOW_MS + 3_600_000, nonce: `nonce${String(nonce++).padStart(4, '0')}` },
      ACK_KEY,
    );

  const request = (method: 'GET' | 'POST', params: Record<string, string>): LambdaFunctionURLEvent => {
    const query = new URLSearchParams(params).toString();
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: method === 'GET' ? query : '',
      headers: {},
      isBase64Encoded: method === 'POST',
      ...(method === 'POST' ? { body: Buffer.from(query).toString('base64') } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'ack',
        domainName: 'ack.lambda-url.us-east-1.on.aws',
        domainPrefix: 'ack',
        http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'isolation-test' },
        requestId: 'req',
        routeKey: '$default',
        stage: '$default',
        time: new Date(NOW_MS).toISOString(),
        timeEpoch: NOW_MS,
      },
    };
  };

  const handler = () =>
    createAckHandler({
      store,
      nonces: new DynamoDbAckNonceStore(env.ddb, INCIDENT_TABLE),
      ackKey: async () => ACK_KEY,
      now: () => NOW_MS,
      log: { info: () => {}, warn: () => {} },
    });

  beforeAll(async () => {
    store = new DynamoDbIncidentStore(env.ddb, { tableName: INCIDENT_TABLE });
    await store.create(A);
    await store.create(B);
  });

  it("a token for tenant A's incident shows A's incident only, even when the link names B's", async () => {
    const ack = handler();
    const own = await ack(request('GET', { t: tokenFor(A.id) }));
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain(A.id);
    expect(own.body).not.toContain(B.id);
    expect(own.body).not.toContain(TENANT_B);
    const crossed = await ack(request('GET', { t: tokenFor(A.id), incident: B.id }));
    expect(crossed.statusCode).toBe(403);
    expect(crossed.body).not.toContain(B.alarmName);
  });

  it("a token for A cannot acknowledge B's incident, by naming B or by swapping B's id into it", async () => {
    const ack = handler();
    const before = await scanAll(INCIDENT_TABLE);
    const named = await ack(request('POST', { t: tokenFor(A.id), incident: B.id }));
    expect(named.statusCode).toBe(403);
    const [, ...rest] = tokenFor(A.id).split('.');
    const swapped = await ack(request('POST', { t: [B.id, ...rest].join('.') }));
    expect(swapped.statusCode).toBe(403);
    // Nothing changed, not even a redeemed nonce: refused tokens stay unredeemed.
    expect(await scanAll(INCIDENT_TABLE)).toEqual(before);
    expect((await store.get(B.id))?.state).toBe('open');
  });

  it("acknowledging A's incident changes A only", async () => {
    const ack = handler();
    const beforeB = JSON.stringify(await store.get(B.id));
    const token = tokenFor(A.id);
    expect((await ack(request('POST', { t: token }))).statusCode).toBe(200);
    expect((await store.get(A.id))?.state).toBe('acknowledged');
    expect(JSON.stringify(await store.get(B.id))).toBe(beforeB);
    // The same token cannot be spent again, on A or anywhere else.
    expect((await ack(request('POST', { t: token }))).statusCode).toBe(409);
  });
});
