/**
 * The HTML part of a report mail: table layout and inline CSS (mail clients drop <style> and
 * flexbox), one 600 px column that shrinks on phones, dark text on a light background. Every
 * tenant name and event-derived string goes through {@link escapeHtml}.
 */

import type { ChannelRow } from './channels';
import type { ReportChart } from './charts';
import { type ExperimentSummary, experimentChartId, experimentHeading, experimentLines } from './experiments';
import {
  type Capped,
  formatChange,
  formatDuration,
  formatValue,
  type HealthRow,
  type KpiRow,
  type ReportModel,
} from './model';
import type { AtRiskClient, ReportStory, Tile } from './story';
import { budgetLine, driftLine, forecastLine, funnelLine, sparkline, sparklineAlt, waterfallLine } from './words';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const COLORS = { text: '#111827', muted: '#4b5563', border: '#e5e7eb', bg: '#f3f4f6', good: '#15803d', bad: '#b91c1c' };
const CELL = `padding:6px 6px;border-bottom:1px solid ${COLORS.border};vertical-align:top;word-break:break-word;overflow-wrap:anywhere;`;
const TH = `${CELL}text-align:left;font-weight:600;color:${COLORS.muted};font-size:12px;`;
const TABLE = 'width:100%;border-collapse:collapse;table-layout:fixed;font-size:13px;line-height:1.4;';

function td(content: string, extra = ''): string {
  return `<td style="${CELL}${extra}">${content}</td>`;
}

function table(headers: readonly string[], rows: readonly string[][], widths?: readonly string[]): string {
  const head = headers
    .map((h, i) => `<th style="${TH}${widths?.[i] === undefined ? '' : `width:${widths[i]};`}">${escapeHtml(h)}</th>`)
    .join('');
  const body = rows.map((r) => `<tr>${r.join('')}</tr>`).join('');
  return `<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}"><tr>${head}</tr>${body}</table>`;
}

function more(n: number, what: string): string {
  return n > 0
    ? `<p style="margin:6px 0 0;color:${COLORS.muted};font-size:12px;">and ${n} more ${escapeHtml(what)}</p>`
    : '';
}

function section(title: string, inner: string): string {
  return `<tr><td style="padding:16px 20px 4px;"><h2 style="margin:0 0 8px;font-size:16px;color:${COLORS.text};">${escapeHtml(title)}</h2>${inner}</td></tr>`;
}

function tone(changeIs: 'better' | 'worse' | 'neutral'): string {
  return changeIs === 'better' ? `color:${COLORS.good};` : changeIs === 'worse' ? `color:${COLORS.bad};` : '';
}

function kpiValueText(k: KpiRow, v: number | null): string {
  return `${formatValue(v, k.unit)}${k.statistic !== 'value' && v !== null ? ` <span style="color:${COLORS.muted};">${k.statistic}</span>` : ''}`;
}

function kpiTable(kpis: readonly KpiRow[]): string {
  if (kpis.length === 0) return `<p style="margin:0;color:${COLORS.muted};">No KPIs in this report.</p>`;
  return table(
    ['KPI', 'This period', 'Previous', 'Change', 'Target'],
    kpis.map((k) => [
      td(escapeHtml(k.title)),
      td(kpiValueText(k, k.current), 'white-space:nowrap;'),
      td(kpiValueText(k, k.previous), `color:${COLORS.muted};`),
      td(escapeHtml(formatChange(k.change)), tone(k.changeIs)),
      td(
        k.target === undefined
          ? '-'
          : `${escapeHtml(k.target.text)}<br><strong style="${k.target.status === 'met' ? `color:${COLORS.good};` : k.target.status === 'missed' ? `color:${COLORS.bad};` : ''}">${k.target.status === 'no_data' ? 'no data' : k.target.status}</strong>`,
      ),
    ]),
    ['30%', '19%', '17%', '12%', '22%'],
  );
}

function healthTable(c: Capped<HealthRow>, what: string, showReasons: boolean): string {
  if (c.rows.length === 0) return `<p style="margin:0;color:${COLORS.muted};">None.</p>`;
  return (
    table(
      ['Client', 'Score', 'Change', showReasons ? 'Why' : 'Missing inputs'],
      c.rows.map((r) => [
        td(escapeHtml(r.tenantName)),
        td(`${r.score === null ? 'no score' : r.score.toFixed(1)}${r.band === null ? '' : ` (${r.band})`}`),
        td(
          r.delta === null ? '-' : `${r.delta > 0 ? '+' : ''}${r.delta.toFixed(1)}`,
          r.delta === null ? '' : tone(r.delta > 0 ? 'better' : 'worse'),
        ),
        td(escapeHtml((showReasons ? r.churnReasons : r.missing).join(', ') || '-'), 'font-size:12px;'),
      ]),
      ['34%', '20%', '14%', '32%'],
    ) + more(c.more, what)
  );
}

function chartImg(chart: ReportChart): string {
  return `<img src="cid:${escapeHtml(chart.cid)}" alt="${escapeHtml(chart.alt)}" width="${chart.width}" style="display:block;width:100%;max-width:${chart.width}px;height:auto;border:0;margin:4px 0 8px;">`;
}

/**
 * Renders the HTML part.
 * @param charts the PNGs (referenced by `cid:`), from `renderCharts`
 */
export function renderHtml(model: ReportModel, charts: readonly ReportChart[]): string {
  const parts: string[] = [];
  parts.push(headerRow(model));
  if (model.highlights.length > 0) {
    parts.push(
      section(
        'Highlights',
        `<ul style="margin:0;padding-left:18px;">${model.highlights.map((h) => `<li>${escapeHtml(h)}</li>`).join('')}</ul>`,
      ),
    );
  }
  parts.push(...storySections(model, charts));
  const headline = charts.find((c) => c.filename === 'headline.png');
  const health = charts.find((c) => c.filename === 'health.png');
  if (model.kind === 'client_success') parts.push(clientHealthSection(model, health));
  parts.push(
    section('KPIs against targets', `${headline === undefined ? '' : chartImg(headline)}${kpiTable(model.kpis)}`),
  );
  parts.push(moversSection(model), incidentsSection(model), anomaliesSection(model));
  if (model.kind !== 'client_success' && model.health.red.rows.length > 0) {
    parts.push(section('Red-band clients', healthTable(model.health.red, 'red-band clients', false)));
  }
  parts.push(
    `<tr><td style="padding:16px 20px 20px;font-size:12px;color:${COLORS.muted};">Fleet KPIs per day are attached as CSV (export format). Scores and values are computed in UTC.</td></tr>`,
  );
  return htmlDocument(model, parts);
}

/** The title row: report name, period and what it is compared with. */
function headerRow(model: ReportModel): string {
  return (
    `<tr><td style="padding:20px 20px 8px;border-bottom:3px solid #1d4ed8;"><div style="font-size:12px;color:${COLORS.muted};">Agent KPI report</div>` +
    `<h1 style="margin:4px 0 0;font-size:22px;color:${COLORS.text};">${escapeHtml(model.title)}</h1>` +
    `<div style="font-size:13px;color:${COLORS.muted};">${escapeHtml(model.period.label)} (UTC), compared with the previous ${model.period.kind}</div></td></tr>`
  );
}

/** The client-success report's health section: chart, red band, churn risk and movers. */
function clientHealthSection(model: ReportModel, health: ReportChart | undefined): string {
  return section(
    'Client health',
    `${health === undefined ? `<p style="margin:0;color:${COLORS.muted};">No health scores for the period.</p>` : chartImg(health)}` +
      `<h3 style="margin:8px 0 4px;font-size:14px;">Red-band clients</h3>${healthTable(model.health.red, 'red-band clients', false)}` +
      `<h3 style="margin:12px 0 4px;font-size:14px;">Churn risk</h3>${healthTable(model.health.churnRisk, 'clients at risk', true)}` +
      `<h3 style="margin:12px 0 4px;font-size:14px;">Biggest movers</h3>${healthTable(model.health.movers, 'movers', false)}`,
  );
}

/** The clients whose KPIs moved most. */
function moversSection(model: ReportModel): string {
  const m = model.movers;
  return section(
    'Top movers by client',
    m.rows.length === 0
      ? `<p style="margin:0;color:${COLORS.muted};">No client moved enough to list.</p>`
      : table(
          ['Client', 'KPI', 'Now', 'Before', 'Change'],
          m.rows.map((r) => [
            td(escapeHtml(r.tenantName)),
            td(escapeHtml(r.title)),
            td(formatValue(r.current, r.unit)),
            td(formatValue(r.previous, r.unit), `color:${COLORS.muted};`),
            td(formatChange(r.change), tone(r.changeIs)),
          ]),
          ['26%', '26%', '17%', '17%', '14%'],
        ) + more(m.more, 'movers'),
  );
}

/** Incident counts, response times and the capped incident table. */
function incidentsSection(model: ReportModel): string {
  const inc = model.incidents;
  return section(
    `Incidents (${model.story.ladders.join(' and ')} ladder${model.story.ladders.length > 1 ? 's' : ''})`,
    `<p style="margin:0 0 8px;">${inc.total} opened (P1 ${inc.bySeverity.P1}, P2 ${inc.bySeverity.P2}, P3 ${inc.bySeverity.P3}, P4 ${inc.bySeverity.P4}); ` +
      `mean time to acknowledge ${formatDuration(inc.mttaMs)}, to resolve ${formatDuration(inc.mttrMs)}; ${inc.open} open.</p>` +
      (inc.table.rows.length === 0
        ? ''
        : table(
            ['Sev', 'Incident', 'Opened (UTC)', 'Ack', 'Resolved'],
            inc.table.rows.map((r) => [
              td(r.severity, r.severity === 'P1' ? `color:${COLORS.bad};font-weight:600;` : ''),
              td(escapeHtml(r.title)),
              td(new Date(r.openedAtMs).toISOString().slice(5, 16).replace('T', ' ')),
              td(formatDuration(r.ackMs)),
              td(r.resolveMs === null ? 'open' : formatDuration(r.resolveMs)),
            ]),
            ['10%', '42%', '20%', '14%', '14%'],
          ) + more(inc.table.more, 'incidents')),
  );
}

/** KPIs outside their usual range. */
function anomaliesSection(model: ReportModel): string {
  return section(
    'Anomalies',
    model.anomalies.length === 0
      ? `<p style="margin:0;color:${COLORS.muted};">No KPI outside its usual range (28-day baseline).</p>`
      : table(
          ['KPI', 'This period', 'Usual', 'Deviation'],
          model.anomalies.map((a) => [
            td(escapeHtml(a.title)),
            td(formatValue(a.current, a.unit), tone(a.changeIs)),
            td(formatValue(a.baselineMean, a.unit), `color:${COLORS.muted};`),
            td(`${a.z > 0 ? '+' : ''}${Math.abs(a.z) >= 99 ? 'far' : a.z.toFixed(1)} sd`),
          ]),
        ),
  );
}

/** The page around the section rows: one centred 600 px column on a light background. */
function htmlDocument(model: ReportModel, parts: readonly string[]): string {
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light">' +
    `<title>${escapeHtml(model.title)} ${escapeHtml(model.period.label)}</title></head>` +
    `<body style="margin:0;padding:0;background:${COLORS.bg};color:${COLORS.text};font-family:Arial,Helvetica,sans-serif;">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:${COLORS.bg};"><tr><td align="center" style="padding:12px 0;">` +
    `<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;max-width:600px;background:#ffffff;color:${COLORS.text};">` +
    parts.join('') +
    '</table></td></tr></table></body></html>'
  );
}

function lines(items: readonly string[]): string {
  return `<ul style="margin:0;padding-left:18px;">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
}

function chartOr(charts: readonly ReportChart[], file: string, fallback: string): string {
  const c = charts.find((x) => x.filename === file);
  return c === undefined ? `<p style="margin:0;color:${COLORS.muted};">${escapeHtml(fallback)}</p>` : chartImg(c);
}

/** Each experiment: heading, daily chart, then its numbers in words (the chart's text alternative too). */
function experimentsHtml(experiments: readonly ExperimentSummary[], charts: readonly ReportChart[]): string {
  if (experiments.length === 0)
    return `<p style="margin:0;color:${COLORS.muted};">No configured experiment ran in the period.</p>`;
  return experiments
    .map(
      (e) =>
        `<h3 style="margin:8px 0 4px;font-size:14px;">${escapeHtml(experimentHeading(e))}</h3>` +
        chartOr(charts, `${experimentChartId(e)}.png`, 'No daily data in the period.') +
        lines(experimentLines(e)),
    )
    .join('');
}

/** The audience's sections, charts first with their numbers in words beneath (the text alternative). */
function storySections(model: ReportModel, charts: readonly ReportChart[]): string[] {
  const s = model.story;
  const out: string[] = [];
  if (s.tiles !== undefined) out.push(headlineSection(s.tiles));
  if (s.forecasts !== undefined) out.push(forecastSection(s.forecasts, charts));
  if (s.experiments !== undefined) out.push(section('Experiments', experimentsHtml(s.experiments, charts)));
  if (s.clients !== undefined) out.push(clientsSection(s.clients));
  if (s.atRisk !== undefined) out.push(atRiskSection(s.atRisk));
  if (s.funnel !== undefined) {
    out.push(
      section(
        'Sales funnel',
        chartOr(charts, 'funnel.png', 'No funnel events in either period.') + lines(s.funnel.map(funnelLine)),
      ),
    );
  }
  if (s.waterfall !== undefined) out.push(mrrSection(s.waterfall, s.business, charts));
  if (s.channels !== undefined) out.push(channelsSection(s.channels, charts));
  if (s.budgets !== undefined) {
    out.push(
      section(
        'Error budgets',
        chartOr(charts, 'burndown.png', 'No SLO data in the window.') + lines(s.budgets.map(budgetLine)),
      ),
    );
  }
  if (s.drift !== undefined) {
    out.push(
      section(
        'Agent quality drift',
        s.drift.length === 0
          ? `<p style="margin:0;color:${COLORS.muted};">No agent-quality data to test.</p>`
          : lines(s.drift.map(driftLine)),
      ),
    );
  }
  return out;
}

/** The headline tiles, two per row. */
function headlineSection(tiles: readonly Tile[]): string {
  const cells = tiles.map(
    (t) =>
      `<td style="${CELL}width:50%;"><div style="font-size:12px;color:${COLORS.muted};">${escapeHtml(t.title)}</div>` +
      `<div style="font-size:18px;font-weight:600;">${escapeHtml(t.value)}</div>` +
      `<div style="font-size:12px;${tone(t.changeIs)}">${escapeHtml(t.change === null ? `previous ${t.previous}` : `${formatChange(t.change)} vs ${t.previous}`)}</div>` +
      (t.target === undefined
        ? ''
        : `<div style="font-size:12px;">target ${escapeHtml(t.target.text)}: <strong style="${t.target.status === 'met' ? `color:${COLORS.good};` : t.target.status === 'missed' ? `color:${COLORS.bad};` : ''}">${t.target.status === 'no_data' ? 'no data' : t.target.status}</strong></div>`) +
      '</td>',
  );
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += 2)
    rows.push(`<tr>${cells[i]}${cells[i + 1] ?? `<td style="${CELL}"></td>`}</tr>`);
  return section(
    'Headline',
    `<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}">${rows.join('')}</table>`,
  );
}

/** Next week's forecast charts with their numbers in words. */
function forecastSection(forecasts: NonNullable<ReportStory['forecasts']>, charts: readonly ReportChart[]): string {
  const imgs = forecasts
    .map((f) => charts.find((c) => c.filename === `forecast-${f.kpi.replace(/_/g, '-')}.png`))
    .filter((c): c is ReportChart => c !== undefined)
    .map(chartImg)
    .join('');
  const method = forecasts[0]?.method ?? '';
  return section(
    'Forecast for next week',
    `${imgs}${lines(forecasts.map(forecastLine))}<p style="margin:6px 0 0;font-size:12px;color:${COLORS.muted};">Method: ${escapeHtml(method)}; interval from the model's forecast variance.</p>`,
  );
}

/** Every client's health, worst first, with its trend and weakest input. */
function clientsSection(c: NonNullable<ReportStory['clients']>): string {
  return section(
    'Clients, worst first',
    c.rows.length === 0
      ? `<p style="margin:0;color:${COLORS.muted};">No clients.</p>`
      : table(
          ['Client', 'Score', 'Change', 'Trend', 'Weakest', 'Missing inputs'],
          c.rows.map((r) => [
            td(escapeHtml(r.tenantName)),
            td(
              `${r.score === null ? 'no score' : r.score.toFixed(1)}${r.band === null ? '' : `<br><span style="font-size:12px;${r.band === 'red' ? `color:${COLORS.bad};` : r.band === 'green' ? `color:${COLORS.good};` : 'color:#92400e;'}">${r.band}</span>`}`,
            ),
            td(
              r.delta === null ? '-' : `${r.delta > 0 ? '+' : ''}${r.delta.toFixed(1)}`,
              r.delta === null ? '' : tone(r.delta > 0 ? 'better' : r.delta < 0 ? 'worse' : 'neutral'),
            ),
            td(
              `<span role="img" aria-label="${escapeHtml(sparklineAlt(r.sparkline))}" title="${escapeHtml(sparklineAlt(r.sparkline))}" style="font-family:monospace;letter-spacing:-1px;">${sparkline(r.sparkline)}</span>`,
            ),
            td(
              r.weakest === null ? '-' : `${escapeHtml(r.weakest.name)} ${r.weakest.score.toFixed(0)}`,
              'font-size:12px;',
            ),
            td(escapeHtml(r.missing.join(', ') || '-'), 'font-size:12px;'),
          ]),
          ['26%', '13%', '11%', '17%', '15%', '18%'],
        ) + more(c.more, `clients (${c.total} in all)`),
  );
}

/** Clients at risk and why, the first 25. */
function atRiskSection(atRisk: readonly AtRiskClient[]): string {
  return section(
    'Clients at risk',
    atRisk.length === 0
      ? `<p style="margin:0;color:${COLORS.muted};">No client at risk.</p>`
      : table(
          ['Client', 'Score', 'Why'],
          atRisk
            .slice(0, 25)
            .map((r) => [
              td(escapeHtml(r.tenantName)),
              td(`${r.score === null ? 'no score' : r.score.toFixed(1)}${r.band === null ? '' : ` (${r.band})`}`),
              td(escapeHtml(r.reasons.join(', '))),
            ]),
          ['30%', '18%', '52%'],
        ) + more(Math.max(0, atRisk.length - 25), 'clients at risk'),
  );
}

/** MRR movements chart and words, won value, and the business targets met or missed. */
function mrrSection(
  waterfall: NonNullable<ReportStory['waterfall']>,
  b: ReportStory['business'],
  charts: readonly ReportChart[],
): string {
  const targets: string[] = [];
  if (b?.netNewTarget !== undefined)
    targets.push(
      `Net new MRR target >= ${formatValue(b.netNewTarget, 'usd')}: ${b.netNewMrr === null ? 'no data' : b.netNewMrr >= b.netNewTarget ? 'met' : 'missed'}`,
    );
  if (b?.wonTarget !== undefined)
    targets.push(
      `Won value target >= ${formatValue(b.wonTarget, 'usd')}: ${b.wonValue === null ? 'no data' : b.wonValue >= b.wonTarget ? 'met' : 'missed'}`,
    );
  return section(
    'MRR movements',
    chartOr(charts, 'waterfall.png', 'No MRR movements in the period.') +
      lines([waterfallLine(waterfall), `Won deal value ${formatValue(b?.wonValue ?? null, 'usd')}`, ...targets]),
  );
}

/** Performance by channel: the won-value chart, then the table (the chart's numbers in words, with conversion). */
function channelsSection(rows: readonly ChannelRow[], charts: readonly ReportChart[]): string {
  if (rows.length === 0)
    return section(
      'By channel',
      `<p style="margin:0;color:${COLORS.muted};">No sessions or leads in either period.</p>`,
    );
  const change = (cur: number | null, prev: number | null) =>
    cur === null || prev === null ? '' : tone(cur > prev ? 'better' : cur < prev ? 'worse' : 'neutral');
  return section(
    'By channel',
    chartOr(charts, 'channels.png', 'No won deals in the period.') +
      table(
        ['Channel', 'Sessions', 'Leads', 'Won', 'Conversion', 'Won value'],
        rows.map((r) => [
          td(escapeHtml(r.channel)),
          td(formatValue(r.sessions, 'count')),
          td(formatValue(r.leads, 'count')),
          td(formatValue(r.won, 'count')),
          td(
            `${r.conversion === null ? '-' : `${(r.conversion * 100).toFixed(1)}%`}<br><span style="font-size:12px;color:${COLORS.muted};">previous ${r.previousConversion === null ? '-' : `${(r.previousConversion * 100).toFixed(1)}%`}</span>`,
            change(r.conversion, r.previousConversion),
          ),
          td(
            `${formatValue(r.wonValue, 'usd')}<br><span style="font-size:12px;color:${COLORS.muted};">previous ${formatValue(r.previousWonValue, 'usd')}</span>`,
          ),
        ]),
        ['18%', '16%', '13%', '13%', '19%', '21%'],
      ),
  );
}
