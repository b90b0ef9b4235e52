/**
 * `kpi backtest --metrics FILE`: replays recorded metrics (EMF lines, as the aggregator logs them)
 * against the alarms of a synthesized template and reports what would have fired, when, at which
 * severity, and when it would have resolved.
 */
import { parseAlarmName } from '../alarms/naming';
import { scopeLabel } from '../vocabulary';
import type { AnomalyBandOptions } from './anomaly';
import { parseEmfLines } from './emf';
import { evaluateAlarms } from './evaluator';
import { MetricStore } from './statistics';
import { alarmsFromTemplate } from './template';
import { type AlarmDefinitions, AlarmEvaluationError, type AlarmState, type AlarmStateTransition } from './types';

/** One alarm episode: from entering ALARM to leaving it. */
export interface BacktestRow {
  readonly alarm: string;
  /** From the alarm name (`P1`..`P4`), or `-` for a name outside the naming convention. */
  readonly severity: string;
  /** Tenant id, `*` for the fleet, `-` when the name does not say. */
  readonly tenant: string;
  readonly ruleId: string;
  readonly firedAtMs: number;
  /** When it left ALARM; absent when still in ALARM at the end of the replay. */
  readonly resolvedAtMs?: number;
  /** The state it left ALARM for (OK, or INSUFFICIENT_DATA when the data stopped). */
  readonly resolvedTo?: AlarmState;
  readonly reason: string;
  /** The silence that would have kept this episode from paging, when one covered its start. */
  readonly silencedBy?: string;
}

/** What a backtest found. */
export interface BacktestReport {
  readonly fromMs: number;
  readonly toMs: number;
  /** Metric and composite alarms evaluated. */
  readonly alarmsEvaluated: number;
  /** Datapoints read from the metrics file. */
  readonly datapoints: number;
  /** Episodes, by fired time then alarm name. */
  readonly rows: readonly BacktestRow[];
  /** Every state transition, for detail. */
  readonly transitions: readonly AlarmStateTransition[];
}

/** Options of {@link backtest}. */
export interface BacktestOptions {
  /** @default the first datapoint's minute */
  readonly fromMs?: number;
  /** @default 10 minutes after the last datapoint, so episodes at the end can resolve */
  readonly toMs?: number;
  /**
   * Also report alarms that never page (burn-rate windows, roll-ups): names whose deployment part
   * contains a `.`.
   * @default false
   */
  readonly includeNonPaging?: boolean;
  readonly anomaly?: AnomalyBandOptions;
  /**
   * The silence covering a rule and tenant at an instant, if any (e.g.
   * `(rule, tenant, at) => activeSilence(config, rule, tenant, at)?.id`): such episodes are
   * reported as silenced, as the router would record them without paging.
   */
  readonly silenceAt?: (ruleId: string, tenant: string, atMs: number) => string | undefined;
  /**
   * Alarms the pipeline evaluates itself rather than CloudWatch (the per-tenant rules and the
   * `tenant-silent` rule, `tenantAlarmDefinitions`), replayed with the template's.
   * @default none
   */
  readonly pipelineAlarms?: AlarmDefinitions;
}

function identity(name: string): { severity: string; tenant: string; ruleId: string; paging: boolean } {
  try {
    const id = parseAlarmName(name);
    return { severity: id.severity, tenant: id.tenant, ruleId: id.ruleId, paging: !id.deployment.includes('.') };
  } catch {
    return { severity: '-', tenant: '-', ruleId: name, paging: true };
  }
}

/**
 * Replays `metricsFileLines` against the alarms of `template`.
 * @throws AlarmEvaluationError when the file holds no EMF datapoints or a definition cannot be evaluated
 */
export function backtest(
  template: object,
  metricsFileLines: readonly string[],
  options: BacktestOptions = {},
): BacktestReport {
  const fromTemplate = alarmsFromTemplate(template);
  const extra = options.pipelineAlarms;
  const defs: AlarmDefinitions =
    extra === undefined
      ? fromTemplate
      : {
          metricAlarms: [...fromTemplate.metricAlarms, ...extra.metricAlarms],
          composites: [...fromTemplate.composites, ...extra.composites],
          anomalyDetectors: [...fromTemplate.anomalyDetectors, ...extra.anomalyDetectors],
        };
  const data = parseEmfLines(metricsFileLines);
  const store = MetricStore.of(data);
  const span = store.timeRange();
  if (span === undefined) {
    throw new AlarmEvaluationError(
      'The metrics file holds no EMF datapoints: pass the aggregator log lines (one EMF JSON document per line)',
    );
  }
  const fromMs = options.fromMs ?? Math.floor(span.fromMs / 60_000) * 60_000;
  const toMs = options.toMs ?? span.toMs + 10 * 60_000;
  const { transitions } = evaluateAlarms(defs, store, { fromMs, toMs, anomaly: options.anomaly });
  const row = (alarm: string, firedAtMs: number, reason: string): BacktestRow => {
    const id = identity(alarm);
    const silencedBy = id.severity === '-' ? undefined : options.silenceAt?.(id.ruleId, id.tenant, firedAtMs);
    return {
      alarm,
      severity: id.severity,
      tenant: id.tenant,
      ruleId: id.ruleId,
      firedAtMs,
      reason,
      ...(silencedBy === undefined ? {} : { silencedBy }),
    };
  };
  const open = new Map<string, { firedAtMs: number; reason: string }>();
  const rows: BacktestRow[] = [];
  for (const tr of transitions) {
    const id = identity(tr.alarmName);
    if (!id.paging && options.includeNonPaging !== true) continue;
    if (tr.toState === 'ALARM') {
      open.set(tr.alarmName, { firedAtMs: tr.atMs, reason: tr.reason });
    } else if (tr.fromState === 'ALARM') {
      const o = open.get(tr.alarmName);
      if (o === undefined) continue;
      open.delete(tr.alarmName);
      rows.push({
        ...row(tr.alarmName, o.firedAtMs, o.reason),
        resolvedAtMs: tr.atMs,
        resolvedTo: tr.toState,
      });
    }
  }
  for (const [alarm, o] of open) rows.push(row(alarm, o.firedAtMs, o.reason));
  rows.sort((a, b) => a.firedAtMs - b.firedAtMs || a.alarm.localeCompare(b.alarm));
  return {
    fromMs,
    toMs,
    alarmsEvaluated: defs.metricAlarms.length + defs.composites.length,
    datapoints: data.length,
    rows,
    transitions,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function duration(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Formats a backtest report for the terminal (`table`), for scripts (`json`), or as CSV.
 */
export function formatBacktest(report: BacktestReport, format: 'table' | 'json' | 'csv' = 'table'): string {
  if (format === 'json') {
    return JSON.stringify(
      {
        from: iso(report.fromMs),
        to: iso(report.toMs),
        alarmsEvaluated: report.alarmsEvaluated,
        datapoints: report.datapoints,
        episodes: report.rows.map((r) => ({
          alarm: r.alarm,
          severity: r.severity,
          tenant: r.tenant,
          rule: r.ruleId,
          firedAt: iso(r.firedAtMs),
          resolvedAt: r.resolvedAtMs === undefined ? null : iso(r.resolvedAtMs),
          resolvedTo: r.resolvedTo ?? null,
          silencedBy: r.silencedBy ?? null,
          reason: r.reason,
        })),
      },
      null,
      2,
    );
  }
  if (format === 'csv') {
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = ['severity,tenant,rule,alarm,fired_at,resolved_at,resolved_to,silenced_by'];
    for (const r of report.rows) {
      lines.push(
        [
          r.severity,
          r.tenant,
          r.ruleId,
          r.alarm,
          iso(r.firedAtMs),
          r.resolvedAtMs === undefined ? '' : iso(r.resolvedAtMs),
          r.resolvedTo ?? '',
          r.silencedBy ?? '',
        ]
          .map(q)
          .join(','),
      );
    }
    return `${lines.join('\n')}\n`;
  }
  const header = `Backtest ${iso(report.fromMs)} .. ${iso(report.toMs)}: ${report.datapoints} datapoints, ${report.alarmsEvaluated} alarms`;
  if (report.rows.length === 0) return `${header}\nNo alarm would have fired.\n`;
  const table = [['SEV', 'TENANT', 'RULE', 'FIRED', 'RESOLVED', 'FOR', 'NOTE']];
  for (const r of report.rows) {
    table.push([
      r.severity,
      scopeLabel(r.tenant),
      r.ruleId,
      iso(r.firedAtMs),
      r.resolvedAtMs === undefined ? 'still firing' : iso(r.resolvedAtMs),
      r.resolvedAtMs === undefined ? '' : duration(r.resolvedAtMs - r.firedAtMs),
      r.silencedBy === undefined ? '' : `silenced (${r.silencedBy}): no page`,
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const body = table.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  return `${header}\n${body.join('\n')}\n${report.rows.length} episode(s).\n`;
}
