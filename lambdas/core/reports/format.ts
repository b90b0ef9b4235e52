/** How reports write KPI values, in one place for the mail, its text part and the story sections. */
import type { KpiUnit } from '../catalog/types';

/**
 * Formats a KPI value for people: rates as percentages, ms as ms or s, money in dollars. Reports,
 * the text part and the tests use this one function, so the mail and the reader agree.
 */
export function formatValue(v: number | null, unit: KpiUnit): string {
  if (v === null) return 'no data';
  switch (unit) {
    case 'ratio':
      return `${(v * 100).toFixed(2)}%`;
    case 'ms':
      return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v).toLocaleString('en-US')} ms`;
    case 'usd':
      return `${v < 0 ? '-' : ''}$${Math.abs(v).toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
    case 'score':
      return v.toFixed(2);
    case 'nps':
      return v.toFixed(1);
    default:
      return Math.round(v).toLocaleString('en-US');
  }
}
