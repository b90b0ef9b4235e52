/**
 * The report Lambda at 1,000 tenants: builds, renders and encodes (MIME) each report kind, as the
 * handler does in Lambda, and reports the time, the peak RSS and the size of the raw message (SES
 * SendRawEmail takes at most 10 MB).
 *
 * KPI reads go through the real `DynamoDbKpiReader` and a real DynamoDB client whose requests an
 * in-memory table answers (bench/writes-capacity.ts, which also bills the read units), holding the
 * fixture's day items (and the fleet's hour items) as the aggregator's roll-ups store them. Each
 * request waits BENCH_REPORT_READ_LATENCY_MS first (default 8 ms, a DynamoDB Query's round trip in
 * region), so the read time includes the reader's concurrency, not a network. Health scores are
 * read from memory (the health store's own Queries are not part of this figure).
 */
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { buildReportFixture, type ReportFixture } from '../cli/report-fixture';
import { DynamoDbKpiReader } from '../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../lambdas/adapters/kpi-store-dynamodb';
import { buildReportMime, type ReportMailer } from '../lambdas/adapters/report-mailer-ses';
import { FLEET_TENANT, type KpiItemWrite } from '../lambdas/core/aggregation';
import { parseConfig, REPORT_KINDS } from '../lambdas/core/config/schema';
import { InMemoryHealthStore } from '../lambdas/core/health';
import { createReportHandler } from '../lambdas/handlers/report/handler';
import type { BenchResult } from './run';
import { CapacityCountingTable } from './writes-capacity';

const TENANTS = 1000;
const DAYS = 15;
const DAY_MS = 86_400_000;
const LAST_DAY = Date.parse('2026-11-22T00:00:00Z');
const FONT = resolve(__dirname, '../assets/fonts/DejaVuSans.ttf');

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

/** A client of `table` whose every request waits `latencyMs` first. */
function slowClient(table: CapacityCountingTable, latencyMs: number) {
  const client = table.client();
  const wait: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
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
  ];
  for (const kind of REPORT_KINDS) {
    const source = new DynamoDbKpiReader({
      client: slowClient(table, latencyMs),
      tableName: 'kpi',
      catalog: fx.catalog,
    });
    const handler = createReportHandler({
      config,
      catalog: fx.catalog,
      source,
      incidents: fx.incidents,
      health: new InMemoryHealthStore(),
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
        note: `${outcome.outcome}; ${source.queries} Queries at ${latencyMs} ms, ${Math.round(table.counters.rru - rruBefore)} RRU`,
      },
      { name: `${kind}: raw message size`, value: rawBytes / 1_048_576, unit: 'MiB', note: 'SES limit 10 MB' },
    );
  }
  results.push({ name: 'peak RSS (whole run)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB' });
  return results;
}
