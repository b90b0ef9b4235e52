/**
 * The local run behind `npm start` / `kpi local`: the whole pipeline on one machine, with the
 * real handlers invoked the way AWS invokes them, against API-compatible local servers.
 *
 * Stages, each reported to a {@link RunObserver}:
 * 1. start the stand-ins (DynamoDB Local, kinesalite, SES, fauxqs for S3/SNS);
 * 2. then the list in ./stages.ts over one {@link RunContext}: create the stream, tables and
 *    bucket; put the traffic on the stream in simulated-time order, read it back per shard and
 *    invoke the real aggregator; evaluate the synthesized alarms over the captured EMF metrics;
 *    route state changes through the real alarm router and run the escalation ladders; export;
 *    send the scheduled reports to the local SES.
 *
 * The simulated clock is an argument of every handler, so a simulated day takes seconds.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { type SynthesizedTemplates, synthesizeTemplatesInChild } from '../synth';
import { defaultResourceNames, dynamoDbClient, kinesisClient } from '../wiring';
import {
  type LocalEndpointsInUse,
  type LocalRun,
  type LocalRunOptions,
  type LocalRunResult,
  produced,
  RunAbortedError,
  type RunClients,
  type RunContext,
  type RunObserver,
  SILENT_OBSERVER,
} from './context';
import { localEnv } from './handlers';
import { type LiveAlerting, startLiveAlerting } from './live-alerting';
import { runStages } from './stages';
import { localClientConfig, type StandIns, startStandIns } from './standins';
import { StreamFollower } from './stream-pump';

function endpointOf(standIns: StandIns, name: 'dynamodb' | 'kinesis' | 'ses' | 'sns'): string {
  const s = standIns[name];
  if (s === undefined) throw new Error(`stand-in ${name} is not running`);
  return s.endpoint;
}

/** The context of a run whose stand-ins are up. */
function runContext(
  options: LocalRunOptions,
  standIns: StandIns,
  synthesis: Promise<SynthesizedTemplates>,
  observer: RunObserver,
): RunContext {
  const { config } = options;
  const endpoints: LocalEndpointsInUse = {
    kinesis: endpointOf(standIns, 'kinesis'),
    dynamodb: endpointOf(standIns, 'dynamodb'),
    ses: endpointOf(standIns, 'ses'),
    s3: endpointOf(standIns, 'sns'),
  };
  const resources = defaultResourceNames(config);
  const clients: RunClients = {
    kinesis: kinesisClient(localClientConfig(endpoints.kinesis)),
    dynamodb: dynamoDbClient(localClientConfig(endpoints.dynamodb)),
    s3: new S3Client(localClientConfig(endpoints.s3)),
  };
  return {
    options,
    config,
    catalog: catalogFor(config),
    observer,
    endpoints,
    resources,
    env: localEnv(resources, config),
    clients,
    synthesis,
    clock: { nowMs: options.fixedNowMs ?? options.rangeStartMs },
    live: { closers: [] },
    files: [],
    timings: [],
  };
}

/** The result of a run whose stages all ran. */
function resultOf(ctx: RunContext): LocalRunResult {
  const aggregator = produced(ctx, 'aggregator');
  return {
    resources: ctx.resources,
    endpoints: ctx.endpoints,
    pump: produced(ctx, 'pump').stats,
    aggregation: aggregator.tally,
    fleetDays: produced(ctx, 'fleetDays'),
    emfDocuments: aggregator.metrics.documents,
    alarms: produced(ctx, 'alarms'),
    ...(ctx.tenantAlarms === undefined ? {} : { tenantAlarms: ctx.tenantAlarms }),
    escalation: produced(ctx, 'escalation'),
    reports: ctx.options.reports === false ? [] : produced(ctx, 'reports'),
    files: [...ctx.files],
    timings: [...ctx.timings],
    ...(ctx.experiments === undefined ? {} : { experiments: ctx.experiments }),
  };
}

/** Closes the run's clients, unless a live run keeps them for what arrives later (closed on stop()). */
function releaseClients(ctx: RunContext): void {
  const close = () => {
    ctx.clients.kinesis.destroy();
    ctx.clients.dynamodb.destroy();
    ctx.clients.s3.destroy();
  };
  if (ctx.options.keepConsuming === true && ctx.live.drain !== undefined) ctx.live.closers.push(close);
  else close();
}

/**
 * Runs the local pipeline. The stand-ins stay up until `stop()` (the caller stops them in a
 * `finally`, and on Ctrl-C); on an error they are stopped before it is rethrown.
 */
export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRun> {
  const observer = options.observer ?? SILENT_OBSERVER;
  // Synthesis is CPU-bound and slow; it runs in a child process while the stand-ins boot.
  const synthesis = synthesizeTemplatesInChild(options.config);
  synthesis.catch(() => {});
  const t0 = Date.now();
  observer.stage('stand-ins');
  const started = await startStandIns(['dynamodb', 'kinesis', 'ses', 'sns']);
  let stopping: Promise<void> | undefined;
  const standIns: StandIns = { ...started, stop: () => (stopping ??= started.stop()) };
  const { signal } = options;
  if (signal !== undefined) {
    if (signal.aborted) void standIns.stop();
    else signal.addEventListener('abort', () => void standIns.stop(), { once: true });
  }
  const standInsMs = Date.now() - t0;
  observer.stageDone('DynamoDB Local, kinesalite, SES and S3/SNS (fauxqs) up on 127.0.0.1');
  const ctx = runContext(options, standIns, synthesis, observer);
  ctx.timings.push({ stage: 'stand-ins', ms: standInsMs });
  const closeLive = () => {
    for (const close of ctx.live.closers.splice(0)) close();
  };
  try {
    try {
      await runStages(ctx);
    } finally {
      releaseClients(ctx);
    }
    let follower: StreamFollower | undefined;
    let alerting: LiveAlerting | undefined;
    return {
      result: resultOf(ctx),
      follow: (now, options = {}) => {
        const drain = ctx.live.drain;
        if (drain === undefined) throw new Error('follow() needs a run started with keepConsuming');
        alerting ??= startLiveAlerting(ctx, now(), options.onIncident);
        const live = alerting;
        const round = async (nowMs: number) => {
          await drain(nowMs);
          await live?.tick(nowMs);
        };
        follower ??= new StreamFollower(round, now, options.intervalMs ?? 1_000, options.onError);
        follower.start();
      },
      stop: async () => {
        await follower?.stop();
        alerting?.close();
        closeLive();
        await standIns.stop();
      },
    };
  } catch (err) {
    closeLive();
    await standIns.stop();
    throw signal?.aborted === true && !(err instanceof RunAbortedError) ? new RunAbortedError({ cause: err }) : err;
  }
}
