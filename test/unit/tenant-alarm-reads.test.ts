/**
 * The cost estimate's reads of the per-tenant alarm evaluator are the reads the handler makes:
 * one evaluation runs through a counting KPI source, and its reads (each tenant's, and the fleet
 * read of the silent-tenant rule once per invocation) must be the ones the estimate prices.
 */
import { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { type CostEstimate, estimateMonthlyCost } from '../../lambdas/core/cost/estimate';
import {
  EVALUATION_MINUTES_PER_MONTH,
  type EvaluatorKpiRead,
  type EvaluatorReadSizes,
  evaluatorKpiReads,
  evaluatorMonthlyReads,
  kpiReadCost,
  OPEN_HOURS_PER_HOUR_READ,
  queryReadUnits,
} from '../../lambdas/core/cost/tenant-alarm-reads';
import type { KpiBucket, KpiQuery, KpiSource } from '../../lambdas/core/kpi-reader';
import {
  type TenantAlarmStateStore,
  tenantAlarmPlans,
  type VersionedTenantStates,
} from '../../lambdas/core/tenant-alarms';
import { createTenantAlarmsHandler } from '../../lambdas/handlers/tenant-alarms/handler';

const catalog = KpiCatalog.builtIn();
const T0 = Date.UTC(2026, 10, 22, 8, 30, 10);
const TENANTS = ['t1', 't2', 't3', 't4'];
const SIZES: EvaluatorReadSizes = {
  tenantMinuteBytes: 300,
  tenantHourBytes: 800,
  fleetMinuteBytes: 1000,
  fleetHourBytes: 2000,
  tenantActiveMinuteShare: 0.5,
};

/** Every tenant on a tier with per-tenant alarms; `extra` merged over it. */
function configOf(extra: PipelineConfigInput = {}) {
  return parseConfig({
    tiers: { gold: { perTenantAlarms: true } },
    tenants: TENANTS.map((id) => ({ id, name: id, tier: 'gold' })),
    ...extra,
  });
}

/** A KPI source that holds nothing and records every read. */
class CountingKpis implements KpiSource {
  readonly reads: KpiQuery[] = [];
  async read(q: KpiQuery): Promise<KpiBucket[]> {
    this.reads.push(q);
    return [];
  }
}

const noStates: TenantAlarmStateStore = {
  getMany: async (tenants) =>
    new Map<string, VersionedTenantStates>(tenants.map((t) => [t, { states: {}, version: 0 }])),
  put: async () => true,
};

/** The reads one invocation of the real handler makes, as the estimate's read list describes them. */
async function handlerReads(config: ReturnType<typeof configOf>): Promise<EvaluatorKpiRead[]> {
  const kpis = new CountingKpis();
  const handler = createTenantAlarmsHandler({
    plans: tenantAlarmPlans(config, catalog, TENANTS),
    kpis,
    states: noStates,
    sink: { send: async () => undefined },
    log: { info: () => undefined, warn: () => undefined },
    now: () => T0,
    account: '123456789012',
    region: 'eu-west-1',
  });
  await handler({ shard: 0, shards: 1 });
  return kpis.reads.map((q) => ({
    scope: q.tenant === '*' ? 'fleet' : 'tenant',
    granularity: q.granularity as 'minute' | 'hour',
    lookbackMs: q.toMs - q.fromMs,
  }));
}

const sorted = (reads: readonly EvaluatorKpiRead[]) =>
  [...reads].sort((a, b) =>
    `${a.scope}${a.granularity}${a.lookbackMs}`.localeCompare(`${b.scope}${b.granularity}${b.lookbackMs}`),
  );

describe("the evaluator's reads in the cost estimate", () => {
  it.each([
    ['with the silent-tenant rule', {}],
    ['without it', { alerting: { silentTenant: { enabled: false } } }],
  ])('are the reads the handler makes in one evaluation, %s', async (_, extra) => {
    const config = configOf(extra);
    const made = await handlerReads(config);
    expect(sorted(evaluatorKpiReads(tenantAlarmPlans(config, catalog, TENANTS)))).toEqual(sorted(made));
  });

  it('count the fleet read of the silent-tenant rule once per invocation, beside each tenant’s own reads', async () => {
    const made = await handlerReads(configOf());
    const fleet = made.filter((r) => r.scope === 'fleet');
    expect(fleet).toHaveLength(1);
    const [plan] = tenantAlarmPlans(configOf(), catalog, ['t1']);
    // One shard of four tenants for a month: what one evaluation reads, every minute.
    const month = evaluatorMonthlyReads(plan!, TENANTS.length, SIZES);
    expect(month.kpiReads).toBe(made.length * EVALUATION_MINUTES_PER_MONTH);
    const [off] = tenantAlarmPlans(configOf({ alerting: { silentTenant: { enabled: false } } }), catalog, ['t1']);
    const withoutRule = evaluatorMonthlyReads(off!, TENANTS.length, SIZES);
    expect(month.readUnits - withoutRule.readUnits).toBeCloseTo(
      kpiReadCost(fleet[0]!, SIZES).readUnits * EVALUATION_MINUTES_PER_MONTH,
      6,
    );
  });

  it('bill a Query on the summed size of its items, and an hour read with its open marks and open hours', () => {
    expect(queryReadUnits(0)).toBe(0.5);
    expect(queryReadUnits(4096)).toBe(0.5);
    expect(queryReadUnits(4097)).toBe(1);
    // 180 minutes, half of them stored, 300 B each: 27,000 B in one Query.
    expect(kpiReadCost({ scope: 'tenant', granularity: 'minute', lookbackMs: 180 * 60_000 }, SIZES)).toEqual({
      queries: 1,
      readUnits: 3.5,
    });
    // 120 hours of 800 B (96,000 B: 12 units), the open marks (0.5), and each open hour's 30 stored minutes (9,000 B: 1.5).
    const hour = kpiReadCost({ scope: 'tenant', granularity: 'hour', lookbackMs: 120 * 3_600_000 }, SIZES);
    expect(hour.queries).toBeCloseTo(2 + OPEN_HOURS_PER_HOUR_READ, 9);
    expect(hour.readUnits).toBeCloseTo(12 + 0.5 + OPEN_HOURS_PER_HOUR_READ * 1.5, 9);
  });

  it('price the evaluation line from those reads', () => {
    const line = (e: CostEstimate) => e.lines.find((l) => l.item.startsWith('Per-tenant alarm evaluation'))!;
    const scenario = { tenants: 1000, eventsPerTenantPerDay: 10_000, perTenantAlarmShare: 1 };
    const on = line(estimateMonthlyCost(configOf(), catalog, scenario));
    const off = line(
      estimateMonthlyCost(configOf({ alerting: { silentTenant: { enabled: false } } }), catalog, scenario),
    );
    expect(on.quantity).toMatch(/^1,000 tenants, [\d,]+ M queries, [\d,]+ M RRU$/);
    // The silent-tenant rule adds the fleet read of every invocation (4 shards at 1,000 tenants).
    expect(on.usd).toBeGreaterThan(off.usd);
  });
});
