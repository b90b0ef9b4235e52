/**
 * `npm run bench -- alerts`: alert quality over labelled scenarios (bench/alerts-scenarios.ts).
 *
 * Each scenario's simulated records go through the real pieces of the pipeline, in memory:
 * the aggregator's use case (AggregateBatch, a minute of records per batch, over an in-memory
 * KPI store) publishing EMF documents through the real EMF adapter; the alarms of the
 * synthesized CDK app in the project's evaluator over those metrics (the local mode's
 * evaluateLocalAlarms), and the per-tenant rules through the real tenant-alarms handler over the
 * KPI items the aggregator wrote, once a minute (./alerts-tenant-evaluation.ts); every state
 * change as a CloudWatch event into the real alarm router handler over the in-memory incident
 * store; the ladder's own decisions (stepBeforePage) for when its level-1 page goes out.
 *
 * What counts as a page: the level-1 page of a ladder run (the first page of an incident, and
 * the page of a raise to a higher severity). Climbing to level 2 when nobody acknowledges is not
 * counted: it is the same notification repeated to the next person.
 * An incident belongs to a scenario's problem when it opened between the problem's start and 30
 * minutes after its end and its tenant is the problem's tenant, or the fleet (`*`); every tenant's
 * incident belongs to a fleet-wide problem.
 */

import { configWithFleet } from '../cli/commands/local';
import { ALARM_TAIL_MS, evaluateLocalAlarms } from '../cli/local/alarms';
import { CapturedMetrics } from '../cli/local/handlers';
import { simulatedFleet } from '../cli/local/simulator';
import { type SynthesizedTemplates, synthesizeTemplatesInChild } from '../cli/synth';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../cli/wiring';
import { EmfKpiMetrics } from '../lambdas/adapters/metrics-emf';
import { AggregateBatch, type StreamRecord } from '../lambdas/core/aggregation';
import { alarmStateChangeEvent } from '../lambdas/core/alarm-evaluator';
import type { KpiCatalog } from '../lambdas/core/catalog';
import { catalogFor } from '../lambdas/core/catalog/for-config';
import { type PipelineConfig, perTenantAlarmTenants, type Severity } from '../lambdas/core/config/schema';
import { type LadderRun, type LadderStarter, stepBeforePage } from '../lambdas/core/escalation/ladder';
import { InMemoryIncidentStore, resolveQuietIncident } from '../lambdas/core/incidents';
import type { Incident } from '../lambdas/core/incidents/types';
import { createAlarmRouterHandler } from '../lambdas/handlers/alarm-router/handler';
import { loadConfigFile } from '../lib/config/load';
import { type AlertScenario, alertScenarios } from './alerts-scenarios';
import { evaluateTenantRules } from './alerts-tenant-evaluation';
import { MemoryKpiStore } from './memory-kpi-store';
import type { BenchResult } from './run';

const MIN = 60_000;
/** Incidents opened this long after a problem's end still belong to it (late alarms, slow windows). */
const BELONGS_AFTER_END_MS = 30 * MIN;
/** The ladder's poll, as the state machine uses it. */
const POLL_SECONDS = 60;
const QUIET_LOGGER = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * Folds the records minute by minute through the aggregator; returns the EMF documents it
 * published and the store holding the KPI items it wrote.
 */
async function aggregate(
  config: PipelineConfig,
  catalog: KpiCatalog,
  scenario: AlertScenario,
): Promise<{ emf: string[]; store: MemoryKpiStore }> {
  const metrics = new CapturedMetrics({
    namespace: config.metricsNamespace,
    serviceName: 'aggregator',
    logger: QUIET_LOGGER,
  });
  const store = new MemoryKpiStore(catalog);
  const batch = new AggregateBatch({
    catalog,
    store,
    quarantine: { put: async () => ({ failedSequenceNumbers: [] }) },
    metrics: new EmfKpiMetrics({ metrics, catalog, perTenantAlarmTenants: perTenantAlarmTenants(config) }),
    retention: config.retention,
  });
  const encoder = new TextEncoder();
  const records = scenario.records;
  let seq = 0n;
  let i = 0;
  while (i < records.length) {
    const minuteEnd = Math.floor(records[i]!.sentAtMs / MIN) * MIN + MIN;
    const chunk: StreamRecord[] = [];
    for (; i < records.length && records[i]!.sentAtMs < minuteEnd; i++) {
      const r = records[i]!;
      chunk.push({
        shardId: 'shardId-000000000000',
        sequenceNumber: (10n ** 20n + seq++).toString(),
        data: encoder.encode(r.data),
        arrivalMs: r.sentAtMs,
        partitionKey: r.partitionKey,
      });
    }
    const report = await batch.run(chunk, minuteEnd);
    if (report.rejected > 0) throw new Error(`${scenario.name}: ${report.rejected} simulated records were rejected`);
  }
  return { emf: metrics.documents, store };
}

/** One level-1 page: the first of an incident or the page of a raise. */
interface BenchPage {
  readonly incidentId: string;
  readonly severity: Severity;
  readonly atMs: number;
}

interface PendingRun {
  readonly incidentId: string;
  readonly severity: Severity;
  dueMs: number;
}

/**
 * Routes the state changes through the real router and plays the ladders' level-1 decisions on a
 * simulated clock; returns every incident and every level-1 page.
 */
async function escalate(
  config: PipelineConfig,
  transitions: ReturnType<typeof evaluateLocalAlarms>['transitions'],
  endMs: number,
): Promise<{ incidents: Incident[]; pages: BenchPage[] }> {
  const store = new InMemoryIncidentStore();
  const pending: PendingRun[] = [];
  const pages: BenchPage[] = [];
  let clock = 0;
  const ladder: LadderStarter = {
    start: async (incidentId: string, run: LadderRun) => {
      pending.push({ incidentId, severity: run.severity, dueMs: clock });
      return `arn:bench:${run.name}`;
    },
  };
  const router = createAlarmRouterHandler({
    config,
    store,
    ladder,
    log: { info: () => {}, warn: () => {} },
  });
  const runLaddersUntil = async (untilMs: number) => {
    for (;;) {
      pending.sort((a, b) => a.dueMs - b.dueMs);
      const run = pending[0];
      if (run === undefined || run.dueMs > untilMs) return;
      pending.shift();
      const nowMs = run.dueMs;
      let incident = await store.update(run.incidentId, (i) => resolveQuietIncident(config, i, nowMs));
      const next = stepBeforePage(incident, 1, { config, nowMs, pollSeconds: POLL_SECONDS, severity: run.severity });
      if (next === undefined) {
        pages.push({ incidentId: incident.id, severity: run.severity, atMs: nowMs });
        incident = await store.update(incident.id, (i) => ({
          ...i,
          level: 1,
          paged: [...i.paged, { contactId: 'bench', channel: 'email', atMs: nowMs, level: 1 }],
        }));
      } else if (next.next === 'wait') {
        pending.push({ ...run, dueMs: nowMs + next.waitSeconds * 1000 });
      }
    }
  };
  let n = 0;
  for (const t of transitions) {
    await runLaddersUntil(t.atMs);
    clock = t.atMs;
    await router(alarmStateChangeEvent(t, { account: LOCAL_ACCOUNT, region: LOCAL_REGION, eventId: `bench-${n++}` }));
  }
  await runLaddersUntil(endMs);
  return { incidents: await store.listBetween(0, Number.MAX_SAFE_INTEGER), pages };
}

/** The figures of one scenario. */
export interface ScenarioOutcome {
  readonly name: string;
  readonly description: string;
  readonly problem: boolean;
  readonly expected?: string;
  readonly detected: boolean;
  /** First page of the problem's incidents after its start, ms; undefined when none paged. */
  readonly timeToFirstPageMs?: number;
  readonly firstPageSeverity?: Severity;
  /** First P1 page of the problem after its start, ms; undefined when none. */
  readonly timeToFirstP1PageMs?: number;
  readonly problemIncidents: number;
  readonly problemPages: number;
  readonly falsePagesHigh: number;
  readonly falsePagesLow: number;
  readonly falseIncidents: string[];
  /** The problem's incidents, described (what split it, when there is more than one). */
  readonly problemIncidentList: string[];
  /** With ALERT_TIMELINE=1: the alarm state changes and pages around the problem's first page. */
  readonly timeline: string[];
  readonly records: number;
  readonly seconds: number;
}

const HIGH: ReadonlySet<Severity> = new Set(['P1', 'P2']);

function belongs(scenario: AlertScenario, incident: Incident): boolean {
  const p = scenario.problem;
  if (p === undefined) return false;
  const tenants = new Set([incident.tenant, ...(incident.alerts ?? []).map((a) => a.tenant)]);
  return (
    incident.openedAt >= p.startMs &&
    incident.openedAt < p.endMs + BELONGS_AFTER_END_MS &&
    // A fleet-wide problem is every tenant's problem.
    (p.tenant === '*' || tenants.has(p.tenant) || tenants.has('*'))
  );
}

async function runScenario(
  config: PipelineConfig,
  catalog: KpiCatalog,
  templates: SynthesizedTemplates,
  scenario: AlertScenario,
): Promise<ScenarioOutcome> {
  const started = Date.now();
  const { emf, store } = await aggregate(config, catalog, scenario);
  // CloudWatch's alarms over the published metrics; the per-tenant rules by the tenant-alarms
  // handler over the KPI items, as deployed. Sorted stably: the same minute keeps that order.
  const cloudWatch = evaluateLocalAlarms(templates, emf, scenario.fromMs, scenario.toMs).transitions;
  const pipeline = await evaluateTenantRules(config, catalog, store, scenario.fromMs, scenario.toMs + ALARM_TAIL_MS);
  const transitions = [...cloudWatch, ...pipeline].sort((a, b) => a.atMs - b.atMs);
  const { incidents, pages } = await escalate(config, transitions, scenario.toMs + 60 * MIN);
  const ours = new Set(incidents.filter((i) => belongs(scenario, i)).map((i) => i.id));
  const problemPages = pages.filter((p) => ours.has(p.incidentId));
  const falsePages = pages.filter((p) => !ours.has(p.incidentId));
  const first = problemPages[0];
  const firstP1 = problemPages.find((p) => p.severity === 'P1');
  const describe = (i: Incident) => {
    const rules = [
      ...new Set((i.alerts ?? []).map((a) => `${a.ruleId}${a.tenant === i.tenant ? '' : ` (${a.tenant})`}`)),
    ].join(', ');
    return `${new Date(i.openedAt).toISOString().slice(11, 16)} ${i.severity} ${i.tenant}: ${rules}`;
  };
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const describeWithEnd = (i: Incident) =>
    `${describe(i)} (${i.resolvedAt === undefined ? 'open' : `resolved ${hhmm(i.resolvedAt)}`}; ` +
    `pages ${
      pages
        .filter((p) => p.incidentId === i.id)
        .map((p) => `${hhmm(p.atMs)} ${p.severity}`)
        .join(', ') || 'none'
    })`;
  return {
    name: scenario.name,
    description: scenario.description,
    problem: scenario.problem !== undefined,
    ...(scenario.problem === undefined ? {} : { expected: scenario.problem.expected }),
    detected: first !== undefined,
    ...(first === undefined
      ? {}
      : { timeToFirstPageMs: first.atMs - scenario.problem!.startMs, firstPageSeverity: first.severity }),
    ...(firstP1 === undefined ? {} : { timeToFirstP1PageMs: firstP1.atMs - scenario.problem!.startMs }),
    problemIncidents: ours.size,
    problemPages: problemPages.length,
    falsePagesHigh: falsePages.filter((p) => HIGH.has(p.severity)).length,
    falsePagesLow: falsePages.filter((p) => !HIGH.has(p.severity)).length,
    falseIncidents: incidents.filter((i) => !ours.has(i.id) && i.paged.length > 0).map(describe),
    problemIncidentList: incidents.filter((i) => ours.has(i.id)).map(describeWithEnd),
    timeline: process.env.ALERT_TIMELINE === undefined ? [] : timeline(scenario, transitions, problemPages),
    records: scenario.records.length,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * The state changes of the problem's tenant and the fleet from 10 minutes before the problem to
 * 10 minutes after its first page (30 minutes when none), with the problem's pages: what decided
 * the time to first page.
 */
function timeline(
  scenario: AlertScenario,
  transitions: ReturnType<typeof evaluateLocalAlarms>['transitions'],
  problemPages: readonly BenchPage[],
): string[] {
  const p = scenario.problem;
  if (p === undefined) return [];
  const from = p.startMs - 10 * MIN;
  const to = (problemPages[0]?.atMs ?? p.startMs + 20 * MIN) + 10 * MIN;
  const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  const events = [
    ...transitions
      .filter((t) => t.atMs >= from && t.atMs <= to)
      .filter(
        (t) => p.tenant === '*' || t.alarmName.includes(`/tenant-${p.tenant}/`) || t.alarmName.includes('/fleet/'),
      )
      .map((t) => ({ atMs: t.atMs, text: `${t.alarmName} ${t.fromState} -> ${t.toState}: ${t.reason}` })),
    ...problemPages.filter((pg) => pg.atMs <= to).map((pg) => ({ atMs: pg.atMs, text: `PAGE ${pg.severity}` })),
  ];
  return events.sort((a, b) => a.atMs - b.atMs).map((e) => `${hhmmss(e.atMs)} ${e.text}`);
}

const minutes = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / MIN).toFixed(0)} min`);

/** The Markdown table BENCHMARKS.md carries. */
export function outcomeTable(outcomes: readonly ScenarioOutcome[]): string {
  const lines = [
    '| scenario | expected | recall | first page (severity) | first P1 page | incidents / problem | pages / problem | false pages P1/P2 | false P3/P4 |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const o of outcomes) {
    lines.push(
      `| ${o.name} | ${o.expected ?? '-'} | ${o.problem ? (o.detected ? '1/1' : '0/1') : '-'} | ` +
        `${o.problem ? `${minutes(o.timeToFirstPageMs)}${o.firstPageSeverity ? ` (${o.firstPageSeverity})` : ''}` : '-'} | ` +
        `${minutes(o.timeToFirstP1PageMs)} | ` +
        `${o.problem ? o.problemIncidents : '-'} | ${o.problem ? o.problemPages : '-'} | ${o.falsePagesHigh} | ${o.falsePagesLow} |`,
    );
  }
  const problems = outcomes.filter((o) => o.problem);
  const clean = outcomes.filter((o) => !o.problem);
  const sum = (xs: readonly ScenarioOutcome[], f: (o: ScenarioOutcome) => number) => xs.reduce((s, o) => s + f(o), 0);
  lines.push(
    `| **total** | | ${problems.filter((o) => o.detected).length}/${problems.length} | ` +
      `${problems.filter((o) => o.timeToFirstPageMs !== undefined && o.timeToFirstPageMs <= 5 * MIN).length}/${problems.length} paged within 5 min | ` +
      `P1 problems paged at P1 within 5 min: ${problems.filter((o) => o.expected === 'P1' && (o.timeToFirstP1PageMs ?? Infinity) <= 5 * MIN).length}/${problems.filter((o) => o.expected === 'P1').length} | ` +
      `${(sum(problems, (o) => o.problemIncidents) / problems.length).toFixed(2)} | ` +
      `${(sum(problems, (o) => o.problemPages) / problems.length).toFixed(2)} | ` +
      `${(sum(clean, (o) => o.falsePagesHigh) / Math.max(1, clean.length)).toFixed(1)} per clean day | ` +
      `${(sum(clean, (o) => o.falsePagesLow) / Math.max(1, clean.length)).toFixed(1)} per clean day |`,
  );
  return lines.join('\n');
}

/**
 * The spread of the problems' time to first page over several traffic samples (`ALERT_SEEDS`):
 * one sample decides on the counts of rare events in a problem's first minutes.
 */
export function spreadTable(samples: ReadonlyArray<{ offset: number; outcomes: readonly ScenarioOutcome[] }>): string {
  const lines = [
    `| scenario | first page per sample (seed offsets ${samples.map((s) => s.offset).join(', ')}) | median | first P1 page per sample | incidents / problem | false pages P1/P2 |`,
    '|---|---|---|---|---|---|',
  ];
  const names = [...new Set(samples.flatMap((s) => s.outcomes.map((o) => o.name.replace(/ \(seed \d+\)$/, ''))))];
  for (const name of names) {
    const os = samples.flatMap((s) => s.outcomes.filter((o) => o.name.replace(/ \(seed \d+\)$/, '') === name));
    const firsts = os.map((o) => o.timeToFirstPageMs);
    const known = firsts.filter((f): f is number => f !== undefined).sort((a, b) => a - b);
    const median =
      known.length === 0
        ? undefined
        : (known[Math.floor((known.length - 1) / 2)]! + known[Math.ceil((known.length - 1) / 2)]!) / 2;
    const problem = os[0]?.problem === true;
    lines.push(
      `| ${name} | ${problem ? firsts.map(minutes).join(', ') : '-'} | ${problem ? minutes(median) : '-'} | ` +
        `${problem ? os.map((o) => minutes(o.timeToFirstP1PageMs)).join(', ') : '-'} | ` +
        `${problem ? os.map((o) => o.problemIncidents).join(', ') : '-'} | ${os.map((o) => o.falsePagesHigh).join(', ')} |`,
    );
  }
  return lines.join('\n');
}

/** Prints one sample's table, its unexpected incidents and (ALERT_TIMELINE) the problems' timelines. */
function printSample(outcomes: readonly ScenarioOutcome[]): void {
  console.log(`\n${outcomeTable(outcomes)}\n`);
  for (const o of outcomes) {
    console.log(`${o.name}: ${o.description}; ${o.records.toLocaleString('en-US')} records, ${o.seconds.toFixed(1)} s`);
    for (const f of o.falseIncidents) console.log(`  paged outside the problem: ${f}`);
    for (const f of o.problemIncidentList) console.log(`  the problem's incident: ${f}`);
    for (const line of o.timeline) console.log(`    ${line}`);
  }
}

/**
 * Runs every scenario; prints the Markdown table and each unexpected incident.
 * `ALERT_SCENARIOS=silent,clean` runs only the scenarios whose name contains one of the words (a
 * full run is ~3 minutes on an idle machine, much longer on a shared one); `ALERT_SEEDS=0,100,200`
 * runs them on several traffic samples (offsets added to every seed) and prints the spread.
 */
export async function run(): Promise<BenchResult[]> {
  const fleet = simulatedFleet(20, 42);
  const config = configWithFleet(loadConfigFile(`${__dirname}/../config/pipeline.json`), fleet);
  const catalog = catalogFor(config);
  const synthStarted = Date.now();
  const templates = await synthesizeTemplatesInChild(config);
  const synthSeconds = (Date.now() - synthStarted) / 1000;
  const only = (process.env.ALERT_SCENARIOS ?? '').split(',').filter((w) => w !== '');
  const offsets = (process.env.ALERT_SEEDS ?? '0')
    .split(',')
    .filter((w) => w !== '')
    .map(Number);
  const samples: Array<{ offset: number; outcomes: ScenarioOutcome[] }> = [];
  for (const offset of offsets) {
    const outcomes: ScenarioOutcome[] = [];
    for (const scenario of alertScenarios(fleet, offset)) {
      if (only.length > 0 && !only.some((w) => scenario.name.includes(w))) continue;
      outcomes.push(await runScenario(config, catalog, templates, scenario));
    }
    if (offsets.length > 1) console.log(`\ntraffic seed offset ${offset}:`);
    printSample(outcomes);
    samples.push({ offset, outcomes });
  }
  if (offsets.length > 1) console.log(`\n${spreadTable(samples)}\n`);
  const results: BenchResult[] = [{ name: 'synthesis', value: synthSeconds, unit: 's' }];
  for (const { offset, outcomes } of samples) {
    const tag = offsets.length > 1 ? ` [seed +${offset}]` : '';
    for (const o of outcomes) {
      if (o.problem) {
        results.push({
          name: `${o.name}${tag}: first page`,
          value: o.timeToFirstPageMs === undefined ? -1 : o.timeToFirstPageMs / MIN,
          unit: 'min',
          note: `${o.problemIncidents} incident(s), ${o.problemPages} page(s); -1 = missed`,
        });
      }
      results.push({
        name: `${o.name}${tag}: false pages`,
        value: o.falsePagesHigh + o.falsePagesLow,
        unit: 'pages',
        note: `${o.falsePagesHigh} P1/P2, ${o.falsePagesLow} P3/P4`,
      });
    }
  }
  return results;
}
