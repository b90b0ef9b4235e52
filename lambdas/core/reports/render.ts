import { type ChartFontOptions, type ReportChart, renderCharts } from './charts';
import { incidentsCsv, reportCsv } from './csv';
import { renderHtml } from './html';
import type { ReportModel } from './model';
import { renderText } from './text';

/** A rendered report: everything a mail needs, independent of how it is sent. */
export interface RenderedReport {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** Inline images, referenced from the HTML as `cid:<cid>`. */
  readonly images: readonly ReportChart[];
  /** The CSV attachment (export format). */
  readonly csv: { readonly filename: string; readonly content: string };
  /** Incidents with their alarm names (absent when the report lists none). */
  readonly incidentsCsv?: { readonly filename: string; readonly content: string };
}

/**
 * Renders a report model into subject, HTML, text, chart PNGs and the CSV attachment.
 * @param fonts where the chart renderer finds its font
 */
export async function renderReport(model: ReportModel, fonts: ChartFontOptions = {}): Promise<RenderedReport> {
  const images = await renderCharts(model, fonts);
  const slug = model.period.label.replace(/ to /, '_');
  return {
    subject: `${model.title} report, ${model.period.label}`,
    html: renderHtml(model, images),
    text: renderText(model),
    images,
    csv: { filename: `${model.kind}_${slug}.csv`, content: reportCsv(model) },
    ...(model.incidents.total === 0
      ? {}
      : { incidentsCsv: { filename: `incidents_${model.kind}_${slug}.csv`, content: incidentsCsv(model) } }),
  };
}
