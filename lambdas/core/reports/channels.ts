/**
 * Performance by channel for the business report: sessions, leads, wins, lead-to-won conversion
 * and won value per channel, this period against the previous one. The numbers are the
 * per-channel states the catalog keeps (`sessions:voice`, `funnel_lead:voice`, `funnel_won:voice`,
 * `won_value_usd:voice`; `:_other` for channels outside the contract's list), so each row adds up
 * from the exported KPIs and the rows add up to the totals.
 */
import { OTHER_GROUP } from '../aggregates/state-table';
import type { KpiCatalog } from '../catalog/catalog';
import { KPI } from '../catalog/names';
import type { KpiReading } from '../health/types';

/** One channel's row. `channel` is a value of the contract's list, or `other`. */
export interface ChannelRow {
  readonly channel: string;
  readonly sessions: number;
  readonly previousSessions: number;
  readonly leads: number;
  readonly won: number;
  /** Won over leads of the period (null without leads); the previous period's beside it. */
  readonly conversion: number | null;
  readonly previousConversion: number | null;
  readonly wonValue: number;
  readonly previousWonValue: number;
}

/** The label a report gives the breakdown's catch-all group. */
export const OTHER_CHANNEL = 'other';

/** The channels the catalog keeps apart: the breakdown values of `sessions`, then the catch-all. */
export function breakdownChannels(catalog: KpiCatalog): string[] {
  const m = catalog.get(KPI.sessions)?.measure;
  const values = m?.kind === 'count' ? (m.groupBy?.values ?? []) : [];
  return [...values, OTHER_GROUP];
}

/** A sub-keyed reading's value (0 when absent). */
function readingValue(values: readonly KpiReading[], key: string): number {
  const v = values.find((r) => r.kpi === key)?.value;
  return v === null || v === undefined || !Number.isFinite(v) ? 0 : v;
}

function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

/**
 * The rows by channel, in the catalog's channel order, leaving out channels without sessions,
 * leads or won value in either period.
 * @param current fleet values of the period; `previous` those of the previous period
 */
export function channelRows(
  catalog: KpiCatalog,
  current: readonly KpiReading[],
  previous: readonly KpiReading[],
): ChannelRow[] {
  return breakdownChannels(catalog)
    .map((ch) => {
      const at = (vs: readonly KpiReading[], kpi: string) => readingValue(vs, `${kpi}:${ch}`);
      const leads = at(current, KPI.funnelLead);
      const won = at(current, KPI.funnelWon);
      return {
        channel: ch === OTHER_GROUP ? OTHER_CHANNEL : ch,
        sessions: at(current, KPI.sessions),
        previousSessions: at(previous, KPI.sessions),
        leads,
        won,
        conversion: ratio(won, leads),
        previousConversion: ratio(at(previous, KPI.funnelWon), at(previous, KPI.funnelLead)),
        wonValue: at(current, KPI.wonValueUsd),
        previousWonValue: at(previous, KPI.wonValueUsd),
      };
    })
    .filter(
      (r) =>
        r.sessions + r.previousSessions + r.leads + r.won + Math.abs(r.wonValue) + Math.abs(r.previousWonValue) > 0 ||
        r.previousConversion !== null,
    );
}
