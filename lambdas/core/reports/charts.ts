/**
 * Report charts as PNG: Vega-Lite spec -> Vega view (no DOM, `renderer: 'none'`) -> SVG ->
 * resvg PNG. No browser, so it runs inside Lambda. resvg draws text only with the fonts it is
 * given: Lambda images have none, so the caller passes a font file (`fontFiles`).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
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
