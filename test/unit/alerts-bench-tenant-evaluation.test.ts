/**
 * The alert benchmark evaluates per-tenant rules through the real tenant-alarms handler over the
 * KPI items the aggregator wrote (bench/alerts-tenant-evaluation.ts): a 5xx burst on an alerting
 * tenant raises its P1 in the burst's first minute and clears it once the window is clean, other
 * tenants stay quiet, and hour buckets are the merge of their minutes up to the read's end.
 */

import { evaluateTenantRules, StoreKpiSource } from '../../bench/alerts-tenant-evaluation';
import { MemoryKpiStore } from '../../bench/memory-kpi-store';
import type { KpiSet } from '../../lambdas/core/aggregates';
import { AggregateBatch } from '../../lambdas/core/aggregation';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { parseConfig } from '../../lambdas/core/config/schema';
import { makeEvent } from '../support/events';
import { syntheticShardRecords } from '../support/kinesis-batches';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 8, 0);
const config = parseConfig({
  name: 'acme',
  tiers: { gold: { perTenantAlarms: true }, basic: {} },
  tenants: [
    { id: 'big', name: 'Big', tier: 'gold' },
    { id: 'calm', name: 'Calm', tier: 'gold' },
    { id: 'other', name: 'Other', tier: 'basic' },
  ],
});
const catalog = catalogFor(config);
const BURST = { fromMinute: 40, toMinute: 50 };

/** One hour of 100 API requests a minute per tenant; `big` answers half with 500 during the burst. */
async function aggregatedHour(): Promise<MemoryKpiStore> {
  const store = new MemoryKpiStore(catalog);
  const batch = new AggregateBatch({
    catalog,
    store,
    quarantine: { put: async () => ({ failedSequenceNumbers: [] }) },
  });
  const encoder = new TextEncoder();
  for (let m = 0; m < 60; m++) {
    const payloads = ['big', 'calm', 'other'].flatMap((tenant) =>
      Array.from({ length: 100 }, (_, i) => {
        const failing = tenant === 'big' && m >= BURST.fromMinute && m < BURST.toMinute && i % 2 === 0;
        const event = makeEvent('api.request.completed', {
          tenantid: tenant,
          time: new Date(T0 + m * MIN + i * 100).toISOString(),
          data: { status: failing ? 500 : 200, latencyMs: 100 },
        });
        return { data: encoder.encode(JSON.stringify(event)), partitionKey: tenant };
      }),
    );
    const minuteEnd = T0 + (m + 1) * MIN;
    const records = syntheticShardRecords(payloads, {
      arrivalMs: minuteEnd,
      firstSequence: BigInt(1e12) * BigInt(m + 1),
    });
    await batch.run(records, minuteEnd);
  }
  return store;
}

describe('alert benchmark: per-tenant rules through the tenant-alarms handler', () => {
  it('raises the burst tenant P1 in its first minute and clears it when the 5-minute window is clean', async () => {
    const store = await aggregatedHour();

    const transitions = await evaluateTenantRules(config, catalog, store, T0, T0 + 60 * MIN);

    const p1 = transitions.filter((t) => t.alarmName === 'acme/P1/technical/tenant-big/api_error_rate-p1');
    const firing = p1.filter((t) => t.toState === 'ALARM');
    expect(firing.map((t) => (t.atMs - T0) / MIN)).toEqual([BURST.fromMinute + 1]);
    const cleared = p1.find((t) => t.fromState === 'ALARM' && t.toState === 'OK');
    expect(cleared && (cleared.atMs - T0) / MIN).toBe(BURST.toMinute + 5);
    expect(transitions.filter((t) => t.toState === 'ALARM' && !t.alarmName.includes('tenant-big/'))).toEqual([]);
  });

  it('reads an hour bucket as the merge of its minutes before the read ends', async () => {
    const store = await aggregatedHour();
    const source = new StoreKpiSource(store, catalog);
    const requests = (set: KpiSet) => set.value('api_requests')?.value;

    const [partial] = await source.read({ tenant: 'big', granularity: 'hour', fromMs: T0, toMs: T0 + 10 * MIN });
    const [whole] = await source.read({ tenant: 'big', granularity: 'hour', fromMs: T0, toMs: T0 + 60 * MIN });
    const [fleet] = await source.read({ tenant: '*', granularity: 'hour', fromMs: T0, toMs: T0 + 60 * MIN });

    expect(partial && requests(partial.set)).toBe(1_000);
    expect(whole && requests(whole.set)).toBe(6_000);
    expect(fleet && requests(fleet.set)).toBe(18_000);
  });
});
