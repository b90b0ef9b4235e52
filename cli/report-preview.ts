/**
 * `npm run report:preview`: renders every report from the synthetic fixture, writes the HTML
 * (charts inlined as data: URIs so a browser shows them) and a PNG screenshot of each, taken in
 * headless Chromium at 600 px, into out/report-preview/.
 *
 * `renderReportToFile` is what `kpi report KIND --date D --out FILE.html` runs, from any source.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { catalogFor } from '../lambdas/core/catalog/for-config';
import { type PipelineConfig, REPORT_KINDS, type ReportKind } from '../lambdas/core/config/schema';
import { type HealthStore, InMemoryHealthStore } from '../lambdas/core/health';
import {
  buildReportModel,
  type ChartFontOptions,
  collectReportData,
  computeDailyHealth,
  type RenderedReport,
  type ReportIncidentReader,
  type ReportKpiSource,
  renderReport,
  reportPeriod,
} from '../lambdas/core/reports';
import type { ReportExperimentStore } from '../lambdas/core/reports/experiments';
import { launchHeadlessChromium } from './headless-browser';

/** Fonts the charts are drawn with outside Lambda: the font file shipped in assets/fonts. */
export const DEFAULT_CHART_FONTS: ChartFontOptions = {
  fontFiles: [resolve(__dirname, '..', 'assets/fonts/DejaVuSans.ttf')],
};

/** The report's HTML with each `cid:` image replaced by a data: URI, for browsers. */
export function htmlForBrowser(report: RenderedReport): string {
  let html = report.html;
  for (const img of report.images) {
    html = html.split(`cid:${img.cid}`).join(`data:image/png;base64,${Buffer.from(img.png).toString('base64')}`);
  }
  return html;
}

/** Days of health scores computed before a preview, so trend and churn risk have history. */
const PREVIEW_HEALTH_DAYS = 7;

/**
 * Renders one report from any KPI source into an HTML file (charts inlined).
 * @param kind the report
 * @param dateMs any instant of the last day covered
 * @param health where health scores are kept; an in-memory store (filled for the last 7 days) by default
 * @returns the rendered report
 */
export async function renderReportToFile(
  kind: ReportKind,
  dateMs: number,
  source: ReportKpiSource,
  incidents: ReportIncidentReader,
  config: PipelineConfig,
  outPath: string,
  options: { health?: HealthStore; fonts?: ChartFontOptions; experimentStore?: ReportExperimentStore } = {},
): Promise<RenderedReport> {
  const catalog = catalogFor(config);
  let health = options.health;
  const lastDay = Math.floor(dateMs / 86_400_000) * 86_400_000;
  if (health === undefined) {
    health = new InMemoryHealthStore();
    for (let d = PREVIEW_HEALTH_DAYS - 1; d >= 0; d--) {
      await computeDailyHealth(lastDay - d * 86_400_000, { source, health, config });
    }
  }
  const period = reportPeriod(kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day', lastDay);
  const data = await collectReportData(kind, period, {
    source,
    incidents,
    health,
    config,
    catalog,
    ...(options.experimentStore === undefined ? {} : { experimentStore: options.experimentStore }),
  });
  const model = buildReportModel(data, catalog, config);
  const rendered = await renderReport(model, options.fonts ?? DEFAULT_CHART_FONTS);
  mkdirSync(dirname(resolve(outPath)), { recursive: true });
  writeFileSync(outPath, htmlForBrowser(rendered));
  return rendered;
}

/** Writes every report's HTML and a 600 px wide full-page screenshot into `outDir`. */
export async function previewAll(outDir: string): Promise<string[]> {
  const { buildReportFixture } = await import('./report-fixture');
  // A fixed day keeps previews identical from run to run.
  const lastDayMs = Date.UTC(2026, 10, 20);
  const fx = buildReportFixture({ lastDayMs });
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const browser = await launchHeadlessChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 600, height: 800 } });
    for (const kind of REPORT_KINDS) {
      const html = join(outDir, `${kind}.html`);
      await renderReportToFile(kind, lastDayMs, fx.source, fx.incidents, fx.config, html);
      await page.goto(`file://${resolve(html)}`);
      const png = join(outDir, `${kind}.png`);
      await page.screenshot({ path: png, fullPage: true });
      written.push(html, png);
    }
  } finally {
    await browser.close();
  }
  return written;
}

if (require.main === module) {
  previewAll(join('out', 'report-preview')).then(
    (files) => {
      for (const f of files) process.stdout.write(`${f}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
