/**
 * The report Lambda: invoked by EventBridge Scheduler with `{ kind, period, date? }`. Computes and
 * stores the day's client health scores, builds the report, renders it and mails it to the
 * configured recipients.
 */

import type { ReportMailer } from '../../adapters/report-mailer-ses';
import type { KpiCatalog } from '../../core/catalog/catalog';
import { type PipelineConfig, REPORT_KINDS, type ReportKind } from '../../core/config/schema';
import type { HealthStore } from '../../core/health/store';
import type { ChartFontOptions } from '../../core/reports/charts';
import { collectReportData, computeDailyHealth } from '../../core/reports/collect';
import type { ReportExperimentStore } from '../../core/reports/experiments';
import { buildReportModel } from '../../core/reports/model';
import { lastFullDay, parseUtcDate, reportPeriod } from '../../core/reports/period';
import { renderReport } from '../../core/reports/render';
import type { ReportIncidentReader, ReportKpiSource, ReportPeriodKind } from '../../core/reports/types';

/** The scheduler's input. */
export interface ReportEvent {
  readonly kind: ReportKind;
  readonly period: ReportPeriodKind;
  /** Last UTC day covered, `yyyy-mm-dd`; the day before the run when absent. */
  readonly date?: string;
}

/** What a run did. */
export interface ReportResult {
  readonly kind: ReportKind;
  readonly period: string;
  /** Tenants whose health score was stored. */
  readonly healthScores: number;
  readonly recipients: readonly string[];
  /** `sent`, or `skipped` when the schedule has no recipients. */
  readonly outcome: 'sent' | 'skipped';
  readonly messageId?: string;
}

/** Everything the handler needs; the entry point builds it from the environment. */
export interface ReportHandlerDeps {
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
  readonly source: ReportKpiSource;
  readonly incidents: ReportIncidentReader;
  readonly health: HealthStore;
  /** Experiment day items for the executive summary's Experiments section (required when experiments are configured). */
  readonly experimentStore?: ReportExperimentStore;
  readonly mailer: ReportMailer;
  readonly fonts: ChartFontOptions;
  /** The clock (epoch ms). */
  readonly now: () => number;
}

/** An invocation input that is not a report event. */
export class InvalidReportEventError extends Error {
  constructor(reason: string) {
    super(
      `Invalid report event: ${reason}. Expected {"kind": one of ${REPORT_KINDS.join(', ')}, "period": "day"|"week", "date"?: "yyyy-mm-dd"}`,
    );
    this.name = 'InvalidReportEventError';
  }
}

/** Validates the scheduler input. */
export function parseReportEvent(input: unknown): ReportEvent {
  if (typeof input !== 'object' || input === null) throw new InvalidReportEventError('not an object');
  const e = input as Record<string, unknown>;
  if (typeof e.kind !== 'string' || !(REPORT_KINDS as readonly string[]).includes(e.kind)) {
    throw new InvalidReportEventError(`kind is ${JSON.stringify(e.kind)}`);
  }
  if (e.period !== 'day' && e.period !== 'week')
    throw new InvalidReportEventError(`period is ${JSON.stringify(e.period)}`);
  if (e.date !== undefined && typeof e.date !== 'string') throw new InvalidReportEventError('date must be a string');
  if (typeof e.date === 'string') parseUtcDate(e.date);
  return { kind: e.kind as ReportKind, period: e.period, ...(typeof e.date === 'string' ? { date: e.date } : {}) };
}

/** Builds the report handler. */
export function createReportHandler(deps: ReportHandlerDeps): (input: unknown) => Promise<ReportResult> {
  return async (input) => {
    const event = parseReportEvent(input);
    const lastDayMs = event.date === undefined ? lastFullDay(deps.now()) : parseUtcDate(event.date);
    // One run's reads share what the source may keep for a run; a warm container's next run starts afresh.
    const run = { ...deps, source: deps.source.forRun?.() ?? deps.source };
    // Scores of the last day first: the report reads them back (and tomorrow's trend builds on them).
    const scores = await computeDailyHealth(lastDayMs, run);
    const period = reportPeriod(event.period, lastDayMs);
    const data = await collectReportData(event.kind, period, run);
    const model = buildReportModel(data, deps.catalog, deps.config);
    const rendered = await renderReport(model, deps.fonts);
    const recipients = deps.config.reports.schedules[event.kind].recipients;
    const base = { kind: event.kind, period: period.label, healthScores: scores.length, recipients };
    if (recipients.length === 0) return { ...base, outcome: 'skipped' };
    const messageId = await deps.mailer.send(rendered, deps.config.reports.senderEmail, recipients);
    return { ...base, outcome: 'sent', messageId };
  };
}
