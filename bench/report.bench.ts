/**
 * The report Lambda at 1,000 tenants: builds, renders and encodes (MIME) each report kind, as the
 * handler does in Lambda, and reports the time, the Queries, the peak RSS and the size of the raw
 * message (SES SendRawEmail takes at most 10 MB).
 *
 * Reads go through the real adapters as in Lambda: KPIs through `DynamoDbKpiReader`, health scores
 * through `DynamoDbHealthStore`, both on one real DynamoDB client whose requests an in-memory table
 * answers (bench/writes-capacity.ts, which also bills the read units). The table holds the
 * fixture's day items (and the fleet's hour items) as the aggregator's roll-ups store them, and the
 * health scores of the 13 days before the last, as the mornings before would have stored them
 * (scored from the fixture through the handler's own `computeDailyHealth`). Each request waits
 * BENCH_REPORT_READ_LATENCY_MS first (default 8 ms, a DynamoDB Query's round trip in region), so the
 * read time includes the reads' concurrency, not a network.
 */
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { scoreHistory } from '../cli/local/history';
import { buildReportFixture, type ReportFixture } from '../cli/report-fixture';
import { DynamoDbHealthStore } from '../lambdas/adapters/health-store-dynamodb';
import { DynamoDbKpiReader } from '../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../lambdas/adapters/kpi-store-dynamodb';
import { buildReportMime, type ReportMailer } from '../lambdas/adapters/report-mailer-ses';
import { FLEET_TENANT, type KpiItemWrite, OPEN_PERIODS_PK } from '../lambdas/core/aggregation';
import { parseConfig, REPORT_KINDS } from '../lambdas/core/config/schema';
import { createReportHandler } from '../lambdas/handlers/report/handler';
import type { BenchResult } from './run';
import { CapacityCountingTable } from './writes-capacity';

const TENANTS = 1000;
const DAYS = 15;
const DAY_MS = 86_400_000;
const LAST_DAY = Date.parse('2026-11-22T00:00:00Z');
const FONT = resolve(__dirname, '../assets/fonts/DejaVuSans.ttf');
/** Days of stored health scores before the last day: a week report reads 14 days of them. */
const HEALTH_HISTORY_DAYS = 13;

/** Copies the fixture's day items of every tenant and the fleet, and the fleet's hour items, into `table`. */
async function storeFixture(fx: ReportFixture, table: CapacityCountingTable): Promise<number> {
  const store = new DynamoDbKpiStore({ client: table.client(), tableName: 'kpi', catalog: fx.catalog });
  const fromMs = LAST_DAY - (DAYS - 1) * DAY_MS;
  const toMs = LAST_DAY + DAY_MS;
  const reads = [
    ...[FLEET_TENANT, ...fx.config.tenants.map((t) => t.id)].map((tenant) => ({ tenant, granularity: 'day' as const })),
    { tenant: FLEET_TENANT, granularity: 'hour' as const },
  ];
  let items = 0;
  for (const r of reads) {
    const buckets = await fx.source.read({ ...r, fromMs, toMs });
    const writes: KpiItemWrite[] = buckets.map((b) => ({
      address: { tenant: r.tenant, granularity: r.granularity, bucketStartMs: b.bucketStartMs },
      set: b.set,
      expectedVersion: undefined,
      watermarks: {},
      expiresAt: Math.floor(toMs / 1000) + 400 * 86_400,
    }));
    await store.write(writes);
    items += writes.length;
  }
  return items;
}

/** Queries a report sent, by what they read. */
interface QueryCounts {
  kpi: number;
  marks: number;
  health: number;
}

/** A client of `table` whose every request waits `latencyMs` first; counts its Queries into `counts`. */
function slowClient(table: CapacityCountingTable, latencyMs: number, counts: QueryCounts) {
  const client = table.client();
  const wait: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    if (context.commandName === 'QueryCommand') {
      const pk = (args.input as { ExpressionAttributeValues?: Record<string, { S?: string }> })
        .ExpressionAttributeValues?.[':pk']?.S;
      if (pk === OPEN_PERIODS_PK) counts.marks++;
      else if (pk?.startsWith('health#') === true) counts.health++;
      else counts.kpi++;
    }
    await delay(latencyMs);
    return next(args);
  };
  client.middlewareStack.addRelativeTo(wait, {
    relation: 'before',
    toMiddleware: 'capacityCountingTable',
    name: 'benchReadLatency',
  });
  return client;
}

/** Runs every report kind once over 1,000 tenants and 15 days of history. */
export async function run(): Promise<BenchResult[]> {
  const latencyMs = Number(process.env.BENCH_REPORT_READ_LATENCY_MS ?? 8);
  const built = Date.now();
  const fx = buildReportFixture({ lastDayMs: LAST_DAY, tenants: TENANTS, days: DAYS, sessionsPerDay: 8 });
  const fixtureSeconds = (Date.now() - built) / 1000;
  const table = new CapacityCountingTable(() => 'kpi');
  const stored = await storeFixture(fx, table);
  const config = parseConfig({
    tiers: { standard: { licensedSeats: 20 }, enterprise: { licensedSeats: 25 } },
    tenants: fx.config.tenants,
  });
  const scored = Date.now();
  const scores = await scoreHistory(LAST_DAY - HEALTH_HISTORY_DAYS * DAY_MS, LAST_DAY, {
    source: fx.source,
    health: new DynamoDbHealthStore(table.client(), { tableName: 'kpi' }),
    config,
  });
  const scoreSeconds = (Date.now() - scored) / 1000;
  let rawBytes = 0;
  const mailer: ReportMailer = {
    async send(report, from, to) {
      rawBytes = (await buildReportMime(report, from, to)).length;
      return 'bench';
    },
  };
  const results: BenchResult[] = [
    { name: `fixture: ${TENANTS} tenants x ${DAYS} days in memory`, value: fixtureSeconds, unit: 's' },
    { name: 'KPI items in the table', value: stored, unit: 'items', note: 'day items, fleet hour items' },
    {
      name: `health scores stored for ${HEALTH_HISTORY_DAYS} earlier days`,
      value: scores,
      unit: 'items',
      note: `${scoreSeconds.toFixed(1)} s, no latency (setup)`,
    },
  ];
  for (const kind of REPORT_KINDS) {
    const counts: QueryCounts = { kpi: 0, marks: 0, health: 0 };
    const client = slowClient(table, latencyMs, counts);
    const handler = createReportHandler({
      config,
      catalog: fx.catalog,
      source: new DynamoDbKpiReader({ client, tableName: 'kpi', catalog: fx.catalog }),
      incidents: fx.incidents,
      health: new DynamoDbHealthStore(client, { tableName: 'kpi' }),
      mailer,
      fonts: { fontFiles: [FONT] },
      now: () => LAST_DAY + DAY_MS + 8 * 3_600_000,
    });
    const period = kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day';
    const rruBefore = table.counters.rru;
    const started = Date.now();
    const outcome = await handler({ kind, period });
    const seconds = (Date.now() - started) / 1000;
    results.push(
      {
        name: `${kind} (${period}): reads + build + render + MIME`,
        value: seconds,
        unit: 's',
        note:
          `${outcome.outcome}; ${counts.kpi + counts.marks + counts.health} Queries at ${latencyMs} ms ` +
          `(KPI ${counts.kpi}, open marks ${counts.marks}, health ${counts.health}), ` +
          `${Math.round(table.counters.rru - rruBefore)} RRU`,
      },
      { name: `${kind}: raw message size`, value: rawBytes / 1_048_576, unit: 'MiB', note: 'SES limit 10 MB' },
    );
  }
  results.push({ name: 'peak RSS (whole run)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB' });
  return results;
}
