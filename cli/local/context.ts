/**
 * What a local run is given, what it returns, and the context its stages share (./stages.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { AlarmStateTransition } from '../../lambdas/core/alarm-evaluator';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import type { ExperimentResult } from '../../lambdas/core/experiments';
import type { ExportRow } from '../../lambdas/core/export';
import type { Incident } from '../../lambdas/core/incidents/types';
import type { EnvReader } from '../../lambdas/handlers/composition/env';
import type { SynthesizedTemplates } from '../synth';
import type { ResourceNames } from '../wiring';
import type { LocalAlarmResult } from './alarms';
import type { EscalationResult } from './escalation';
import type { DeliveredEvent } from './event-bus';
import type { AggregationTally, LocalAggregator } from './handlers';
import type { LocalReport } from './reports';
import type { LocalStream, PumpStats, ReplayRecord, StreamPump } from './stream-pump';
import type { LocalTenantAlarms } from './tenant-alarms';
import type { TenantAlarmScheduleOptions } from './tenant-schedule';

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
  /**
   * Which minutes the per-tenant alarm evaluator runs at (./tenant-schedule.ts). @default the
   * minute after each minute with data, and every 15 minutes while data is in a tenant's look-back
   */
  readonly tenantAlarmSchedule?: TenantAlarmScheduleOptions;
  /** Days before the records, oldest first, fed straight to the aggregator handler (history.ts). */
  readonly history?: Iterable<readonly ReplayRecord[]>;
  /**
   * Send the scheduled reports of the morning after (and render them to `exportDir`). A run that
   * only looks at aggregation or alerting saves their reads (with 200 tenants, about 10,000
   * Queries). @default true
   */
  readonly reports?: boolean;
  /**
   * Stops the run: the stand-ins are stopped at once, the stage in progress fails and the run
   * rejects with {@link RunAbortedError}. @default never
   */
  readonly signal?: AbortSignal;
}

/** The run was stopped through its abort signal. */
export class RunAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The local run was stopped.', options);
    this.name = 'RunAbortedError';
  }
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
  /** What the per-tenant alarm evaluator did (none when no tier has per-tenant alarms). */
  readonly tenantAlarms?: TenantAlarmsOutcome;
  /** Incidents and ladders. */
  readonly escalation: EscalationResult;
  /** The scheduled reports of the morning after (none when the run was told to skip them). */
  readonly reports: readonly LocalReport[];
  /** Files written to the export directory. */
  readonly files: readonly string[];
  /** Milliseconds per stage, in order. */
  readonly timings: ReadonlyArray<{ readonly stage: string; readonly ms: number }>;
  /** Results of the configured experiments over the run's range. */
  readonly experiments?: readonly ExperimentResult[];
}

/** The per-tenant alarm evaluator's run: the wired handler, its state changes and how often it ran. */
export interface TenantAlarmsOutcome {
  readonly evaluator: LocalTenantAlarms;
  /** The state-change events it put on the bus, with when they were delivered. */
  readonly events: readonly DeliveredEvent[];
  /** The same, as transitions. */
  readonly transitions: readonly AlarmStateTransition[];
  /** Evaluation minutes of the simulated schedule. */
  readonly minutes: number;
}

/** A finished run whose stand-ins are still up (for `--keep-running`); call `stop()` when done. */
export interface LocalRun {
  readonly result: LocalRunResult;
  /**
   * Keeps aggregating what arrives on the stream after the run (`kpi send --local`), judged
   * against `now`, and keeps the alarms and ladders running on it (./live-alerting.ts), until
   * `stop()`. Needs `keepConsuming`.
   */
  follow(now: () => number, options?: FollowOptions): void;
  stop(): Promise<void>;
}

/** Options of {@link LocalRun.follow}. */
export interface FollowOptions {
  /** How often the stream is polled. @default 1000 ms */
  readonly intervalMs?: number;
  /** Told of each incident the live router opens. */
  readonly onIncident?: (incidentId: string, alarmName: string, atMs: number) => void;
  /** Told of a round that failed (it is retried at the next). @default ignored */
  readonly onError?: (err: unknown) => void;
}

/** What a run leaves open for {@link LocalRun.follow}: one drain of the stream, and its clients. */
export interface LiveIngest {
  drain?: (nowMs: number) => Promise<void>;
  readonly closers: Array<() => void>;
}

/** The run's clients of the stand-ins. */
export interface RunClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

/**
 * The state of one local run, shared by its stages: what was given and created up front, then
 * what each stage produced, set when it ends (read with {@link produced}).
 */
export interface RunContext {
  readonly options: LocalRunOptions;
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
  readonly observer: RunObserver;
  readonly endpoints: LocalEndpointsInUse;
  readonly resources: ResourceNames;
  /** The environment the CDK app would give the functions, for the local resources. */
  readonly env: EnvReader;
  readonly clients: RunClients;
  /** The CDK app's templates, synthesized in a child process while the first stages run. */
  readonly synthesis: Promise<SynthesizedTemplates>;
  /** The run's clock: the aggregator's processing time, epoch ms. */
  readonly clock: { nowMs: number };
  readonly live: LiveIngest;
  /** Files written so far. */
  readonly files: string[];
  /** Milliseconds per stage, in order. */
  readonly timings: Array<{ readonly stage: string; readonly ms: number }>;
  stream?: LocalStream;
  aggregator?: LocalAggregator;
  /** The aggregator's handler: history and the stream pump invoke the same instance. */
  aggregatorHandler?: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;
  pump?: StreamPump;
  templates?: SynthesizedTemplates;
  alarms?: LocalAlarmResult;
  tenantAlarms?: TenantAlarmsOutcome;
  escalation?: EscalationResult;
  fleetDays?: readonly ExportRow[];
  reports?: readonly LocalReport[];
  experiments?: readonly ExperimentResult[];
}

/** A stage read what an earlier stage did not produce: the stage list is out of order. */
export class StageOrderError extends Error {
  constructor(what: string) {
    super(`The local run's ${what} is not there yet: a stage runs before the one that produces it.`);
    this.name = 'StageOrderError';
  }
}

/**
 * What an earlier stage put into the context.
 * @throws StageOrderError when it has not
 */
export function produced<K extends keyof RunContext>(ctx: RunContext, key: K): NonNullable<RunContext[K]> {
  const value = ctx[key];
  if (value === undefined || value === null) throw new StageOrderError(String(key));
  return value;
}
