/**
 * The report Lambda at 1,000 tenants: builds, renders and encodes (MIME) each report kind from an
 * in-memory KPI source, as the handler does in Lambda, and reports the time, the peak RSS and the
 * size of the raw message (SES SendRawEmail takes at most 10 MB).
 */
import { resolve } from 'node:path';
import { buildReportFixture } from '../cli/report-fixture';
import { buildReportMime, type ReportMailer } from '../lambdas/adapters/report-mailer-ses';
import { parseConfig, REPORT_KINDS } from '../lambdas/core/config/schema';
import { InMemoryHealthStore } from '../lambdas/core/health';
import { createReportHandler } from '../lambdas/handlers/report/handler';
import type { BenchResult } from './run';

const TENANTS = 1000;
const LAST_DAY = Date.parse('2026-11-22T00:00:00Z');
const FONT = resolve(__dirname, '../assets/fonts/DejaVuSans.ttf');

/** Runs every report kind once over 1,000 tenants and 15 days of history. */
export async function run(): Promise<BenchResult[]> {
  const built = Date.now();
  const fx = buildReportFixture({ lastDayMs: LAST_DAY, tenants: TENANTS, days: 15, sessionsPerDay: 8 });
  const fixtureSeconds = (Date.now() - built) / 1000;
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
    { name: `fixture: ${TENANTS} tenants x 15 days in memory`, value: fixtureSeconds, unit: 's' },
  ];
  for (const kind of REPORT_KINDS) {
    const handler = createReportHandler({
      config,
      catalog: fx.catalog,
      source: fx.source,
      incidents: fx.incidents,
      health: new InMemoryHealthStore(),
      mailer,
      fonts: { fontFiles: [FONT] },
      now: () => LAST_DAY + 86_400_000 + 8 * 3_600_000,
    });
    const period = kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day';
    const started = Date.now();
    const outcome = await handler({ kind, period });
    const seconds = (Date.now() - started) / 1000;
    results.push(
      { name: `${kind} (${period}): build + render + MIME`, value: seconds, unit: 's', note: outcome.outcome },
      { name: `${kind}: raw message size`, value: rawBytes / 1_048_576, unit: 'MiB', note: 'SES limit 10 MB' },
    );
  }
  results.push({ name: 'peak RSS (whole run)', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB' });
  return results;
}
