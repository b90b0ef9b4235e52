/**
 * `kpi local` (and `npm start`): the whole pipeline on this machine over a simulated day, or over
 * given events, with progress while it runs and a summary at the end.
 */

import { resolve } from 'node:path';
import pc from 'picocolors';
import { parseAlarmName } from '../../lambdas/core/alarms/naming';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { type PipelineConfig, parseConfig, type TenantConfig } from '../../lambdas/core/config/schema';
import { decodeEvent } from '../../lambdas/core/events/decode';
import { parseRfc3339 } from '../../lambdas/core/events/rfc3339';
import { experimentRows } from '../../lambdas/core/experiments';
import { alertSummary, alertsOf } from '../../lambdas/core/incidents/grouping';
import { incidentTimings, meanTimings } from '../../lambdas/core/incidents/metrics';
import { scopeLabel } from '../../lambdas/core/vocabulary';
import { ingestionLimits } from '../../lambdas/handlers/aggregator/deps';
import { loadConfigFile } from '../../lib/config/load';
import { InterruptedError, UsageError } from '../errors';
import type { CliIo } from '../io';
import { oversizeReason, partitionKeyOf } from '../kinesis-send';
import { type LocalRun, type LocalRunResult, RunAbortedError, type RunObserver } from '../local/context';
import { demoDeclinesOn, simulateHistory } from '../local/history';
import { runLocalPipeline } from '../local/runner';
import type { SimulatedTenant } from '../local/simulator';
import { simulateDay, simulatedExperimentOf, simulatedFleet } from '../local/simulator';
import type { ReplayRecord } from '../local/stream-pump';
import type { TenantAlarmScheduleOptions } from '../local/tenant-schedule';
import { parseInstant, removeLocalState, writeLocalState } from '../wiring';
import { experimentText } from './experiment';
import { formatKpiValue, renderTable } from './format';
import { readFileOrExplain, splitNdjson } from './ndjson';
import { createProgress, type Progress } from './progress';

/** Options of `kpi local`. */
export interface LocalCliOptions {
  events?: string;
  exportDir?: string;
  tenants: number;
  seed: number;
  scale: number;
  date?: string;
  incident: boolean;
  keepRunning?: boolean;
  stateFile: string;
  /** With --events: the instant records are judged against (RFC 3339). @default the current time */
  now?: string;
  /** With --events: process each record at its own event time, as if sent live. */
  replayLive?: boolean;
  /** Simulated days of history before the demo day, for the reports' previous periods. */
  historyDays: number;
  /** Simulate the demo's declining clients (history.ts). @default true */
  declines?: boolean;
  config: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * How the simulated day's per-tenant alarms are scheduled: every minute from 5 minutes before the
 * injected problem to 20 minutes after it (its alarms clear then), every hour elsewhere. Each
 * evaluation reads hours of KPI buckets from DynamoDB Local (about 0.1 s for two tenants): every
 * minute of the day would add minutes to the demo.
 */
const DEMO_FOCUS_BEFORE_MS = 5 * MINUTE_MS;
const DEMO_FOCUS_AFTER_MS = 20 * MINUTE_MS;
const DEMO_STRIDE_MS = 60 * MINUTE_MS;

/** When the demo incident starts, in minutes after midnight of the simulated day (10:00 UTC). */
export const DEMO_INCIDENT_START_MINUTE = 600;
/** How long the demo incident lasts. */
export const DEMO_INCIDENT_MINUTES = 20;

/**
 * The configuration of a simulated run: the user's configuration with the simulated fleet as its
 * tenants. Enterprise tenants get the tier with per-tenant alarms, if the configuration has one.
 */
export function configWithFleet(config: PipelineConfig, fleet: readonly SimulatedTenant[]): PipelineConfig {
  const tierNames = Object.keys(config.tiers);
  const alarmed = tierNames.find((t) => config.tiers[t]?.perTenantAlarms === true) ?? tierNames[0];
  const plain = tierNames.find((t) => config.tiers[t]?.perTenantAlarms !== true) ?? tierNames[0];
  const tenants: TenantConfig[] = fleet.map((t) => ({
    id: t.id,
    name: t.name,
    tier: (t.tier === 'enterprise' ? alarmed : plain) ?? 'standard',
    licensedSeats: t.licensedSeats,
  }));
  return parseConfig({ ...config, tenants, silences: [] }, 'local run configuration');
}

/** The configuration of an events run: the configured tenants plus every valid tenant id in the events. */
export function configWithEventTenants(config: PipelineConfig, tenantIds: Iterable<string>): PipelineConfig {
  const known = new Set(config.tenants.map((t) => t.id));
  const firstTier = Object.keys(config.tiers)[0] ?? 'standard';
  const extra: TenantConfig[] = [];
  for (const id of tenantIds) {
    if (known.has(id) || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) continue;
    known.add(id);
    extra.push({ id, name: id, tier: firstTier });
  }
  return parseConfig({ ...config, tenants: [...config.tenants, ...extra] }, 'local run configuration');
}

/** A record of an events file: its bytes as in the file, and the event time it claims, if any. */
export interface EventsFileRecord extends ReplayRecord {
  readonly data: Uint8Array;
  /** The record's `time`, when it is a valid RFC 3339 timestamp. */
  readonly eventTimeMs?: number;
}

/**
 * Given events: records in file order, each sent at its own event time (the previous one's when it
 * has none). Lines travel as bytes, unchanged: bytes that are not UTF-8 reach the aggregator and are
 * rejected there as `invalid_json`. A leading byte order mark is skipped.
 * @throws UsageError when the file cannot be read or holds no events
 */
export function recordsFromEventsFile(path: string): { records: EventsFileRecord[]; tenants: Set<string> } {
  const lines = splitNdjson(readFileOrExplain(path, `--events ${path}`));
  const records: EventsFileRecord[] = [];
  const tenants = new Set<string>();
  let lastMs: number | undefined;
  for (const { bytes } of lines) {
    let timeMs: number | undefined;
    const text = bytes.toString('utf8');
    try {
      const parsed = JSON.parse(text) as { time?: unknown; tenantid?: unknown };
      if (typeof parsed.time === 'string') timeMs = parseRfc3339(parsed.time);
      if (typeof parsed.tenantid === 'string') tenants.add(parsed.tenantid);
    } catch {
      // Not JSON: it travels as is and lands in the quarantine as invalid_json.
    }
    const sentAtMs = timeMs ?? lastMs ?? Number.NaN;
    if (timeMs !== undefined) lastMs = timeMs;
    records.push({
      partitionKey: partitionKeyOf(text),
      data: bytes,
      sentAtMs,
      ...(timeMs === undefined ? {} : { eventTimeMs: timeMs }),
    });
  }
  if (records.length === 0) throw new UsageError(`--events ${path} holds no events (one JSON event a line).`);
  // Lines without a usable time go with their predecessor; the first ones with the first timed line.
  const firstMs = records.find((r) => !Number.isNaN(r.sentAtMs))?.sentAtMs ?? 0;
  return {
    records: records.map((r) => (Number.isNaN(r.sentAtMs) ? { ...r, sentAtMs: firstMs } : r)),
    tenants,
  };
}

/** How a replay of given events judges them late or future. */
export type ReplayClock =
  /** Every record is processed at one instant: `--now`, or the current time. */
  | { readonly kind: 'fixed'; readonly nowMs: number; readonly source: '--now' | 'current time' }
  /** Every record is processed at its own event time, as if sent live (`--replay-live`). */
  | { readonly kind: 'live' };

/** One line for the summary: which clock judged the events. */
export function describeClock(clock: ReplayClock): string {
  if (clock.kind === 'live') {
    return 'Clock: replayed as if live; each record was processed at its own event time (--replay-live).';
  }
  return (
    `Clock: records judged late or future against ${new Date(clock.nowMs).toISOString()} ` +
    `(${clock.source === '--now' ? '--now' : 'the current time; set it with --now, or replay as if live with --replay-live'}).`
  );
}

/**
 * The UTC days a replay covers: those of the records the contract accepts at the replay's clock.
 * Rejected records (too old, in the future, malformed) never widen it, so the run's time and
 * memory follow the accepted data, not an outlier's timestamp.
 */
export function acceptedRange(
  records: readonly EventsFileRecord[],
  clock: ReplayClock,
  config: PipelineConfig,
): { fromMs: number; toMs: number; accepted: number } {
  const catalog = catalogFor(config);
  const limits = ingestionLimits(config);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let accepted = 0;
  for (const r of records) {
    if (r.eventTimeMs === undefined || oversizeReason(r) !== undefined) continue;
    const nowMs = clock.kind === 'live' ? r.sentAtMs : clock.nowMs;
    const decoded = decodeEvent(r.data, { nowMs, catalog, ...limits });
    if (!decoded.ok) continue;
    accepted++;
    min = Math.min(min, decoded.eventTimeMs);
    max = Math.max(max, decoded.eventTimeMs);
  }
  if (accepted === 0) {
    // Nothing to evaluate: the day of the clock (or of the first record when replaying live).
    const at = clock.kind === 'live' ? (records[0]?.sentAtMs ?? 0) : clock.nowMs;
    const day = Math.floor(at / DAY_MS) * DAY_MS;
    return { fromMs: day, toMs: day + DAY_MS, accepted };
  }
  return { fromMs: Math.floor(min / DAY_MS) * DAY_MS, toMs: Math.floor(max / DAY_MS) * DAY_MS + DAY_MS, accepted };
}

function yesterdayUtc(nowMs: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS - DAY_MS;
}

function parseDay(text: string): number {
  // Calendar-checked: 2026-02-30 is refused, not moved to March.
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseRfc3339(`${text}T00:00:00Z`) : undefined;
  if (ms === undefined)
    throw new UsageError(`--date "${text}" is not a calendar day; use YYYY-MM-DD, e.g. 2026-11-22.`);
  return ms;
}

/** A run observer drawing progress bars on a terminal, plain lines otherwise. */
export function terminalObserver(io: CliIo): RunObserver {
  let bar: Progress | undefined;
  let current = '';
  let started = 0;
  return {
    stage: (name, total) => {
      current = name;
      started = Date.now();
      bar = total === undefined ? undefined : createProgress(io, name, total);
      if (bar === undefined) io.err(`${io.isTTY ? pc.cyan('▶') : '>'} ${name}...\n`);
    },
    progress: (done) => bar?.update(done),
    stageDone: (summary) => {
      bar?.stop();
      bar = undefined;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      io.err(`${io.isTTY ? pc.green('✔') : 'done'} ${current} (${secs} s): ${summary}\n`);
    },
  };
}

/** What `kpi local` runs: the records, their configuration and range, and how it was chosen. */
interface PlannedRun {
  readonly config: PipelineConfig;
  readonly records: readonly ReplayRecord[];
  readonly rangeStartMs: number;
  readonly rangeEndMs: number;
  readonly fixedNowMs?: number;
  readonly monitoredFromMs?: number;
  readonly headline: string;
  readonly replayClock?: ReplayClock;
  /** Days before the records, fed straight to the aggregator (history.ts). */
  readonly history?: Iterable<readonly ReplayRecord[]>;
  /** When the per-tenant alarm evaluator runs. @default the runner's */
  readonly tenantAlarmSchedule?: TenantAlarmScheduleOptions;
}

/** The simulated day's schedule of per-tenant alarms: see DEMO_STRIDE_MS. */
function demoTenantAlarmSchedule(dayStartMs: number, incident: boolean): TenantAlarmScheduleOptions {
  const startMs = dayStartMs + DEMO_INCIDENT_START_MINUTE * MINUTE_MS;
  const endMs = startMs + DEMO_INCIDENT_MINUTES * MINUTE_MS;
  return {
    everyDataMinute: false,
    strideMs: DEMO_STRIDE_MS,
    focus: incident ? [{ fromMs: startMs - DEMO_FOCUS_BEFORE_MS, toMs: endMs + DEMO_FOCUS_AFTER_MS }] : [],
  };
}

/** A run of given events (`--events`), judged at `--now`, the current time, or as if live. */
function planEventsRun(opts: LocalCliOptions & { events: string }, baseConfig: PipelineConfig, io: CliIo): PlannedRun {
  if (opts.now !== undefined && opts.replayLive === true) {
    throw new UsageError(
      '--now and --replay-live exclude each other: judge the events at one instant, or as sent live.',
    );
  }
  const loaded = recordsFromEventsFile(resolve(opts.events));
  const records = [...loaded.records].sort((a, b) => a.sentAtMs - b.sentAtMs);
  const config = configWithEventTenants(baseConfig, loaded.tenants);
  const replayClock: ReplayClock =
    opts.replayLive === true
      ? { kind: 'live' }
      : opts.now !== undefined
        ? { kind: 'fixed', nowMs: parseInstant(opts.now, '--now'), source: '--now' }
        : { kind: 'fixed', nowMs: io.now(), source: 'current time' };
  const range = acceptedRange(loaded.records, replayClock, config);
  return {
    config,
    records,
    rangeStartMs: range.fromMs,
    rangeEndMs: range.toMs,
    ...(replayClock.kind === 'fixed' ? { fixedNowMs: replayClock.nowMs } : {}),
    headline: `${records.length} events from ${opts.events}; ${describeClock(replayClock)}`,
    replayClock,
  };
}

/** A simulated day of a simulated fleet, with the demo incident and days of history. */
function planSimulatedRun(opts: LocalCliOptions, baseConfig: PipelineConfig, io: CliIo): PlannedRun {
  if (opts.now !== undefined || opts.replayLive === true) {
    throw new UsageError('--now and --replay-live apply to --events only; the simulation runs on its own clock.');
  }
  const dayStartMs = opts.date === undefined ? yesterdayUtc(io.now()) : parseDay(opts.date);
  const fleet = simulatedFleet(opts.tenants, opts.seed);
  const incidentTenant = fleet[0] as SimulatedTenant;
  const declines = opts.declines !== false;
  const declining = declines ? demoDeclinesOn(fleet, 0) : [];
  const config = configWithFleet(baseConfig, fleet);
  const experiment = simulatedExperimentOf(config);
  const day = simulateDay({
    dayStartMs,
    tenants: fleet,
    seed: opts.seed,
    scale: opts.scale,
    ...(experiment === undefined ? {} : { experiment }),
    ...(declines ? { declines: declining } : {}),
    ...(opts.incident
      ? {
          incident: {
            tenant: incidentTenant.id,
            startMs: dayStartMs + DEMO_INCIDENT_START_MINUTE * MINUTE_MS,
            durationMs: DEMO_INCIDENT_MINUTES * MINUTE_MS,
          },
        }
      : {}),
  });
  // History: the days before, fed straight to the aggregator (history.ts), so the reports have
  // a previous day and a previous week to compare with.
  const history =
    opts.historyDays > 0
      ? simulateHistory({
          dayStartMs,
          days: opts.historyDays,
          tenants: fleet,
          seed: opts.seed,
          scale: opts.scale,
          declines,
        })
      : undefined;
  return {
    config,
    records: day,
    ...(history === undefined ? {} : { history }),
    tenantAlarmSchedule: demoTenantAlarmSchedule(dayStartMs, opts.incident),
    monitoredFromMs: dayStartMs,
    rangeStartMs: dayStartMs - opts.historyDays * DAY_MS,
    rangeEndMs: dayStartMs + DAY_MS,
    headline:
      `a simulated day (${new Date(dayStartMs).toISOString().slice(0, 10)}) of ${fleet.length} tenants, ` +
      `${day.length} records` +
      (opts.historyDays === 0 ? '' : ` after ${opts.historyDays} days of history (sampled hourly)`) +
      (declines ? `, clients in decline: ${declining.map((d) => d.tenant).join(', ') || 'none'}` : '') +
      (opts.incident ? `, incident on ${incidentTenant.id} at 10:00 UTC for ${DEMO_INCIDENT_MINUTES} min` : ''),
  };
}

/**
 * After the run, with `--keep-running`: writes the state file, keeps aggregating what arrives on
 * the stream, and prints how to use it. Returns when `ended` resolves (Ctrl-C).
 */
async function keepRunning(run: LocalRun, plan: PlannedRun, opts: LocalCliOptions, io: CliIo, ended: Promise<void>) {
  const path = writeLocalState(
    {
      version: 1,
      region: 'us-east-1',
      endpoints: {
        kinesis: run.result.endpoints.kinesis,
        dynamodb: run.result.endpoints.dynamodb,
        ses: run.result.endpoints.ses,
      },
      resources: run.result.resources,
      pid: process.pid,
      ...(opts.exportDir === undefined ? {} : { exportDir: resolve(opts.exportDir) }),
    },
    opts.stateFile,
  );
  // Live from here on: what `kpi send --local` puts on the stream is aggregated within seconds,
  // judged against the current time. A fixed --now holds for the live records too, so a session
  // can be replayed exactly.
  const replay = plan.replayClock;
  const fixedClock = replay?.kind === 'fixed' && replay.source === '--now' ? replay : undefined;
  let lastError = '';
  run.follow(fixedClock === undefined ? io.now : () => fixedClock.nowMs, {
    onIncident: (id, alarmName, atMs) =>
      io.out(`${clock(atMs)} incident ${id} opened by ${alarmName}; acknowledge: npx kpi ack ${id} --local\n`),
    onError: (err) => {
      // Retried every second: say it once, not every round.
      const text = err instanceof Error ? err.message : String(err);
      if (text !== lastError) io.err(`live round failed (retried): ${text}\n`);
      lastError = text;
    },
  });
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  io.out(
    `\nThe local pipeline keeps running: it aggregates what arrives on ${run.result.resources.stream}, ` +
      'evaluates the alarms on it and runs the ladders of the incidents they open, printing each one ' +
      `(state in ${path}). In another terminal try:\n` +
      '  npx kpi send --local events.ndjson\n' +
      `  npx kpi snapshot --local --at ${new Date(plan.rangeStartMs + 23 * 3_600_000).toISOString()}\n` +
      `  npx kpi export --local --from ${day(plan.rangeStartMs)} --to ${day(plan.rangeEndMs)} --granularity day\n` +
      'Press Ctrl-C to stop it.\n',
  );
  await ended;
}

/** Runs `kpi local`. */
export async function runLocalCommand(opts: LocalCliOptions, io: CliIo): Promise<void> {
  const t0 = Date.now();
  // The local run talks to no AWS endpoint; the SDK's Node version notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const baseConfig = loadConfigFile(opts.config);
  const { events } = opts;
  const plan =
    events !== undefined ? planEventsRun({ ...opts, events }, baseConfig, io) : planSimulatedRun(opts, baseConfig, io);
  io.err(`${io.isTTY ? pc.bold('kpi local') : 'kpi local'}: ${plan.headline}\n`);

  let run: LocalRun | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await run?.stop();
    if (opts.keepRunning === true) removeLocalState(opts.stateFile);
  };
  const interrupted = new AbortController();
  let endKeepRunning: (() => void) | undefined;
  const ended = new Promise<void>((done) => {
    endKeepRunning = done;
  });
  let running = false;
  const onSignal = () => {
    io.err('\nStopping the local stand-ins...\n');
    // Kept running: Ctrl-C is the normal end; the `finally` below stops everything. Mid-run: the
    // stand-ins stop, the stage in progress fails, and the run ends with the shell's code for an
    // interrupt (the program maps InterruptedError to it).
    if (running) endKeepRunning?.();
    else interrupted.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    run = await runLocalPipeline({
      config: plan.config,
      records: plan.records,
      rangeStartMs: plan.rangeStartMs,
      rangeEndMs: plan.rangeEndMs,
      ...(plan.fixedNowMs === undefined ? {} : { fixedNowMs: plan.fixedNowMs }),
      ...(plan.monitoredFromMs === undefined ? {} : { monitoredFromMs: plan.monitoredFromMs }),
      ...(plan.history === undefined ? {} : { history: plan.history }),
      ...(plan.tenantAlarmSchedule === undefined ? {} : { tenantAlarmSchedule: plan.tenantAlarmSchedule }),
      keepConsuming: opts.keepRunning === true,
      ...(opts.exportDir === undefined ? {} : { exportDir: resolve(opts.exportDir) }),
      observer: terminalObserver(io),
      signal: interrupted.signal,
    }).catch((err: unknown) => {
      throw err instanceof RunAbortedError ? new InterruptedError('the local stand-ins were stopped mid-run') : err;
    });
    io.out(renderSummary(run.result, plan.config, io, Date.now() - t0));
    if (plan.replayClock !== undefined) io.out(`${describeClock(plan.replayClock)}\n`);
    if (opts.keepRunning === true) {
      running = true;
      await keepRunning(run, plan, opts, io, ended);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stop();
  }
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function sev(severity: string, io: CliIo): string {
  if (!io.isTTY) return severity;
  if (severity === 'P1') return pc.bgRed(pc.white(` ${severity} `));
  if (severity === 'P2') return pc.red(severity);
  if (severity === 'P3') return pc.yellow(severity);
  return pc.dim(severity);
}

type Heading = (title: string) => string;

/** The fleet KPIs per day, and what happened to the records. */
function kpiSection(result: LocalRunResult, config: PipelineConfig, io: CliIo, h: Heading, lines: string[]): void {
  const catalog = catalogFor(config);
  lines.push(h(`Fleet KPIs (${config.tenants.length} tenants)`));
  const byKpi = new Map(result.fleetDays.map((r) => [`${r.bucketStart}|${r.kpi}`, r]));
  const days = [...new Set(result.fleetDays.map((r) => r.bucketStart))].sort();
  const rows: string[][] = [['KPI', ...days.map((d) => d.slice(0, 10)), 'count', 'p95']];
  // The catalog's summary KPIs, catalog order, when they have data.
  for (const def of catalog.summaryKpis()) {
    const name = def.name;
    const cells = days.map((d) => byKpi.get(`${d}|${name}`));
    if (cells.every((c) => c === undefined)) continue;
    const last = cells.filter((c) => c !== undefined).at(-1);
    rows.push([
      name,
      ...cells.map((c) => formatKpiValue(c?.value, def.unit)),
      (last?.count ?? 0).toLocaleString('en-US'),
      formatKpiValue(last?.p95, def.unit),
    ]);
  }
  lines.push(renderTable(rows, { colour: io.isTTY }));
  const a = result.aggregation;
  const reasons = Object.entries(a.rejectedByReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  lines.push(
    `Records: ${result.pump.read} read from ${result.resources.stream}, ${a.accepted} accepted, ` +
      `${a.rejected} rejected${reasons === '' ? '' : ` (${reasons})`}, ${result.emfDocuments.length} EMF documents.`,
  );
}

/** Each configured experiment's result over the run. */
function experimentSection(result: LocalRunResult, config: PipelineConfig, h: Heading, lines: string[]): void {
  const catalog = catalogFor(config);
  for (const e of result.experiments ?? []) {
    lines.push('', h(`Experiment ${e.id}`), experimentText(e, experimentRows(e), 0, (k) => catalog.get(k)).trimEnd());
  }
}

/** The paging alarms that fired. */
function alarmSection(result: LocalRunResult, config: PipelineConfig, io: CliIo, h: Heading, lines: string[]): void {
  lines.push('', h('Alarms'));
  const tenant = result.tenantAlarms;
  const fired = [...result.alarms.transitions, ...(tenant?.transitions ?? [])].filter((t) => t.toState === 'ALARM');
  const paging = new Map<string, { severity: string; count: number; first: number }>();
  for (const t of fired) {
    let id: ReturnType<typeof parseAlarmName>;
    try {
      id = parseAlarmName(t.alarmName);
    } catch {
      continue;
    }
    // Alarm parts and roll-ups carry a dotted deployment; they feed composites and never page.
    if (id.deployment !== config.name) continue;
    const entry = paging.get(t.alarmName) ?? { severity: id.severity, count: 0, first: t.atMs };
    entry.count++;
    paging.set(t.alarmName, entry);
  }
  lines.push(
    `${result.alarms.alarmsEvaluated} synthesized alarms evaluated over ${result.alarms.datapoints} datapoints` +
      (tenant === undefined
        ? ''
        : `, per-tenant rules of ${tenant.evaluator.plans.length} tenants by the tenant-alarms handler at ` +
          `${tenant.minutes} simulated minutes`) +
      `; ${paging.size} paging alarms fired.`,
  );
  const alarmRows = [...paging.entries()]
    .sort((a, b) => a[1].severity.localeCompare(b[1].severity) || a[1].first - b[1].first)
    .slice(0, 12)
    .map(([name, e]) => [sev(e.severity, io), name, `${e.count}x`, `first ${clock(e.first)}`]);
  if (alarmRows.length > 0) lines.push(renderTable([['severity', 'alarm', 'fired', 'when'], ...alarmRows]));
  if (paging.size > alarmRows.length) lines.push(`  ... and ${paging.size - alarmRows.length} more.`);
}

/** Incidents, their pages and response times, and the first P1s' timelines. */
function incidentSection(result: LocalRunResult, io: CliIo, h: Heading, lines: string[]): void {
  lines.push('', h('Incidents'));
  const e = result.escalation;
  const byState = new Map<string, number>();
  for (const i of e.incidents) byState.set(i.state, (byState.get(i.state) ?? 0) + 1);
  const pages = e.incidents.reduce((n, i) => n + i.paged.length, 0);
  lines.push(
    `${e.incidents.length} incidents (${[...byState.entries()].map(([k, v]) => `${v} ${k}`).join(', ')}), ` +
      `${pages} pages, ${e.ladders} escalation ladders run, ${e.mails} pages and notices in the local SES.`,
  );
  const minutes = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms / 60_000)} min`);
  const incidentRows = e.incidents.map((i) => {
    const t = incidentTimings(i);
    return [
      sev(i.severity, io),
      scopeLabel(i.tenant),
      clock(i.openedAt),
      `${alertsOf(i).length}`,
      `${i.paged.length}`,
      minutes(t.timeToAcknowledgeMs),
      minutes(t.timeToResolveMs),
      i.id,
    ];
  });
  if (incidentRows.length > 0) {
    lines.push(
      renderTable([['severity', 'scope', 'opened', 'alerts', 'pages', 'MTTA', 'MTTR', 'incident'], ...incidentRows]),
    );
  }
  const mean = meanTimings(e.incidents);
  lines.push(
    `Per incident: mean time to acknowledge ${minutes(mean.timeToAcknowledgeMs)}, to resolve ${minutes(mean.timeToResolveMs)}.`,
  );
  const p1 = e.incidents.filter((i) => i.severity === 'P1' && i.level >= 1).slice(0, 2);
  for (const i of p1) {
    lines.push('', `${sev(i.severity, io)} ${alertSummary(i, 160)} (${i.id}), now ${i.state}`);
    const alertRows = alertsOf(i).map((a) => [
      a.severity,
      a.alarmName,
      clock(a.firstFiredAt),
      a.mutedBy === undefined ? a.lastState : `${a.lastState}, muted`,
    ]);
    lines.push(renderTable([['severity', 'alert', 'first fired', 'last state'], ...alertRows]));
    for (const t of i.timeline.filter((x) => !['alert', 'joined', 'muted'].includes(x.kind))) {
      lines.push(`  ${clock(t.atMs)}  ${t.kind.padEnd(12)} ${t.detail.slice(0, 110)}`);
    }
  }
}

/** The terminal summary of a run. */
export function renderSummary(result: LocalRunResult, config: PipelineConfig, io: CliIo, elapsedMs: number): string {
  const h: Heading = (title) => (io.isTTY ? pc.bold(pc.underline(title)) : `== ${title} ==`);
  const lines: string[] = [''];
  kpiSection(result, config, io, h, lines);
  experimentSection(result, config, h, lines);
  alarmSection(result, config, io, h, lines);
  incidentSection(result, io, h, lines);
  lines.push('', h('Reports'));
  for (const r of result.reports) {
    lines.push(
      `  ${r.kind.padEnd(21)} ${r.outcome === 'sent' ? `mailed to ${r.recipients.join(', ')}` : 'skipped (no recipients)'}` +
        (r.file === undefined ? '' : `\n  ${''.padEnd(21)} ${r.file}`),
    );
  }
  if (result.files.length > 0) {
    lines.push('', h('Files'));
    for (const f of result.files) lines.push(`  ${f}`);
  }
  lines.push(
    '',
    `Took ${(elapsedMs / 1000).toFixed(1)} s (${result.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}).`,
    '',
  );
  return lines.join('\n');
}
