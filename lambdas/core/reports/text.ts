import { experimentHeading, experimentLines } from './experiments';
import { formatChange, formatDuration, formatValue, type HealthRow, type ReportModel } from './model';
import {
  budgetLine,
  channelLine,
  clientLine,
  driftLine,
  forecastLine,
  funnelLine,
  tileLine,
  waterfallLine,
} from './words';

/** The audience's sections in words: the same numbers as the charts and tables of the HTML. */
function storyLines(model: ReportModel): string[] {
  const s = model.story;
  const out: string[] = [];
  if (s.tiles !== undefined) out.push('', 'HEADLINE', ...s.tiles.map((t) => `- ${tileLine(t)}`));
  if (s.forecasts !== undefined) {
    out.push('', 'FORECAST FOR NEXT WEEK', ...s.forecasts.map((f) => `- ${forecastLine(f)}`));
    out.push(`  Method: ${s.forecasts[0]?.method ?? ''}.`);
  }
  if (s.experiments !== undefined) {
    out.push('', 'EXPERIMENTS');
    if (s.experiments.length === 0) out.push('  none ran in the period');
    for (const e of s.experiments) out.push(`- ${experimentHeading(e)}`, ...experimentLines(e).map((l) => `  ${l}`));
  }
  if (s.clients !== undefined) {
    out.push('', 'CLIENTS, WORST FIRST', ...s.clients.rows.map((r) => `- ${clientLine(r)}`));
    if (s.clients.more > 0) out.push(`  and ${s.clients.more} more clients (${s.clients.total} in all)`);
  }
  if (s.atRisk !== undefined) {
    out.push('', 'CLIENTS AT RISK');
    if (s.atRisk.length === 0) out.push('  none');
    for (const r of s.atRisk.slice(0, 25))
      out.push(`- ${r.tenantName} (${r.score === null ? 'no score' : r.score.toFixed(1)}): ${r.reasons.join(', ')}`);
    if (s.atRisk.length > 25) out.push(`  and ${s.atRisk.length - 25} more`);
  }
  if (s.funnel !== undefined) out.push('', 'SALES FUNNEL', ...s.funnel.map((f) => `- ${funnelLine(f)}`));
  if (s.waterfall !== undefined) {
    out.push('', 'MRR MOVEMENTS', `- ${waterfallLine(s.waterfall)}`);
    out.push(`- Won deal value ${formatValue(s.business?.wonValue ?? null, 'usd')}`);
    const b = s.business;
    if (b?.netNewTarget !== undefined)
      out.push(
        `- Net new MRR target >= ${formatValue(b.netNewTarget, 'usd')}: ${b.netNewMrr === null ? 'no data' : b.netNewMrr >= b.netNewTarget ? 'met' : 'missed'}`,
      );
    if (b?.wonTarget !== undefined)
      out.push(
        `- Won value target >= ${formatValue(b.wonTarget, 'usd')}: ${b.wonValue === null ? 'no data' : b.wonValue >= b.wonTarget ? 'met' : 'missed'}`,
      );
  }
  if (s.channels !== undefined) {
    out.push('', 'BY CHANNEL', ...s.channels.map((r) => `- ${channelLine(r)}`));
    if (s.channels.length === 0) out.push('  no sessions or leads in either period');
  }
  if (s.budgets !== undefined) out.push('', 'ERROR BUDGETS', ...s.budgets.map((b) => `- ${budgetLine(b)}`));
  if (s.drift !== undefined) out.push('', 'AGENT QUALITY DRIFT', ...s.drift.map((d) => `- ${driftLine(d)}`));
  return out;
}

function healthLines(rows: readonly HealthRow[], moreCount: number): string[] {
  const out = rows.map(
    (r) =>
      `  - ${r.tenantName}: ${r.score === null ? 'no score' : r.score.toFixed(1)}${r.band === null ? '' : ` (${r.band})`}` +
      `${r.delta === null ? '' : `, ${r.delta > 0 ? '+' : ''}${r.delta.toFixed(1)}`}` +
      `${r.churnReasons.length > 0 ? `; ${r.churnReasons.join(', ')}` : ''}`,
  );
  if (rows.length === 0) out.push('  none');
  if (moreCount > 0) out.push(`  and ${moreCount} more`);
  return out;
}

/** The plain-text part of a report mail: the same content as the HTML, without charts. */
export function renderText(model: ReportModel): string {
  const lines: string[] = [
    `${model.title}: ${model.period.label} (UTC), compared with the previous ${model.period.kind}`,
    '',
  ];
  for (const h of model.highlights) lines.push(`* ${h}`);
  lines.push(...storyLines(model));
  if (model.kind === 'client_success') {
    const d = model.health.distribution;
    lines.push('', `CLIENT HEALTH: ${d.green} green, ${d.yellow} yellow, ${d.red} red, ${d.no_score} without a score`);
    lines.push('Red-band clients:', ...healthLines(model.health.red.rows, model.health.red.more));
    lines.push('Churn risk:', ...healthLines(model.health.churnRisk.rows, model.health.churnRisk.more));
    lines.push('Biggest movers:', ...healthLines(model.health.movers.rows, model.health.movers.more));
  }
  lines.push('', 'KPIS AGAINST TARGETS');
  for (const k of model.kpis) {
    const stat = k.statistic === 'value' ? '' : ` ${k.statistic}`;
    const target =
      k.target === undefined
        ? ''
        : `; target ${k.target.text}: ${k.target.status === 'no_data' ? 'no data' : k.target.status}`;
    lines.push(
      `- ${k.title}${stat}: ${formatValue(k.current, k.unit)} (previous ${formatValue(k.previous, k.unit)}, ${formatChange(k.change)})${target}`,
    );
  }
  lines.push('', 'TOP MOVERS BY CLIENT');
  if (model.movers.rows.length === 0) lines.push('  none');
  for (const r of model.movers.rows) {
    lines.push(
      `- ${r.tenantName}, ${r.title}: ${formatValue(r.current, r.unit)} (was ${formatValue(r.previous, r.unit)}, ${formatChange(r.change)})`,
    );
  }
  if (model.movers.more > 0) lines.push(`  and ${model.movers.more} more`);
  const inc = model.incidents;
  lines.push(
    '',
    `INCIDENTS: ${inc.total} opened; MTTA ${formatDuration(inc.mttaMs)}, MTTR ${formatDuration(inc.mttrMs)}; ${inc.open} open`,
  );
  for (const r of inc.table.rows) {
    lines.push(
      `- ${r.title} opened ${new Date(r.openedAtMs).toISOString().slice(0, 16)}Z, ` +
        `ack ${formatDuration(r.ackMs)}, ${r.resolveMs === null ? 'open' : `resolved ${formatDuration(r.resolveMs)}`}`,
    );
  }
  if (inc.table.more > 0) lines.push(`  and ${inc.table.more} more`);
  lines.push('', 'ANOMALIES');
  if (model.anomalies.length === 0) lines.push('  none');
  for (const a of model.anomalies) {
    lines.push(`- ${a.title}: ${formatValue(a.current, a.unit)} (usual ${formatValue(a.baselineMean, a.unit)})`);
  }
  lines.push('', 'Fleet KPIs per day are attached as CSV (export format).');
  return `${lines.join('\n')}\n`;
}
