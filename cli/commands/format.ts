/**
 * Terminal formatting shared by the commands: KPI values by unit, aligned tables, optional colour.
 */
import pc from 'picocolors';
import type { KpiCatalog, KpiUnit } from '../../lambdas/core/catalog';
import type { ExportRow } from '../../lambdas/core/export';
import { formatValue } from '../../lambdas/core/reports/format';

/**
 * A KPI value in a terminal table: the reports' one formatter ({@link formatValue}), with `-` for
 * a cell without data so the columns stay narrow.
 */
export function formatKpiValue(value: number | null | undefined, unit: KpiUnit): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : formatValue(value, unit);
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
