/**
 * The stages of a local run, in order, over one {@link RunContext}. Each does one step of the
 * pipeline with the real handlers and returns the line the progress display shows for it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DynamoDbHealthStore } from '../../lambdas/adapters/health-store-dynamodb';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { FLEET_TENANT } from '../../lambdas/core/aggregation';
import { perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { analyzeConfiguredExperiments } from '../../lambdas/core/experiments';
import { readExportRows } from '../../lambdas/core/kpi-reader';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { LOCAL_REGION } from '../wiring';
import { ALARM_TAIL_MS, evaluateLocalAlarms } from './alarms';
import { produced, RunAbortedError, type RunContext } from './context';
import { runEscalation } from './escalation';
import type { DeliveredEvent } from './event-bus';
import { writeKpisCsv, writeRejected } from './export';
import { aggregatorOverrides, localAggregator, localAlarmStateTable } from './handlers';
import { feedHistory, scoreHistory } from './history';
import { runReports } from './reports';
import { createLocalStream, LOCAL_INVOKER, type ReplayRecord, StreamPump } from './stream-pump';
import { createKpiTable, createTableFromTemplate, TABLE_VARIABLES } from './tables';
import {
  evaluatorEnv,
  localTenantAlarms,
  runTenantAlarmSchedule,
  tenantActivity,
  transitionsOf,
} from './tenant-alarms';

/** One step of a local run. */
export interface Stage {
  readonly name: string;
  /** Items it reports progress on, when known up front. */
  readonly total?: (ctx: RunContext) => number;
  /** Whether it runs at all. @default always */
  readonly when?: (ctx: RunContext) => boolean;
  /** Not shown nor timed (a read the summary needs). @default false */
  readonly quiet?: boolean;
  /** Does the work; returns its one-line summary. */
  run(ctx: RunContext): Promise<string>;
}

/** How long after the range ladders keep running, so late incidents can climb and resolve. */
const ESCALATION_TAIL_MS = 60 * 60_000;

/** Simulated time per put-then-drain round. @default 15 minutes (see LocalRunOptions.chunkMs) */
const DEFAULT_CHUNK_MS = 15 * 60_000;

const resources: Stage = {
  name: 'resources',
  run: async (ctx) => {
    const { kinesis, dynamodb, s3 } = ctx.clients;
    const r = ctx.resources;
    ctx.stream = await createLocalStream(kinesis, r.stream, LOCAL_REGION);
    await createKpiTable(dynamodb, r.kpiTable);
    await s3.send(new CreateBucketCommand({ Bucket: r.quarantineBucket }));
    return `stream ${r.stream}, table ${r.kpiTable}, bucket ${r.quarantineBucket}`;
  },
};

/** The real aggregator handler of the run (one instance, as one Lambda's), created on first use. */
function aggregatorHandler(ctx: RunContext): NonNullable<RunContext['aggregatorHandler']> {
  if (ctx.aggregatorHandler === undefined) {
    const { config } = ctx;
    const aggregator = localAggregator(
      config,
      ctx.env,
      aggregatorOverrides(ctx.clients, () => ctx.clock.nowMs),
    );
    ctx.aggregator = aggregator;
    ctx.aggregatorHandler = createAggregatorHandler(aggregator.deps);
  }
  return ctx.aggregatorHandler;
}

/** Wires the real aggregator behind a stream pump; the live mode keeps draining through it. */
function openIngest(ctx: RunContext): StreamPump {
  const { config } = ctx;
  const handler = aggregatorHandler(ctx);
  const pump = new StreamPump(
    ctx.clients.kinesis,
    produced(ctx, 'stream'),
    LOCAL_REGION,
    (event) => handler(event),
    config.aggregator.batchSize,
    config.aggregator.maxRetryAttempts,
  );
  ctx.pump = pump;
  ctx.live.drain = async (nowMs) => {
    ctx.clock.nowMs = nowMs;
    await pump.drain(nowMs);
  };
  return pump;
}

/** The days before the monitored range, straight to the aggregator handler (history.ts). */
const history: Stage = {
  name: 'history',
  when: (ctx) => ctx.options.history !== undefined,
  run: async (ctx) => {
    const handler = aggregatorHandler(ctx);
    const source = { streamArn: produced(ctx, 'stream').arn, region: LOCAL_REGION, invokeIdentityArn: LOCAL_INVOKER };
    const h = await feedHistory(
      ctx.options.history ?? [],
      (event, nowMs) => {
        ctx.clock.nowMs = nowMs;
        return handler(event);
      },
      source,
      ctx.config.aggregator.maxRetryAttempts,
      (n) => ctx.observer.progress(n),
    );
    return `${h.records} history records in ${h.invocations} aggregator invocations`;
  },
};

const ingest: Stage = {
  name: 'ingest',
  total: (ctx) => ctx.options.records.length,
  run: async (ctx) => {
    const { records, fixedNowMs } = ctx.options;
    const pump = openIngest(ctx);
    await pump.open();
    const chunkMs = ctx.options.chunkMs ?? DEFAULT_CHUNK_MS;
    let i = 0;
    while (i < records.length) {
      const chunkEnd = (records[i] as ReplayRecord).sentAtMs + chunkMs;
      let j = i;
      while (j < records.length && (records[j] as ReplayRecord).sentAtMs < chunkEnd) j++;
      const chunk = records.slice(i, j);
      await pump.put(chunk);
      ctx.clock.nowMs = fixedNowMs ?? (chunk.at(-1) as ReplayRecord).sentAtMs;
      await pump.drain(ctx.clock.nowMs);
      ctx.observer.progress(pump.stats.read);
      i = j;
    }
    const { tally } = produced(ctx, 'aggregator');
    // Refused by Kinesis before the aggregator: counted with the contract's reason all the same.
    if (pump.stats.tooLarge > 0) {
      tally.rejected += pump.stats.tooLarge;
      tally.rejectedByReason.too_large = (tally.rejectedByReason.too_large ?? 0) + pump.stats.tooLarge;
    }
    return (
      `${pump.stats.read} records through ${pump.stats.invocations} aggregator invocations: ` +
      `${tally.accepted} accepted, ${tally.rejected} rejected`
    );
  },
};

const synthesis: Stage = {
  name: 'synthesis',
  run: async (ctx) => {
    const templates = await ctx.synthesis;
    // The escalation's table comes from the template, as `cdk deploy` would create it.
    await createTableFromTemplate(
      ctx.clients.dynamodb,
      templates,
      TABLE_VARIABLES.incidents,
      ctx.resources.incidentTable,
    );
    const tables = [ctx.resources.incidentTable];
    if (perTenantAlarmTenants(ctx.config).length > 0) {
      const name = localAlarmStateTable(ctx.config);
      await createTableFromTemplate(ctx.clients.dynamodb, templates, TABLE_VARIABLES.alarmStates, name);
      tables.push(name);
    }
    ctx.templates = templates;
    return `CDK app synthesized (${Object.keys(templates).join(', ')}); tables ${tables.join(', ')} created from it`;
  },
};

const alarms: Stage = {
  name: 'alarms',
  run: async (ctx) => {
    const { options } = ctx;
    const a = evaluateLocalAlarms(
      produced(ctx, 'templates'),
      produced(ctx, 'aggregator').metrics.documents,
      options.monitoredFromMs ?? options.rangeStartMs,
      options.rangeEndMs,
    );
    ctx.alarms = a;
    return (
      `${a.alarmsEvaluated} CloudWatch alarms evaluated minute by minute over ${a.datapoints} datapoints: ` +
      `${a.transitions.filter((t) => t.toState === 'ALARM').length} went to ALARM`
    );
  },
};

// Per-tenant rules are not CloudWatch alarms: the pipeline's own evaluator runs them over the KPI table.
const tenantAlarms: Stage = {
  name: 'tenant alarms',
  when: (ctx) => perTenantAlarmTenants(ctx.config).length > 0,
  run: async (ctx) => {
    const { options } = ctx;
    const events: DeliveredEvent[] = [];
    const env = evaluatorEnv(ctx.env, produced(ctx, 'templates'));
    const evaluator = localTenantAlarms(ctx.config, env, ctx.clients.dynamodb, (e) => {
      events.push(e);
    });
    const fromMs = options.monitoredFromMs ?? options.rangeStartMs;
    const minutes = await runTenantAlarmSchedule(
      evaluator,
      tenantActivity(options.records, fromMs),
      { fromMs, toMs: options.rangeEndMs + ALARM_TAIL_MS },
      options.tenantAlarmSchedule,
    );
    const transitions = transitionsOf(events);
    ctx.tenantAlarms = { evaluator, events, transitions, minutes };
    const { invocations, failed } = evaluator.tally;
    return (
      `${evaluator.plans.length} tenants' rules evaluated by the tenant-alarms handler at ${minutes} minutes ` +
      `(${invocations} invocations${failed === 0 ? '' : `, ${failed} failed`}): ` +
      `${transitions.filter((t) => t.toState === 'ALARM').length} went to ALARM`
    );
  },
};

const escalation: Stage = {
  name: 'escalation',
  run: async (ctx) => {
    const { options } = ctx;
    const e = await runEscalation({
      config: ctx.config,
      templates: produced(ctx, 'templates'),
      transitions: produced(ctx, 'alarms').transitions,
      events: ctx.tenantAlarms?.events ?? [],
      dynamodb: ctx.clients.dynamodb,
      env: ctx.env,
      sesEndpoint: ctx.endpoints.ses,
      snsEndpoint: ctx.endpoints.s3,
      endMs: options.rangeEndMs + ESCALATION_TAIL_MS,
      ...(options.acknowledge === undefined ? {} : { acknowledge: options.acknowledge }),
    });
    ctx.escalation = e;
    return (
      `${e.routed} state changes routed, ${e.incidents.length} incidents, ${e.ladders} ladders run ` +
      `(${e.stopped} still climbing at the end), ${e.mails} mails in the local SES`
    );
  },
};

/** The run's KPI reader: strongly consistent, it reads what the run has just written. */
function kpiReader(ctx: RunContext): DynamoDbKpiReader {
  return new DynamoDbKpiReader({
    client: ctx.clients.dynamodb,
    tableName: ctx.resources.kpiTable,
    catalog: ctx.catalog,
    consistentRead: true,
  });
}

const fleetDays: Stage = {
  name: 'fleet days',
  quiet: true,
  run: async (ctx) => {
    const { rangeStartMs, rangeEndMs, monitoredFromMs } = ctx.options;
    ctx.fleetDays = await readExportRows(kpiReader(ctx), {
      tenant: FLEET_TENANT,
      granularity: 'day',
      // The monitored days, and the day before them when there is history to compare with.
      fromMs: Math.max(rangeStartMs, (monitoredFromMs ?? rangeStartMs) - 86_400_000),
      toMs: rangeEndMs,
    });
    return `${ctx.fleetDays.length} fleet day rows`;
  },
};

/** Writes a file of the export directory and records it. */
function writeExportFile(ctx: RunContext, dir: string, name: string, lines: readonly string[]): void {
  const path = join(dir, name);
  writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  ctx.files.push(path);
}

const experiments: Stage = {
  name: 'experiments',
  quiet: true,
  run: async (ctx) => {
    const { options } = ctx;
    const store = new DynamoDbKpiStore({
      client: ctx.clients.dynamodb,
      tableName: ctx.resources.kpiTable,
      catalog: ctx.catalog,
    });
    ctx.experiments = await analyzeConfiguredExperiments(
      store,
      ctx.catalog,
      ctx.config.experiments,
      options.rangeStartMs,
      options.rangeEndMs,
      options.fixedNowMs ?? options.rangeEndMs,
    );
    return `${ctx.experiments.length} experiments analysed`;
  },
};

// Export before the reports: the KPI table then holds only KPIs; the reports add health scores.
const exportFiles: Stage = {
  name: 'export',
  when: (ctx) => ctx.options.exportDir !== undefined,
  run: async (ctx) => {
    const dir = ctx.options.exportDir as string;
    const { rangeStartMs, rangeEndMs } = ctx.options;
    mkdirSync(dir, { recursive: true });
    ctx.files.push(await writeKpisCsv(dir, kpiReader(ctx), ctx.config, rangeStartMs, rangeEndMs));
    ctx.files.push(await writeRejected(dir, ctx.clients.s3, ctx.resources.quarantineBucket));
    // The aggregator's EMF output, one document a line: `kpi backtest --metrics` replays it.
    writeExportFile(ctx, dir, 'metrics.ndjson', produced(ctx, 'aggregator').metrics.documents);
    writeFileSync(join(dir, 'incidents.json'), `${JSON.stringify(produced(ctx, 'escalation').incidents, null, 2)}\n`);
    ctx.files.push(join(dir, 'incidents.json'));
    return `wrote ${ctx.files.map((f) => f.split('/').at(-1)).join(', ')} to ${dir}`;
  },
};

// Each history day's health scores, as the report handler would have stored them each morning.
const historyScores: Stage = {
  name: 'history scores',
  when: (ctx) => ctx.options.history !== undefined,
  run: async (ctx) => {
    const { rangeStartMs, monitoredFromMs } = ctx.options;
    const n = await scoreHistory(rangeStartMs, monitoredFromMs ?? rangeStartMs, {
      source: kpiReader(ctx),
      health: new DynamoDbHealthStore(ctx.clients.dynamodb, { tableName: ctx.resources.kpiTable }),
      config: ctx.config,
    });
    return `${n} daily health scores of the history days`;
  },
};

const reports: Stage = {
  name: 'reports',
  when: (ctx) => ctx.options.reports !== false,
  run: async (ctx) => {
    const { exportDir } = ctx.options;
    const r = await runReports({
      config: ctx.config,
      dynamodb: ctx.clients.dynamodb,
      env: ctx.env,
      sesEndpoint: ctx.endpoints.ses,
      lastDayMs: ctx.options.rangeEndMs - 86_400_000,
      ...(exportDir === undefined ? {} : { exportDir }),
    });
    ctx.reports = r;
    for (const x of r) if (x.file !== undefined) ctx.files.push(x.file);
    return (
      `${r.filter((x) => x.outcome === 'sent').length} scheduled reports mailed to the local SES` +
      (exportDir === undefined ? '' : ` and rendered to ${exportDir}`)
    );
  },
};

/** The stages after the stand-ins are up, in the order they run. */
export const STAGES: readonly Stage[] = [
  resources,
  history,
  ingest,
  synthesis,
  alarms,
  tenantAlarms,
  escalation,
  fleetDays,
  experiments,
  exportFiles,
  historyScores,
  reports,
];

/** Runs `stages` in order over `ctx`, timing and reporting each to the run's observer. */
export async function runStages(ctx: RunContext, stages: readonly Stage[] = STAGES): Promise<void> {
  for (const stage of stages) {
    if (ctx.options.signal?.aborted === true) throw new RunAbortedError();
    if (stage.when !== undefined && !stage.when(ctx)) continue;
    if (stage.quiet === true) {
      await stage.run(ctx);
      continue;
    }
    const t0 = Date.now();
    ctx.observer.stage(stage.name, stage.total?.(ctx));
    const summary = await stage.run(ctx);
    ctx.timings.push({ stage: stage.name, ms: Date.now() - t0 });
    ctx.observer.stageDone(summary);
  }
}
