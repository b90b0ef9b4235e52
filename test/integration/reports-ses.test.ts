import { resolve } from 'node:path';
import { SESClient } from '@aws-sdk/client-ses';
import { localClientConfig, readSesStore, type StandIn, startSes } from '../../cli/local/standins';
import { buildReportFixture } from '../../cli/report-fixture';
import { SesReportMailer } from '../../lambdas/adapters/report-mailer-ses';
import { parseConfig, REPORT_KINDS } from '../../lambdas/core/config/schema';
import { parseCsv } from '../../lambdas/core/export';
import { InMemoryHealthStore } from '../../lambdas/core/health';
import { formatValue, reportPeriod } from '../../lambdas/core/reports';
import { createReportHandler } from '../../lambdas/handlers/report/handler';

const LAST_DAY = Date.UTC(2026, 10, 20);
const FONT = resolve(__dirname, '../../assets/fonts/DejaVuSans.ttf');

/** A mail as aws-ses-v2-local keeps it after parsing the raw MIME with mailparser. */
interface StoredMail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: Array<{ filename?: string; contentType: string; cid?: string; content: string }>;
}

describe('reports through the local SES server', () => {
  let ses: StandIn;
  const fx = buildReportFixture({ lastDayMs: LAST_DAY });
  const recipients = {
    system_health: ['tech@example.com', 'cto@example.com'],
    business_performance: ['cro@example.com'],
    executive_summary: ['exec@example.com'],
    client_success: ['success@example.com'],
  };
  const config = parseConfig(
    {
      tiers: { standard: { licensedSeats: 20 }, enterprise: { licensedSeats: 25, perTenantAlarms: true } },
      tenants: fx.config.tenants,
      reports: {
        senderEmail: 'reports@example.com',
        schedules: Object.fromEntries(
          REPORT_KINDS.map((k) => [k, { cron: 'cron(0 8 * * ? *)', recipients: recipients[k] }]),
        ),
      },
    },
    'test',
  );

  beforeAll(async () => {
    ses = await startSes();
  });
  afterAll(async () => {
    await ses?.stop();
  });

  async function stored(): Promise<StoredMail[]> {
    return (await readSesStore<StoredMail>(ses.endpoint)).emails;
  }

  it.each(REPORT_KINDS.map((k) => [k]))(
    'sends the %s report with valid MIME, charts, CSV and the reader numbers',
    async (kind) => {
      const before = (await stored()).length;
      const health = new InMemoryHealthStore();
      const handler = createReportHandler({
        config,
        catalog: fx.catalog,
        source: fx.source,
        incidents: fx.incidents,
        health,
        mailer: new SesReportMailer(new SESClient(localClientConfig(ses.endpoint))),
        fonts: { fontFiles: [FONT] },
        now: () => LAST_DAY + 86_400_000 + 8 * 3_600_000,
      });
      const period = kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day';
      const result = await handler({ kind, period });
      expect(result.outcome).toBe('sent');
      expect(result.healthScores).toBe(config.tenants.length);

      const mails = await stored();
      expect(mails).toHaveLength(before + 1);
      const mail = mails.at(-1);
      // The server parsed the raw MIME (mailparser); its To header lists every recipient.
      expect(mail?.destination.to.join(', ').split(', ')).toEqual(recipients[kind]);
      expect(mail?.subject).toContain('2026-11-');
      expect(mail?.from).toContain('reports@example.com');
      const text = mail?.body.text ?? '';
      const html = mail?.body.html ?? '';
      expect(text.length).toBeGreaterThan(100);
      expect(html).toContain('</table>');

      // Inline PNGs are related parts with a Content-ID; mailparser swaps the cid: links for data: URIs.
      const attachments = mail?.attachments ?? [];
      const inline = attachments.filter((x) => x.cid !== undefined && x.contentType === 'image/png');
      // Headline chart plus each audience's own: burn-down; funnel, waterfall and won value by channel; funnel,
      // waterfall and two forecasts; health bands.
      const charts = { system_health: 2, business_performance: 4, executive_summary: 5, client_success: 2 } as const;
      expect(inline).toHaveLength(charts[kind]);
      for (const img of inline) expect(Buffer.from(img.content, 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
      const shown = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(shown).toHaveLength(inline.length);
      for (const src of shown) expect(src.startsWith('data:image/png;base64,') || src.startsWith('cid:')).toBe(true);

      // The CSV parses as the export format and equals what the KPI reader returns.
      const csv = attachments.find(
        (a) => a.contentType.startsWith('text/csv') && !a.filename?.startsWith('incidents_'),
      );
      const rows = parseCsv(Buffer.from(csv?.content ?? '', 'base64').toString('utf8'));
      const p = reportPeriod(period, LAST_DAY);
      const days = await fx.source.read({ tenant: '*', granularity: 'day', fromMs: p.startMs, toMs: p.endMs });
      const expected = days.flatMap((d) => d.set.values().map((v) => ({ bucketStartMs: d.bucketStartMs, v })));
      expect(rows).toHaveLength(expected.length);
      for (const { bucketStartMs, v } of expected) {
        const row = rows.find(
          (r) => r.kpi === v.kpi && r.bucketStart === new Date(bucketStartMs).toISOString().replace('.000', ''),
        );
        expect(row?.value).toBe(v.value);
        expect(row?.count).toBe(v.count);
      }

      // A headline number in the mail equals the reader's (merged over the period).
      const [merged, ...rest] = days;
      for (const d of rest) merged?.set.mergeFrom(d.set);
      const kpi =
        kind === 'system_health'
          ? 'turns'
          : kind === 'business_performance'
            ? 'funnel_lead'
            : kind === 'executive_summary'
              ? 'availability'
              : 'sessions';
      const unit = kind === 'executive_summary' ? 'ratio' : 'count';
      const readerValue = merged?.set.values().find((v) => v.kpi === kpi)?.value ?? null;
      expect(readerValue).not.toBeNull();
      expect(text).toContain(`: ${formatValue(readerValue, unit)} (previous`);
      expect(html).toContain(formatValue(readerValue, unit));
    },
  );

  it('skips sending when the schedule has no recipients', async () => {
    const before = (await stored()).length;
    const quiet = parseConfig({
      ...config,
      reports: {
        ...config.reports,
        schedules: { ...config.reports.schedules, system_health: { cron: 'cron(0 8 * * ? *)', recipients: [] } },
      },
    });
    const handler = createReportHandler({
      config: quiet,
      catalog: fx.catalog,
      source: fx.source,
      incidents: fx.incidents,
      health: new InMemoryHealthStore(),
      mailer: new SesReportMailer(new SESClient(localClientConfig(ses.endpoint))),
      fonts: { fontFiles: [FONT] },
      now: () => LAST_DAY + 86_400_000,
    });
    expect((await handler({ kind: 'system_health', period: 'day' })).outcome).toBe('skipped');
    expect(await stored()).toHaveLength(before);
  });
});
