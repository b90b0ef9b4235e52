/** The cost estimate counts one custom metric per configured (experiment, variant). */
import { KpiCatalog } from '../../lambdas/core/catalog';
import { parseConfig } from '../../lambdas/core/config/schema';
import { estimateMonthlyCost } from '../../lambdas/core/cost/estimate';

const catalog = KpiCatalog.builtIn();
const scenario = { tenants: 10, eventsPerTenantPerDay: 10_000, perTenantAlarmShare: 0, perTenantDashboardShare: 0 };
const metricsLine = (experiments: unknown[]) =>
  estimateMonthlyCost(parseConfig({ experiments }), catalog, scenario).lines.find(
    (l) => l.item === 'CloudWatch custom metrics',
  )!;

describe('cost of experiment metrics', () => {
  it('adds one metric per variant of each configured experiment', () => {
    const experiment = (id: string, variants: string[]) => ({
      id,
      variants: variants.map((v) => ({ id: v, allocation: 1 })),
      control: variants[0],
      primaryKpi: 'resolution_rate',
      start: '2026-11-01T00:00:00Z',
    });
    const published = catalog.all().filter((k) => k.metric !== undefined).length;
    expect(metricsLine([]).quantity).toBe(`${published} metrics`);
    const two = metricsLine([experiment('a', ['x', 'y']), experiment('b', ['x', 'y', 'z'])]);
    expect(two.quantity).toBe(`${published + 5} metrics`);
    expect(two.usd).toBeCloseTo((published + 5) * 0.3, 9);
  });
});
