/**
 * The load-with-faults harness: N events from T tenants (a share of them bad) go through
 * kinesalite, are read back per shard with GetRecords and handed to the real aggregator handler
 * the way the Lambda event source mapping does (ReportBatchItemFailures, bisection on error),
 * against DynamoDB Local and the fauxqs S3 quarantine. Faults are injected at the SDK-client
 * level:
 *
 * - throttling: some DynamoDB write requests answer ProvisionedThroughputExceededException;
 * - outages: during some invocations every DynamoDB write is throttled, beyond the adapter's
 *   retries, so the handler reports batch item failures;
 * - crashes: some invocations "die" after 0-3 write requests (DynamoDB or S3) went through; the
 *   instance is thrown away and the whole batch is delivered again to a fresh one;
 * - duplicate deliveries: some successful batches are delivered again (a lost checkpoint);
 * - bisected and odd-sized batches, and failing quarantine writes.
 *
 * At the end it exports every KPI bucket through the KPI reader and compares it with the exact
 * computation over the accepted events (test/support/exact-kpis.ts), lists the quarantine bucket
 * and checks it holds exactly the bad records, and reports events/s and peak RSS.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { kinesisPut, type OutgoingRecord, sendRecords } from '../../cli/kinesis-send';
import { SeededRandom } from '../../cli/local/simulator';
import { localClientConfig, type StandIn, startDynamoDb, startFauxqs, startKinesis } from '../../cli/local/standins';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { type QuarantinedRecord, S3Quarantine } from '../../lambdas/adapters/quarantine-s3';
import { AggregateBatch, FLEET_TENANT } from '../../lambdas/core/aggregation';
import { KpiCatalog as Catalog, type KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent, RejectionReason } from '../../lambdas/core/events';
import { type ExportRow, exportRows } from '../../lambdas/core/export';
import { bucketStart, GRANULARITY_MS, type Granularity } from '../../lambdas/core/time/buckets';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { createBucket, createKpiTable, kinesisEvent, listKeys } from './aggregator-harness';
import { type ExactRejection, exactKpis } from './exact-kpis';
import { lambdaRecord, type ShardRecord } from './kinesis-batches';

/** Fault rates (shares in 0..1). */
export interface FaultRates {
  /** DynamoDB write requests answered with throttling (the adapter retries them). @default 0.03 */
  readonly throttle: number;
  /** Invocations during which every DynamoDB write is throttled, beyond retries. @default 0.02 */
  readonly outage: number;
  /** Invocations that crash after 0-3 write requests; the batch comes back whole. @default 0.03 */
  readonly crash: number;
  /** Successful invocations whose batch is delivered again. @default 0.05 */
  readonly duplicate: number;
  /** Quarantine (S3) writes that fail. @default 0.05 */
  readonly quarantineError: number;
  /** Invocations during which every quarantine write fails. @default 0.01 */
  readonly quarantineOutage: number;
  /** After a failed invocation, the next batch is half as large (BisectBatchOnFunctionError). @default 0.5 */
  readonly bisect: number;
}

/** The default fault mix. */
export const DEFAULT_FAULTS: FaultRates = {
  throttle: 0.03,
  outage: 0.02,
  crash: 0.03,
  duplicate: 0.05,
  quarantineError: 0.05,
  quarantineOutage: 0.01,
  bisect: 0.5,
};

/** Running local servers the harness uses (it starts its own when not given). */
export interface LoadStandIns {
  readonly dynamodb: StandIn;
  readonly kinesis: StandIn;
  /** fauxqs: S3 for the quarantine. */
  readonly s3: StandIn;
}

/** Options of {@link runLoad}. */
export interface LoadRunOptions {
  readonly events: number;
  readonly tenants: number;
  /** Share of bad records. @default 0.02 */
  readonly badShare?: number;
  /** @default 1 */
  readonly seed?: number;
  /** @default 4 */
  readonly shards?: number;
  /** Records per invocation at most (the event source mapping's BatchSize). @default 500 */
  readonly batchSize?: number;
  /** Event times are spread over this span before the start. @default 1 hour */
  readonly spanMs?: number;
  readonly faults?: Partial<FaultRates>;
  /** Granularities compared with the exact computation. @default minute, hour, day */
  readonly granularities?: readonly Granularity[];
  /** @default starts and stops its own */
  readonly standIns?: LoadStandIns;
  /** Progress lines (the soak prints them). @default none */
  readonly log?: (line: string) => void;
  /**
   * The run's processing time, epoch ms: event times are generated before it, the aggregator
   * judges late and future records against it, and every record is taken to arrive at it
   * (kinesalite's own arrival stamps are wall-clock time).
   */
  readonly nowMs: number;
}

/** Fault and delivery counters of a run. */
export interface LoadRunCounters {
  invocations: number;
  throttledRequests: number;
  outages: number;
  crashes: number;
  duplicateDeliveries: number;
  quarantineErrors: number;
  quarantineOutages: number;
  partialFailures: number;
  handlerErrors: number;
  bisections: number;
  redeliveredRecords: number;
}

/** What a run measured and found. */
export interface LoadRunResult {
  readonly events: number;
  readonly tenants: number;
  readonly goodRecords: number;
  readonly badRecords: number;
  readonly putMs: number;
  /** From the first GetRecords to the last invocation. */
  readonly consumeMs: number;
  /** Records processed per second of the consume phase (redeliveries not counted twice). */
  readonly eventsPerSecond: number;
  /** Peak resident set size of this process over the whole run (handler, kinesalite, harness, exact computation; DynamoDB Local is a separate JVM). */
  readonly peakRssBytes: number;
  /** Peak resident set size up to the end of the consume phase (before the comparison). */
  readonly peakRssConsumeBytes: number;
  readonly heapUsedAfterBytes: number;
  readonly counters: LoadRunCounters;
  /** Exported rows compared and the differences found (at most 50 listed). */
  readonly comparison: {
    readonly rows: number;
    readonly mismatchCount: number;
    readonly mismatches: readonly string[];
  };
  /** The quarantine against the bad records sent. */
  readonly quarantine: {
    readonly expected: number;
    readonly found: number;
    readonly missing: number;
    readonly unexpected: number;
    readonly wrongReason: number;
    readonly byReason: Readonly<Record<string, number>>;
  };
}

/** The run could not complete (a record kept failing, or a stand-in misbehaved). */
export class LoadRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadRunError';
  }
}

/** An instance "died": every later SDK call of that instance fails with this. */
export class SimulatedCrashError extends Error {
  constructor() {
    super('simulated Lambda crash');
    this.name = 'SimulatedCrashError';
  }
}

const STREAM = 'kpi-events';
const TABLE = 'kpi';
const BUCKET = 'kpi-quarantine';
const SOURCE = '/load/producer';
/** Redeliveries of the same first record before the run is declared stuck. */
const MAX_ATTEMPTS_PER_HEAD = 200;

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same traffic and faults. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

// ---------------------------------------------------------------- traffic

/** A bad record and what the pipeline must say about it. */
interface BadRecord {
  readonly reason: RejectionReason;
  /** The tenant the rejection is counted for (valid tenant ids only). */
  readonly tenant: string | undefined;
  arrivalMs?: number;
  quarantined: number;
}

interface Traffic {
  readonly outgoing: OutgoingRecord[];
  readonly accepted: AgentEvent[];
  /** Bad records by their payload (latin1 text of the bytes: unique per record). */
  readonly bad: Map<string, BadRecord>;
  readonly tenantIds: string[];
  readonly oldestMs: number;
}

const CHANNELS = ['voice', 'chat', 'email', 'whatsapp', 'web'] as const;
const STAGES = ['lead', 'contacted', 'qualified', 'proposal', 'won', 'lost'] as const;
const REVENUE = ['new', 'expansion', 'contraction', 'churn'] as const;

function makeData(type: AgentEvent['type'], rnd: () => number, tenantIndex: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  // Log-normal-ish latencies with a heavy tail, rounded to whole ms as producers send them.
  const latency = (median: number) => Math.round(median * Math.exp(1.2 * (rnd() + rnd() + rnd() - 1.5)));
  const session = `s-${Math.floor(rnd() * 5000)}`;
  switch (type) {
    case 'agent.session.completed':
      return {
        sessionId: session,
        channel: pick(CHANNELS),
        handleTimeMs: latency(120_000),
        resolved: rnd() < 0.8,
        firstContact: rnd() < 0.7,
        escalated: rnd() < 0.15,
        userId: `u-${tenantIndex}-${Math.floor(rnd() * 300)}`,
      };
    case 'agent.turn.completed':
      return rnd() < 0.5
        ? { sessionId: session, totalMs: latency(900), ok: rnd() < 0.98 }
        : {
            sessionId: session,
            totalMs: latency(900),
            sttMs: latency(150),
            llmMs: latency(500),
            ttsMs: latency(250),
            cacheHit: rnd() < 0.45,
            ok: rnd() < 0.98,
          };
    case 'voice.synthesis.completed':
      return {
        latencyMs: latency(800),
        ok: rnd() < 0.995,
        cacheHit: rnd() < 0.4,
        qualityScore: Math.round(rnd() * 1000) / 1000,
      };
    case 'api.request.completed':
      return {
        route: pick(['/v1/calls', '/v1/users', '/v1/reports']),
        method: pick(['GET', 'POST']),
        status: rnd() < 0.99 ? 200 : 503,
        latencyMs: latency(120),
      };
    case 'healthcheck.completed':
      return { target: pick(['voice-gateway', 'api']), ok: rnd() < 0.995, latencyMs: latency(40) };
    case 'feedback.submitted':
      return rnd() < 0.5
        ? { kind: 'csat', score: 1 + Math.floor(rnd() * 5) }
        : { kind: 'nps', score: Math.floor(rnd() * 11), sessionId: session };
    case 'escalation.reviewed':
      return { sessionId: session, predicted: rnd() < 0.5, actual: rnd() < 0.5 };
    case 'user.active':
      return { userId: `u-${tenantIndex}-${Math.floor(rnd() * 300)}`, feature: pick(['search', 'voice', 'reports']) };
    case 'sales.stage.changed':
      return { leadId: `l-${Math.floor(rnd() * 1000)}`, stage: pick(STAGES), valueUsd: Math.floor(rnd() * 50_000) };
    case 'revenue.recorded': {
      const kind = pick(REVENUE);
      const v = Math.floor(rnd() * 5000);
      return { kind, mrrDeltaUsd: kind === 'new' || kind === 'expansion' ? v : -v };
    }
    case 'support.ticket.updated':
      return rnd() < 0.5
        ? { ticketId: `t-${Math.floor(rnd() * 1000)}`, status: 'opened', priority: pick(['P1', 'P2', 'P3', 'P4']) }
        : { ticketId: `t-${Math.floor(rnd() * 1000)}`, status: 'resolved', resolutionMs: latency(3_600_000) };
    default:
      return {};
  }
}

/** Voice traffic dominates, as in a real fleet; every built-in type appears. */
const TYPE_WEIGHTS: ReadonlyArray<readonly [AgentEvent['type'], number]> = [
  ['agent.turn.completed', 30],
  ['voice.synthesis.completed', 20],
  ['api.request.completed', 15],
  ['agent.session.completed', 10],
  ['user.active', 8],
  ['healthcheck.completed', 5],
  ['feedback.submitted', 3],
  ['escalation.reviewed', 3],
  ['support.ticket.updated', 2],
  ['sales.stage.changed', 2],
  ['revenue.recorded', 2],
];
const WEIGHT_TOTAL = TYPE_WEIGHTS.reduce((s, [, w]) => s + w, 0);

function pickType(rnd: () => number): AgentEvent['type'] {
  let x = rnd() * WEIGHT_TOTAL;
  for (const [t, w] of TYPE_WEIGHTS) {
    x -= w;
    if (x < 0) return t;
  }
  return 'agent.turn.completed';
}

const BAD_KINDS: ReadonlyArray<readonly [string, number]> = [
  ['truncated', 3],
  ['garbage', 2],
  ['bad_tenant', 3],
  ['schema', 3],
  ['nan', 2],
  ['unknown_type', 2],
  ['late', 2],
  ['future', 2],
  ['too_large', 0.3],
];
const BAD_TOTAL = BAD_KINDS.reduce((s, [, w]) => s + w, 0);

function badRecord(
  kind: string,
  i: number,
  tenant: string,
  timeMs: number,
  nowMs: number,
): { data: string | Buffer; reason: RejectionReason; tenant: string | undefined; partitionKey: string } {
  const base = {
    specversion: '1.0',
    id: `bad-${i}`,
    source: SOURCE,
    type: 'healthcheck.completed',
    time: new Date(timeMs).toISOString(),
    tenantid: tenant,
    data: { target: 'api', ok: true, latencyMs: 12 },
  };
  const json = (v: unknown) => JSON.stringify(v);
  switch (kind) {
    case 'truncated': {
      const text = json(base);
      return { data: text.slice(0, text.length - 7), reason: 'invalid_json', tenant: undefined, partitionKey: tenant };
    }
    case 'garbage':
      return {
        data: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(`garbage-${i}`)]),
        reason: 'invalid_json',
        tenant: undefined,
        partitionKey: tenant,
      };
    case 'bad_tenant':
      return {
        data: json({ ...base, tenantid: `${tenant.toUpperCase()}#x` }),
        reason: 'bad_tenant',
        tenant: undefined,
        partitionKey: tenant,
      };
    case 'schema':
      return {
        data: json({ ...base, data: { target: 'api', ok: 'yes', latencyMs: -1 } }),
        reason: 'schema',
        tenant,
        partitionKey: tenant,
      };
    case 'nan':
      return {
        data: json(base).replace('"latencyMs":12', '"latencyMs":1e999'),
        reason: 'schema',
        tenant,
        partitionKey: tenant,
      };
    case 'unknown_type':
      return {
        data: json({ ...base, type: 'agent.unknown.happened' }),
        reason: 'unknown_type',
        tenant,
        partitionKey: tenant,
      };
    case 'late':
      return {
        data: json({ ...base, time: new Date(nowMs - 8 * 86_400_000).toISOString() }),
        reason: 'late',
        tenant,
        partitionKey: tenant,
      };
    case 'future':
      return {
        data: json({ ...base, time: new Date(nowMs + 3 * 3_600_000).toISOString() }),
        reason: 'future',
        tenant,
        partitionKey: tenant,
      };
    default:
      return {
        data: json({ ...base, data: { ...base.data, pad: 'x'.repeat(70_000) } }),
        reason: 'too_large',
        tenant: undefined,
        partitionKey: tenant,
      };
  }
}

function generateTraffic(
  opts: Required<Pick<LoadRunOptions, 'events' | 'tenants' | 'badShare' | 'seed' | 'spanMs'>>,
  nowMs: number,
): Traffic {
  const rnd = seededRandom(opts.seed);
  const tenantIds = Array.from({ length: opts.tenants }, (_, i) => `tenant-${String(i).padStart(4, '0')}`);
  const outgoing: OutgoingRecord[] = [];
  const accepted: AgentEvent[] = [];
  const bad = new Map<string, BadRecord>();
  // Event times move forward with the stream (as live traffic does), with some jitter, and
  // end a minute before the start so that none is in the future whatever the run's duration.
  const startMs = nowMs - opts.spanMs;
  for (let i = 0; i < opts.events; i++) {
    // Tenant volume is skewed (a few big tenants, a long tail), like a real fleet.
    const ti = Math.floor(opts.tenants * rnd() ** 2);
    const tenant = tenantIds[ti] as string;
    const timeMs = Math.min(nowMs - 60_000, Math.floor(startMs + (i / opts.events) * opts.spanMs + rnd() * 30_000));
    if (rnd() < opts.badShare) {
      let x = rnd() * BAD_TOTAL;
      let kind = 'truncated';
      for (const [k, w] of BAD_KINDS) {
        x -= w;
        if (x < 0) {
          kind = k;
          break;
        }
      }
      const b = badRecord(kind, i, tenant, timeMs, nowMs);
      const data = typeof b.data === 'string' ? Buffer.from(b.data, 'utf8') : b.data;
      outgoing.push({ partitionKey: b.partitionKey, data });
      bad.set(data.toString('latin1'), { reason: b.reason, tenant: b.tenant, quarantined: 0 });
      continue;
    }
    const type = pickType(rnd);
    const event = {
      specversion: '1.0',
      id: `e-${i}`,
      source: SOURCE,
      type,
      time: new Date(timeMs).toISOString(),
      tenantid: tenant,
      data: makeData(type, rnd, ti),
    } as AgentEvent;
    accepted.push(event);
    outgoing.push({ partitionKey: tenant, data: Buffer.from(JSON.stringify(event), 'utf8') });
  }
  return { outgoing, accepted, bad, tenantIds, oldestMs: startMs };
}

// ---------------------------------------------------------------- faults and instances

/** Fault state of one simulated Lambda instance. */
interface InstanceFaults {
  crashed: boolean;
  /** Write requests (DynamoDB or S3) allowed before the instance dies. */
  writesBeforeCrash: number;
  ddbOutage: boolean;
  s3Outage: boolean;
}

const DDB_WRITES = new Set([
  'TransactWriteItemsCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'BatchWriteItemCommand',
]);

interface Instance {
  readonly faults: InstanceFaults;
  readonly invoke: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;
  /** Closes the instance's SDK clients (its sockets), as the end of a Lambda container does. */
  readonly destroy: () => void;
}

function newInstance(
  standIns: LoadStandIns,
  catalog: KpiCatalog,
  rates: FaultRates,
  rnd: () => number,
  counters: LoadRunCounters,
  nowMs: number,
): Instance {
  const faults: InstanceFaults = {
    crashed: false,
    writesBeforeCrash: Number.POSITIVE_INFINITY,
    ddbOutage: false,
    s3Outage: false,
  };
  const dynamodb = new DynamoDBClient({ ...localClientConfig(standIns.dynamodb.endpoint), maxAttempts: 1 });
  const s3 = new S3Client({ ...localClientConfig(standIns.s3.endpoint), maxAttempts: 1 });
  const consumeWrite = () => {
    if (faults.crashed) throw new SimulatedCrashError();
    if (faults.writesBeforeCrash <= 0) {
      faults.crashed = true;
      throw new SimulatedCrashError();
    }
    faults.writesBeforeCrash--;
  };
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (faults.crashed) throw new SimulatedCrashError();
      if (DDB_WRITES.has(context.commandName ?? '')) {
        if (faults.ddbOutage || rnd() < rates.throttle) {
          counters.throttledRequests++;
          throw new ProvisionedThroughputExceededException({
            message: 'The level of configured provisioned throughput for the table was exceeded (injected)',
            $metadata: { httpStatusCode: 400 },
          });
        }
        consumeWrite();
      }
      return next(args);
    },
    { step: 'initialize', name: 'loadRunFaults' },
  );
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (faults.crashed) throw new SimulatedCrashError();
      if (context.commandName === 'PutObjectCommand') {
        if (faults.s3Outage || rnd() < rates.quarantineError) {
          counters.quarantineErrors++;
          const err = new Error('We encountered an internal error. Please try again. (injected)');
          err.name = 'InternalError';
          throw Object.assign(err, { $metadata: { httpStatusCode: 500 } });
        }
        consumeWrite();
      }
      return next(args);
    },
    { step: 'initialize', name: 'loadRunFaults' },
  );
  // The production composition (handlers/aggregator/index.ts) minus CloudWatch metrics, with
  // shorter backoffs so that injected outages cost milliseconds rather than seconds.
  const handler = createAggregatorHandler({
    logger: new Logger({ serviceName: 'aggregator', logLevel: 'SILENT' }),
    now: () => nowMs,
    aggregate: new AggregateBatch({
      catalog,
      store: new DynamoDbKpiStore({
        client: dynamodb,
        tableName: TABLE,
        catalog,
        backoff: { maxAttempts: 5, baseDelayMs: 2, maxDelayMs: 20, random: rnd },
      }),
      quarantine: new S3Quarantine({
        client: s3,
        bucketName: BUCKET,
        backoff: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 20, random: rnd },
      }),
    }),
  });
  return {
    faults,
    invoke: handler,
    destroy: () => {
      dynamodb.destroy();
      s3.destroy();
    },
  };
}

// ---------------------------------------------------------------- the Lambda event source mapping

interface ShardConsumerContext {
  readonly kinesis: KinesisClient;
  readonly standIns: LoadStandIns;
  readonly catalog: KpiCatalog;
  readonly rates: FaultRates;
  readonly rnd: () => number;
  readonly counters: LoadRunCounters;
  readonly batchSize: number;
  readonly bad: Map<string, BadRecord>;
  readonly onProcessed: (n: number) => void;
  readonly nowMs: number;
}

/**
 * Reads one shard to its end and delivers it batch by batch, in order, one invocation at a time
 * (ParallelizationFactor 1), retrying from the first failed record as ReportBatchItemFailures does.
 */
async function consumeShard(shardId: string, c: ShardConsumerContext): Promise<void> {
  const { counters, rates, rnd } = c;
  let iterator = (
    await c.kinesis.send(
      new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
    )
  ).ShardIterator;
  const buffer: ShardRecord[] = [];
  let exhausted = false;
  let nextSize = c.batchSize;
  let instance: Instance | undefined;
  let headSeq = '';
  let headAttempts = 0;
  for (;;) {
    while (buffer.length < c.batchSize && !exhausted && iterator !== undefined) {
      const out = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 2_000 }));
      iterator = out.NextShardIterator;
      const records = out.Records ?? [];
      // Every record was put before reading started: an empty read means the shard is drained.
      if (records.length === 0) exhausted = true;
      for (const r of records) {
        const data = r.Data ?? new Uint8Array();
        const arrivalMs = c.nowMs;
        const b = c.bad.get(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'));
        if (b !== undefined) b.arrivalMs ??= arrivalMs;
        buffer.push({
          shardId,
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          data,
          arrivalMs,
        });
      }
    }
    if (buffer.length === 0) {
      instance?.destroy();
      return;
    }
    const head = buffer[0] as ShardRecord;
    if (head.sequenceNumber === headSeq) {
      headAttempts++;
      if (headAttempts > MAX_ATTEMPTS_PER_HEAD) {
        throw new LoadRunError(
          `record ${shardId}/${headSeq} was delivered ${headAttempts} times without being applied`,
        );
      }
    } else {
      headSeq = head.sequenceNumber;
      headAttempts = 1;
    }
    // Odd batch sizes now and then: the event source mapping's batching window cuts anywhere.
    const size = Math.min(buffer.length, nextSize, rnd() < 0.2 ? 1 + Math.floor(rnd() * c.batchSize) : c.batchSize);
    const batch = buffer.slice(0, size);
    instance ??= newInstance(c.standIns, c.catalog, rates, rnd, counters, c.nowMs);
    const f = instance.faults;
    f.ddbOutage = rnd() < rates.outage;
    f.s3Outage = rnd() < rates.quarantineOutage;
    f.writesBeforeCrash = rnd() < rates.crash ? Math.floor(rnd() * 4) : Number.POSITIVE_INFINITY;
    if (f.ddbOutage) counters.outages++;
    if (f.s3Outage) counters.quarantineOutages++;
    counters.invocations++;
    let response: KinesisStreamBatchResponse | undefined;
    let threw = false;
    try {
      response = await instance.invoke(kinesisEvent(batch.map((r) => lambdaRecord(r))));
    } catch {
      threw = true;
    }
    if (f.crashed) {
      // The instance is gone, its response never arrives: the whole batch comes back to a new one.
      counters.crashes++;
      counters.redeliveredRecords += batch.length;
      instance.destroy();
      instance = undefined;
      continue;
    }
    if (threw) {
      counters.handlerErrors++;
      counters.redeliveredRecords += batch.length;
      if (rnd() < rates.bisect && size > 1) {
        counters.bisections++;
        nextSize = Math.ceil(size / 2);
      }
      continue;
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length > 0) {
      counters.partialFailures++;
      const failed = new Set(failures.map((x) => x.itemIdentifier));
      const from = batch.findIndex((r) => failed.has(r.sequenceNumber));
      if (from < 0)
        throw new LoadRunError(`batchItemFailures named records outside the batch: ${[...failed].join(', ')}`);
      buffer.splice(0, from);
      c.onProcessed(from);
      counters.redeliveredRecords += size - from;
      if (rnd() < rates.bisect && size - from > 1) {
        counters.bisections++;
        nextSize = Math.ceil((size - from) / 2);
      }
      continue;
    }
    nextSize = c.batchSize;
    if (rnd() < rates.duplicate) {
      // The checkpoint was lost: the same records (and maybe more) come again.
      counters.duplicateDeliveries++;
      counters.redeliveredRecords += size;
      continue;
    }
    buffer.splice(0, size);
    c.onProcessed(size);
  }
}

// ---------------------------------------------------------------- comparison

const QUANTILE_TOLERANCE = 0.01;
/**
 * Distinct counts (HyperLogLog, 2^14 registers): the contract promises 2% at 10,000 users; the
 * sketch's standard error is 1.04 / sqrt(2^14) = 0.8%, so 3 standard errors (2.5%) bound it at
 * any size, with 2 users of slack for buckets of a few dozen users.
 */
const DISTINCT_TOLERANCE = 0.025;
const DISTINCT_SLACK = 2;

function close(a: number | null | undefined, b: number | null | undefined, rel: number, abs = 1e-9): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  return Math.abs(a - b) <= rel * Math.abs(b) + abs;
}

/**
 * Compares exported rows with exact rows: counts equal, values equal (sums to 1e-9 relative),
 * quantiles within 1% and distinct counts within 2.5% or 2 users (see DISTINCT_TOLERANCE). Rows with
 * no data on either side (count 0, no value) may be missing from the other.
 */
export function compareKpiRows(
  actual: readonly ExportRow[],
  expected: readonly ExportRow[],
  catalog: KpiCatalog,
): string[] {
  const key = (r: ExportRow) => `${r.tenant}|${r.granularity}|${r.bucketStart}|${r.kpi}`;
  const empty = (r: ExportRow) => r.count === 0 && r.value === null;
  const got = new Map(actual.map((r) => [key(r), r]));
  const out: string[] = [];
  for (const e of expected) {
    const k = key(e);
    const a = got.get(k);
    got.delete(k);
    if (a === undefined) {
      if (!empty(e)) out.push(`${k}: missing (expected value ${e.value}, count ${e.count})`);
      continue;
    }
    const kind = catalog.get(e.kpi.split(':')[0] as string)?.measure.kind;
    const valueOk =
      kind === 'distinct' ? close(a.value, e.value, DISTINCT_TOLERANCE, DISTINCT_SLACK) : close(a.value, e.value, 1e-9);
    if (a.count !== e.count) out.push(`${k}: count ${a.count}, expected ${e.count}`);
    if (!valueOk) out.push(`${k}: value ${a.value}, expected ${e.value}`);
    if (kind === 'quantiles') {
      for (const q of ['p50', 'p95', 'p99'] as const) {
        if (!close(a[q], e[q], QUANTILE_TOLERANCE)) out.push(`${k}: ${q} ${a[q]}, expected ${e[q]}`);
      }
    }
  }
  for (const [k, a] of got) if (!empty(a)) out.push(`${k}: unexpected (value ${a.value}, count ${a.count})`);
  return out;
}

async function exportAll(
  reader: DynamoDbKpiReader,
  tenants: readonly string[],
  granularity: Granularity,
  fromMs: number,
  toMs: number,
): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  for (const tenant of [FLEET_TENANT, ...tenants]) {
    for (const b of await reader.read({ tenant, granularity, fromMs, toMs })) {
      rows.push(...exportRows(tenant, granularity, b.bucketStartMs, b.set));
    }
  }
  return rows;
}

async function checkQuarantine(s3: S3Client, bad: Map<string, BadRecord>): Promise<LoadRunResult['quarantine']> {
  let found = 0;
  let unexpected = 0;
  let wrongReason = 0;
  const byReason: Record<string, number> = {};
  const keys = await listKeys(s3, BUCKET);
  const read = async (key: string) => {
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString();
    const q = JSON.parse(body ?? '{}') as QuarantinedRecord;
    const b = bad.get(Buffer.from(q.data, 'base64').toString('latin1'));
    found++;
    byReason[q.reason] = (byReason[q.reason] ?? 0) + 1;
    if (b === undefined) {
      unexpected++;
      return;
    }
    b.quarantined++;
    if (b.reason !== q.reason || b.tenant !== q.tenantId) wrongReason++;
  };
  for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map(read));
  let missing = 0;
  for (const b of bad.values()) {
    if (b.quarantined === 0) missing++;
    // One object per record: a record quarantined twice would be a duplicate.
    if (b.quarantined > 1) unexpected += b.quarantined - 1;
  }
  return { expected: bad.size, found, missing, unexpected, wrongReason, byReason };
}

// ---------------------------------------------------------------- the run

/** Starts the stand-ins the harness needs. */
export async function startLoadStandIns(): Promise<LoadStandIns & { stop(): Promise<void> }> {
  const [dynamodb, kinesis, s3] = await Promise.all([startDynamoDb(), startKinesis(), startFauxqs()]);
  return {
    dynamodb,
    kinesis,
    s3,
    stop: async () => {
      await Promise.all([dynamodb.stop(), kinesis.stop(), s3.stop()]);
    },
  };
}

async function createResources(standIns: LoadStandIns, shards: number): Promise<void> {
  const ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb.endpoint));
  await createKpiTable(ddb, TABLE);
  ddb.destroy();
  const s3 = new S3Client(localClientConfig(standIns.s3.endpoint));
  await createBucket(s3, BUCKET);
  s3.destroy();
  const kinesis = new KinesisClient(localClientConfig(standIns.kinesis.endpoint));
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: shards }));
  for (let i = 0; i < 100; i++) {
    const d = await kinesis.send(new DescribeStreamCommand({ StreamName: STREAM }));
    if (d.StreamDescription?.StreamStatus === 'ACTIVE') break;
    await new Promise((done) => setTimeout(done, 50));
  }
  kinesis.destroy();
}

/**
 * Runs the load: generate, put, consume with faults, compare. Throws {@link LoadRunError} only
 * when the run cannot finish; wrong numbers are reported in the result, for the caller to assert.
 */
export async function runLoad(options: LoadRunOptions): Promise<LoadRunResult> {
  const log = options.log ?? (() => {});
  const rates: FaultRates = { ...DEFAULT_FAULTS, ...options.faults };
  const shards = options.shards ?? 4;
  const batchSize = options.batchSize ?? 500;
  const granularities = options.granularities ?? ['minute', 'hour', 'day'];
  const catalog = Catalog.builtIn();
  const owned = options.standIns === undefined ? await startLoadStandIns() : undefined;
  const standIns = options.standIns ?? (owned as LoadStandIns);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  try {
    await createResources(standIns, shards);
    const nowMs = options.nowMs;
    const traffic = generateTraffic(
      {
        events: options.events,
        tenants: options.tenants,
        badShare: options.badShare ?? 0.02,
        seed: options.seed ?? 1,
        spanMs: options.spanMs ?? 3_600_000,
      },
      nowMs,
    );
    log(`generated ${traffic.outgoing.length} records (${traffic.bad.size} bad) for ${options.tenants} tenants`);

    const kinesis = new KinesisClient(localClientConfig(standIns.kinesis.endpoint));
    const putStart = performance.now();
    const sent = await sendRecords(traffic.outgoing, kinesisPut(kinesis, STREAM), { baseDelayMs: 20 });
    if (sent.undelivered.length > 0) {
      throw new LoadRunError(`${sent.undelivered.length} records could not be put: ${sent.undelivered[0]?.reason}`);
    }
    const putMs = performance.now() - putStart;
    // The generated payloads are no longer needed; let them go before the consume phase.
    traffic.outgoing.length = 0;
    log(`put ${sent.delivered} records in ${(putMs / 1000).toFixed(1)} s`);

    const counters: LoadRunCounters = {
      invocations: 0,
      throttledRequests: 0,
      outages: 0,
      crashes: 0,
      duplicateDeliveries: 0,
      quarantineErrors: 0,
      quarantineOutages: 0,
      partialFailures: 0,
      handlerErrors: 0,
      bisections: 0,
      redeliveredRecords: 0,
    };
    const shardIds = ((await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? []).map(
      (s) => s.ShardId as string,
    );
    const rnd = seededRandom((options.seed ?? 1) * 7919);
    let processed = 0;
    let nextLog = 0;
    const consumeStart = performance.now();
    await Promise.all(
      shardIds.map((shardId) =>
        consumeShard(shardId, {
          kinesis,
          standIns,
          catalog,
          rates,
          rnd,
          counters,
          batchSize,
          nowMs,
          bad: traffic.bad,
          onProcessed: (n) => {
            processed += n;
            if (processed >= nextLog) {
              nextLog += Math.max(10_000, Math.floor(options.events / 20));
              const s = (performance.now() - consumeStart) / 1000;
              log(
                `processed ${processed} records, ${Math.round(processed / s)}/s, rss ${Math.round(process.memoryUsage.rss() / 1e6)} MB`,
              );
            }
          },
        }),
      ),
    );
    const consumeMs = performance.now() - consumeStart;
    const peakRssConsume = Math.max(peakRss, process.memoryUsage.rss());
    kinesis.destroy();
    log(`consumed in ${(consumeMs / 1000).toFixed(1)} s; ${JSON.stringify(counters)}`);

    const ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb.endpoint));
    const reader = new DynamoDbKpiReader({ client: ddb, tableName: TABLE, catalog, consistentRead: true });
    const rejections: ExactRejection[] = [];
    for (const b of traffic.bad.values()) {
      rejections.push({ tenantId: b.tenant, reason: b.reason, timeMs: b.arrivalMs ?? nowMs });
    }
    const fromMs = bucketStart(traffic.oldestMs, 'day');
    const toMs = bucketStart(nowMs, 'day') + GRANULARITY_MS.day;
    let rows = 0;
    const mismatches: string[] = [];
    for (const g of granularities) {
      const actual = await exportAll(reader, traffic.tenantIds, g, fromMs, toMs);
      const expected = exactKpis(traffic.accepted, { granularity: g, rejections });
      rows += expected.length;
      mismatches.push(...compareKpiRows(actual, expected, catalog));
    }
    ddb.destroy();
    const s3 = new S3Client(localClientConfig(standIns.s3.endpoint));
    const quarantine = await checkQuarantine(s3, traffic.bad);
    s3.destroy();
    return {
      events: options.events,
      tenants: options.tenants,
      goodRecords: traffic.accepted.length,
      badRecords: traffic.bad.size,
      putMs,
      consumeMs,
      eventsPerSecond: options.events / (consumeMs / 1000),
      peakRssBytes: peakRss,
      peakRssConsumeBytes: peakRssConsume,
      heapUsedAfterBytes: process.memoryUsage().heapUsed,
      counters,
      comparison: { rows, mismatchCount: mismatches.length, mismatches: mismatches.slice(0, 50) },
      quarantine,
    };
  } finally {
    clearInterval(sampler);
    await owned?.stop();
  }
}
