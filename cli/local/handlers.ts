/**
 * The handlers of a local run, wired by the same `build<Handler>Deps` functions as the Lambda
 * entry points. What differs is passed as named overrides, and only these: the SDK clients point
 * at the stand-ins (CloudWatch, which has none, accepts and drops), the clock is the run's, the
 * secrets without a stand-in are given, the phone numbers are made up (no phone network), logs
 * are silent, ladders run in process, the EMF documents are kept for the alarm evaluator, and the
 * per-tenant alarm evaluator's EventBridge client puts its events on the local bus (./event-bus.ts).
 * test/unit/wiring-parity.test.ts holds the list.
 */
import { randomBytes } from 'node:crypto';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESClient } from '@aws-sdk/client-ses';
import type { SNSClient } from '@aws-sdk/client-sns';
import { StaticSecretLookup } from '../../lambdas/adapters/secret-lookup';
import type { AggregateBatch, BatchReport } from '../../lambdas/core/aggregation';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import type { LadderStarter } from '../../lambdas/core/escalation/ladder';
import { buildAckDeps } from '../../lambdas/handlers/ack/deps';
import type { AckDeps } from '../../lambdas/handlers/ack/handler';
import { type AggregatorOverrides, buildAggregatorDeps } from '../../lambdas/handlers/aggregator/deps';
import type { AggregatorHandlerDeps } from '../../lambdas/handlers/aggregator/handler';
import { buildRouterDeps } from '../../lambdas/handlers/alarm-router/deps';
import type { AlarmRouterDeps } from '../../lambdas/handlers/alarm-router/handler';
import { ENV, type EnvName, type EnvReader } from '../../lambdas/handlers/composition/env';
import type { WiringOverrides } from '../../lambdas/handlers/composition/overrides';
import { buildNotifierDeps } from '../../lambdas/handlers/notifier/deps';
import type { NotifierDeps } from '../../lambdas/handlers/notifier/handler';
import { type BuiltReportDeps, buildReportDeps } from '../../lambdas/handlers/report/deps';
import { DEFAULT_CHART_FONTS } from '../report-preview';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, type ResourceNames } from '../wiring';

/**
 * Longest ladder wait between checks, in simulated seconds. AWS polls every 60 s; locally every
 * check is real work against DynamoDB Local, and a day of incidents is 5x faster at 300 s. Level
 * windows are unchanged (a wait never passes a window's end); only the resolution notice can come
 * up to 5 simulated minutes after the alarm returns to OK.
 */
export const LOCAL_POLL_SECONDS = 300;

/** Where acknowledgement links point locally; the runner reads them back from the mails. */
export const LOCAL_ACK_URL = 'http://127.0.0.1/ack';

/** The name the local signing key goes by, as the secret's ARN does in AWS. */
const LOCAL_ACK_KEY_SECRET = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:local-ack-signing-key`;

/** The local name of the per-tenant alarm state table. */
export function localAlarmStateTable(config: Pick<PipelineConfig, 'name'>): string {
  return `${config.name}-alarm-states`;
}

/**
 * The environment the CDK app would set, for the local resources. The per-tenant alarm events'
 * source is the template's (see ./tenant-alarms.ts), as the other values are not in this process.
 */
export function localEnv(
  resources: ResourceNames,
  config: Pick<PipelineConfig, 'metricsNamespace' | 'name'>,
): EnvReader {
  const values: Partial<Record<EnvName, string>> = {
    [ENV.kpiTable]: resources.kpiTable,
    [ENV.incidentsTable]: resources.incidentTable,
    [ENV.alarmStateTable]: localAlarmStateTable(config),
    [ENV.quarantineBucket]: resources.quarantineBucket,
    [ENV.metricsNamespace]: config.metricsNamespace,
    [ENV.ackKeySecretArn]: LOCAL_ACK_KEY_SECRET,
    [ENV.ackUrl]: LOCAL_ACK_URL,
    [ENV.ackPollSeconds]: String(LOCAL_POLL_SECONDS),
    // Named for completeness: the ladders run in process (see localEscalationDeps).
    [ENV.stateMachineArn]: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:ladder`,
    [ENV.region]: LOCAL_REGION,
    [ENV.accountId]: LOCAL_ACCOUNT,
    [ENV.reportFontFile]: DEFAULT_CHART_FONTS.fontFiles?.[0] ?? '',
  };
  return (name) => values[name];
}

/**
 * A CloudWatch client that accepts every call and sends nothing: CloudWatch has no local stand-in,
 * and the incident metrics it would receive are in the incidents themselves.
 */
export function offlineCloudWatch(): CloudWatchClient {
  const client = new CloudWatchClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  client.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), {
    step: 'initialize',
    name: 'localNoCloudWatch',
  });
  return client;
}

/** Made-up phone numbers for the contacts' phone parameters: locally there is no phone network. */
export function localPhoneNumbers(config: PipelineConfig): StaticSecretLookup {
  const phones: Record<string, string> = {};
  let n = 0;
  for (const c of Object.values(config.escalation.contacts)) {
    if (c.phoneParameter !== undefined) phones[c.phoneParameter] = `+1555555${String(100 + n++).padStart(4, '0')}`;
  }
  return new StaticSecretLookup(phones);
}

/** The local clients and clock of the escalation handlers. */
export interface EscalationWiring {
  readonly dynamodb: DynamoDBClient;
  readonly ses: SESClient;
  readonly sns: SNSClient;
  readonly now: () => number;
}

/** The overrides of the escalation handlers in a local run, with a fresh signing key. */
export function escalationOverrides(config: PipelineConfig, w: EscalationWiring): WiringOverrides {
  return {
    clients: { dynamodb: w.dynamodb, ses: w.ses, sns: w.sns, cloudwatch: offlineCloudWatch() },
    now: w.now,
    // Retries wait on the run's clock, which does not move within a step.
    sleep: async () => {},
    secrets: new StaticSecretLookup({ [LOCAL_ACK_KEY_SECRET]: randomBytes(32).toString('hex') }),
    phoneNumbers: localPhoneNumbers(config),
    logLevel: 'SILENT',
  };
}

/** The escalation handlers' dependencies in a local run. */
export interface LocalEscalationDeps {
  readonly notifier: NotifierDeps;
  readonly ack: AckDeps;
  readonly router: AlarmRouterDeps;
}

/**
 * Wires the notifier and the acknowledgement handler of a local run, then the router with the
 * ladder starter `ladderFor` makes of them (ladders run in process, calling those two).
 */
export function localEscalationDeps(
  config: PipelineConfig,
  env: EnvReader,
  overrides: WiringOverrides,
  ladderFor: (notifier: NotifierDeps, ack: AckDeps) => LadderStarter,
): LocalEscalationDeps {
  const notifier = buildNotifierDeps(config, env, overrides);
  const ack = buildAckDeps(config, env, overrides);
  return { notifier, ack, router: buildRouterDeps(config, env, { ...overrides, ladder: ladderFor(notifier, ack) }) };
}

/**
 * Powertools Metrics that keeps the EMF documents instead of printing them: locally there is no
 * CloudWatch to parse the logs, so the run hands the same documents to the alarm evaluator.
 */
export class CapturedMetrics extends Metrics {
  /** The EMF documents, one JSON text each, in publication order. */
  readonly documents: string[] = [];

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

/** Adds one batch's report to the tally. */
function count(tally: AggregationTally, report: BatchReport): void {
  tally.batches++;
  tally.accepted += report.accepted;
  tally.rejected += report.rejected;
  tally.duplicates += report.duplicates;
  for (const [reason, n] of Object.entries(report.rejectedByReason)) {
    tally.rejectedByReason[reason] = (tally.rejectedByReason[reason] ?? 0) + (n ?? 0);
  }
}

/** The local aggregator: its dependencies, the EMF documents it publishes and the tally of its reports. */
export interface LocalAggregator {
  /** What the builder returned. */
  readonly wired: ReturnType<typeof buildAggregatorDeps>;
  /** What the handler gets: the same, with the use case's reports counted. */
  readonly deps: AggregatorHandlerDeps;
  readonly metrics: CapturedMetrics;
  readonly tally: AggregationTally;
}

/** The aggregator's overrides in a local run (its metrics are added by {@link localAggregator}). */
export function aggregatorOverrides(
  clients: { readonly dynamodb: DynamoDBClient; readonly s3: S3Client },
  now: () => number,
): AggregatorOverrides {
  return { clients, now, logLevel: 'SILENT' };
}

/** The per-tenant alarm evaluator's overrides: DynamoDB Local, the local event bus, the run's clock. */
export function tenantAlarmsOverrides(
  dynamodb: DynamoDBClient,
  eventbridge: EventBridgeClient,
  now: () => number,
): WiringOverrides {
  return { clients: { dynamodb, eventbridge }, now, logLevel: 'SILENT' };
}

/** Wires the aggregator of a local run: EMF documents are kept, reports counted on the way out. */
export function localAggregator(
  config: PipelineConfig,
  env: EnvReader,
  overrides: AggregatorOverrides,
): LocalAggregator {
  const metrics: CapturedMetrics[] = [];
  const built = buildAggregatorDeps(config, env, {
    ...overrides,
    metrics: (options: MetricsOptions) => {
      const m = new CapturedMetrics({ ...options, logger: QUIET_LOGGER });
      metrics.push(m);
      return m;
    },
  });
  const captured = metrics[0];
  if (captured === undefined) throw new Error('the aggregator created no metrics');
  const tally: AggregationTally = { batches: 0, accepted: 0, rejected: 0, duplicates: 0, rejectedByReason: {} };
  const aggregate: AggregateBatch = built.aggregate;
  return {
    wired: built,
    deps: {
      ...built,
      aggregate: {
        run: async (...args) => {
          const report = await aggregate.run(...args);
          count(tally, report);
          return report;
        },
      },
    },
    metrics: captured,
    tally,
  };
}

/** Wires the report handler of a local run, at the clock `now`. */
export function localReportDeps(
  config: PipelineConfig,
  env: EnvReader,
  clients: { readonly dynamodb: DynamoDBClient; readonly ses: SESClient },
  now: () => number,
): BuiltReportDeps {
  return buildReportDeps(config, env, { clients, now });
}
