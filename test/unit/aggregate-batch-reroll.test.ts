/**
 * A late event's re-roll of its closed hour that fails is retried by the redelivery, even though
 * the redelivery finds every minute item already applied (rollups.ts, rule 2).
 */
import { MemoryKpiStore } from '../../bench/memory-kpi-store';
import { AggregateBatch, type KpiStore, KpiStoreError } from '../../lambdas/core/aggregation';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { makeEvent } from '../support/events';
import { syntheticShardRecords } from '../support/kinesis-batches';

/** Minute items in memory; roll-ups find a source to merge and fail while `failRollups.on` is set. */
function flakyRollupStore(catalog: KpiCatalog) {
  const failRollups = { on: true };
  const rolled: string[] = [];
  const store: KpiStore = new MemoryKpiStore(catalog);
  const readSources = store.readSources.bind(store);
  store.readSources = async (...args) => ({ ...(await readSources(...args)), items: 1, stamp: 1 });
  store.putRollup = async (address) => {
    if (failRollups.on) throw new KpiStoreError('throttled', true);
    rolled.push(`${address.tenant}|${address.granularity}`);
    return 'written';
  };
  return { store, failRollups, rolled };
}

it('rolls a closed hour up on redelivery after its late re-roll failed', async () => {
  const catalog = KpiCatalog.builtIn();
  const { store, failRollups, rolled } = flakyRollupStore(catalog);
  const batch = new AggregateBatch({
    catalog,
    store,
    quarantine: { put: async () => ({ failedSequenceNumbers: [] }) },
  });
  const eventMs = Date.UTC(2026, 10, 22, 8, 10);
  // Processing two hours later: the 08:00 hour is closed, so the late write re-rolls it.
  const nowMs = Date.UTC(2026, 10, 22, 10, 0);
  const event = makeEvent('api.request.completed', {
    tenantid: 'acme',
    time: new Date(eventMs).toISOString(),
    data: { status: 200, latencyMs: 10 },
  });
  const records = syntheticShardRecords(
    [{ data: new TextEncoder().encode(JSON.stringify(event)), partitionKey: 'acme' }],
    {
      arrivalMs: nowMs,
    },
  );

  const first = await batch.run(records, nowMs);
  expect(first.itemsWritten).toBe(2);
  expect(first.failures).toEqual([{ shardId: records[0]!.shardId, sequenceNumber: records[0]!.sequenceNumber }]);

  failRollups.on = false;
  const again = await batch.run(records, nowMs);
  expect(again.itemsAlreadyApplied).toBe(2);
  expect(again.failures).toEqual([]);
  expect(rolled.sort()).toEqual(['*|hour', 'acme|hour']);
});
