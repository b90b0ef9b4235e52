/**
 * Terminal formatting shared by the commands: KPI values by unit, aligned tables, optional colour.
 */
import pc from 'picocolors';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import type { ExportRow } from '../../lambdas/core/export';

/** Formats a KPI value for people: rates as percentages, durations in ms/s, money in dollars. */
export function formatKpiValue(value: number | null | undefined, unit: string | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  switch (unit) {
    case 'ratio':
      return `${(value * 100).toFixed(value >= 0.999 && value < 1 ? 2 : 1)}%`;
    case 'ms':
      return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
    case 'usd':
      return `$${value.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
    case 'score':
      return value.toFixed(2);
    case 'nps':
      return value.toFixed(0);
    default:
      return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
  }
}

/** A left-aligned text table; the first row is the header. */
export function renderTable(rows: readonly (readonly string[])[], opts: { colour?: boolean } = {}): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  const header = line(head!);
  return `${opts.colour === true ? pc.bold(header) : header}\n${body.map(line).join('\n')}\n`;
}

/**
 * Table rows for export rows of one bucket (and optionally a second, e.g. the last hour), in
 * catalog order, skipping KPIs without data.
 */
export function kpiTableRows(
  catalog: KpiCatalog,
  primary: readonly ExportRow[],
  secondary?: { label: string; rows: readonly ExportRow[] },
  primaryLabel = 'value',
): string[][] {
  const byKpi = new Map(primary.map((r) => [r.kpi, r]));
  const second = new Map((secondary?.rows ?? []).map((r) => [r.kpi, r]));
  const header = ['KPI', primaryLabel, 'count', 'p95', ...(secondary === undefined ? [] : [secondary.label])];
  const out: string[][] = [header];
  for (const def of catalog.all()) {
    const r = byKpi.get(def.name);
    if (r === undefined || r.count === 0) continue;
    const unit = def.unit;
    const row = [def.name, formatKpiValue(r.value, unit), r.count.toLocaleString('en-US'), formatKpiValue(r.p95, unit)];
    if (secondary !== undefined) row.push(formatKpiValue(second.get(def.name)?.value, unit));
    out.push(row);
  }
  return out;
}
