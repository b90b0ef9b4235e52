import { GRANULARITY_MS } from '../time/buckets';
import type { ReportPeriod, ReportPeriodKind } from './types';

const DAY = GRANULARITY_MS.day;

/** A date that is not `yyyy-mm-dd`. */
export class InvalidReportDateError extends Error {
  constructor(text: string) {
    super(`"${text.slice(0, 40)}" is not a UTC date; expected yyyy-mm-dd, e.g. 2026-11-20`);
    this.name = 'InvalidReportDateError';
  }
}

/** `yyyy-mm-dd` of a UTC instant. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Start (epoch ms) of a `yyyy-mm-dd` UTC day.
 * @throws InvalidReportDateError for anything else
 */
export function parseUtcDate(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || utcDate(ms) !== text) throw new InvalidReportDateError(text);
  return ms;
}

/**
 * The period a report covers: the UTC day `lastDayMs` falls in (day reports), or the seven UTC days
 * ending with it (week reports); compared with the period just before.
 * @param lastDayMs any instant of the last day covered
 */
export function reportPeriod(kind: ReportPeriodKind, lastDayMs: number): ReportPeriod {
  const lastStart = Math.floor(lastDayMs / DAY) * DAY;
  const days = kind === 'day' ? 1 : 7;
  const endMs = lastStart + DAY;
  const startMs = endMs - days * DAY;
  return {
    kind,
    startMs,
    endMs,
    previousStartMs: startMs - days * DAY,
    previousEndMs: startMs,
    label: days === 1 ? utcDate(startMs) : `${utcDate(startMs)} to ${utcDate(lastStart)}`,
  };
}

/** The last full UTC day before `nowMs`: what a scheduled run reports on when no date is given. */
export function lastFullDay(nowMs: number): number {
  return Math.floor(nowMs / DAY) * DAY - DAY;
}
