import { buildReportFixture, type ReportFixture } from '../../cli/report-fixture';
import type { KpiReading } from '../../lambdas/core/health';
import { InMemoryHealthStore } from '../../lambdas/core/health';
import {
  BACKTEST_DAYS,
  breachingValue,
  buildReportModel,
  CLIENT_TABLE_CAP,
  collectReportData,
  computeDailyHealth,
  dailySeries,
  FORECAST_LEVEL,
  forecastSteps,
  incidentsCsv,
  intervalHalfWidth,
  parseUtcDate,
  type ReportModel,
  renderHtml,
  renderText,
  reportCsv,
  reportPeriod,
  SHORT_HISTORY_MODEL,
} from '../../lambdas/core/reports';

const DAY = 86_400_000;
const LAST_DAY = parseUtcDate('2026-11-20');
const WEEK = { fromMs: LAST_DAY - 6 * DAY, toMs: LAST_DAY + DAY };

async function build(fx: ReportFixture, kind: ReportModel['kind'], scoredDays = 14) {
  const health = new InMemoryHealthStore();
  for (let d = scoredDays - 1; d >= 0; d--) await computeDailyHealth(LAST_DAY - d * DAY, { ...fx, health });
  const data = await collectReportData(kind, reportPeriod('week', LAST_DAY), { ...fx, health });
  return { data, model: buildReportModel(data, fx.catalog, fx.config), health };
}

/** Sum of a KPI's day values over the week, as `kpi export` would list them for the fleet. */
async function exportedSum(fx: ReportFixture, kpi: string, tenant = '*'): Promise<number> {
  const days = await fx.source.read({ tenant, granularity: 'day', ...WEEK });
  return days
    .map((d) => d.set.values().find((r: KpiReading) => r.kpi === kpi))
    .reduce((a, r) => a + (r?.value ?? 0), 0);
}

/** Sum of a fleet KPI's day values before the week (the forecast's history beyond the period). */
async function sumBefore(fx: ReportFixture, kpi: string): Promise<number> {
  const days = await fx.source.read({
    tenant: '*',
    granularity: 'day',
    fromMs: WEEK.fromMs - 60 * DAY,
    toMs: WEEK.fromMs,
  });
  return days.map((d) => d.set.values().find((r: KpiReading) => r.kpi === kpi)?.value ?? 0).reduce((a, b) => a + b, 0);
}

describe('report story sections', () => {
  const fx = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 6 });

  it('draws the funnel from the exported stage counts with stage-to-stage conversion', async () => {
    const { model } = await build(fx, 'business_performance', 1);
    const funnel = model.story.funnel ?? [];
    expect(funnel.map((s) => s.stage)).toEqual(['lead', 'contacted', 'qualified', 'proposal', 'won']);
    for (const s of funnel) expect(s.current).toBe(await exportedSum(fx, `funnel_${s.stage}`));
    const [lead, contacted] = funnel;
    expect(contacted?.conversion).toBeCloseTo((contacted?.current ?? 0) / (lead?.current ?? 1), 12);
    expect(renderText(model)).toContain(`- lead: ${lead?.current} (previous ${lead?.previous})`);
  });

  it('shows won value and conversion by channel, each number summed from the attached kpis.csv', async () => {
    const { model } = await build(fx, 'business_performance', 1);
    // The attachment: fleet day rows of the period in the export format.
    const csv = reportCsv(model).trim().split('\r\n');
    const head = csv[0]?.split(',') ?? [];
    const sum = (kpi: string) =>
      csv
        .slice(1)
        .map((l) => l.split(','))
        .filter((c) => c[head.indexOf('kpi')] === kpi)
        .reduce((a, c) => a + Number(c[head.indexOf('value')]), 0);
    const rows = model.story.channels ?? [];
    expect(rows.map((r) => r.channel)).toEqual(['voice', 'chat', 'email', 'whatsapp', 'web', 'other']);
    for (const r of rows) {
      const key = r.channel === 'other' ? '_other' : r.channel;
      expect(r.sessions).toBe(sum(`sessions:${key}`));
      expect(r.leads).toBe(sum(`funnel_lead:${key}`));
      expect(r.won).toBe(sum(`funnel_won:${key}`));
      expect(r.wonValue).toBe(sum(`won_value_usd:${key}`));
      expect(r.conversion).toBe(r.leads > 0 ? r.won / r.leads : null);
    }
    // The channels add up to the totals, and leads from outside the contract's list show as other.
    expect(rows.reduce((a, r) => a + r.sessions, 0)).toBe(sum('sessions'));
    expect(rows.reduce((a, r) => a + r.wonValue, 0)).toBe(sum('won_value_usd'));
    expect(rows.find((r) => r.channel === 'other')?.leads).toBeGreaterThan(0);
    expect(rows.find((r) => r.channel === 'email')?.leads).toBe(0);
    const voice = rows[0];
    expect(renderText(model)).toContain(
      `- voice: ${voice?.sessions.toLocaleString('en-US')} sessions (previous ${voice?.previousSessions.toLocaleString('en-US')}), ${voice?.won} won of ${voice?.leads} leads`,
    );
  });

  it('shows business targets only where they are set', async () => {
    const plain = (await build(fx, 'business_performance', 1)).model;
    expect(renderText(plain)).not.toContain('target');
    const config = {
      ...fx.config,
      reports: {
        ...fx.config.reports,
        businessTargets: { conversion: { lead_to_contacted: 0.9 }, netNewMrrUsdPerWeek: 1_000_000 },
      },
    };
    const { model } = await build({ ...fx, config }, 'business_performance', 1);
    expect(model.story.funnel?.[1]?.target).toBe(0.9);
    const text = renderText(model);
    expect(text).toMatch(/contacted: .*target >= 90\.0%: missed/);
    expect(text).not.toMatch(/qualified: .*target/);
    expect(text).toContain('Net new MRR target >= $1,000,000: missed');
  });

  it('builds the MRR waterfall from the exported movements and ends at net new MRR', async () => {
    const { model } = await build(fx, 'business_performance', 1);
    const w = model.story.waterfall ?? [];
    expect(w.map((s) => s.label)).toEqual(['start', 'new', 'expansion', 'contraction', 'churn', 'end']);
    for (const s of w.slice(1, 5)) expect(s.amount).toBe(await exportedSum(fx, `mrr_${s.label}_usd`));
    expect(w.at(-1)?.to).toBe(await exportedSum(fx, 'net_new_mrr_usd'));
    expect(w.some((s) => s.amount < 0)).toBe(true);
  });

  it('lists clients worst first with the stored scores, weakest component and a sparkline', async () => {
    const { model, health } = await build(fx, 'client_success');
    const rows = model.story.clients?.rows ?? [];
    expect(rows).toHaveLength(6);
    const scores = rows.map((r) => r.score ?? 0);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    const worst = rows[0];
    const stored = await health.history(worst?.tenant ?? '', '2026-11-14', '2026-11-20');
    expect(worst?.score).toBe(stored.at(-1)?.score);
    expect(worst?.sparkline).toEqual(stored.map((s) => s.score));
    expect(worst?.band).toBe('red');
    expect(worst?.weakest?.name).toBe('satisfaction');
    const risk = model.story.atRisk?.find((r) => r.tenant === worst?.tenant);
    expect(risk?.reasons).toEqual(expect.arrayContaining(['red for 3 days running', '1 P1 incident']));
    expect(risk?.reasons.some((r) => /^CSAT \d\.\d$/.test(r))).toBe(true);
  });

  it('shows the bottom 25 of a large fleet and says how many more', async () => {
    const big = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 40, days: 9, sessionsPerDay: 4 });
    const { model } = await build(big, 'client_success', 2);
    expect(model.story.clients?.rows).toHaveLength(CLIENT_TABLE_CAP);
    expect(model.story.clients?.more).toBe(40 - CLIENT_TABLE_CAP);
    expect(renderText(model)).toContain(`and ${40 - CLIENT_TABLE_CAP} more clients (40 in all)`);
  });

  it('computes error budgets from the exported availability and names the tenants behind the breach', async () => {
    const { model } = await build(fx, 'system_health', 1);
    const b = model.story.budgets?.find((x) => x.id === 'availability');
    const days = await fx.source.read({
      tenant: '*',
      granularity: 'day',
      fromMs: LAST_DAY - 29 * DAY,
      toMs: LAST_DAY + DAY,
    });
    let bad = 0;
    let n = 0;
    for (const d of days) {
      const r = d.set.values().find((x: KpiReading) => x.kpi === 'availability');
      bad += (1 - (r?.value ?? 1)) * (r?.count ?? 0);
      n += r?.count ?? 0;
    }
    expect(b?.days).toBe(30);
    expect(b?.remaining).toBeCloseTo(1 - bad / (0.001 * n), 9);
    expect(b?.breached).toBe(true);
    expect(b?.topTenants[0]?.tenantName).toBe('Globex <Support> & "Co"');
    expect(model.story.drift?.map((d) => d.kpi)).toEqual(expect.arrayContaining(['fcr_rate', 'resolution_rate']));
    for (const d of model.story.drift ?? []) expect(d.pValue).toBeGreaterThan(0);
  });

  it('forecasts next week with an interval that holds held-back days at the stated rate', async () => {
    const { data, model } = await build(fx, 'executive_summary', 1);
    const sessions = model.story.forecasts?.find((f) => f.kpi === 'sessions');
    expect(sessions?.week).not.toBeNull();
    expect(sessions?.days).toHaveLength(7);
    // 7 one-day-ahead checks at 95%: fewer than 5 inside would happen with probability < 0.5%.
    expect(FORECAST_LEVEL).toBe(0.95);
    expect(sessions?.backtest?.days).toBe(BACKTEST_DAYS);
    expect(sessions?.backtest?.covered).toBeGreaterThanOrEqual(5);
    // The last day, held back, lies inside the interval forecast without it.
    const series = dailySeries(data, 'sessions').map((d) => d.value);
    const [lastDay] = await fx.source.read({ tenant: '*', granularity: 'day', fromMs: LAST_DAY, toMs: LAST_DAY + DAY });
    expect(series.at(-1)).toBe(lastDay?.set.values().find((r: KpiReading) => r.kpi === 'sessions')?.value);
    const f = forecastSteps(series.slice(0, -1), 1);
    const actual = series.at(-1) ?? 0;
    expect(Math.abs(actual - (f?.mean[0] ?? 0))).toBeLessThanOrEqual(1.96 * Math.sqrt(f?.variance[0] ?? 0));
    expect(renderText(model)).toMatch(
      /Sessions, next 7 days: [\d,]+ \(95% interval [\d,]+ to [\d,]+\); backtest: \d of 7/,
    );
  });

  it("forecasts from the demo's two weeks of history with the short model, held-back days inside its interval", async () => {
    // The demo's history: 14 days before the reported day.
    const short = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 6, days: 15 });
    const { data, model } = await build(short, 'executive_summary', 1);
    for (const kpi of ['sessions', 'net_new_mrr_usd']) {
      const f = model.story.forecasts?.find((x) => x.kpi === kpi);
      expect(f?.method).toBe(SHORT_HISTORY_MODEL.method);
      expect(f?.history).toHaveLength(15);
      expect(f?.days).toHaveLength(7);
      // Fits need 10 days, so 5 of the 15 can be held back; at 95%, 4 or more inside has probability 0.98.
      expect(f?.backtest?.days).toBe(5);
      expect(f?.backtest?.covered).toBeGreaterThanOrEqual(4);
    }
    // The last day, held back, lies inside the interval forecast without it; the series is the exported one.
    const series = dailySeries(data, 'sessions').map((d) => d.value);
    expect(series).toHaveLength(15);
    const exported = (await exportedSum(short, 'sessions')) + (await sumBefore(short, 'sessions'));
    expect(series.reduce((a, v) => a + v, 0)).toBe(exported);
    const f = forecastSteps(series.slice(0, -1), 1, SHORT_HISTORY_MODEL);
    const half = intervalHalfWidth(SHORT_HISTORY_MODEL, 14, f?.variance[0] ?? 0);
    expect(Math.abs((series.at(-1) ?? 0) - (f?.mean[0] ?? 0))).toBeLessThanOrEqual(half);
    expect(renderText(model)).toMatch(
      /Sessions, next 7 days: [\d,]+ \(95% interval [\d,]+ to [\d,]+\); backtest: \d of 5/,
    );
    expect(renderText(model)).toContain(`Method: ${SHORT_HISTORY_MODEL.method}.`);
  });

  it('lists each audience its own ladder, titled in words, without alarm names', async () => {
    const sys = (await build(fx, 'system_health', 1)).model;
    const biz = (await build(fx, 'business_performance', 1)).model;
    const exec = (await build(fx, 'executive_summary', 1)).model;
    expect(sys.incidents.table.rows.map((r) => r.title)).toEqual([
      // Named after the unmuted P1 alert, with its latest breaching datapoint in the KPI's unit.
      'Globex <Support> & "Co": Response latency p95 7,600 ms (P1)',
    ]);
    expect(biz.incidents.table.rows.map((r) => r.title)).toEqual(['Fleet: CSAT (P2)']);
    expect(exec.incidents.total).toBe(2);
    for (const m of [sys, biz, exec]) {
      expect(renderHtml(m, [])).not.toContain('agent-kpi-');
      expect(renderText(m)).not.toContain('agent-kpi-');
    }
    const csv = incidentsCsv(exec);
    expect(csv).toContain('agent-kpi-response_latency-p1-tenant-01');
    expect(csv.split('\r\n')).toHaveLength(4);
  });

  it('reads the measured value from CloudWatch and evaluator reasons, and gives none without datapoints', () => {
    expect(breachingValue('Threshold Crossed: 1 datapoint [0.0625 (01/12/26 10:04:00)] was greater than')).toBe(0.0625);
    expect(breachingValue('Threshold Crossed: 2 out of the last 3 datapoints [1.2e3 (x), 5 (y)] were')).toBe(1200);
    expect(breachingValue('arn:aws:cloudwatch:...:alarm:x transitioned to ALARM')).toBeNull();
    expect(breachingValue(undefined)).toBeNull();
  });
});
