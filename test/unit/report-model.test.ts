import { buildReportFixture, type ReportFixture } from '../../cli/report-fixture';
import { parseCsv } from '../../lambdas/core/export';
import { InMemoryHealthStore } from '../../lambdas/core/health';
import {
  buildReportModel,
  collectReportData,
  computeDailyHealth,
  escapeHtml,
  formatValue,
  parseUtcDate,
  type ReportModel,
  renderHtml,
  renderText,
  reportCsv,
  reportPeriod,
  TABLE_CAP,
} from '../../lambdas/core/reports';

const LAST_DAY = parseUtcDate('2026-11-20');

async function model(fx: ReportFixture, kind: ReportModel['kind'], periodKind: 'day' | 'week'): Promise<ReportModel> {
  const health = new InMemoryHealthStore();
  for (let d = 6; d >= 0; d--) await computeDailyHealth(LAST_DAY - d * 86_400_000, { ...fx, health });
  const period = reportPeriod(periodKind, LAST_DAY);
  const data = await collectReportData(kind, period, { ...fx, health });
  return buildReportModel(data, fx.catalog, fx.config);
}

describe('report model', () => {
  const fx = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 6 });

  it('covers the day and compares with the day before', () => {
    const p = reportPeriod('day', LAST_DAY + 5 * 3_600_000);
    expect(p.label).toBe('2026-11-20');
    expect(p.endMs - p.startMs).toBe(86_400_000);
    expect(p.previousEndMs).toBe(p.startMs);
    expect(reportPeriod('week', LAST_DAY).label).toBe('2026-11-14 to 2026-11-20');
  });

  it('shows the fleet values the KPI reader returns for the period', async () => {
    const m = await model(fx, 'system_health', 'day');
    const [bucket] = await fx.source.read({
      tenant: '*',
      granularity: 'day',
      fromMs: LAST_DAY,
      toMs: LAST_DAY + 86_400_000,
    });
    const reader = bucket?.set.values() ?? [];
    const latency = m.kpis.find((k) => k.kpi === 'response_latency');
    expect(latency?.statistic).toBe('p95');
    expect(latency?.current).toBe(reader.find((r) => r.kpi === 'response_latency')?.p95);
    const errors = m.kpis.find((k) => k.kpi === 'turn_error_rate');
    expect(errors?.current).toBe(reader.find((r) => r.kpi === 'turn_error_rate')?.value);
    expect(latency?.target?.status).toBe('missed');
  });

  it('merges a week of days for week reports', async () => {
    const m = await model(fx, 'executive_summary', 'week');
    const days = await fx.source.read({
      tenant: '*',
      granularity: 'day',
      fromMs: m.period.startMs,
      toMs: m.period.endMs,
    });
    const sessions = days.reduce((a, d) => a + (d.set.values().find((v) => v.kpi === 'sessions')?.value ?? 0), 0);
    expect(days).toHaveLength(7);
    expect(m.fleetDays).toHaveLength(7);
    expect(m.kpis.find((k) => k.kpi === 'availability')?.count).toBe(
      days.reduce((a, d) => a + (d.set.values().find((v) => v.kpi === 'availability')?.count ?? 0), 0),
    );
    expect(sessions).toBeGreaterThan(0);
  });

  it('lists the degraded client among the movers, worse first', async () => {
    const m = await model(fx, 'system_health', 'week');
    expect(m.movers.rows[0]?.changeIs).toBe('worse');
    expect(m.movers.rows.some((r) => r.tenant === 'tenant-01' && r.kpi === 'response_latency')).toBe(true);
  });

  it('reports incidents of both ladders with time to acknowledge and resolve in the executive summary', async () => {
    const m = await model(fx, 'executive_summary', 'day');
    expect(m.incidents.total).toBe(2);
    expect(m.incidents.bySeverity.P1).toBe(1);
    expect(m.incidents.mttaMs).toBe(6 * 60_000);
    expect(m.incidents.mttrMs).toBe(42 * 60_000);
    expect(m.incidents.open).toBe(1);
    expect(m.incidents.table.rows[0]?.severity).toBe('P1');
  });

  it('puts the degraded client in the red band with a churn-risk flag in the client success report', async () => {
    const m = await model(fx, 'client_success', 'week');
    const d = m.health.distribution;
    expect(d.green + d.yellow + d.red + d.no_score).toBe(6);
    expect(m.health.red.rows.map((r) => r.tenant)).toContain('tenant-01');
    expect(m.health.churnRisk.rows.map((r) => r.tenant)).toContain('tenant-01');
  });

  it('flags a KPI far outside its 28-day range as an anomaly', async () => {
    const m = await model(fx, 'system_health', 'day');
    expect(m.anomalies.map((a) => a.kpi)).toContain('response_latency');
  });

  it('caps tables for a large fleet and says how many more there are', async () => {
    const big = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 40, days: 3, sessionsPerDay: 8 });
    const m = await model(big, 'system_health', 'day');
    expect(m.movers.rows).toHaveLength(TABLE_CAP);
    expect(m.movers.more).toBeGreaterThan(0);
    expect(renderHtml(m, [])).toContain(`and ${m.movers.more} more movers`);
  });

  it('escapes tenant names and event-derived text in the HTML', async () => {
    const m = await model(fx, 'client_success', 'week');
    const html = renderHtml(m, []);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>fleet</b>');
    expect(escapeHtml(`a<b>"c"&'d'`)).toBe('a&#60;b&#62;&#34;c&#34;&#38;&#39;d&#39;');
    expect(html).toContain(escapeHtml("O'Brien Sales <script>alert(1)</script>"));
  });

  it('writes the same numbers into the text part and the CSV', async () => {
    const m = await model(fx, 'system_health', 'day');
    const text = renderText(m);
    const sessions = m.kpis.find((k) => k.kpi === 'turns');
    expect(text).toContain(`Turns: ${formatValue(sessions?.current ?? null, 'count')}`);
    const rows = parseCsv(reportCsv(m));
    expect(rows.every((r) => r.tenant === '*' && r.bucketStart === '2026-11-20T00:00:00Z')).toBe(true);
    expect(rows.find((r) => r.kpi === 'turns')?.value).toBe(sessions?.current);
  });
});
