/**
 * `npm run bench -- tenant-alarms`: one minute of per-tenant alarm evaluation for a busy tenant:
 * its 180 minute buckets and 120 hour buckets (what the default rules read) turned into
 * datapoints and evaluated from stored states. The DynamoDB query and KpiSet decoding are not
 * included (measured: decoding is part of `bench -- core`). Feeds the cost estimate's
 * `tenantEvaluationMs` and the shard size of 250 tenants a minute.
 */
import { KpiSet } from '../lambdas/core/aggregates';
import { KpiCatalog } from '../lambdas/core/catalog';
import { parseConfig } from '../lambdas/core/config/schema';
import {
  bucketDatapoints,
  evaluateTenantAlarms,
  HOUR_NAMESPACE_SUFFIX,
  type TenantAlarmStates,
  tenantAlarmPlans,
} from '../lambdas/core/tenant-alarms';
import { makeEvent } from '../test/support/events';
import type { BenchResult } from './run';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);

function busyMinute(catalog: KpiCatalog, seed: number): KpiSet {
  const set = new KpiSet(catalog);
  for (let i = 0; i < 60; i++) {
    set.observe(
      makeEvent('api.request.completed', {
        data: { status: (i + seed) % 50 === 0 ? 500 : 200, latencyMs: 80 + ((i * 37 + seed) % 400) },
      }),
    );
    set.observe(makeEvent('agent.turn.completed', { data: { totalMs: 700 + ((i * 53 + seed) % 2000) } }));
    set.observe(makeEvent('healthcheck.completed', { data: { ok: (i + seed) % 97 !== 0 } }));
  }
  set.observe(makeEvent('agent.session.completed'));
  set.observe(makeEvent('voice.synthesis.completed'));
  return set;
}

/** Runs the benchmark. */
export async function run(): Promise<BenchResult[]> {
  const catalog = KpiCatalog.create([]);
  const config = parseConfig({
    tiers: { gold: { perTenantAlarms: true } },
    tenants: [{ id: 'busy', name: 'Busy', tier: 'gold' }],
  });
  const [plan] = tenantAlarmPlans(config, catalog, ['busy']);
  const minuteSets = Array.from({ length: plan!.minuteLookbackMs / MIN }, (_, i) => busyMinute(catalog, i));
  const hourSets = Array.from({ length: plan!.hourLookbackMs / (60 * MIN) }, (_, i) => busyMinute(catalog, 1000 + i));
  const at = T0 + 7 * 24 * 60 * MIN;
  const rounds = 40;
  let states: TenantAlarmStates = {};
  const started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    const t = at + r * MIN;
    const data = [
      ...minuteSets.flatMap((set, i) =>
        bucketDatapoints(set, plan!.kpis, 'AgentKpi', { Tenant: 'busy' }, t - (minuteSets.length - i) * MIN),
      ),
      ...hourSets.flatMap((set, i) =>
        bucketDatapoints(
          set,
          plan!.kpis,
          `AgentKpi${HOUR_NAMESPACE_SUFFIX}`,
          { Tenant: 'busy' },
          t - (hourSets.length - i) * 60 * MIN,
        ),
      ),
    ];
    states = evaluateTenantAlarms(plan!, data, states, t).states;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
  return [
    {
      name: 'one tenant, one minute',
      value: ms,
      unit: 'ms',
      note: `${plan!.metricAlarms.length} alarms, ${plan!.composites.length} composites, ${minuteSets.length} + ${hourSets.length} buckets`,
    },
    {
      name: 'tenants per shard in 30 s',
      value: Math.floor(30_000 / ms),
      unit: 'tenants',
      note: 'CPU only; the shard size is 250',
    },
  ];
}
