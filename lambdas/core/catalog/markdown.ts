import type { KpiCatalog } from './catalog';
import type { DefaultAlarmRule } from './types';

const OPS: Record<string, string> = {
  GreaterThanThreshold: '>',
  LessThanThreshold: '<',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanOrEqualToThreshold: '<=',
};

/** `P1 p95 > 5000`, `P4 anomaly`. */
function ruleText(r: DefaultAlarmRule): string {
  if (r.kind === 'anomaly') return `${r.severity} anomaly band`;
  const stat = r.statistic === 'Average' ? '' : `${r.statistic} `;
  return `${r.severity} ${stat}${OPS[r.comparison] ?? r.comparison} ${r.threshold}`;
}

/** Escapes text for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * The catalog as a markdown table (KPI, event type, aggregation, unit, default alarms,
 * description), one row per KPI in catalog order. The README embeds it between
 * `<!-- kpi-catalog:start -->` and `<!-- kpi-catalog:end -->`.
 */
export function catalogMarkdownTable(catalog: KpiCatalog): string {
  const lines = [
    '| KPI | event type | aggregation | unit | default alarms | description |',
    '|---|---|---|---|---|---|',
  ];
  for (const d of catalog.all()) {
    const alarms = d.defaultAlarms.map(ruleText).join('; ');
    lines.push(
      `| \`${d.name}\` | \`${d.eventType}\` | ${d.aggregation} | ${d.unit} | ${cell(alarms)} | ${cell(d.description)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
