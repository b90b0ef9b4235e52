import { alarmsFromTemplate, backtest, formatBacktest } from '../../lambdas/core/alarm-evaluator';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { activeSilence, parseConfig, perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { tenantAlarmDefinitions } from '../../lambdas/core/tenant-alarms';
import { synthesizeAlarmsTemplate } from '../../lib/constructs/alarms';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T06:00:00Z');
const INCIDENT_START = 120;
const INCIDENT_END = 140;

const config = parseConfig({
  tenants: [
    { id: 'acme', name: 'Acme', tier: 'enterprise' },
    { id: 'small', name: 'Small', tier: 'standard' },
  ],
  silences: [
    {
      id: 'acme-maintenance',
      tenant: 'acme',
      alarm: 'api_error_rate-p1',
      start: '2026-03-02T07:55:00Z',
      end: '2026-03-02T08:30:00Z',
      reason: 'planned API migration',
    },
  ],
});

function synthTemplate(): object {
  // The backtest template: the fleet alarms plus the per-tenant rules the pipeline evaluates.
  return synthesizeAlarmsTemplate(config, KpiCatalog.create([]));
}

/** 100 evenly spread latencies from `lo` to `hi` (what the aggregator sends for a quantile KPI). */
function spread(lo: number, hi: number): number[] {
  return Array.from({ length: 100 }, (_, i) => Math.round(lo + ((hi - lo) * i) / 99));
}

/** 100 event samples of a rate, `hits` of them 1. */
function shares(hits: number): number[] {
  return Array.from({ length: 100 }, (_, i) => (i < hits ? 1 : 0));
}

function emfLine(minute: number, tenant: string, metrics: Record<string, number | number[]>): string {
  return JSON.stringify({
    _aws: {
      Timestamp: T0 + minute * MIN,
      CloudWatchMetrics: [
        {
          Namespace: 'AgentKpi',
          Dimensions: [['Tenant']],
          Metrics: Object.keys(metrics).map((Name) => ({ Name, Unit: 'None' })),
        },
      ],
    },
    Tenant: tenant,
    ...metrics,
  });
}

/**
 * Three hours of per-minute metrics for the fleet and for tenant acme; from minute 120 to 139
 * acme's voice response p95 is about 8.6 s and 10% of its API requests fail.
 */
function recordedMetrics(): string[] {
  const lines = ['INIT_START Runtime Version: nodejs:20', ''];
  for (let m = 0; m < 180; m++) {
    const incident = m >= INCIDENT_START && m < INCIDENT_END;
    lines.push(
      // Rates are published as one sample per event (1 a hit, 0 a miss), as the aggregator does.
      emfLine(m, 'ALL', {
        ResponseLatency: spread(300, 2000),
        ApiErrorRate: shares(0),
        Availability: shares(100),
      }),
      emfLine(m, 'acme', {
        ResponseLatency: incident ? spread(1000, 9000) : spread(300, 2000),
        ApiErrorRate: shares(incident ? 10 : 0),
        Availability: shares(100),
      }),
    );
  }
  return lines;
}

describe('backtest over a synthesized template and a recorded incident', () => {
  const template = synthTemplate();
  const report = backtest(template, recordedMetrics());
  const fired = (ruleId: string, tenant: string) =>
    report.rows.filter((r) => r.ruleId === ruleId && r.tenant === tenant);

  it('reads every alarm of the template', () => {
    const defs = alarmsFromTemplate(template);
    expect(report.alarmsEvaluated).toBe(defs.metricAlarms.length + defs.composites.length);
    expect(defs.anomalyDetectors.length).toBeGreaterThan(0);
    expect(report.datapoints).toBe(180 * 2 * 3);
  });

  it('detects the tenant incident at P1 within 5 minutes and resolves it after it ends', () => {
    const [latency] = fired('response_latency-p1', 'acme');
    expect(latency).toBeDefined();
    expect(latency!.severity).toBe('P1');
    const detectMin = (latency!.firedAtMs - T0) / MIN - INCIDENT_START;
    expect(detectMin).toBeGreaterThanOrEqual(3);
    expect(detectMin).toBeLessThanOrEqual(5);
    expect(latency!.resolvedTo).toBe('OK');
    expect((latency!.resolvedAtMs! - T0) / MIN).toBeGreaterThan(INCIDENT_END);
    expect((latency!.resolvedAtMs! - T0) / MIN).toBeLessThanOrEqual(INCIDENT_END + 5);

    expect(fired('response_latency-p2', 'acme')).toHaveLength(1);
    expect(fired('api_error_rate-p1', 'acme')).toHaveLength(1);
    expect(fired('api_error_rate-p2', 'acme')).toHaveLength(1);
  });

  it('fires the fast-burn SLO composite for the tenant, and the anomaly band flags the latency jump', () => {
    const [burn] = fired('slo-api-errors-p1-1h', 'acme');
    expect(burn).toBeDefined();
    // Both windows must exceed 14.4 x 0.1% = 1.44%. The 5-minute one does after 1 minute at 10%; the
    // 1-hour one once 0.1 k / 60 > 0.0144, i.e. after k = 9 minutes.
    expect((burn!.firedAtMs - T0) / MIN - INCIDENT_START).toBe(9);
    expect(fired('response_latency-anomaly', 'acme').map((r) => r.severity)).toEqual(['P3']);
  });

  it('leaves the healthy fleet and the healthy SLOs alone', () => {
    expect(report.rows.filter((r) => r.tenant === '*')).toEqual([]);
    expect(
      report.rows.filter((r) => r.ruleId.startsWith('availability') || r.ruleId.includes('slo-availability')),
    ).toEqual([]);
    // The slow-burn 3-day rule needs three burning days; three hours of data cannot fire it.
    expect(fired('slo-api-errors-p4-3d', 'acme')).toEqual([]);
  });

  it('reports only alarms that page, unless asked for the burn-rate windows and roll-ups too', () => {
    expect(report.rows.some((r) => r.alarm.startsWith('agent-kpi.'))).toBe(false);
    const all = backtest(template, recordedMetrics(), { includeNonPaging: true });
    expect(
      all.rows.some((r) => r.alarm === 'agent-kpi.parts/P1/technical/tenant-acme/slo-api-errors-p1-1h-short'),
    ).toBe(true);
    expect(all.rows.some((r) => r.alarm === 'agent-kpi.rollup/P1/technical/fleet/rollup-p1')).toBe(true);
  });

  it('formats the report as a table, CSV and JSON', () => {
    const table = formatBacktest(report);
    expect(table).toMatch(/^Backtest 2026-03-02T06:00:00Z \.\. /);
    expect(table).toMatch(/\nP1 +acme +response_latency-p1 +2026-03-02T08:0\d:00Z +2026-03-02T08:2\d:00Z +\d+ min\n/);
    expect(table).toContain(`${report.rows.length} episode(s).`);
    const csv = formatBacktest(report, 'csv').trim().split('\n');
    expect(csv[0]).toBe('severity,tenant,rule,alarm,fired_at,resolved_at,resolved_to,silenced_by');
    expect(csv).toHaveLength(report.rows.length + 1);
    const json = JSON.parse(formatBacktest(report, 'json'));
    expect(json.episodes).toHaveLength(report.rows.length);
    expect(json.episodes[0]).toMatchObject({ severity: expect.stringMatching(/^P[1-4]$/), resolvedTo: 'OK' });
  });

  it('marks episodes a configured silence covers, and only those', () => {
    const silenced = backtest(template, recordedMetrics(), {
      silenceAt: (rule, tenant, at) => activeSilence(config, rule, tenant, at)?.id,
    });
    expect(silenced.rows.filter((r) => r.silencedBy !== undefined).map((r) => [r.ruleId, r.silencedBy])).toEqual([
      ['api_error_rate-p1', 'acme-maintenance'],
    ]);
    expect(formatBacktest(silenced)).toMatch(/api_error_rate-p1 .*silenced \(acme-maintenance\): no page/);
  });

  it('says no alarm fired when the metrics are healthy, and refuses a file without EMF', () => {
    const healthy = recordedMetrics().filter((l) => !l.includes('"Tenant":"acme"'));
    expect(formatBacktest(backtest(template, healthy))).toContain('No alarm would have fired.');
    expect(() => backtest(template, ['not emf', '{"a":1}'])).toThrow(/holds no EMF datapoints/);
  });
});

describe('backtest with the rules the pipeline evaluates itself', () => {
  it('reports a tenant that went silent (tenant-silent), which no CloudWatch alarm covers', () => {
    const template = synthTemplate();
    // acme (enterprise: per-tenant alarms) sends 3 sessions a minute and stops at minute 120; the
    // rest of the fleet goes on with 10 a minute.
    const lines: string[] = [];
    for (let m = 0; m < 240; m++) {
      const acme = m < 120 ? 3 : 0;
      if (acme > 0) lines.push(emfLine(m, 'acme', { Sessions: acme, Turns: 5 * acme }));
      lines.push(emfLine(m, 'ALL', { Sessions: acme + 10, Turns: 5 * (acme + 10) }));
    }
    const pipelineAlarms = tenantAlarmDefinitions(config, catalogFor(config), perTenantAlarmTenants(config));
    const silent = (report: ReturnType<typeof backtest>) => report.rows.filter((r) => r.ruleId === 'tenant-silent');
    expect(silent(backtest(template, lines))).toEqual([]);
    const rows = silent(backtest(template, lines, { pipelineAlarms }));
    expect(rows.map((r) => [r.severity, r.tenant, (r.firedAtMs - T0) / MIN])).toEqual([['P2', 'acme', 130]]);
  });
});
