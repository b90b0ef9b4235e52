/**
 * Report charts as PNG: Vega-Lite spec -> Vega view (no DOM, `renderer: 'none'`) -> SVG ->
 * resvg PNG. No browser, so it runs inside Lambda. resvg draws text only with the fonts it is
 * given: Lambda images have none, so the caller passes a font file (`fontFiles`).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { type ExperimentSummary, experimentChartAlt, experimentChartId } from './experiments';
import type { ReportModel } from './model';

/** Chart width in CSS pixels: fits the 600 px mail body with its padding. */
export const CHART_WIDTH = 540;
/** PNGs are drawn at this multiple of the CSS size so they stay sharp on high-density screens. */
const PIXEL_RATIO = 2;
/** Font family name of the bundled/system font the charts are drawn in. */
const FONT_FAMILY = 'DejaVu Sans';

/** Where resvg finds fonts. */
export interface ChartFontOptions {
  /** Font files (TTF/OTF) to load; the first family becomes the default. */
  readonly fontFiles?: readonly string[];
  /** Also load the machine's fonts (slow on first use; Lambda has none). @default false */
  readonly loadSystemFonts?: boolean;
  /** Family to draw text in. @default 'DejaVu Sans' */
  readonly fontFamily?: string;
}

/** A chart ready to embed: a PNG referenced from the HTML by `cid:`. */
export interface ReportChart {
  readonly cid: string;
  readonly filename: string;
  /** Alt text, also the text part's description. */
  readonly alt: string;
  readonly png: Uint8Array;
  /** CSS size (the PNG is PIXEL_RATIO times larger). */
  readonly width: number;
  readonly height: number;
}

/** A chart that could not be drawn (bad spec or no usable font). */
export class ChartRenderError extends Error {
  constructor(chart: string, cause: unknown) {
    super(
      `Cannot draw the chart "${chart}": ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Check that the font file passed in fontFiles exists (REPORT_FONT_FILE for the report function).',
    );
    this.name = 'ChartRenderError';
  }
}

/** Renders a Vega-Lite spec to a PNG. */
export async function vegaLiteToPng(
  spec: TopLevelSpec,
  fonts: ChartFontOptions,
): Promise<{ png: Uint8Array; width: number; height: number }> {
  const family = fonts.fontFamily ?? FONT_FAMILY;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: PIXEL_RATIO },
    font: {
      loadSystemFonts: fonts.loadSystemFonts ?? false,
      fontFiles: [...(fonts.fontFiles ?? [])],
      defaultFontFamily: family,
      sansSerifFamily: family,
    },
  });
  const image = resvg.render();
  return {
    png: new Uint8Array(image.asPng()),
    width: Math.round(image.width / PIXEL_RATIO),
    height: Math.round(image.height / PIXEL_RATIO),
  };
}

function baseConfig(family: string): TopLevelSpec['config'] {
  return {
    font: family,
    view: { stroke: null },
    axis: { labelFontSize: 11, titleFontSize: 11, labelColor: '#374151', titleColor: '#374151' },
    legend: { orient: 'top', labelFontSize: 11, title: null },
  };
}

/** The period-over-period line chart of the report's headline KPI; undefined without data. */
export function headlineChartSpec(model: ReportModel, family = FONT_FAMILY): TopLevelSpec | undefined {
  const c = model.chart;
  if (c.points.length === 0) return undefined;
  const percent = c.unit === 'ratio';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: CHART_WIDTH - 70,
    height: 180,
    config: baseConfig(family),
    // Points are aggregated fleet values (one per hour or day), so the chart stays small for any fleet size.
    data: { values: c.points.map((p) => ({ index: p.index, label: p.label, period: p.period, value: p.value })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'label',
        type: 'ordinal',
        sort: { field: 'index', order: 'ascending' },
        title: model.period.kind === 'day' ? 'hour (UTC)' : 'day',
        axis: { labelAngle: 0, labelOverlap: true },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: `${c.title}${c.statistic === 'p95' ? ' p95' : ''}${c.unit === 'ms' ? ' (ms)' : ''}`,
        ...(percent ? { axis: { format: '.1%' } } : {}),
        scale: { zero: false },
      },
      color: {
        field: 'period',
        type: 'nominal',
        scale: { domain: ['this period', 'previous period'], range: ['#1d4ed8', '#9ca3af'] },
      },
    },
  };
}

/** Bar chart of the health bands across tenants; undefined when no tenant has a score. */
export function healthChartSpec(model: ReportModel, family = FONT_FAMILY): TopLevelSpec | undefined {
  const d = model.health.distribution;
  if (d.green + d.yellow + d.red === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: CHART_WIDTH - 70,
    height: 120,
    config: baseConfig(family),
    data: {
      values: [
        { band: 'green', tenants: d.green },
        { band: 'yellow', tenants: d.yellow },
        { band: 'red', tenants: d.red },
        { band: 'no score', tenants: d.no_score },
      ],
    },
    mark: 'bar',
    encoding: {
      y: { field: 'band', type: 'nominal', sort: null, title: null },
      x: { field: 'tenants', type: 'quantitative', title: 'tenants', axis: { tickMinStep: 1, format: 'd' } },
      color: {
        field: 'band',
        type: 'nominal',
        legend: null,
        scale: { domain: ['green', 'yellow', 'red', 'no score'], range: ['#15803d', '#ca8a04', '#b91c1c', '#9ca3af'] },
      },
    },
  };
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Which fields of a period comparison's rows a bar chart draws. */
interface PeriodBarsLayout {
  /** The row field naming each bar pair (one row per category and period). */
  readonly category: string;
  /** The quantitative field the bars measure. */
  readonly measure: string;
  readonly title: string;
  readonly width: number;
}

/**
 * Horizontal bars per category, this period beside the previous one, each labelled with its row's
 * `label`; rows carry `period` ('this period' | 'previous period') and `order` (category order).
 */
function periodBarsSpec(
  values: ReadonlyArray<Record<string, unknown>>,
  family: string,
  layout: PeriodBarsLayout,
): TopLevelSpec {
  return {
    $schema: SCHEMA,
    width: layout.width,
    config: baseConfig(family),
    data: { values: [...values] },
    encoding: {
      y: { field: layout.category, type: 'nominal', sort: { field: 'order', order: 'ascending' }, title: null },
      yOffset: { field: 'period', sort: ['this period', 'previous period'] },
      x: { field: layout.measure, type: 'quantitative', title: layout.title },
    },
    layer: [
      {
        mark: 'bar',
        encoding: {
          color: {
            field: 'period',
            type: 'nominal',
            scale: { domain: ['this period', 'previous period'], range: ['#1d4ed8', '#9ca3af'] },
          },
        },
      },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { text: { field: 'label' } } },
    ],
  };
}

/** The funnel: leads per stage this period and the previous one, with stage-to-stage conversion. */
export function funnelChartSpec(model: ReportModel, family = FONT_FAMILY): TopLevelSpec | undefined {
  const f = model.story.funnel;
  if (f === undefined || f.every((s) => s.current === 0 && s.previous === 0)) return undefined;
  const values = f.flatMap((s, i) => [
    {
      stage: s.stage,
      order: i,
      period: 'this period',
      leads: s.current,
      label: `${s.current}${s.conversion === null ? '' : ` (${(s.conversion * 100).toFixed(0)}%)`}`,
    },
    {
      stage: s.stage,
      order: i,
      period: 'previous period',
      leads: s.previous,
      label: `${s.previous}${s.previousConversion === null ? '' : ` (${(s.previousConversion * 100).toFixed(0)}%)`}`,
    },
  ]);
  return periodBarsSpec(values, family, {
    category: 'stage',
    measure: 'leads',
    title: 'leads (conversion from the stage before)',
    width: CHART_WIDTH - 170,
  });
}

/** The MRR waterfall: new, expansion, contraction and churn from the period's start to its end. */
export function waterfallChartSpec(model: ReportModel, family = FONT_FAMILY): TopLevelSpec | undefined {
  const w = model.story.waterfall;
  if (w === undefined || w.every((s) => s.amount === 0)) return undefined;
  const values = w.map((s, i) => ({
    step: s.label,
    order: i,
    from: s.from,
    to: s.to,
    kind: s.label === 'start' || s.label === 'end' ? 'total' : s.amount >= 0 ? 'gain' : 'loss',
    label: `${s.amount < 0 ? '-' : ''}$${Math.abs(Math.round(s.amount)).toLocaleString('en-US')}`,
  }));
  return {
    $schema: SCHEMA,
    width: CHART_WIDTH - 90,
    height: 170,
    config: baseConfig(family),
    data: { values },
    encoding: {
      x: {
        field: 'step',
        type: 'ordinal',
        sort: { field: 'order', order: 'ascending' },
        title: null,
        axis: { labelAngle: 0 },
      },
    },
    layer: [
      {
        mark: { type: 'bar', minBandSize: 2 },
        encoding: {
          y: { field: 'from', type: 'quantitative', title: 'MRR change from period start (USD)' },
          y2: { field: 'to' },
          color: {
            field: 'kind',
            type: 'nominal',
            legend: null,
            scale: { domain: ['total', 'gain', 'loss'], range: ['#1d4ed8', '#15803d', '#b91c1c'] },
          },
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 10 },
        encoding: { y: { field: 'to', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  };
}

/** Won value per channel, this period and the previous one, labelled with lead-to-won conversion. */
export function channelChartSpec(model: ReportModel, family = FONT_FAMILY): TopLevelSpec | undefined {
  const rows = model.story.channels;
  if (rows === undefined || rows.every((r) => r.wonValue === 0 && r.previousWonValue === 0)) return undefined;
  const conv = (c: number | null) => (c === null ? '' : ` (${(c * 100).toFixed(0)}%)`);
  const usd = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
  const values = rows.flatMap((r, i) => [
    {
      channel: r.channel,
      order: i,
      period: 'this period',
      usd: r.wonValue,
      label: usd(r.wonValue) + conv(r.conversion),
    },
    {
      channel: r.channel,
      order: i,
      period: 'previous period',
      usd: r.previousWonValue,
      label: usd(r.previousWonValue) + conv(r.previousConversion),
    },
  ]);
  return periodBarsSpec(values, family, {
    category: 'channel',
    measure: 'usd',
    title: 'won value, USD (lead-to-won conversion)',
    width: CHART_WIDTH - 190,
  });
}

/** Error budget remaining per SLO over its window. */
export function burnDownChartSpec(model: ReportModel, family = FONT_FAMILY): TopLevelSpec | undefined {
  const b = model.story.budgets;
  if (b === undefined || b.every((x) => x.burn.length === 0)) return undefined;
  const values = b.flatMap((x) => x.burn.map((p) => ({ slo: x.id, date: p.date.slice(5), remaining: p.remaining })));
  return {
    $schema: SCHEMA,
    width: CHART_WIDTH - 80,
    height: 170,
    config: baseConfig(family),
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'date', type: 'ordinal', title: 'day', axis: { labelAngle: 0, labelOverlap: true } },
      y: { field: 'remaining', type: 'quantitative', title: 'error budget left', axis: { format: '.0%' } },
      color: { field: 'slo', type: 'nominal' },
    },
  };
}

/** Daily history and the next week's forecast with its interval, one panel per KPI. */
export function forecastChartSpec(model: ReportModel, kpi: string, family = FONT_FAMILY): TopLevelSpec | undefined {
  const f = model.story.forecasts?.find((x) => x.kpi === kpi);
  if (f === undefined || f.days.length === 0) return undefined;
  const values = [
    ...f.history.slice(-21).map((h) => ({ date: h.date.slice(5), value: h.value, series: 'actual' })),
    ...f.days.map((d) => ({ date: d.date.slice(5), value: d.mean, low: d.low, high: d.high, series: 'forecast' })),
  ];
  return {
    $schema: SCHEMA,
    width: CHART_WIDTH - 90,
    height: 150,
    config: baseConfig(family),
    data: { values },
    encoding: {
      x: { field: 'date', type: 'ordinal', title: null, axis: { labelAngle: 0, labelOverlap: true } },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.25, color: '#1d4ed8' },
        transform: [{ filter: "datum.series === 'forecast'" }],
        encoding: {
          y: { field: 'low', type: 'quantitative', title: `${f.title}${f.unit === 'usd' ? ' (USD)' : ''} per day` },
          y2: { field: 'high' },
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          y: { field: 'value', type: 'quantitative' },
          color: {
            field: 'series',
            type: 'nominal',
            scale: { domain: ['actual', 'forecast'], range: ['#374151', '#1d4ed8'] },
          },
        },
      },
    ],
  };
}

/** Daily primary KPI of an experiment, one line per variant; undefined without data. */
export function experimentChartSpec(e: ExperimentSummary, family = FONT_FAMILY): TopLevelSpec | undefined {
  if (e.daily.length === 0) return undefined;
  return {
    $schema: SCHEMA,
    width: CHART_WIDTH - 90,
    height: 130,
    config: baseConfig(family),
    data: { values: e.daily.map((d) => ({ date: d.date.slice(5), variant: d.variant, value: d.value })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'date', type: 'ordinal', title: null, axis: { labelAngle: 0, labelOverlap: true } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: `${e.primaryTitle}${e.unit === 'ms' ? ' (ms)' : ''}`,
        ...(e.unit === 'ratio' ? { axis: { format: '.1%' } } : {}),
        scale: { zero: false },
      },
      color: { field: 'variant', type: 'nominal' },
    },
  };
}

/**
 * Draws the charts of a report: the headline KPI over the period (every report) and the health
 * band distribution (client success).
 * @throws ChartRenderError when a chart cannot be drawn
 */
export async function renderCharts(model: ReportModel, fonts: ChartFontOptions = {}): Promise<ReportChart[]> {
  const family = fonts.fontFamily ?? FONT_FAMILY;
  const wanted: Array<{ id: string; alt: string; spec: TopLevelSpec | undefined }> = [
    {
      id: 'headline',
      alt: `${model.chart.title}${model.chart.statistic === 'p95' ? ' p95' : ''}: this period against the previous one`,
      spec: headlineChartSpec(model, family),
    },
  ];
  if (model.kind === 'client_success') {
    wanted.push({ id: 'health', alt: 'Tenants per health band', spec: healthChartSpec(model, family) });
  }
  for (const w of storyCharts(model, family)) wanted.push(w);
  const out: ReportChart[] = [];
  for (const w of wanted) {
    if (w.spec === undefined) continue;
    try {
      const { png, width, height } = await vegaLiteToPng(w.spec, fonts);
      out.push({ cid: `${w.id}.${model.kind}@agent-kpi`, filename: `${w.id}.png`, alt: w.alt, png, width, height });
    } catch (err) {
      throw new ChartRenderError(w.id, err);
    }
  }
  return out;
}

/** Alt text of the story charts: the numbers a reader would take from the picture. */
function storyCharts(
  model: ReportModel,
  family: string,
): Array<{ id: string; alt: string; spec: TopLevelSpec | undefined }> {
  const out: Array<{ id: string; alt: string; spec: TopLevelSpec | undefined }> = [];
  const s = model.story;
  if (s.funnel !== undefined) {
    out.push({
      id: 'funnel',
      alt: `Funnel this period: ${s.funnel.map((f) => `${f.stage} ${f.current}`).join(', ')}; previous period: ${s.funnel.map((f) => `${f.stage} ${f.previous}`).join(', ')}`,
      spec: funnelChartSpec(model, family),
    });
  }
  if (s.waterfall !== undefined) {
    out.push({
      id: 'waterfall',
      alt: `MRR waterfall: ${s.waterfall.map((w) => `${w.label} ${Math.round(w.label === 'end' ? w.to : w.amount)} USD`).join(', ')}`,
      spec: waterfallChartSpec(model, family),
    });
  }
  if (s.channels !== undefined) {
    out.push({
      id: 'channels',
      alt: `Won value by channel: ${s.channels.map((r) => `${r.channel} ${Math.round(r.wonValue)} USD${r.conversion === null ? '' : ` (conversion ${(r.conversion * 100).toFixed(1)}%)`}`).join(', ')}`,
      spec: channelChartSpec(model, family),
    });
  }
  if (s.budgets !== undefined) {
    out.push({
      id: 'burndown',
      alt: `Error budget left: ${s.budgets.map((b) => `${b.id} ${b.remaining === null ? 'no data' : `${(b.remaining * 100).toFixed(0)}%`} after ${b.days} days`).join('; ')}`,
      spec: burnDownChartSpec(model, family),
    });
  }
  for (const f of s.forecasts ?? []) {
    if (f.week === null) continue;
    out.push({
      id: `forecast-${f.kpi.replace(/_/g, '-')}`,
      alt: `${f.title} forecast for the next 7 days: ${Math.round(f.week.mean)} (${Math.round(f.week.low)} to ${Math.round(f.week.high)}, ${Math.round(f.level * 100)}% interval)`,
      spec: forecastChartSpec(model, f.kpi, family),
    });
  }
  for (const e of s.experiments ?? []) {
    out.push({ id: experimentChartId(e), alt: experimentChartAlt(e), spec: experimentChartSpec(e, family) });
  }
  return out;
}
