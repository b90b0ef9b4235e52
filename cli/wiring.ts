/**
 * Composition root of the CLI: picks SDK clients (AWS with a region/profile, or the local
 * stand-ins' endpoints) and the names of the pipeline's resources. Handlers and the core never
 * see which target they run against; only this file knows.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { PipelineConfig } from '../lambdas/core/config/schema';
import { parseRfc3339 } from '../lambdas/core/events/rfc3339';
import { LocalTargetUnavailableError, StaleLocalStateError, UsageError } from './errors';

/**
 * Parses a command-line instant: a UTC date (`2026-11-22`, midnight) or an RFC 3339 timestamp.
 * @throws UsageError naming the option and an example
 */
export function parseInstant(text: string, option: string): number {
  // Strict and calendar-checked: `Date.parse` turns 2026-02-30 into 2026-03-02 without a word.
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = parseRfc3339(dateOnly ? `${text}T00:00:00Z` : text);
  if (ms === undefined) {
    throw new UsageError(
      `${option} "${text}" is not a calendar date or an RFC 3339 timestamp with zone; ` +
        'use e.g. 2026-11-22 or 2026-11-22T08:00:00Z.',
    );
  }
  return ms;
}

/** The names of the deployed (or locally created) resources a command talks to. */
export interface ResourceNames {
  /** Kinesis stream of raw events. */
  readonly stream: string;
  /** DynamoDB table of KPI aggregates. */
  readonly kpiTable: string;
  /** DynamoDB table of incidents. */
  readonly incidentTable: string;
  /** S3 bucket (or local directory) of quarantined records. */
  readonly quarantineBucket: string;
}

/**
 * Default resource names for a deployment: the CDK app names them `<name>-...`, so a user who
 * deployed with the default config never has to pass them.
 */
export function defaultResourceNames(config: Pick<PipelineConfig, 'name'>): ResourceNames {
  return {
    stream: `${config.name}-events`,
    kpiTable: `${config.name}-kpis`,
    incidentTable: `${config.name}-incidents`,
    quarantineBucket: `${config.name}-quarantine`,
  };
}

/** Endpoints of the local stand-ins of a running `kpi local --keep-running`. */
export interface LocalEndpoints {
  readonly kinesis: string;
  readonly dynamodb: string;
  readonly ses?: string;
  readonly sns?: string;
}

/** What `kpi local --keep-running` writes so other commands can find the local pipeline. */
export interface LocalState {
  readonly version: 1;
  readonly region: string;
  readonly endpoints: LocalEndpoints;
  readonly resources: ResourceNames;
  /** Process id of the local run, to tell a stale file from a live one. */
  readonly pid: number;
  /** Where the run wrote its exports and reports, if anywhere. */
  readonly exportDir?: string;
  /** Secret that signs acknowledgement tokens in this local run. */
  readonly ackSigningKey?: string;
}

/** Default location of the local state file (in the working directory, next to the checkout). */
export const DEFAULT_STATE_FILE = '.kpi-local.json';

/** Region the local stand-ins pretend to be in. */
export const LOCAL_REGION = 'us-east-1';

/** Account id the local ARNs use. */
export const LOCAL_ACCOUNT = '000000000000';

/** Static credentials for the local stand-ins (they accept any). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The options every target-aware command accepts. */
export interface TargetOptions {
  /** Use the running local stand-ins. */
  readonly local?: boolean;
  readonly region?: string;
  readonly profile?: string;
  /** Local state file. @default {@link DEFAULT_STATE_FILE} */
  readonly stateFile?: string;
  readonly kinesisEndpoint?: string;
  readonly dynamodbEndpoint?: string;
  /** Resource name overrides. */
  readonly stream?: string;
  readonly kpiTable?: string;
  readonly incidentTable?: string;
}

/** SDK client settings for one target; spread into any v3 client's constructor. */
export interface ClientSettings {
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** A resolved target: clients and resource names. */
export interface Target {
  readonly kind: 'aws' | 'local';
  readonly resources: ResourceNames;
  readonly state?: LocalState;
  kinesis(): KinesisClient;
  dynamodb(): DynamoDBClient;
}

/** Client settings for a local stand-in at `endpoint`. */
export function localClientSettings(endpoint: string): ClientSettings {
  return { region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS };
}

/**
 * A Kinesis client. Always HTTP/1.1: the local emulators cannot speak the HTTP/2 the v3 client
 * picks by default, and HTTP/1.1 is as fast for PutRecords/GetRecords against AWS.
 */
export function kinesisClient(settings: ClientSettings): KinesisClient {
  return new KinesisClient({ ...settings, requestHandler: new NodeHttpHandler(), maxAttempts: 3 });
}

/** A DynamoDB client. */
export function dynamoDbClient(settings: ClientSettings): DynamoDBClient {
  return new DynamoDBClient({ ...settings, maxAttempts: 5 });
}

/** Reads the local state file, or `undefined` when there is none. */
export function readLocalState(path: string = DEFAULT_STATE_FILE): LocalState | undefined {
  const absolute = resolve(path);
  if (!existsSync(absolute)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(absolute, 'utf8'));
  } catch {
    throw new UsageError(`The local state file ${absolute} is not valid JSON; delete it and restart \`kpi local\`.`);
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== 1) {
    throw new UsageError(`The local state file ${absolute} is not one \`kpi local\` wrote; delete it and restart.`);
  }
  return parsed as LocalState;
}

/** Whether process `pid` is alive (signal 0 checks without signalling; EPERM: alive, not ours). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes the local state file (mode 600: it holds the local signing key). */
export function writeLocalState(state: LocalState, path: string = DEFAULT_STATE_FILE): string {
  const absolute = resolve(path);
  writeFileSync(absolute, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return absolute;
}

/** Deletes the local state file if present. */
export function removeLocalState(path: string = DEFAULT_STATE_FILE): void {
  rmSync(resolve(path), { force: true });
}

/**
 * Resolves where a command runs: `--local` (state file or explicit endpoints) or AWS
 * (`--region`/`--profile`, else the SDK's usual environment and profile chain).
 * @throws UsageError when the options contradict each other
 * @throws LocalTargetUnavailableError when `--local` finds no running local pipeline
 */
export function resolveTarget(opts: TargetOptions, config: Pick<PipelineConfig, 'name'>): Target {
  const explicitEndpoints = opts.kinesisEndpoint !== undefined || opts.dynamodbEndpoint !== undefined;
  if ((opts.local === true || explicitEndpoints) && (opts.region !== undefined || opts.profile !== undefined)) {
    throw new UsageError('--local (or endpoints) and --region/--profile exclude each other: choose one target.');
  }
  const defaults = defaultResourceNames(config);
  const override = (base: ResourceNames): ResourceNames => ({
    stream: opts.stream ?? base.stream,
    kpiTable: opts.kpiTable ?? base.kpiTable,
    incidentTable: opts.incidentTable ?? base.incidentTable,
    quarantineBucket: base.quarantineBucket,
  });
  if (opts.local === true || explicitEndpoints) {
    // The SDK's notice about Node versions concerns AWS endpoints; locally it is noise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const stateFile = opts.stateFile ?? DEFAULT_STATE_FILE;
    const state = readLocalState(stateFile);
    const kinesisEndpoint = opts.kinesisEndpoint ?? state?.endpoints.kinesis;
    const dynamodbEndpoint = opts.dynamodbEndpoint ?? state?.endpoints.dynamodb;
    if (state === undefined && !explicitEndpoints) throw new LocalTargetUnavailableError(resolve(stateFile));
    if (state !== undefined && !explicitEndpoints && !processIsAlive(state.pid)) {
      throw new StaleLocalStateError(resolve(stateFile), state.pid);
    }
    const resources = override(state?.resources ?? defaults);
    return {
      kind: 'local',
      resources,
      ...(state === undefined ? {} : { state }),
      kinesis: () => {
        if (kinesisEndpoint === undefined) throw new UsageError('Pass --kinesis-endpoint (no Kinesis endpoint known).');
        return kinesisClient(localClientSettings(kinesisEndpoint));
      },
      dynamodb: () => {
        if (dynamodbEndpoint === undefined)
          throw new UsageError('Pass --dynamodb-endpoint (no DynamoDB endpoint known).');
        return dynamoDbClient(localClientSettings(dynamodbEndpoint));
      },
    };
  }
  const settings: ClientSettings = {
    ...(opts.region === undefined ? {} : { region: opts.region }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
  };
  return {
    kind: 'aws',
    resources: override(defaults),
    kinesis: () => kinesisClient(settings),
    dynamodb: () => dynamoDbClient(settings),
  };
}
