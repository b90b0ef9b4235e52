/**
 * The report run's KPI reads against DynamoDB Local: a run reads the open-period marks once instead
 * of once per hour or day read, and the four reports it sends are byte for byte the ones the
 * per-read marks give. The last day of the table is still open (no day items; one hour open too,
 * held only as minute items), so the marks decide what every report reads.
 */
import { resolve } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig, type StandIn, startDynamoDb } from '../../cli/local/standins';
import { buildReportFixture } from '../../cli/report-fixture';
import { DynamoDbHealthStore } from '../../lambdas/adapters/health-store-dynamodb';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { FLEET_TENANT, type KpiItemWrite, OPEN_PERIODS_PK, openPeriodSortKey } from '../../lambdas/core/aggregation';
import { parseConfig, REPORT_KINDS } from '../../lambdas/core/config/schema';
import type { RenderedReport, ReportKpiSource } from '../../lambdas/core/reports';
import { createReportHandler } from '../../lambdas/handlers/report/handler';
import { createKpiTable } from '../support/aggregator-harness';

const TABLE = 'report-reads-kpis';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LAST_DAY = Date.UTC(2026, 10, 20);
const DAYS = 20;
/** An hour of the last day that is not rolled up yet: the reader must merge its minutes. */
const OPEN_HOUR = LAST_DAY + 14 * HOUR;
const FONT = resolve(__dirname, '../../assets/fonts/DejaVuSans.ttf');
const fx = buildReportFixture({ lastDayMs: LAST_DAY, days: DAYS, tenants: 4, sessionsPerDay: 8 });
const config = parseConfig({
  tiers: { standard: { licensedSeats: 20 }, enterprise: { licensedSeats: 25 } },
  tenants: fx.config.tenants,
});
const scopes = [FLEET_TENANT, ...fx.config.tenants.map((t) => t.id)];

let dynamo: StandIn;
let ddb: DynamoDBClient;
/** The `:pk` of every Query sent through `ddb`, in order. */
const queried: string[] = [];

/** Day items of the closed days; for the last day, its hours as stored while the day is open. */
async function storeFixture(): Promise<void> {
  const writes: KpiItemWrite[] = [];
  const add = (
    tenant: string,
    granularity: 'minute' | 'hour' | 'day',
    bucketStartMs: number,
    set: KpiItemWrite['set'],
  ) =>
    writes.push({
      address: { tenant, granularity, bucketStartMs },
      set,
      expectedVersion: undefined,
      watermarks: {},
      expiresAt: Math.floor((LAST_DAY + 400 * DAY) / 1000),
    });
  for (const tenant of scopes) {
    const fromMs = LAST_DAY - (DAYS - 1) * DAY;
    for (const b of await fx.source.read({ tenant, granularity: 'day', fromMs, toMs: LAST_DAY })) {
      add(tenant, 'day', b.bucketStartMs, b.set);
    }
    // The fleet's hours of the day before: the day report's hourly comparison reads them.
    const hoursFrom = tenant === FLEET_TENANT ? LAST_DAY - DAY : LAST_DAY;
    for (const b of await fx.source.read({ tenant, granularity: 'hour', fromMs: hoursFrom, toMs: LAST_DAY + DAY })) {
      // The open hour is held as one minute item (its roll-up has not run yet).
      add(tenant, b.bucketStartMs === OPEN_HOUR ? 'minute' : 'hour', b.bucketStartMs, b.set);
    }
  }
  await new DynamoDbKpiStore({ client: ddb, tableName: TABLE, catalog: fx.catalog }).write(writes);
  await putMark('day', LAST_DAY);
  await putMark('hour', OPEN_HOUR);
}

async function putMark(granularity: 'hour' | 'day', startMs: number): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { pk: { S: OPEN_PERIODS_PK }, sk: { S: openPeriodSortKey(granularity, startMs) } },
    }),
  );
}

/** Runs each report kind once through the handler over `source`; returns what it mailed and the Queries it sent. */
async function runReports(
  source: ReportKpiSource,
): Promise<{ reports: RenderedReport[]; marks: number; other: number }> {
  const reports: RenderedReport[] = [];
  const before = queried.length;
  const handler = createReportHandler({
    config,
    catalog: fx.catalog,
    source,
    incidents: fx.incidents,
    health: new DynamoDbHealthStore(ddb, { tableName: TABLE }),
    mailer: {
      async send(report) {
        reports.push(report);
        return `m${reports.length}`;
      },
    },
    fonts: { fontFiles: [FONT] },
    now: () => LAST_DAY + DAY + 8 * HOUR,
  });
  for (const kind of REPORT_KINDS) {
    const result = await handler({
      kind,
      period: kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day',
    });
    expect(result.outcome).toBe('sent');
  }
  const sent = queried.slice(before);
  const marks = sent.filter((pk) => pk === OPEN_PERIODS_PK).length;
  return { reports, marks, other: sent.length - marks };
}

/** Readings with values rounded to 9 decimals. */
function rounded(values: ReadonlyArray<{ kpi: string; value: number | null }> | undefined) {
  return (values ?? []).map((r) => ({ ...r, value: r.value === null ? null : Number(r.value.toFixed(9)) }));
}

beforeAll(async () => {
  dynamo = await startDynamoDb();
  ddb = new DynamoDBClient(localClientConfig(dynamo.endpoint));
  ddb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') {
        const input = args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> };
        queried.push(input.ExpressionAttributeValues?.[':pk']?.S ?? '');
      }
      return next(args);
    },
    { step: 'initialize', name: 'countQueries' },
  );
  await createKpiTable(ddb, TABLE);
  await storeFixture();
}, 120_000);

afterAll(async () => {
  ddb?.destroy();
  await dynamo?.stop();
});

describe('report reads of the open-period marks', () => {
  it('merges the open day and hour from finer items, as the fixture counted them', async () => {
    const reader = new DynamoDbKpiReader({ client: ddb, tableName: TABLE, catalog: fx.catalog }).forRun();
    for (const tenant of scopes) {
      const q = { tenant, granularity: 'day' as const, fromMs: LAST_DAY, toMs: LAST_DAY + DAY };
      const [read] = await reader.read(q);
      const [expected] = await fx.source.read(q);
      // Merging hours sums in another order than counting the day: equal to rounding.
      expect(rounded(read?.set.values())).toEqual(rounded(expected?.set.values()));
      expect(read?.set.values().length).toBeGreaterThan(0);
    }
  });

  it('sends the same four reports with one marks Query per run instead of one per read', async () => {
    const reader = new DynamoDbKpiReader({ client: ddb, tableName: TABLE, catalog: fx.catalog });
    // Without forRun the handler reads the marks on every hour and day read, as before.
    const perRead = await runReports({ read: (q) => reader.read(q) });
    const perRun = await runReports(reader);

    expect(perRun.reports).toHaveLength(REPORT_KINDS.length);
    expect(perRun.reports).toEqual(perRead.reports);
    expect(perRun.reports.map((r) => r.csv.content)).toEqual(perRead.reports.map((r) => r.csv.content));
    // Every tenant read of the health scoring and of the report read the marks; now each run reads them once.
    expect(perRead.marks).toBeGreaterThanOrEqual(REPORT_KINDS.length * 2 * scopes.length);
    expect(perRun.marks).toBe(REPORT_KINDS.length);
    // Nothing else read changes: the same KPI and health Queries.
    expect(perRun.other).toBe(perRead.other);
  });

  it('sends one marks Query for reads of a run that start together', async () => {
    const run = new DynamoDbKpiReader({ client: ddb, tableName: TABLE, catalog: fx.catalog }).forRun();
    const before = queried.length;
    const reads = await Promise.all(
      scopes.map((tenant) => run.read({ tenant, granularity: 'day', fromMs: LAST_DAY - DAY, toMs: LAST_DAY + DAY })),
    );
    expect(reads.map((r) => r.length)).toEqual(scopes.map(() => 2));
    expect(queried.slice(before).filter((pk) => pk === OPEN_PERIODS_PK)).toHaveLength(1);
  });

  it('keeps the marks for one run only: the next run sees a period opened in between', async () => {
    const reader = new DynamoDbKpiReader({ client: ddb, tableName: TABLE, catalog: fx.catalog });
    const tenant = fx.config.tenants[0]!.id;
    const q = { tenant, granularity: 'day' as const, fromMs: LAST_DAY - DAY, toMs: LAST_DAY };
    const first = reader.forRun();
    const before = await first.read(q);
    // A late event reopens the day before: its only data is now a minute item behind an open mark.
    const late = LAST_DAY - DAY + 3 * HOUR;
    const [hour] = await fx.source.read({ tenant, granularity: 'hour', fromMs: late, toMs: late + HOUR });
    await new DynamoDbKpiStore({ client: ddb, tableName: TABLE, catalog: fx.catalog }).write([
      {
        address: { tenant, granularity: 'minute', bucketStartMs: late },
        set: hour!.set,
        expectedVersion: undefined,
        watermarks: {},
        expiresAt: Math.floor((LAST_DAY + 400 * DAY) / 1000),
      },
    ]);
    await putMark('day', LAST_DAY - DAY);
    await putMark('hour', late);

    // The first run still reads the stored day; a new run merges the day's finer items instead.
    expect((await first.read(q))[0]?.set.values()).toEqual(before[0]?.set.values());
    const next = await reader.forRun().read(q);
    expect(next[0]?.set.values()).toEqual(hour!.set.values());
    expect(next[0]?.set.values()).not.toEqual(before[0]?.set.values());
  });
});
