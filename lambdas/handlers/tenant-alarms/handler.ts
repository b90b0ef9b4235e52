/**
 * The per-tenant alarm evaluator: every minute (one schedule per shard), reads the tenants' recent
 * KPI buckets, runs their alarm rules through the project's alarm evaluator, and sends each state
 * change to the alarm router in CloudWatch's own event shape, so silences, grouping, ladders and
 * incidents work exactly as for CloudWatch alarms.
 *
 * Order per tenant: events first, then the new states (a conditional write). A crash between the
 * two re-sends the same transitions the next minute, which the router treats as duplicates; the
 * reverse order could lose a page.
 */
import type { KpiSet } from '../../core/aggregates';
import { alarmStateChangeEvent, type MetricDatum } from '../../core/alarm-evaluator';
import { TENANT_DIMENSION, tenantDimensionValue } from '../../core/alarms/metric-contract';
import type { KpiSource } from '../../core/kpi-reader';
import {
  type AlarmEventSink,
  bucketDatapoints,
  evaluateTenantAlarms,
  evaluationInstant,
  HOUR_NAMESPACE_SUFFIX,
  TenantAlarmError,
  type TenantAlarmPlan,
  type TenantAlarmStateStore,
  tenantsOfShard,
} from '../../core/tenant-alarms';
import type { EscalationLog } from '../escalation-log';

/** The scheduled invocation's input: which shard to evaluate. */
export interface TenantAlarmsEvent {
  readonly shard: number;
  readonly shards: number;
}

/** What one invocation did. */
export interface TenantAlarmsResult {
  /** The evaluation instant, epoch ms. */
  readonly atMs: number;
  readonly tenants: number;
  readonly transitions: number;
  /** Tenants whose evaluation failed (retried next minute). */
  readonly failed: readonly string[];
}

/** Dependencies of the evaluator. */
export interface TenantAlarmsDeps {
  /** Plans of every alerting tenant (`tenantAlarmPlans`). */
  readonly plans: readonly TenantAlarmPlan[];
  readonly kpis: KpiSource;
  readonly states: TenantAlarmStateStore;
  readonly sink: AlarmEventSink;
  readonly log: EscalationLog;
  /** The clock. */
  readonly now: () => number;
  /**
   * How far behind the clock to evaluate, so the aggregator has written the last minute.
   * @default 60000 (one minute, like CloudWatch's own delay for EMF metrics)
   */
  readonly lagMs?: number;
  readonly account: string;
  readonly region: string;
}

/** Builds the handler. */
export function createTenantAlarmsHandler(deps: TenantAlarmsDeps): (event: unknown) => Promise<TenantAlarmsResult> {
  const byTenant = new Map(deps.plans.map((p) => [p.tenant, p]));
  const allTenants = deps.plans.map((p) => p.tenant);

  const datapoints = async (plan: TenantAlarmPlan, namespace: string, atMs: number): Promise<MetricDatum[]> => {
    const out: MetricDatum[] = [];
    const dims = { [TENANT_DIMENSION]: tenantDimensionValue(plan.tenant) };
    const add = (set: KpiSet, ns: string, startMs: number) => {
      out.push(...bucketDatapoints(set, plan.kpis, ns, dims, startMs));
    };
    if (plan.minuteLookbackMs > 0) {
      const buckets = await deps.kpis.read({
        tenant: plan.tenant,
        granularity: 'minute',
        fromMs: atMs - plan.minuteLookbackMs,
        toMs: atMs,
      });
      for (const b of buckets) add(b.set, namespace, b.bucketStartMs);
    }
    if (plan.hourLookbackMs > 0) {
      const buckets = await deps.kpis.read({
        tenant: plan.tenant,
        granularity: 'hour',
        fromMs: atMs - plan.hourLookbackMs,
        toMs: atMs,
      });
      for (const b of buckets) add(b.set, `${namespace}${HOUR_NAMESPACE_SUFFIX}`, b.bucketStartMs);
    }
    return out;
  };

  return async (event) => {
    const { shard, shards } = parseEvent(event);
    const atMs = evaluationInstant(deps.now(), deps.lagMs ?? 60_000);
    const tenants = tenantsOfShard(allTenants, shard, shards);
    const stored = await deps.states.getMany(tenants);
    const fleet = await fleetDatapoints(
      deps.kpis,
      tenants.map((t) => byTenant.get(t)!),
      atMs,
    );
    let transitions = 0;
    const failed: string[] = [];
    for (const tenant of tenants) {
      const plan = byTenant.get(tenant)!;
      try {
        const namespace = plan.metricAlarms[0]?.metrics[0]?.metricStat?.namespace ?? '';
        const data = [...(await datapoints(plan, namespace, atMs)), ...(plan.fleetKpis.length > 0 ? fleet : [])];
        const previous = stored.get(tenant) ?? { states: {}, version: 0 };
        const result = evaluateTenantAlarms(plan, data, previous.states, atMs);
        if (result.transitions.length === 0) continue;
        await deps.sink.send(
          result.transitions.map((t) =>
            alarmStateChangeEvent(t, {
              account: deps.account,
              region: deps.region,
              // Deterministic: a re-sent transition carries the same id.
              eventId: `${t.alarmName}@${t.atMs}`,
            }),
          ),
        );
        if (await deps.states.put(tenant, result.states, previous.version)) {
          transitions += result.transitions.length;
        } else {
          deps.log.warn('tenant alarm states changed concurrently; this evaluation is dropped', { tenant, atMs });
        }
      } catch (err) {
        // One tenant's failure must not hold back the others' pages.
        failed.push(tenant);
        deps.log.warn('tenant alarm evaluation failed', { tenant, atMs, error: String(err) });
      }
    }
    deps.log.info('tenant alarms evaluated', { shard, shards, atMs, tenants: tenants.length, transitions });
    if (failed.length > 0) {
      // Fails the invocation so the Errors metric (and its alarm) shows it; the next minute retries.
      throw new TenantAlarmError(`evaluation failed for ${failed.length} tenant(s): ${failed.join(', ')}`, true);
    }
    return { atMs, tenants: tenants.length, transitions, failed };
  };
}

/** The fleet's minute datapoints some tenant rules compare with, read once per invocation. */
async function fleetDatapoints(
  kpis: KpiSource,
  plans: readonly TenantAlarmPlan[],
  atMs: number,
): Promise<MetricDatum[]> {
  const lookbackMs = Math.max(0, ...plans.map((p) => p.fleetMinuteLookbackMs));
  const fleetKpis = [...new Set(plans.flatMap((p) => p.fleetKpis))];
  const namespace = plans[0]?.metricAlarms[0]?.metrics[0]?.metricStat?.namespace ?? '';
  if (lookbackMs === 0 || fleetKpis.length === 0) return [];
  const buckets = await kpis.read({ tenant: '*', granularity: 'minute', fromMs: atMs - lookbackMs, toMs: atMs });
  const dims = { [TENANT_DIMENSION]: tenantDimensionValue('*') };
  return buckets.flatMap((b) => bucketDatapoints(b.set, fleetKpis, namespace, dims, b.bucketStartMs));
}

function parseEvent(event: unknown): TenantAlarmsEvent {
  const e = event as Partial<TenantAlarmsEvent> | null;
  const shard = e?.shard;
  const shards = e?.shards;
  if (!Number.isInteger(shard) || !Number.isInteger(shards) || shards! < 1 || shard! < 0 || shard! >= shards!) {
    throw new TenantAlarmError(
      `the event must be {"shard": i, "shards": n} with 0 <= i < n, got ${JSON.stringify(event)}`,
      false,
    );
  }
  return { shard: shard!, shards: shards! };
}
