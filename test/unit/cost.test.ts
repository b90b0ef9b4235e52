import { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { dynamoDbUnits } from '../../lambdas/core/cost/dynamodb';
import { type CostEstimate, CostInputError, estimateMonthlyCost, metricsPrice } from '../../lambdas/core/cost/estimate';
import { tenantMetricNames } from '../../lambdas/core/dashboards/tenant-metrics';

const catalog = KpiCatalog.builtIn();
const published = catalog.all().filter((k) => k.metric !== undefined).length;
const tenantMetrics = tenantMetricNames(catalog).length;
const line = (e: CostEstimate, prefix: string) => e.lines.find((l) => l.item.startsWith(prefix))!;
const estimate = (config: PipelineConfigInput, tenants: number, perDay = 10_000, share?: number) =>
  estimateMonthlyCost(parseConfig(config), catalog, {
    tenants,
    eventsPerTenantPerDay: perDay,
    perTenantAlarmShare: share,
    perTenantDashboardShare: share,
  });

describe('metricsPrice', () => {
  it('bills custom metrics by CloudWatch volume tier', () => {
    expect(metricsPrice(0)).toBe(0);
    expect(metricsPrice(10_000)).toBeCloseTo(3000, 6);
    expect(metricsPrice(10_010)).toBeCloseTo(3001, 6);
    expect(metricsPrice(250_000)).toBeCloseTo(3000 + 240_000 * 0.1, 6);
  });
});

describe('estimateMonthlyCost', () => {
  it('itemises every billed service and totals the lines', () => {
    const e = estimate({}, 10);
    expect(e.lines.map((l) => l.item)).toEqual([
      'CloudWatch custom metrics',
      'CloudWatch alarms (fleet)',
      'CloudWatch dashboards',
      'CloudWatch Logs (EMF metrics, function logs)',
      'Kinesis (on-demand)',
      'Lambda (aggregator arm64, reports x86_64)',
      'DynamoDB (on-demand, PITR)',
      'S3 quarantine',
      'SES e-mail (reports, pages)',
      'SNS SMS (P1 pages, US numbers)',
      'KMS key and X-Ray traces',
    ]);
    expect(e.totalUsd).toBeCloseTo(
      e.lines.reduce((s, l) => s + l.usd, 0),
      9,
    );
    expect(e.eventsPerMonth).toBe(10 * 10_000 * 30);
  });

  it('publishes fleet metrics only when no tenant has per-tenant alarms, and pays for no dashboard within the free three', () => {
    const e = estimate({}, 1000, 10_000, 0);
    expect(line(e, 'CloudWatch custom metrics').quantity).toBe(`${published} metrics`);
    expect(line(e, 'CloudWatch dashboards').usd).toBe(0);
  });

  it('adds per-tenant metrics for dashboard tenants only, and evaluates tenant alarms outside CloudWatch', () => {
    const none = estimate({}, 100, 10_000, 0);
    const all = estimate({}, 100, 10_000, 1);
    expect(line(all, 'CloudWatch custom metrics').quantity).toBe(
      `${(published + tenantMetrics * 100).toLocaleString('en-US')} metrics`,
    );
    // CloudWatch alarms and dashboards no longer grow with tenants.
    expect(line(all, 'CloudWatch alarms').usd).toBe(line(none, 'CloudWatch alarms').usd);
    expect(line(all, 'CloudWatch dashboards').quantity).toBe('3 dashboards');
    expect(line(none, 'Per-tenant alarm evaluation')).toBeUndefined();
    expect(line(all, 'Per-tenant alarm evaluation').quantity).toMatch(/^100 tenants, [\d,]+ M queries, [\d,]+ M RRU$/);
    expect(line(all, 'Per-tenant alarm evaluation').usd).toBeGreaterThan(0);
  });

  it('keeps the CloudWatch line at 1,000 tenants (a third alerting) under a third of the old $6,240', () => {
    const e = estimate({}, 1000, 10_000, 1 / 3);
    const cloudwatch = ['CloudWatch custom metrics', 'CloudWatch alarms', 'CloudWatch dashboards']
      .map((item) => line(e, item).usd)
      .reduce((a, b) => a + b, 0);
    expect(cloudwatch).toBeLessThan(6240 / 3);
  });

  it('takes the per-tenant share from the configured tenants when not given', () => {
    const config = {
      tenants: [
        { id: 'a-1', name: 'A', tier: 'enterprise' },
        { id: 'b-1', name: 'B', tier: 'standard' },
        { id: 'c-1', name: 'C', tier: 'standard' },
        { id: 'd-1', name: 'D', tier: 'standard' },
      ],
    };
    const e = estimateMonthlyCost(parseConfig(config), catalog, { tenants: 100, eventsPerTenantPerDay: 1000 });
    expect(line(e, 'CloudWatch custom metrics').quantity).toBe(
      `${(published + tenantMetrics * 25).toLocaleString('en-US')} metrics`,
    );
  });

  it('costs fewer alarms when the configuration disables a rule', () => {
    const ruleId = catalog.all().flatMap((k) => k.defaultAlarms)[0]!.id;
    const base = estimate({}, 10, 1000, 0);
    const off = estimate({ alarms: { overrides: { [ruleId]: { enabled: false } } } }, 10, 1000, 0);
    expect(line(off, 'CloudWatch alarms').usd).toBeLessThan(line(base, 'CloudWatch alarms').usd);
  });

  it('prices a provisioned stream by shard-hour, and extended retention separately', () => {
    const e = estimate({ stream: { mode: 'provisioned', shardCount: 2, retentionHours: 168 } }, 10, 0);
    expect(line(e, 'Kinesis (provisioned)').usd).toBeCloseTo(2 * 730 * 0.015, 6);
    expect(line(e, 'Kinesis extended retention')).toBeDefined();
    expect(estimate({}, 10).lines.some((l) => l.item === 'Kinesis extended retention')).toBe(false);
  });

  it('grows with traffic: more events cost more Kinesis, DynamoDB and quarantine', () => {
    const low = estimate({}, 100, 1000);
    const high = estimate({}, 100, 100_000);
    for (const item of ['Kinesis', 'DynamoDB', 'S3 quarantine']) {
      expect(line(high, item).usd).toBeGreaterThan(line(low, item).usd);
    }
    expect(high.totalUsd).toBeGreaterThan(low.totalUsd);
  });

  it('counts custom KPIs as metrics', () => {
    const withCustom = KpiCatalog.create([
      { name: 'nice_score', eventType: 'custom.survey', aggregation: 'mean', field: 'v' },
    ]);
    const e = estimateMonthlyCost(parseConfig({}), withCustom, {
      tenants: 10,
      eventsPerTenantPerDay: 10,
      perTenantAlarmShare: 0,
    });
    expect(line(e, 'CloudWatch custom metrics').quantity).toBe(`${published + 1} metrics`);
  });

  it('refuses inputs it cannot price, naming them', () => {
    expect(() => estimate({}, 0)).toThrow(CostInputError);
    expect(() => estimate({}, 10, -1)).toThrow(/eventsPerTenantPerDay/);
    expect(() => estimate({}, 10, 10, 1.5)).toThrow(/perTenantAlarmShare/);
  });
});

describe('dynamoDbUnits', () => {
  // `npm run bench -- writes` on 2026-12-01 (BENCHMARKS.md, "Write cost"): WRU per accepted event.
  const measured = { 10: 0.218, 100: 0.128, 1000: 0.204 } as const;

  it.each(Object.entries(measured))('agrees with the write benchmark within 20%% at %s tenants', (tenants, wru) => {
    const units = dynamoDbUnits({
      tenants: Number(tenants),
      eventsPerTenantPerDay: 10_000,
      shards: 4,
      batchSize: 1000,
      batchingWindowSeconds: 60,
    });
    expect(Math.abs(units.wruPerEvent - wru) / wru).toBeLessThanOrEqual(0.2);
  });

  it('charges more per event for a shorter batching window, since every batch rewrites its minutes', () => {
    const at = (window: number) =>
      dynamoDbUnits({
        tenants: 10,
        eventsPerTenantPerDay: 10_000,
        shards: 4,
        batchSize: 1000,
        batchingWindowSeconds: window,
      }).wruPerEvent;
    expect(at(5)).toBeGreaterThan(2 * at(60));
  });
});
