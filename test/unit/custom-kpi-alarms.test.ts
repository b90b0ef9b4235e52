/**
 * A custom KPI may declare alarms; they become default rules of its catalog entry and go through
 * the same resolver, overrides and naming as the built-in rules.
 */
import { AlarmRuleError, resolveAlarmRules, type ThresholdAlarmSpec } from '../../lambdas/core/alarms/rules';
import { aggregationOf, BUILT_IN_KPIS, KpiCatalog } from '../../lambdas/core/catalog';
import { ConfigError, type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { ConfigurationError } from '../../lambdas/core/configuration-error';

const STALLED = {
  severity: 'P3',
  comparison: 'LessThanThreshold',
  threshold: 5,
  description: 'Bookings stalled.',
} as const;
const BOOKINGS = {
  name: 'bookings',
  eventType: 'custom.booking.made',
  aggregation: 'count' as const,
  alarms: [STALLED],
};

function planFor(input: PipelineConfigInput) {
  const config = parseConfig(input);
  const catalog = KpiCatalog.create(config.customKpis);
  return { catalog, plan: resolveAlarmRules(config, catalog, { tenants: [] }) };
}

function bookingsAlarm(plan: ReturnType<typeof planFor>['plan']): ThresholdAlarmSpec | undefined {
  return plan.alarms.find((a): a is ThresholdAlarmSpec => a.kind === 'threshold' && a.kpi === 'bookings');
}

describe('custom KPI alarms', () => {
  it('plans a declared alarm like a built-in rule, with id <kpi>-<severity>', () => {
    const { catalog, plan } = planFor({ customKpis: [BOOKINGS] });
    expect(catalog.require('bookings').defaultAlarms.map((r) => r.id)).toEqual(['bookings-p3']);
    const alarm = bookingsAlarm(plan);
    expect(alarm).toMatchObject({
      name: 'agent-kpi/P3/technical/fleet/bookings-p3',
      comparison: 'LessThanThreshold',
      threshold: 5,
      description: expect.stringContaining('Bookings stalled.'),
      metric: expect.objectContaining({ metricName: 'Bookings', statistic: 'Sum', periodSeconds: 60 }),
    });
  });

  it('takes alarms.overrides for the custom rule id', () => {
    const { plan } = planFor({
      customKpis: [BOOKINGS],
      alarms: { overrides: { 'bookings-p3': { threshold: 2, severity: 'P2' } } },
    });
    expect(bookingsAlarm(plan)).toMatchObject({ name: 'agent-kpi/P2/technical/fleet/bookings-p3', threshold: 2 });
  });

  it('rejects an override of a custom rule that is not declared, as a configuration error', () => {
    let error: unknown;
    try {
      planFor({
        customKpis: [{ ...BOOKINGS, alarms: [] }],
        alarms: { overrides: { 'bookings-p3': { threshold: 2 } } },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AlarmRuleError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).key).toBe('alarms.overrides.bookings-p3');
  });

  it('rejects two alarms of one severity, naming the key', () => {
    const twice = { ...BOOKINGS, alarms: [STALLED, { ...STALLED, threshold: 1 }] };
    expect(() => parseConfig({ customKpis: [twice] })).toThrow(ConfigError);
    expect(() => parseConfig({ customKpis: [twice] })).toThrow(
      /customKpis\.0\.alarms\.1\.severity: duplicates the P3 alarm/,
    );
  });

  it('publishes a custom count in unit Count, like the built-in counts', () => {
    const { catalog } = planFor({ customKpis: [BOOKINGS] });
    expect(catalog.require('bookings').metric?.unit).toBe('Count');
    expect(BUILT_IN_KPIS.find((k) => k.name === 'sessions')?.metric?.unit).toBe('Count');
  });
});

describe('catalog entries', () => {
  it('derive aggregation from measure, built-in and custom alike', () => {
    const catalog = KpiCatalog.create([BOOKINGS]);
    for (const k of catalog.all()) expect([k.name, k.aggregation]).toEqual([k.name, aggregationOf(k.measure)]);
  });

  it('give the reports one headline each and the configuration its default targets', () => {
    const catalog = KpiCatalog.builtIn();
    expect(catalog.headline('system_health')).toMatchObject({ kpi: { name: 'response_latency' }, statistic: 'p95' });
    expect(catalog.headline('client_success')).toMatchObject({ kpi: { name: 'csat' }, statistic: 'value' });
    const config = parseConfig({});
    // A target taken from an alarm rule is that rule's bound: one number for report, alarm and health score.
    expect(config.reports.targets.api_latency).toEqual({ max: 500, statistic: 'p95' });
    expect(config.reports.targets.csat).toEqual({ min: 3.5 });
    expect(config.healthScore.targets.csat).toBe(3.5);
    expect(config.healthScore.targets.responseP95Ms).toBe(3000);
    expect(catalog.summaryKpis().map((k) => k.name)).toContain('rejected_events');
  });
});
