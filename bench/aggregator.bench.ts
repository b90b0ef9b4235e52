/**
 * Aggregator: DynamoDB write requests per 10,000 events, and handler throughput.
 *
 * Workload: 10,000 valid events of every built-in type (reproducible seed), event times spread
 * over 5 minutes, tenants drawn uniformly from 1, 50 or 1,000 active tenants, delivered as
 * Kinesis Lambda events of 1,000 records (the configured default batch size) to the real handler
 * writing to Amazon DynamoDB Local on 127.0.0.1.
 *
 * Reported honestly: write requests (TransactWriteItems calls), items written, and the WCU
 * DynamoDB reports as consumed (transactional writes cost 2 WCU per KB per item).
 * Throughput: the handler end to end against DynamoDB Local (bounded by the local server), the
 * handler with an in-memory store (the aggregation's own CPU cost), and decode only
 * (base64 + decodeEvent) on the same records.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { localClientConfig, startDynamoDb } from '../cli/local/standins';
import { DynamoDbKpiStore } from '../lambdas/adapters/kpi-store-dynamodb';
import {
  AggregateBatch,
  itemId,
  type KpiItemAddress,
  type KpiItemWrite,
  type KpiStore,
  type KpiWriteOutcome,
  kpiItemKey,
  type StoredKpiItem,
} from '../lambdas/core/aggregation';
import { KpiCatalog } from '../lambdas/core/catalog';
import type { AgentEvent } from '../lambdas/core/events/contract';
import { decodeEvent } from '../lambdas/core/events/decode';
import { createAggregatorHandler } from '../lambdas/handlers/aggregator/handler';
import { createKpiTable } from '../test/support/aggregator-harness';
import { arbEvent } from '../test/support/events';
import type { BenchResult } from './run';

const EVENTS = 10_000;
const BATCH = 1_000;
const START_MS = Date.UTC(2026, 10, 22, 8, 0, 0);
const NOW_MS = START_MS + 10 * 60_000;
const catalog = KpiCatalog.builtIn();
const logger = new Logger({ serviceName: 'aggregator-bench', logLevel: 'SILENT' });

/** An in-memory KpiStore with the same contract, to measure the aggregation's CPU cost alone. */
class MemoryKpiStore implements KpiStore {
  private readonly items = new Map<string, StoredKpiItem>();

  async read(addresses: readonly KpiItemAddress[]): Promise<Map<string, StoredKpiItem>> {
    const out = new Map<string, StoredKpiItem>();
    for (const a of addresses) {
      const id = itemId(kpiItemKey(a));
      const item = this.items.get(id);
      if (item !== undefined) out.set(id, item);
    }
    return out;
  }

  async write(writes: readonly KpiItemWrite[]): Promise<KpiWriteOutcome[]> {
    return writes.map((w) => {
      // Serialize as the real store does, so the CPU cost is comparable.
      w.set.serialize();
      const id = itemId(kpiItemKey(w.address));
      const version = (w.expectedVersion ?? 0) + 1;
      this.items.set(id, { address: w.address, set: w.set, version, watermarks: w.watermarks });
      return 'written';
    });
  }
}

function workload(tenants: number, seed: number): KinesisStreamEvent[] {
  const ids = Array.from({ length: tenants }, (_, i) => `tenant-${String(i).padStart(4, '0')}`);
  const events: AgentEvent[] = fc.sample(arbEvent({ tenants: ids, fromMs: START_MS, toMs: START_MS + 5 * 60_000 }), {
    numRuns: EVENTS,
    seed,
  });
  const records: KinesisStreamRecord[] = events.map((e, i) => {
    const seq = (10n ** 20n + BigInt(i)).toString();
    return {
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/aggregator',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: e.tenantid,
        sequenceNumber: seq,
        data: Buffer.from(JSON.stringify(e)).toString('base64'),
        approximateArrivalTimestamp: (START_MS + i * 30) / 1000,
      },
    };
  });
  const batches: KinesisStreamEvent[] = [];
  for (let i = 0; i < records.length; i += BATCH) batches.push({ Records: records.slice(i, i + BATCH) });
  return batches;
}

async function runHandler(store: KpiStore, batches: readonly KinesisStreamEvent[]): Promise<number> {
  const handler = createAggregatorHandler({
    aggregate: new AggregateBatch({ catalog, store, quarantine: { put: async () => ({ failedSequenceNumbers: [] }) } }),
    logger,
    now: () => NOW_MS,
  });
  const started = performance.now();
  for (const b of batches) {
    const res = await handler(b);
    if (res.batchItemFailures.length > 0) throw new Error('benchmark batch failed');
  }
  return performance.now() - started;
}

function decodeOnly(batches: readonly KinesisStreamEvent[]): number {
  const started = performance.now();
  let accepted = 0;
  for (const b of batches) {
    for (const r of b.Records) {
      if (decodeEvent(Buffer.from(r.kinesis.data, 'base64'), { nowMs: NOW_MS, catalog }).ok) accepted++;
    }
  }
  if (accepted !== EVENTS) throw new Error(`decode accepted ${accepted} of ${EVENTS}`);
  return performance.now() - started;
}

/** Runs the aggregator benchmark. */
export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ddbLocal = await startDynamoDb();
  const ddb = new DynamoDBClient(localClientConfig(ddbLocal.endpoint));
  try {
    for (const tenants of [1, 50, 1000]) {
      const batches = workload(tenants, 7 + tenants);
      const table = `bench-${tenants}`;
      await createKpiTable(ddb, table);
      const store = new DynamoDbKpiStore({ client: ddb, tableName: table, catalog });
      const ms = await runHandler(store, batches);
      const s = store.stats;
      const label = `${tenants} tenant${tenants === 1 ? '' : 's'}`;
      results.push(
        {
          name: `${label}: write requests / 10k events`,
          value: s.writeRequests,
          unit: 'requests',
          note: `${(EVENTS / s.writeRequests).toFixed(0)}x fewer than events; batches of ${BATCH}`,
        },
        { name: `${label}: items written / 10k events`, value: s.itemsWritten, unit: 'items' },
        { name: `${label}: consumed WCU / 10k events`, value: Math.round(s.consumedWcu), unit: 'WCU' },
        { name: `${label}: read requests / 10k events`, value: s.readRequests, unit: 'requests' },
        {
          name: `${label}: handler vs DynamoDB Local`,
          value: Math.round(EVENTS / (ms / 1000)),
          unit: 'events/s',
        },
      );
      if (tenants === 50) {
        const memMs = await runHandler(new MemoryKpiStore(), batches);
        // Warm-up pass first so both measurements run JIT-compiled code.
        decodeOnly(batches);
        const decMs = decodeOnly(batches);
        results.push(
          {
            name: '50 tenants: handler, in-memory store',
            value: Math.round(EVENTS / (memMs / 1000)),
            unit: 'events/s',
          },
          { name: '50 tenants: decode only', value: Math.round(EVENTS / (decMs / 1000)), unit: 'events/s' },
          { name: '50 tenants: handler / decode only', value: decMs / memMs, unit: 'ratio' },
        );
      }
    }
  } finally {
    ddb.destroy();
    await ddbLocal.stop();
  }
  return results;
}
