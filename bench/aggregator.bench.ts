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
 * handler with an in-memory store (the aggregation's own CPU cost, item codec included), and
 * decode only (base64 + decodeEvent) on the same records. The in-memory and decode-only passes
 * run interleaved, 5 rounds after a warm-up, and report the median per CPU-second of the process
 * (the machine may be shared; CPU time is what the aggregation costs) next to wall-clock rates.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { localClientConfig, startDynamoDb } from '../cli/local/standins';
import { DynamoDbKpiStore } from '../lambdas/adapters/kpi-store-dynamodb';
import { AggregateBatch, type KpiStore } from '../lambdas/core/aggregation';
import { KpiCatalog } from '../lambdas/core/catalog';
import type { AgentEvent } from '../lambdas/core/events/contract';
import { decodeEvent } from '../lambdas/core/events/decode';
import { createAggregatorHandler } from '../lambdas/handlers/aggregator/handler';
import { createKpiTable } from '../test/support/aggregator-harness';
import { arbEvent } from '../test/support/events';
import { MemoryKpiStore } from './memory-kpi-store';
import type { BenchResult } from './run';

const EVENTS = 10_000;
const BATCH = 1_000;
/** Interleaved in-memory / decode-only rounds (median reported). */
const ROUNDS = 5;
const START_MS = Date.UTC(2026, 10, 22, 8, 0, 0);
const NOW_MS = START_MS + 10 * 60_000;
const catalog = KpiCatalog.builtIn();
const logger = new Logger({ serviceName: 'aggregator-bench', logLevel: 'SILENT' });

/** Wall-clock and CPU milliseconds of one pass. */
interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function timed(f: () => unknown): Promise<Timing> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await f();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
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
  return (await timeHandler(store, batches)).wallMs;
}

function timeHandler(store: KpiStore, batches: readonly KinesisStreamEvent[]): Promise<Timing> {
  const handler = createAggregatorHandler({
    aggregate: new AggregateBatch({ catalog, store, quarantine: { put: async () => ({ failedSequenceNumbers: [] }) } }),
    logger,
    now: () => NOW_MS,
  });
  return timed(async () => {
    for (const b of batches) {
      const res = await handler(b);
      if (res.batchItemFailures.length > 0) throw new Error('benchmark batch failed');
    }
  });
}

function decodeOnly(batches: readonly KinesisStreamEvent[]): Promise<Timing> {
  return timed(() => {
    let accepted = 0;
    for (const b of batches) {
      for (const r of b.Records) {
        if (decodeEvent(Buffer.from(r.kinesis.data, 'base64'), { nowMs: NOW_MS, catalog }).ok) accepted++;
      }
    }
    if (accepted !== EVENTS) throw new Error(`decode accepted ${accepted} of ${EVENTS}`);
  });
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
        // Warm-up passes first so every measurement runs JIT-compiled code; then interleaved rounds,
        // each handler round on a fresh store (every round writes the same 10,000 events).
        await timeHandler(new MemoryKpiStore(catalog), batches);
        await decodeOnly(batches);
        const mem: Timing[] = [];
        const dec: Timing[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          mem.push(await timeHandler(new MemoryKpiStore(catalog), batches));
          dec.push(await decodeOnly(batches));
        }
        const rate = (ms: number) => Math.round(EVENTS / (ms / 1000));
        const memCpu = median(mem.map((t) => t.cpuMs));
        const decCpu = median(dec.map((t) => t.cpuMs));
        results.push(
          {
            name: '50 tenants: handler, in-memory store',
            value: rate(memCpu),
            unit: 'events/cpu-s',
            note: `median of ${ROUNDS}; wall ${rate(median(mem.map((t) => t.wallMs))).toLocaleString('en-US')} events/s`,
          },
          {
            name: '50 tenants: decode only',
            value: rate(decCpu),
            unit: 'events/cpu-s',
            note: `median of ${ROUNDS}; wall ${rate(median(dec.map((t) => t.wallMs))).toLocaleString('en-US')} events/s`,
          },
          { name: '50 tenants: handler / decode only (CPU)', value: decCpu / memCpu, unit: 'ratio' },
        );
      }
    }
  } finally {
    ddb.destroy();
    await ddbLocal.stop();
  }
  return results;
}
