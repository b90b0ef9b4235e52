/**
 * The local run behind `npm start` / `kpi local`: the whole pipeline on one machine, with the
 * real handlers invoked the way AWS invokes them, against API-compatible local servers.
 *
 * Stages, each reported to a {@link RunObserver}:
 * 1. start the stand-ins (DynamoDB Local, kinesalite, SES, fauxqs for S3/SNS);
 * 2. create the stream, tables and bucket from the configuration;
 * 3. put the traffic on the stream in simulated-time order, read it back per shard with
 *    GetRecords, and invoke the real aggregator with real `KinesisStreamEvent`s;
 * 4. evaluate the synthesized alarms over the captured EMF metrics, minute by minute;
 * 5. route state changes through the real alarm router and run the escalation ladder;
 * 6. send the scheduled reports to the local SES.
 *
 * The simulated clock is an argument of every handler, so a simulated day takes seconds.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore, KPI_TABLE_SCHEMA } from '../../lambdas/adapters/kpi-store-dynamodb';
import { EmfKpiMetrics } from '../../lambdas/adapters/metrics-emf';
import { type QuarantinedRecord, S3Quarantine } from '../../lambdas/adapters/quarantine-s3';
import { AggregateBatch, FLEET_TENANT } from '../../lambdas/core/aggregation';
import {
  type AlarmDefinitions,
  type AlarmStateTransition,
  alarmsFromTemplate,
  evaluateAlarms,
  parseEmfLines,
} from '../../lambdas/core/alarm-evaluator';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfig, perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { type ExportRow, toCsv } from '../../lambdas/core/export';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { kinesisPut, type OutgoingRecord, sendRecords } from '../commands/send';
import {
  resourcesOfType,
  type SynthesizedTemplates,
  synthesizeTemplatesInChild,
  tableLogicalIdFromEnvironment,
} from '../commands/synth';
import {
  catalogFor,
  defaultResourceNames,
  dynamoDbClient,
  kinesisClient,
  LOCAL_REGION,
  type ResourceNames,
} from '../wiring';
import type { SimulatedRecord } from './simulator';
import { localClientConfig, type StandIns, startStandIns } from './standins';

/** Receives progress of a local run (the CLI draws bars or prints lines). */
export interface RunObserver {
  /** A stage starts; `total` items when it is known. */
  stage(name: string, total?: number): void;
  /** Items done in the current stage. */
  progress(done: number): void;
  /** The current stage ended. */
  stageDone(summary: string): void;
}

/** An observer that ignores everything (library use, tests). */
export const SILENT_OBSERVER: RunObserver = { stage: () => {}, progress: () => {}, stageDone: () => {} };

/** Invokes the aggregator the way the Lambda event source mapping does. */
export type AggregatorInvoker = (
  event: KinesisStreamEvent,
  nowMs: number,
) => Promise<KinesisStreamBatchResponse | undefined>;

/** A local Kinesis stream and the ARN the records say they come from. */
export interface LocalStream {
  readonly name: string;
  readonly arn: string;
}

/** Account id the local ARNs use. */
export const LOCAL_ACCOUNT = '000000000000';

/**
 * Creates the stream. On-demand streams become 4 shards locally: enough to exercise per-shard
 * ordering and parallel readers, few enough to drain quickly.
 */
export async function createLocalStream(
  client: KinesisClient,
  name: string,
  region: string,
  shardCount = 4,
): Promise<LocalStream> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  return { name, arn: `arn:aws:kinesis:${region}:${LOCAL_ACCOUNT}:stream/${name}` };
}

/** Statistics of {@link StreamPump}. */
export interface PumpStats {
  put: number;
  undelivered: number;
  read: number;
  invocations: number;
  /** Records the aggregator reported as failed and that were retried. */
  retriedRecords: number;
  /** Records still failing after the retries (the event source mapping would skip them too). */
  droppedRecords: number;
}

/**
 * Moves records from the producer side to the aggregator: PutRecords, then GetRecords per shard
 * and one invocation per batch, honouring `batchItemFailures` the way the event source mapping
 * does with ReportBatchItemFailures (retry from the first failed record, up to `maxRetryAttempts`).
 */
export class StreamPump {
  readonly stats: PumpStats = {
    put: 0,
    undelivered: 0,
    read: 0,
    invocations: 0,
    retriedRecords: 0,
    droppedRecords: 0,
  };
  private readonly iterators = new Map<string, string | undefined>();

  constructor(
    private readonly client: KinesisClient,
    private readonly stream: LocalStream,
    private readonly region: string,
    private readonly invoke: AggregatorInvoker,
    private readonly batchSize: number,
    private readonly maxRetryAttempts: number,
  ) {}

  /** Opens a TRIM_HORIZON iterator on every shard. */
  async open(): Promise<void> {
    const shards = (await this.client.send(new ListShardsCommand({ StreamName: this.stream.name }))).Shards ?? [];
    for (const shard of shards) {
      if (shard.ShardId === undefined) continue;
      const out = await this.client.send(
        new GetShardIteratorCommand({
          StreamName: this.stream.name,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.iterators.set(shard.ShardId, out.ShardIterator);
    }
  }

  /** Puts records on the stream. */
  async put(records: readonly SimulatedRecord[]): Promise<void> {
    const outgoing: OutgoingRecord[] = records.map((r) => ({
      partitionKey: r.partitionKey,
      data: Buffer.from(r.data, 'utf8'),
    }));
    const result = await sendRecords(outgoing, kinesisPut(this.client, this.stream.name), { baseDelayMs: 20 });
    this.stats.put += result.delivered;
    this.stats.undelivered += result.undelivered.length;
  }

  /** Reads every shard to its end, invoking the aggregator with the simulated clock at `nowMs`. */
  async drain(nowMs: number): Promise<void> {
    // One shard after the other: every shard's batch also writes the fleet items, and concurrent
    // writers of the same items only meet in conflicts and backoff (measured: 2.5x slower locally).
    for (const shardId of this.iterators.keys()) await this.drainShard(shardId, nowMs);
  }

  private async drainShard(shardId: string, nowMs: number): Promise<void> {
    for (;;) {
      const iterator = this.iterators.get(shardId);
      if (iterator === undefined) return;
      const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }));
      this.iterators.set(shardId, out.NextShardIterator);
      const records = out.Records ?? [];
      if (records.length === 0) return;
      this.stats.read += records.length;
      const lambdaRecords: KinesisStreamRecord[] = records.map((r) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey ?? '',
          sequenceNumber: r.SequenceNumber ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: nowMs / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.SequenceNumber ?? ''}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local-aggregator`,
        awsRegion: this.region,
        eventSourceARN: this.stream.arn,
      }));
      await this.invokeWithRetries(lambdaRecords, nowMs);
    }
  }

  private async invokeWithRetries(records: KinesisStreamRecord[], nowMs: number): Promise<void> {
    let pending = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      this.stats.invocations++;
      let failedFrom: number;
      try {
        const response = await this.invoke({ Records: pending }, nowMs);
        const failures = response?.batchItemFailures ?? [];
        if (failures.length === 0) return;
        const failedIds = new Set(failures.map((f) => f.itemIdentifier));
        failedFrom = pending.findIndex((r) => failedIds.has(r.kinesis.sequenceNumber));
        if (failedFrom < 0) return;
      } catch {
        // A thrown invocation fails the whole batch; Lambda retries it whole.
        failedFrom = 0;
      }
      if (attempt >= this.maxRetryAttempts) {
        this.stats.droppedRecords += pending.length - failedFrom;
        return;
      }
      pending = pending.slice(failedFrom);
      this.stats.retriedRecords += pending.length;
    }
  }
}

/**
 * Powertools Metrics that keeps the EMF documents instead of printing them: locally there is no
 * CloudWatch to parse the logs, so the run hands the same documents to the alarm evaluator.
 */
export class CapturedMetrics extends Metrics {
  /** The EMF documents, one JSON text each, in publication order. */
  readonly documents: string[] = [];

  constructor(options: MetricsOptions) {
    super(options);
  }

  override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) this.documents.push(JSON.stringify(this.serializeMetrics()));
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

/** A logger for the Powertools utilities that drops everything (their warnings are reported by the run). */
const QUIET_LOGGER = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Counts of what the aggregator accepted and rejected over the run. */
export interface AggregationTally {
  batches: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  rejectedByReason: Record<string, number>;
}

/** The real use case, counting its reports so the summary can say what happened. */
class TalliedAggregateBatch extends AggregateBatch {
  readonly tally: AggregationTally = { batches: 0, accepted: 0, rejected: 0, duplicates: 0, rejectedByReason: {} };

  override async run(...args: Parameters<AggregateBatch['run']>): ReturnType<AggregateBatch['run']> {
    const report = await super.run(...args);
    this.tally.batches++;
    this.tally.accepted += report.accepted;
    this.tally.rejected += report.rejected;
    this.tally.duplicates += report.duplicates;
    for (const [reason, n] of Object.entries(report.rejectedByReason)) {
      this.tally.rejectedByReason[reason] = (this.tally.rejectedByReason[reason] ?? 0) + (n ?? 0);
    }
    return report;
  }
}

/**
 * Creates the KPI table with the key schema and TTL attribute the KPI store declares for both the
 * CDK construct and local mode. Created before synthesis ends, so ingestion need not wait for it.
 */
export async function createKpiTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: KPI_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: KPI_TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: KPI_TABLE_SCHEMA.partitionKey, AttributeType: 'S' },
        { AttributeName: KPI_TABLE_SCHEMA.sortKey, AttributeType: 'S' },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: KPI_TABLE_SCHEMA.ttlAttribute, Enabled: true },
    }),
  );
}

/** The environment variables through which the handlers name their tables, per table. */
export const TABLE_VARIABLES = { kpi: 'KPI_TABLE_NAME', incidents: 'INCIDENTS_TABLE' } as const;

/**
 * Creates a table exactly as the synthesized template declares it (keys, indexes, TTL), under a
 * local name: the table the handler's environment variable `variable` points to.
 * @throws Error when no function of the templates names a table through `variable`
 */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  templates: SynthesizedTemplates,
  variable: string,
  tableName: string,
): Promise<void> {
  const logicalId = tableLogicalIdFromEnvironment(templates, variable);
  const table = resourcesOfType(templates, 'AWS::DynamoDB::Table').find((t) => t.logicalId === logicalId);
  if (table === undefined) throw new Error(`No table in the synthesized app is named by ${variable}`);
  const p = table.properties as {
    KeySchema: CreateTableCommandInput['KeySchema'];
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  };
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      ...(p.GlobalSecondaryIndexes === undefined ? {} : { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes }),
    }),
  );
  const ttl = p.TimeToLiveSpecification;
  if (ttl?.Enabled === true && ttl.AttributeName !== undefined) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
}

/** The outcome of evaluating the synthesized alarms. */
export interface LocalAlarmResult {
  readonly alarmsEvaluated: number;
  readonly datapoints: number;
  /** Every state change, in time order. */
  readonly transitions: readonly AlarmStateTransition[];
}

/** How long after the range the alarms keep being evaluated, so episodes at its end can resolve. */
const ALARM_TAIL_MS = 30 * 60_000;

/**
 * Evaluates every alarm of the synthesized templates, minute by minute, over the EMF documents the
 * aggregator published, following CloudWatch's semantics (the project's evaluator).
 */
export function evaluateLocalAlarms(
  templates: SynthesizedTemplates,
  emfDocuments: readonly string[],
  fromMs: number,
  toMs: number,
): LocalAlarmResult {
  const parts = Object.values(templates).map((t) => alarmsFromTemplate(t));
  const definitions: AlarmDefinitions = {
    metricAlarms: parts.flatMap((p) => p.metricAlarms),
    composites: parts.flatMap((p) => p.composites),
    anomalyDetectors: parts.flatMap((p) => p.anomalyDetectors),
  };
  const data = parseEmfLines(emfDocuments);
  const { transitions } = evaluateAlarms(definitions, data, { fromMs, toMs: toMs + ALARM_TAIL_MS });
  return {
    alarmsEvaluated: definitions.metricAlarms.length + definitions.composites.length,
    datapoints: data.length,
    transitions,
  };
}

/** What to run: the traffic, its time range and where the results go. */
export interface LocalRunOptions {
  /** The configuration, tenants included. */
  readonly config: PipelineConfig;
  /** Records in send order. */
  readonly records: readonly SimulatedRecord[];
  /** Start of the range the run covers (UTC midnight), for exports and reports. */
  readonly rangeStartMs: number;
  /** End of the range (exclusive). */
  readonly rangeEndMs: number;
  /**
   * Processing time for every batch. Unset: each chunk is processed at its last send time, as if
   * live (the simulation); set: a fixed instant (given events, "now" relative to their timestamps).
   */
  readonly fixedNowMs?: number;
  /** Write kpis.csv, rejected.ndjson, incidents.json and the reports here. */
  readonly exportDir?: string;
  readonly observer?: RunObserver;
  /**
   * Simulated time per put-then-drain round. Longer rounds rewrite the hour and day items less
   * often (the local store's cost is per item written). @default 15 minutes
   */
  readonly chunkMs?: number;
}

/** Where the local pipeline runs. */
export interface LocalEndpointsInUse {
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly ses: string;
  readonly s3: string;
}

/** What a local run did. */
export interface LocalRunResult {
  readonly resources: ResourceNames;
  readonly endpoints: LocalEndpointsInUse;
  readonly pump: PumpStats;
  readonly aggregation: AggregationTally;
  /** Fleet KPIs of the whole range (day buckets merged per KPI is not needed: one day per row). */
  readonly fleetDays: readonly ExportRow[];
  /** EMF documents the aggregator published. */
  readonly emfDocuments: readonly string[];
  /** The synthesized alarms evaluated over those metrics. */
  readonly alarms: LocalAlarmResult;
  /** Files written to the export directory. */
  readonly files: readonly string[];
  /** Milliseconds per stage, in order. */
  readonly timings: ReadonlyArray<{ readonly stage: string; readonly ms: number }>;
}

/** A finished run whose stand-ins are still up (for `--keep-running`); call `stop()` when done. */
export interface LocalRun {
  readonly result: LocalRunResult;
  stop(): Promise<void>;
}

/**
 * Runs the local pipeline. The stand-ins stay up until `stop()` (the caller stops them in a
 * `finally`, and on Ctrl-C); on an error they are stopped before it is rethrown.
 */
export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRun> {
  const observer = options.observer ?? SILENT_OBSERVER;
  const timings: Array<{ stage: string; ms: number }> = [];
  const timed = async <T>(stage: string, total: number | undefined, fn: () => Promise<T>, done: (r: T) => string) => {
    const t0 = Date.now();
    observer.stage(stage, total);
    const r = await fn();
    timings.push({ stage, ms: Date.now() - t0 });
    observer.stageDone(done(r));
    return r;
  };

  // Synthesis is CPU-bound and slow; it runs in a child process while the stand-ins boot.
  const synthesis = synthesizeTemplatesInChild(options.config);
  synthesis.catch(() => {});
  const standIns = await timed(
    'stand-ins',
    undefined,
    () => startStandIns(['dynamodb', 'kinesis', 'ses', 'sns']),
    () => 'DynamoDB Local, kinesalite, SES and S3/SNS (fauxqs) up on 127.0.0.1',
  );
  try {
    const result = await runStages(options, standIns, synthesis, observer, timed, timings);
    return { result, stop: () => standIns.stop() };
  } catch (err) {
    await standIns.stop();
    throw err;
  }
}

type Timed = <T>(stage: string, total: number | undefined, fn: () => Promise<T>, done: (r: T) => string) => Promise<T>;

function endpointOf(standIns: StandIns, name: 'dynamodb' | 'kinesis' | 'ses' | 'sns'): string {
  const s = standIns[name];
  if (s === undefined) throw new Error(`stand-in ${name} is not running`);
  return s.endpoint;
}

async function runStages(
  options: LocalRunOptions,
  standIns: StandIns,
  synthesis: Promise<SynthesizedTemplates>,
  observer: RunObserver,
  timed: Timed,
  timings: ReadonlyArray<{ stage: string; ms: number }>,
): Promise<LocalRunResult> {
  const { config } = options;
  const catalog = catalogFor(config);
  const endpoints: LocalEndpointsInUse = {
    kinesis: endpointOf(standIns, 'kinesis'),
    dynamodb: endpointOf(standIns, 'dynamodb'),
    ses: endpointOf(standIns, 'ses'),
    s3: endpointOf(standIns, 'sns'),
  };
  const resources = defaultResourceNames(config);
  const kinesis = kinesisClient(localClientConfig(endpoints.kinesis));
  const dynamodb = dynamoDbClient(localClientConfig(endpoints.dynamodb));
  const s3 = new S3Client(localClientConfig(endpoints.s3));
  try {
    const stream = await timed(
      'resources',
      undefined,
      async () => {
        const created = await createLocalStream(kinesis, resources.stream, LOCAL_REGION);
        await createKpiTable(dynamodb, resources.kpiTable);
        await s3.send(new CreateBucketCommand({ Bucket: resources.quarantineBucket }));
        return created;
      },
      () => `stream ${resources.stream}, table ${resources.kpiTable}, bucket ${resources.quarantineBucket}`,
    );

    const metrics = new CapturedMetrics({
      namespace: config.metricsNamespace,
      serviceName: 'aggregator',
      logger: QUIET_LOGGER,
    });
    const aggregate = new TalliedAggregateBatch({
      catalog,
      store: new DynamoDbKpiStore({ client: dynamodb, tableName: resources.kpiTable, catalog }),
      quarantine: new S3Quarantine({ client: s3, bucketName: resources.quarantineBucket }),
      metrics: new EmfKpiMetrics({ metrics, catalog, perTenantAlarmTenants: perTenantAlarmTenants(config) }),
      retention: config.retention,
      limits: {
        maxRecordBytes: config.ingestion.maxRecordBytes,
        maxPastMs: config.ingestion.maxPastDays * 86_400_000,
        maxFutureMs: config.ingestion.maxFutureMinutes * 60_000,
      },
    });
    const clock = { nowMs: options.fixedNowMs ?? options.rangeStartMs };
    const handler = createAggregatorHandler({
      aggregate,
      // Batch logs would drown the progress display; the run's summary reports the counts.
      logger: new Logger({ serviceName: 'aggregator', logLevel: 'SILENT' }),
      now: () => clock.nowMs,
    });
    const pump = new StreamPump(
      kinesis,
      stream,
      LOCAL_REGION,
      (event) => handler(event),
      config.aggregator.batchSize,
      config.aggregator.maxRetryAttempts,
    );
    await timed(
      'ingest',
      options.records.length,
      async () => {
        await pump.open();
        const chunkMs = options.chunkMs ?? 15 * 60_000;
        let i = 0;
        while (i < options.records.length) {
          const chunkEnd = (options.records[i] as SimulatedRecord).sentAtMs + chunkMs;
          let j = i;
          while (j < options.records.length && (options.records[j] as SimulatedRecord).sentAtMs < chunkEnd) j++;
          const chunk = options.records.slice(i, j);
          await pump.put(chunk);
          clock.nowMs = options.fixedNowMs ?? (chunk.at(-1) as SimulatedRecord).sentAtMs;
          await pump.drain(clock.nowMs);
          observer.progress(pump.stats.read);
          i = j;
        }
      },
      () =>
        `${pump.stats.read} records through ${pump.stats.invocations} aggregator invocations: ` +
        `${aggregate.tally.accepted} accepted, ${aggregate.tally.rejected} rejected`,
    );

    const templates = await timed(
      'synthesis',
      undefined,
      async () => {
        const t = await synthesis;
        // The escalation's table comes from the template, as `cdk deploy` would create it.
        await createTableFromTemplate(dynamodb, t, TABLE_VARIABLES.incidents, resources.incidentTable);
        return t;
      },
      (t) => `CDK app synthesized (${Object.keys(t).join(', ')}); table ${resources.incidentTable} created from it`,
    );
    const alarms = await timed(
      'alarms',
      undefined,
      async () => evaluateLocalAlarms(templates, metrics.documents, options.rangeStartMs, options.rangeEndMs),
      (a) =>
        `${a.alarmsEvaluated} alarms evaluated minute by minute over ${a.datapoints} datapoints: ` +
        `${a.transitions.filter((t) => t.toState === 'ALARM').length} went to ALARM`,
    );

    const reader = new DynamoDbKpiReader({
      client: dynamodb,
      tableName: resources.kpiTable,
      catalog,
      consistentRead: true,
    });
    const fleetDays = await readExportRows(reader, {
      tenant: FLEET_TENANT,
      granularity: 'day',
      fromMs: options.rangeStartMs,
      toMs: options.rangeEndMs,
    });

    const files: string[] = [];
    if (options.exportDir !== undefined) {
      const dir = options.exportDir;
      await timed(
        'export',
        undefined,
        async () => {
          mkdirSync(dir, { recursive: true });
          files.push(await writeKpisCsv(dir, reader, config, options.rangeStartMs, options.rangeEndMs));
          files.push(await writeRejected(dir, s3, resources.quarantineBucket));
        },
        () => `wrote ${files.map((f) => f.split('/').at(-1)).join(', ')} to ${dir}`,
      );
    }

    return {
      resources,
      endpoints,
      pump: pump.stats,
      aggregation: aggregate.tally,
      fleetDays,
      emfDocuments: metrics.documents,
      alarms,
      files,
      timings: [...timings],
    };
  } finally {
    kinesis.destroy();
    dynamodb.destroy();
    s3.destroy();
  }
}

/** Tenants with KPI rows: the configured ones, plus the fleet. */
function exportTenants(config: PipelineConfig): string[] {
  return [FLEET_TENANT, ...config.tenants.map((t) => t.id)];
}

/** Writes kpis.csv: every tenant and the fleet, at every granularity, in the export format. */
export async function writeKpisCsv(
  dir: string,
  reader: DynamoDbKpiReader,
  config: PipelineConfig,
  fromMs: number,
  toMs: number,
): Promise<string> {
  const rows: ExportRow[] = [];
  for (const tenant of exportTenants(config)) {
    for (const granularity of GRANULARITIES) {
      rows.push(...(await readExportRows(reader, { tenant, granularity, fromMs, toMs })));
    }
  }
  const path = join(dir, 'kpis.csv');
  writeFileSync(path, toCsv(rows, { header: true }));
  return path;
}

/** Writes rejected.ndjson from the quarantine bucket: one line per quarantined record. */
export async function writeRejected(dir: string, s3: S3Client, bucket: string): Promise<string> {
  const lines: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const obj of page.Contents ?? []) {
      if (obj.Key === undefined) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key }));
      const record = JSON.parse((await body.Body?.transformToString()) ?? '{}') as QuarantinedRecord;
      lines.push(JSON.stringify({ key: obj.Key, ...record }));
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const path = join(dir, 'rejected.ndjson');
  writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return path;
}
