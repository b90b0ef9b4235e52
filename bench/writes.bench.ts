/**
 * Write cost: DynamoDB write and read units per accepted event, as DynamoDB would bill them.
 *
 * Drives the real `AggregateBatch` (and its `BatchFold`) and `DynamoDbKpiStore` through a real
 * DynamoDB client whose requests an in-memory table answers while sizing every item by
 * DynamoDB's rules (bench/writes-capacity.ts). Traffic: `simulateDay` at 10,000 events per tenant
 * per day (one tenant in three enterprise, every other tenant voice), Kinesis partition key =
 * tenant, records spread over the shards by the MD5 of the partition key as Kinesis does.
 * Batching follows the shipped defaults (batch size, batching window; 4 shards, the on-demand
 * stream's starting capacity): a shard's batch starts with its first record and is delivered when
 * the window has passed or the batch is full.
 *
 * Sizes: 10 tenants run the whole day; 100 and 1,000 tenants run sampled windows spread over the
 * day (SAMPLES), because a full day at 1,000 tenants is 10 million events. Every window includes
 * an hour closing and its roll-up 20 minutes later (the 100-tenant window at midnight also a day
 * closing): roll-ups are counted once per window, more often than once per hour of traffic
 * (conservative). The full day runs 25 minutes into the next day, so its last hour and the day
 * itself are rolled up and counted.
 *
 * Naive baseline: one PutItem per accepted event holding the event as sent plus a key, sized by
 * the same rules.
 *
 * Settings can be varied for comparisons: BENCH_WRITES_WINDOW_S, BENCH_WRITES_BATCH,
 * BENCH_WRITES_SHARDS, BENCH_WRITES_SIZES (e.g. `10,100`). BENCH_WRITES_EXPERIMENT=1 runs an A/B
 * experiment on the first tenant's sessions (as the local demo does) and reports its items.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type SimulatedTenant, simulateDay } from '../cli/local/simulator';
import { DynamoDbKpiReader } from '../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../lambdas/adapters/kpi-store-dynamodb';
import { AggregateBatch, FLEET_TENANT, parseKpiItemKey, type StreamRecord } from '../lambdas/core/aggregation';
import { KpiCatalog } from '../lambdas/core/catalog';
import { parseConfig } from '../lambdas/core/config/schema';
import type { BenchResult } from './run';
import { CapacityCountingTable, itemSize } from './writes-capacity';

const DAY_MS = Date.UTC(2026, 10, 23);
const MINUTE_MS = 60_000;
const catalog = KpiCatalog.builtIn();
/** On-demand Kinesis starts with 4 MB/s of write capacity: 4 shards. */
const DEFAULT_SHARDS = 4;
/** Kinesis puts records on the stream a fraction of a second after the producer sends them. */
const PUT_LATENCY_MS = 150;
const EVENTS_PER_TENANT_DAY = 10_000;
/**
 * Sampled windows per size: start minutes of the day and length. Each starts before a full hour
 * and ends 25 minutes after it, so the hour's close and its roll-up (20 minutes later) are in.
 */
const SAMPLES: Record<number, { readonly starts: readonly number[]; readonly minutes: number }> = {
  100: { starts: [1420, 340, 700, 820, 1060], minutes: 45 },
  1000: { starts: [355, 715], minutes: 30 },
};

interface Settings {
  readonly batchSize: number;
  readonly windowMs: number;
  readonly shards: number;
}

function settings(): Settings {
  const config = parseConfig({});
  const env = (name: string): number | undefined =>
    process.env[name] === undefined ? undefined : Number(process.env[name]);
  return {
    batchSize: env('BENCH_WRITES_BATCH') ?? config.aggregator.batchSize,
    windowMs: (env('BENCH_WRITES_WINDOW_S') ?? config.aggregator.maxBatchingWindowSeconds) * 1000,
    shards: env('BENCH_WRITES_SHARDS') ?? DEFAULT_SHARDS,
  };
}

/**
 * A fleet of `count` equal tenants; peak sessions per minute calibrated so a simulated day holds
 * about 10,000 events per tenant (measured and reported, not assumed).
 */
function fleet(count: number): SimulatedTenant[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `tenant-${String(i).padStart(4, '0')}`,
    name: `Tenant ${i}`,
    tier: i % 3 === 0 ? ('enterprise' as const) : ('standard' as const),
    // Voice tenants send ~40% more events per session; their peak is lower to keep 10k a day.
    peakSessionsPerMinute: i % 2 === 0 ? 0.87 : 1.15,
    licensedSeats: 50,
    voice: i % 2 === 0,
  }));
}

function shardOf(partitionKey: string, shards: number): number {
  // Kinesis maps the MD5 of the partition key onto equal hash-key ranges.
  const h = createHash('md5').update(partitionKey).digest();
  const top = h.readUInt32BE(0);
  return Math.floor((top / 2 ** 32) * shards);
}

interface Batch {
  readonly deliverMs: number;
  readonly records: StreamRecord[];
}

/** Cuts each shard's records into Lambda batches: from the first record until window or size. */
function batches(
  records: ReadonlyArray<{ partitionKey: string; data: string; sentAtMs: number }>,
  s: Settings,
  seqBase: bigint[],
): Batch[] {
  const perShard: StreamRecord[][] = Array.from({ length: s.shards }, () => []);
  const enc = new TextEncoder();
  for (const r of records) {
    const shard = shardOf(r.partitionKey, s.shards);
    seqBase[shard] = seqBase[shard]! + 1n;
    perShard[shard]!.push({
      shardId: `shardId-${String(shard).padStart(12, '0')}`,
      // Real sequence numbers are 56 digits.
      sequenceNumber: (
        49_600_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + seqBase[shard]!
      ).toString(),
      data: enc.encode(r.data),
      arrivalMs: r.sentAtMs + PUT_LATENCY_MS,
      partitionKey: r.partitionKey,
    });
  }
  const out: Batch[] = [];
  for (const list of perShard) {
    let i = 0;
    while (i < list.length) {
      const start = list[i]!.arrivalMs;
      const until = start + s.windowMs;
      const batch: StreamRecord[] = [];
      while (i < list.length && batch.length < s.batchSize && list[i]!.arrivalMs <= until) batch.push(list[i++]!);
      const deliverMs = batch.length >= s.batchSize ? batch[batch.length - 1]!.arrivalMs : until;
      out.push({ deliverMs, records: batch });
    }
  }
  return out.sort((a, b) => a.deliverMs - b.deliverMs);
}

/** The experiment BENCH_WRITES_EXPERIMENT runs: the first tenant's sessions, half and half. */
const EXPERIMENT = {
  id: 'prompt-v2',
  tenant: 'tenant-0000',
  variants: [{ id: 'control' }, { id: 'treatment' }],
  start: '2026-01-01T00:00:00Z',
};

function classify(item: Record<string, AttributeValue>): string {
  const pk = item.pk?.S ?? '';
  try {
    const a = parseKpiItemKey({ pk, sk: item.sk?.S ?? '' });
    if (a.experiment !== undefined) return `experiment ${a.granularity}`;
    return `${a.tenant === FLEET_TENANT ? 'fleet' : 'tenant'} ${a.granularity}`;
  } catch {
    return pk.split('#').slice(0, 2).join('#') || 'other';
  }
}

interface SizeResult {
  readonly tenants: number;
  readonly sampled: boolean;
  events: number;
  batches: number;
  naiveWru: number;
}

async function runSize(tenants: number, s: Settings): Promise<BenchResult[]> {
  const table = new CapacityCountingTable(classify);
  const client = table.client();
  const store = new DynamoDbKpiStore({ client, tableName: 'kpi', catalog });
  const withExperiment = process.env.BENCH_WRITES_EXPERIMENT === '1';
  const aggregate = new AggregateBatch({
    catalog,
    store,
    quarantine: { put: async () => ({ failedSequenceNumbers: [] }) },
    experiments: withExperiment ? [EXPERIMENT] : [],
  });
  const full = tenants <= 10;
  const sample = SAMPLES[tenants] ?? SAMPLES[1000]!;
  const windows = full
    ? [{ startMinute: 0, minutes: 1440 + 25 }]
    : sample.starts.map((m) => ({ startMinute: m, minutes: sample.minutes }));
  const r: SizeResult = { tenants, sampled: !full, events: 0, batches: 0, naiveWru: 0 };
  const seqBase = Array.from({ length: s.shards }, () => 0n);
  const tenantList = fleet(tenants);
  for (const w of windows) {
    const startMs = DAY_MS + w.startMinute * MINUTE_MS;
    const records = simulateDay({
      dayStartMs: startMs,
      tenants: tenantList,
      seed: 11 + w.startMinute,
      minutes: w.minutes,
      badRecords: false,
      experiment: withExperiment
        ? { id: EXPERIMENT.id, tenant: EXPERIMENT.tenant, control: 'control', treatment: 'treatment' }
        : undefined,
    });
    for (const b of batches(records, s, seqBase)) {
      const report = await aggregate.run(b.records, b.deliverMs);
      r.events += report.accepted;
      r.batches++;
      if (report.failures.length > 0) throw new Error(`batch failed: ${JSON.stringify(report.failures)}`);
    }
    for (const rec of records) {
      const naive: Record<string, AttributeValue> = {
        pk: { S: `evt#${rec.partitionKey}` },
        sk: { S: `${new Date(rec.sentAtMs).toISOString()}#${rec.sentAtMs}` },
        event: { S: rec.data },
      };
      r.naiveWru += Math.ceil(itemSize(naive) / 1024);
    }
  }
  const c = table.counters;
  // What readers pay for the open day: a report reads 15 days of day items per tenant and the fleet,
  // right after the last window (its day and hour still open).
  const wruBeforeReads = c.wru;
  const rruBeforeReads = c.rru;
  const reader = new DynamoDbKpiReader({ client, tableName: 'kpi', catalog });
  const last = windows[windows.length - 1]!;
  const readDay = Math.floor((DAY_MS + (last.startMinute + last.minutes) * MINUTE_MS) / 86_400_000) * 86_400_000;
  for (const t of [...tenantList.map((x) => x.id), FLEET_TENANT]) {
    await reader.read({ tenant: t, granularity: 'day', fromMs: readDay - 14 * 86_400_000, toMs: readDay + 86_400_000 });
  }
  const reportRru = c.rru - rruBeforeReads;
  c.rru = rruBeforeReads;
  c.wru = wruBeforeReads;
  const dayFraction = windows.reduce((n, w) => n + w.minutes, 0) / 1440;
  const label = `${tenants} tenants${full ? '' : ' (sampled)'}`;
  const out: BenchResult[] = [
    {
      name: `${label}: accepted events`,
      value: r.events,
      unit: 'events',
      note: `${Math.round(r.events / dayFraction / tenants).toLocaleString('en-US')} per tenant-day; ${full ? 'full day + 25 min' : `${windows.length} x ${sample.minutes} min from ${windows.map((w) => `${String(Math.floor(w.startMinute / 60)).padStart(2, '0')}:${String(w.startMinute % 60).padStart(2, '0')}`).join(', ')} UTC`}`,
    },
    {
      name: `${label}: batches`,
      value: r.batches,
      unit: 'batches',
      note: `${(r.events / r.batches).toFixed(1)} events per batch`,
    },
    {
      name: `${label}: items written per batch`,
      value: Math.round((c.itemsWritten / r.batches) * 10) / 10,
      unit: 'items',
      note: `${c.writeRequests} write requests, ${c.conditionalFailures} conditional failures`,
    },
  ];
  for (const who of ['tenant', 'fleet']) {
    const parts = ['minute', 'hour', 'day'].map((g) => {
      const v = c.sizes.get(`${who} ${g}`);
      return v === undefined
        ? '-'
        : `${Math.round(v.bytes / v.count)} B x ${v.count} (${((v.wru / c.wru) * 100).toFixed(0)}% WRU)`;
    });
    out.push({ name: `${label}: ${who} minute / hour / day items`, value: 0, unit: '', note: parts.join(' / ') });
  }
  for (const [labelOther, v] of c.sizes) {
    if (/^(tenant|fleet) /.test(labelOther)) continue;
    out.push({
      name: `${label}: ${labelOther} items`,
      value: 0,
      unit: '',
      note: `${Math.round(v.bytes / v.count)} B x ${v.count} (${((v.wru / c.wru) * 100).toFixed(0)}% WRU)`,
    });
  }
  out.push(
    { name: `${label}: WRU per accepted event`, value: c.wru / r.events, unit: 'WRU', note: 'goal <= 0.25' },
    { name: `${label}: RRU per accepted event`, value: c.rru / r.events, unit: 'RRU' },
    {
      name: `${label}: report read of 15 days, every tenant`,
      value: reportRru,
      unit: 'RRU',
      note: `${reader.queries} Queries (${(reader.queries / (tenants + 1)).toFixed(1)} per tenant), open day merged from hours and minutes`,
    },
    { name: `${label}: naive WRU per event`, value: r.naiveWru / r.events, unit: 'WRU', note: 'one PutItem per event' },
  );
  return out;
}

/** Runs the benchmark at 10, 100 and 1,000 tenants. */
export async function run(): Promise<BenchResult[]> {
  const s = settings();
  const sizes = (process.env.BENCH_WRITES_SIZES ?? '10,100,1000').split(',').map(Number);
  const out: BenchResult[] = [
    {
      name: 'settings',
      value: s.batchSize,
      unit: 'batch size',
      note: `${s.windowMs / 1000} s window, ${s.shards} shards, ${EVENTS_PER_TENANT_DAY.toLocaleString('en-US')} events/tenant/day`,
    },
  ];
  for (const n of sizes) {
    const rows = await runSize(n, s);
    // Progress on stderr: the 1,000-tenant run takes minutes.
    for (const r of rows) console.error(`${r.name}: ${r.value} ${r.unit} ${r.note ?? ''}`);
    out.push(...rows);
  }
  return out;
}
