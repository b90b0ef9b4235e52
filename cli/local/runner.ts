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

import { randomBytes } from 'node:crypto';
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
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import type {
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
  LambdaFunctionURLEvent,
} from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { SesEmailChannel } from '../../lambdas/adapters/channels/email-ses';
import { SnsSmsChannel } from '../../lambdas/adapters/channels/sms-sns';
import { FallbackPager } from '../../lambdas/adapters/channels/with-fallback';
import { DynamoDbHealthStore } from '../../lambdas/adapters/health-store-dynamodb';
import { DynamoDbAckNonceStore, DynamoDbIncidentStore } from '../../lambdas/adapters/incident-store-dynamodb';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore, KPI_TABLE_SCHEMA } from '../../lambdas/adapters/kpi-store-dynamodb';
import { EmfKpiMetrics } from '../../lambdas/adapters/metrics-emf';
import { type QuarantinedRecord, S3Quarantine } from '../../lambdas/adapters/quarantine-s3';
import { SesReportMailer } from '../../lambdas/adapters/report-mailer-ses';
import { StaticSecretLookup } from '../../lambdas/adapters/secret-lookup';
import { AggregateBatch, FLEET_TENANT } from '../../lambdas/core/aggregation';
import {
  type AlarmDefinitions,
  type AlarmStateTransition,
  alarmStateChangeEvent,
  alarmsFromTemplate,
  evaluateAlarms,
  parseEmfLines,
} from '../../lambdas/core/alarm-evaluator';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import {
  type PipelineConfig,
  perTenantAlarmTenants,
  REPORT_KINDS,
  type ReportKind,
} from '../../lambdas/core/config/schema';
import type { LadderInput, LadderStarter, LadderStep } from '../../lambdas/core/escalation/ladder';
import { analyzeConfiguredExperiments, type ExperimentResult } from '../../lambdas/core/experiments';
import { type ExportRow, toCsv } from '../../lambdas/core/export';
import type { Incident } from '../../lambdas/core/incidents/types';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import { tenantAlarmDefinitions } from '../../lambdas/core/tenant-alarms';
import { GRANULARITIES } from '../../lambdas/core/time/buckets';
import { createAckHandler } from '../../lambdas/handlers/ack/handler';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { createAlarmRouterHandler } from '../../lambdas/handlers/alarm-router/handler';
import type { EscalationLog } from '../../lambdas/handlers/escalation-log';
import { createNotifierHandler, type NotifierInput } from '../../lambdas/handlers/notifier/handler';
import { createReportHandler } from '../../lambdas/handlers/report/handler';
import { kinesisPut, type OutgoingRecord, oversizeReason, sendRecords } from '../commands/send';
import {
  resourcesOfType,
  type SynthesizedTemplates,
  synthesizeTemplatesInChild,
  tableLogicalIdFromEnvironment,
  withLocalReferences,
} from '../commands/synth';
import { DEFAULT_CHART_FONTS, renderReportToFile } from '../report-preview';
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
import './promise-with-resolvers';

type JSONValue = Awaited<ReturnType<StateMachine['run']>['result']>;

/** A record to replay: what a producer sends, and when. {@link SimulatedRecord}s are ones. */
export interface ReplayRecord {
  /** The Kinesis partition key. */
  readonly partitionKey: string;
  /** The record body: text, or the exact bytes of a file line. */
  readonly data: string | Uint8Array;
  /** When the producer sends it (epoch ms); orders the records and drives the simulated clock. */
  readonly sentAtMs: number;
}

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
  /** Records refused before the stream: over the Kinesis 1 MiB record limit. */
  tooLarge: number;
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
    tooLarge: 0,
    undelivered: 0,
    read: 0,
    invocations: 0,
    retriedRecords: 0,
    droppedRecords: 0,
  };
  private readonly iterators = new Map<string, string | undefined>();
  /** The last sequence number read per shard, to resume after an iterator expired. */
  private readonly lastSequence = new Map<string, string>();

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
  async put(records: readonly ReplayRecord[]): Promise<void> {
    const outgoing: OutgoingRecord[] = records.map((r) => ({
      partitionKey: r.partitionKey,
      data: typeof r.data === 'string' ? Buffer.from(r.data, 'utf8') : r.data,
    }));
    // Kinesis refuses records over 1 MiB: they never reach the aggregator, so they are counted here.
    const sendable = outgoing.filter((r) => oversizeReason(r) === undefined);
    this.stats.tooLarge += outgoing.length - sendable.length;
    const result = await sendRecords(sendable, kinesisPut(this.client, this.stream.name), { baseDelayMs: 20 });
    this.stats.put += result.delivered;
    this.stats.undelivered += result.undelivered.length;
  }

  /** Reads every shard to its end, invoking the aggregator with the simulated clock at `nowMs`. */
  async drain(nowMs: number): Promise<void> {
    // One shard after the other: every shard's batch also writes the fleet items, and concurrent
    // writers of the same items only meet in conflicts and backoff (measured: 2.5x slower locally).
    for (const shardId of this.iterators.keys()) await this.drainShard(shardId, nowMs);
  }

  private getRecords(iterator: string) {
    return this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }));
  }

  private async iteratorAfter(shardId: string): Promise<string> {
    const last = this.lastSequence.get(shardId);
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamName: this.stream.name,
        ShardId: shardId,
        ...(last === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }),
      }),
    );
    if (out.ShardIterator === undefined) throw new Error(`no iterator for shard ${shardId}`);
    return out.ShardIterator;
  }

  private async drainShard(shardId: string, nowMs: number): Promise<void> {
    for (;;) {
      const iterator = this.iterators.get(shardId);
      if (iterator === undefined) return;
      let out: Awaited<ReturnType<typeof this.getRecords>>;
      try {
        out = await this.getRecords(iterator);
      } catch (err) {
        // Iterators expire after 5 minutes unused (the stages after ingestion can take longer
        // before live mode starts): resume after the last record read, as the event source mapping does.
        if (!(err instanceof Error) || err.name !== 'ExpiredIteratorException') throw err;
        out = await this.getRecords(await this.iteratorAfter(shardId));
      }
      this.iterators.set(shardId, out.NextShardIterator);
      const records = out.Records ?? [];
      if (records.length === 0) return;
      this.stats.read += records.length;
      const last = records.at(-1)?.SequenceNumber;
      if (last !== undefined) this.lastSequence.set(shardId, last);
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

/** How long after the range ladders keep running, so late incidents can climb and resolve. */
const ESCALATION_TAIL_MS = 60 * 60_000;

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
  /** Alarms evaluated by the pipeline rather than CloudWatch (per-tenant rules). @default none */
  pipelineAlarms?: AlarmDefinitions,
): LocalAlarmResult {
  const parts = [
    ...Object.values(templates).map((t) => alarmsFromTemplate(withLocalReferences(t))),
    ...(pipelineAlarms === undefined ? [] : [pipelineAlarms]),
  ];
  const definitions: AlarmDefinitions = {
    metricAlarms: parts.flatMap((p) => p.metricAlarms),
    composites: parts.flatMap((p) => p.composites),
    anomalyDetectors: parts.flatMap((p) => p.anomalyDetectors),
  };
  // Metrics before the range are history (sampled, denser minutes): no alarm looks back at them.
  const data = parseEmfLines(emfDocuments).filter((d) => d.timestampMs >= fromMs);
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
  readonly records: readonly ReplayRecord[];
  /** Start of the range the run covers (UTC midnight), for exports and reports. */
  readonly rangeStartMs: number;
  /** End of the range (exclusive). */
  readonly rangeEndMs: number;
  /**
   * Where the alarms start being evaluated (and the summary's days start): the records before it
   * are history for the reports' previous periods, not monitored live. @default rangeStartMs
   */
  readonly monitoredFromMs?: number;
  /**
   * Processing time for every batch. Unset: each chunk is processed at its last send time, as if
   * live (the simulation); set: a fixed instant (given events, "now" relative to their timestamps).
   */
  readonly fixedNowMs?: number;
  /** Write kpis.csv, rejected.ndjson, incidents.json and the reports here. */
  readonly exportDir?: string;
  /**
   * Keep the stream's reader and the aggregator after the run, for {@link LocalRun.follow}.
   * @default false
   */
  readonly keepConsuming?: boolean;
  readonly observer?: RunObserver;
  /** Which incidents level 2 acknowledges. @default all */
  readonly acknowledge?: (incident: Incident) => boolean;
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
  /** Incidents and ladders. */
  readonly escalation: EscalationResult;
  /** The scheduled reports of the morning after. */
  readonly reports: readonly LocalReport[];
  /** Files written to the export directory. */
  readonly files: readonly string[];
  /** Milliseconds per stage, in order. */
  readonly timings: ReadonlyArray<{ readonly stage: string; readonly ms: number }>;
  /** Results of the configured experiments over the run's range. */
  readonly experiments?: readonly ExperimentResult[];
}

/** A finished run whose stand-ins are still up (for `--keep-running`); call `stop()` when done. */
export interface LocalRun {
  readonly result: LocalRunResult;
  /**
   * Keeps aggregating what arrives on the stream after the run (`kpi send --local`), judged
   * against `now`, polling every `intervalMs`, until `stop()`. Needs `keepConsuming`.
   */
  follow(now: () => number, intervalMs?: number): void;
  stop(): Promise<void>;
}

/** What a run leaves open for {@link LocalRun.follow}: one drain of the stream, and its clients. */
interface LiveIngest {
  drain?: (nowMs: number) => Promise<void>;
  readonly closers: Array<() => void>;
}

/**
 * Polls the stream until stopped; each round drains every shard at the current time. Errors of
 * one round (a stand-in restarting) are retried at the next.
 */
class StreamFollower {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly drain: (nowMs: number) => Promise<void>,
    private readonly now: () => number,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.drain(this.now())
        .catch(() => {})
        .finally(() => this.schedule());
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.round;
  }
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
  const live: LiveIngest = { closers: [] };
  const closeLive = () => {
    for (const close of live.closers.splice(0)) close();
  };
  try {
    const result = await runStages(options, standIns, synthesis, observer, timed, timings, live);
    let follower: StreamFollower | undefined;
    return {
      result,
      follow: (now, intervalMs = 1_000) => {
        if (live.drain === undefined) throw new Error('follow() needs a run started with keepConsuming');
        follower ??= new StreamFollower(live.drain, now, intervalMs);
        follower.start();
      },
      stop: async () => {
        await follower?.stop();
        closeLive();
        await standIns.stop();
      },
    };
  } catch (err) {
    closeLive();
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
  live: LiveIngest,
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
      experiments: config.experiments,
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
    live.drain = async (nowMs) => {
      clock.nowMs = nowMs;
      await pump.drain(nowMs);
    };
    await timed(
      'ingest',
      options.records.length,
      async () => {
        await pump.open();
        const chunkMs = options.chunkMs ?? 15 * 60_000;
        let i = 0;
        while (i < options.records.length) {
          const chunkEnd = (options.records[i] as ReplayRecord).sentAtMs + chunkMs;
          let j = i;
          while (j < options.records.length && (options.records[j] as ReplayRecord).sentAtMs < chunkEnd) j++;
          const chunk = options.records.slice(i, j);
          await pump.put(chunk);
          clock.nowMs = options.fixedNowMs ?? (chunk.at(-1) as ReplayRecord).sentAtMs;
          await pump.drain(clock.nowMs);
          observer.progress(pump.stats.read);
          i = j;
        }
      },
      () => {
        // Refused by Kinesis before the aggregator: counted with the contract's reason all the same.
        if (pump.stats.tooLarge > 0) {
          aggregate.tally.rejected += pump.stats.tooLarge;
          aggregate.tally.rejectedByReason.too_large =
            (aggregate.tally.rejectedByReason.too_large ?? 0) + pump.stats.tooLarge;
        }
        return (
          `${pump.stats.read} records through ${pump.stats.invocations} aggregator invocations: ` +
          `${aggregate.tally.accepted} accepted, ${aggregate.tally.rejected} rejected`
        );
      },
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
      async () =>
        evaluateLocalAlarms(
          templates,
          metrics.documents,
          options.monitoredFromMs ?? options.rangeStartMs,
          options.rangeEndMs,
          // Per-tenant rules are not CloudWatch alarms: the deployed pipeline evaluates them (docs/scale.md).
          tenantAlarmDefinitions(config, catalog, perTenantAlarmTenants(config)),
        ),
      (a) =>
        `${a.alarmsEvaluated} alarms evaluated minute by minute over ${a.datapoints} datapoints: ` +
        `${a.transitions.filter((t) => t.toState === 'ALARM').length} went to ALARM`,
    );

    const escalation = await timed(
      'escalation',
      undefined,
      () =>
        runEscalation({
          config,
          templates,
          transitions: alarms.transitions,
          dynamodb,
          incidentTable: resources.incidentTable,
          sesEndpoint: endpoints.ses,
          snsEndpoint: endpoints.s3,
          endMs: options.rangeEndMs + ESCALATION_TAIL_MS,
          ...(options.acknowledge === undefined ? {} : { acknowledge: options.acknowledge }),
        }),
      (e) =>
        `${e.routed} state changes routed, ${e.incidents.length} incidents, ${e.ladders} ladders run ` +
        `(${e.stopped} still climbing at the end), ${e.mails} mails in the local SES`,
    );

    // Export first (the KPI table then holds only KPIs), then the reports write health scores.
    const reportsOf = async (exportDir: string | undefined) =>
      timed(
        'reports',
        undefined,
        () =>
          runReports({
            config,
            catalog,
            dynamodb,
            resources,
            sesEndpoint: endpoints.ses,
            lastDayMs: options.rangeEndMs - 86_400_000,
            ...(exportDir === undefined ? {} : { exportDir }),
          }),
        (r) =>
          `${r.filter((x) => x.outcome === 'sent').length} scheduled reports mailed to the local SES` +
          (exportDir === undefined ? '' : ` and rendered to ${exportDir}`),
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
      // The monitored days, and the day before them when there is history to compare with.
      fromMs: Math.max(options.rangeStartMs, (options.monitoredFromMs ?? options.rangeStartMs) - 86_400_000),
      toMs: options.rangeEndMs,
    });

    const experimentStore = new DynamoDbKpiStore({ client: dynamodb, tableName: resources.kpiTable, catalog });
    const experiments = await analyzeConfiguredExperiments(
      experimentStore,
      catalog,
      config.experiments,
      options.rangeStartMs,
      options.rangeEndMs,
      options.fixedNowMs ?? options.rangeEndMs,
    );

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
          // The aggregator's EMF output, one document a line: `kpi backtest --metrics` replays it.
          const metricsPath = join(dir, 'metrics.ndjson');
          writeFileSync(metricsPath, metrics.documents.length === 0 ? '' : `${metrics.documents.join('\n')}\n`);
          files.push(metricsPath);
          const incidentsPath = join(dir, 'incidents.json');
          writeFileSync(incidentsPath, `${JSON.stringify(escalation.incidents, null, 2)}\n`);
          files.push(incidentsPath);
        },
        () => `wrote ${files.map((f) => f.split('/').at(-1)).join(', ')} to ${dir}`,
      );
    }
    const reports = await reportsOf(options.exportDir);
    for (const r of reports) if (r.file !== undefined) files.push(r.file);

    return {
      resources,
      endpoints,
      pump: pump.stats,
      aggregation: aggregate.tally,
      fleetDays,
      emfDocuments: metrics.documents,
      alarms,
      escalation,
      reports,
      files,
      timings: [...timings],
      experiments,
    };
  } finally {
    const close = () => {
      kinesis.destroy();
      dynamodb.destroy();
      s3.destroy();
    };
    // A live run keeps the aggregator's clients for what arrives later; they close on stop().
    if (options.keepConsuming === true && live.drain !== undefined) live.closers.push(close);
    else close();
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

/**
 * Simulated time for the escalation stage: alarm events, acknowledgements and ladder waits are
 * processed in time order, each ladder running as its own task. A ladder's Wait state parks its
 * task until the clock reaches the wake-up instant; the clock only moves when every task is
 * parked, so a ladder sees every event that happened before its next check, as in AWS.
 */
export class SimulatedTimeline {
  /** The simulated instant, epoch ms. */
  nowMs: number;
  private readonly events: Array<{ atMs: number; seq: number; run: () => Promise<void> }> = [];
  private readonly sleepers: Array<{ atMs: number; seq: number; wake: () => void }> = [];
  private active = 0;
  private seq = 0;
  private idleWaiters: Array<() => void> = [];
  private failure: unknown;

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  /** Runs `fn` at `atMs` (events at the same instant run in scheduling order, before wake-ups). */
  schedule(atMs: number, run: () => Promise<void>): void {
    this.events.push({ atMs, seq: this.seq++, run });
  }

  /** Starts a task that may park itself with {@link sleepUntil}. */
  spawn(task: () => Promise<unknown>): void {
    this.active++;
    void task()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.settle());
  }

  /** Parks the calling task until the clock reaches `atMs`. */
  sleepUntil(atMs: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ atMs: Math.max(atMs, this.nowMs), seq: this.seq++, wake });
      this.settle();
    });
  }

  /** Processes everything due up to `endMs`; returns how many tasks are still parked after it. */
  async runUntil(endMs: number): Promise<number> {
    for (;;) {
      await this.idle();
      if (this.failure !== undefined) throw this.failure;
      this.events.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      this.sleepers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const event = this.events[0];
      const sleeper = this.sleepers[0];
      if (event !== undefined && event.atMs <= endMs && (sleeper === undefined || event.atMs <= sleeper.atMs)) {
        this.events.shift();
        this.nowMs = Math.max(this.nowMs, event.atMs);
        this.active++;
        try {
          await event.run();
        } finally {
          this.settle();
        }
      } else if (sleeper !== undefined && sleeper.atMs <= endMs) {
        this.sleepers.shift();
        this.nowMs = Math.max(this.nowMs, sleeper.atMs);
        this.active++;
        sleeper.wake();
      } else {
        return this.sleepers.length;
      }
    }
  }

  private settle(): void {
    this.active--;
    if (this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }
}

/** Resolves the intrinsic functions of a state machine's `DefinitionString` to local values. */
function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if ('Fn::GetAtt' in v) {
      const [logicalId] = v['Fn::GetAtt'] as [string, string];
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
    }
    if ('Ref' in v) {
      const ref = v.Ref as string;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      return ref;
    }
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolveIntrinsic).join(sep);
    }
  }
  throw new Error(`Unexpected intrinsic function in the state machine definition: ${JSON.stringify(value)}`);
}

/**
 * The escalation ladder's state machine definition from the synthesized templates, with its
 * CloudFormation intrinsics resolved as `cdk deploy` would hand it to Step Functions.
 */
export function ladderDefinition(templates: SynthesizedTemplates): StateMachineDefinition {
  const machines = resourcesOfType(templates, 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`Expected one state machine in the app, found ${machines.length}`);
  return JSON.parse(resolveIntrinsic(machines[0]?.properties.DefinitionString)) as StateMachineDefinition;
}

/** One mail the local SES stored. */
export interface StoredMail {
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly text?: string; readonly html?: string };
}

/** Reads the mails the local SES stand-in received. */
export async function localMails(sesEndpoint: string): Promise<StoredMail[]> {
  const res = await fetch(`${sesEndpoint}/store`);
  return ((await res.json()) as { emails: StoredMail[] }).emails;
}

/** An acknowledgement as the function URL receives it: a POST of the confirmation form. */
function ackFormEvent(token: string): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    isBase64Encoded: true,
    body: Buffer.from(`t=${encodeURIComponent(token)}`).toString('base64'),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: 'ack.local',
      domainPrefix: 'ack',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'kpi-local' },
      requestId: token.slice(0, 16),
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/** Options of {@link runEscalation}. */
export interface EscalationOptions {
  readonly config: PipelineConfig;
  readonly templates: SynthesizedTemplates;
  readonly transitions: readonly AlarmStateTransition[];
  readonly dynamodb: DynamoDBClient;
  readonly incidentTable: string;
  readonly sesEndpoint: string;
  readonly snsEndpoint: string;
  /** Escalation runs until here (epoch ms); ladders still climbing then are stopped. */
  readonly endMs: number;
  /** The demo's on-call behaviour: nobody answers level 1; level 2 acknowledges after this long. */
  readonly ackDelayMs?: number;
  /** Only acknowledge at level 2 when this holds (the demo acknowledges the incidents it injected). */
  readonly acknowledge?: (incident: Incident) => boolean;
}

/** What the escalation stage did. */
export interface EscalationResult {
  readonly incidents: readonly Incident[];
  readonly routed: number;
  readonly ladders: number;
  /** Ladders still running at the end of the range, stopped by the run. */
  readonly stopped: number;
  readonly mails: number;
}

/**
 * Longest ladder wait between checks, in simulated seconds. AWS polls every 60 s; locally every
 * check is real work against DynamoDB Local, and a day of incidents is 5x faster at 300 s. Level
 * windows are unchanged (a wait never passes a window's end); only the resolution notice can come
 * up to 5 simulated minutes after the alarm returns to OK.
 */
export const LOCAL_POLL_SECONDS = 300;

/** Where acknowledgement links point locally; the runner reads them back from the mails. */
const LOCAL_ACK_URL = 'http://127.0.0.1/ack';

/**
 * Routes the alarm state changes through the real alarm router, runs each ladder's synthesized
 * state machine in aws-local-stepfunctions with the real notifier (paging through the local SES
 * and SNS), and acknowledges at level 2 through the real acknowledgement handler, with the
 * signed token taken from the page e-mail.
 */
export async function runEscalation(o: EscalationOptions): Promise<EscalationResult> {
  const { config } = o;
  const timeline = new SimulatedTimeline(o.transitions[0]?.atMs ?? o.endMs);
  const now = () => timeline.nowMs;
  const store = new DynamoDbIncidentStore(o.dynamodb, { tableName: o.incidentTable });
  const ses = new SESClient(localClientConfig(o.sesEndpoint));
  const sns = new SNSClient(localClientConfig(o.snsEndpoint));
  const phones: Record<string, string> = {};
  let n = 0;
  for (const c of Object.values(config.escalation.contacts)) {
    if (c.phoneParameter !== undefined) phones[c.phoneParameter] = `+1555555${String(100 + n++).padStart(4, '0')}`;
  }
  const pager = new FallbackPager(
    [new SnsSmsChannel(sns, new StaticSecretLookup(phones)), new SesEmailChannel(ses, config.escalation.senderEmail)],
    { attempts: 2, backoffMs: () => 0 },
  );
  const ackKey = randomBytes(32).toString('hex');
  const log: EscalationLog = { info: () => {}, warn: () => {} };
  const notifier = createNotifierHandler({
    config,
    store,
    pager,
    ackUrl: LOCAL_ACK_URL,
    ackKey: async () => ackKey,
    now,
    newNonce: () => randomBytes(12).toString('base64url'),
    pollSeconds: LOCAL_POLL_SECONDS,
    log,
  });
  const ack = createAckHandler({
    store,
    nonces: new DynamoDbAckNonceStore(o.dynamodb, o.incidentTable),
    ackKey: async () => ackKey,
    now,
    log,
  });
  const definition = ladderDefinition(o.templates);
  const machine = new StateMachine(definition);
  const states = Object.entries(definition.States as Record<string, { Type?: string }>);
  const taskStates = states.filter(([, st]) => st.Type === 'Task').map(([name]) => name);
  const waitStates = states.filter(([, st]) => st.Type === 'Wait').map(([name]) => name);
  const executions: Array<{ abort: () => void }> = [];
  const started = new Set<string>();
  const ackDelayMs = o.ackDelayMs ?? 3 * 60_000;

  const acknowledgeFromMail = async (incidentId: string, level: number): Promise<void> => {
    const incident = await store.get(incidentId);
    if (incident === undefined || incident.state !== 'open' || !(o.acknowledge?.(incident) ?? true)) return;
    const contacts = new Set(
      (config.escalation.ladders[incident.ladder][level - 1]?.contacts ?? [])
        .map((id) => config.escalation.contacts[id]?.email)
        .filter((e): e is string => e !== undefined),
    );
    const mail = (await localMails(o.sesEndpoint))
      .filter((m) => m.subject.includes(incidentId) && m.destination.to.some((t) => contacts.has(t)))
      .at(-1);
    const token = /[?&]t=([^\s&]+)/.exec(mail?.body.text ?? '')?.[1];
    if (token === undefined) return;
    timeline.schedule(now() + ackDelayMs, async () => {
      await ack(ackFormEvent(decodeURIComponent(token)));
    });
  };

  const ladder: LadderStarter = {
    start: async (incidentId, run) => {
      const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:ladder:${run.name}`;
      if (started.has(run.name)) return arn;
      started.add(run.name);
      let last: LadderStep | undefined;
      const call = async (input: NotifierInput): Promise<JSONValue> => {
        last = await notifier(input);
        return JSON.parse(JSON.stringify(last)) as JSONValue;
      };
      timeline.spawn(async () => {
        const execution = machine.run({ incidentId, level: 1, severity: run.severity } satisfies LadderInput, {
          overrides: {
            // Every task of the ladder is the notifier; its input's action says which step it is.
            taskResourceLocalHandlers: Object.fromEntries(
              taskStates.map((name) => [
                name,
                async (raw: JSONValue) => {
                  const input = raw as unknown as NotifierInput;
                  if (input.action === 'check') {
                    // The Wait state before a check waited the previous step's waitSeconds.
                    await timeline.sleepUntil(now() + (last?.waitSeconds ?? 0) * 1000);
                  }
                  const out = await call(input);
                  if (input.action === 'page' && input.level === 2) await acknowledgeFromMail(incidentId, 2);
                  return out;
                },
              ]),
            ),
            waitTimeOverrides: Object.fromEntries(waitStates.map((name) => [name, 0])),
          },
        });
        executions.push(execution);
        await execution.result.catch(() => {});
      });
      return arn;
    },
  };
  const router = createAlarmRouterHandler({ config, store, ladder, log });
  let routed = 0;
  o.transitions.forEach((t, i) => {
    const event = alarmStateChangeEvent(t, { account: LOCAL_ACCOUNT, region: LOCAL_REGION, eventId: `local-${i}` });
    timeline.schedule(t.atMs, async () => {
      routed++;
      await router(event);
    });
  });
  try {
    const stillRunning = await timeline.runUntil(o.endMs);
    for (const e of executions) e.abort();
    const firstMs = o.transitions[0]?.atMs ?? o.endMs;
    const incidents = await store.listBetween(firstMs - 86_400_000, o.endMs + 1);
    return {
      incidents,
      routed,
      ladders: started.size,
      stopped: stillRunning,
      mails: (await localMails(o.sesEndpoint)).length,
    };
  } finally {
    ses.destroy();
    sns.destroy();
  }
}

/** One scheduled report of the run. */
export interface LocalReport {
  readonly kind: ReportKind;
  /** The last UTC day it covers, `yyyy-mm-dd`. */
  readonly date: string;
  readonly recipients: readonly string[];
  readonly outcome: 'sent' | 'skipped';
  /** The rendered HTML, when an export directory was given. */
  readonly file?: string;
}

/**
 * Sends the scheduled reports due the morning after the range through the real report handler
 * (health scores into the KPI table, mail through the local SES), and renders each to HTML in
 * the export directory.
 */
export async function runReports(o: {
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
  readonly dynamodb: DynamoDBClient;
  readonly resources: ResourceNames;
  readonly sesEndpoint: string;
  /** The last day the reports cover (UTC midnight). */
  readonly lastDayMs: number;
  readonly exportDir?: string;
}): Promise<LocalReport[]> {
  const ses = new SESClient(localClientConfig(o.sesEndpoint));
  const source = new DynamoDbKpiReader({
    client: o.dynamodb,
    tableName: o.resources.kpiTable,
    catalog: o.catalog,
    consistentRead: true,
  });
  const incidents = new DynamoDbIncidentStore(o.dynamodb, { tableName: o.resources.incidentTable });
  const health = new DynamoDbHealthStore(o.dynamodb, { tableName: o.resources.kpiTable });
  const date = new Date(o.lastDayMs).toISOString().slice(0, 10);
  const handler = createReportHandler({
    config: o.config,
    catalog: o.catalog,
    source,
    incidents,
    health,
    mailer: new SesReportMailer(ses),
    fonts: DEFAULT_CHART_FONTS,
    // The schedules fire the morning after the simulated day.
    now: () => o.lastDayMs + 86_400_000 + 8 * 3_600_000,
  });
  const out: LocalReport[] = [];
  try {
    for (const kind of REPORT_KINDS) {
      if (!o.config.reports.schedules[kind].enabled) continue;
      const period = kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day';
      const result = await handler({ kind, period, date });
      let file: string | undefined;
      if (o.exportDir !== undefined) {
        file = join(o.exportDir, `report-${kind}-${date}.html`);
        await renderReportToFile(kind, o.lastDayMs, source, incidents, o.config, file, { health });
      }
      out.push({
        kind,
        date,
        recipients: result.recipients,
        outcome: result.outcome,
        ...(file === undefined ? {} : { file }),
      });
    }
    return out;
  } finally {
    ses.destroy();
  }
}
