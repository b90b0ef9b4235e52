import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchHeadlessChromium } from '../../cli/headless-browser';
import { buildReportFixture } from '../../cli/report-fixture';
import { renderReportToFile } from '../../cli/report-preview';
import { REPORT_KINDS } from '../../lambdas/core/config/schema';

const LAST_DAY = Date.UTC(2026, 10, 20);
/** A phone-sized mail pane and a desktop one. */
const WIDTHS = [600, 1000] as const;
/** Screenshots are kept here for review (out/ is not committed). */
const SHOTS = resolve(__dirname, '../../out/report-layout');

/** What the page reports about its layout. */
interface Layout {
  images: Array<{ complete: boolean; width: number }>;
  scrollWidth: number;
  clientWidth: number;
  scripts: number;
}

/** Runs in the page (a string, because the test compiles without the DOM library). */
const LAYOUT_PROBE = `({
  images: [...document.images].map((i) => ({ complete: i.complete, width: i.naturalWidth })),
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  scripts: document.scripts.length,
})`;

describe('report layout in headless Chromium at 600 px and 1,000 px', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'report-layout-'));
  // Forty tenants with long and hostile names fill every table to its cap.
  const fx = buildReportFixture({ lastDayMs: LAST_DAY, tenants: 40, days: 36, sessionsPerDay: 10 });

  beforeAll(async () => {
    browser = await launchHeadlessChromium();
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(REPORT_KINDS.flatMap((k) => WIDTHS.map((w) => [k, w] as const)))(
    '%s at %i px has no broken image and no horizontal overflow',
    async (kind, width) => {
      const file = join(dir, `${kind}-${width}.html`);
      const rendered = await renderReportToFile(kind, LAST_DAY, fx.source, fx.incidents, fx.config, file);
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      try {
        await page.goto(`file://${file}`);
        const result = await page.evaluate<Layout>(LAYOUT_PROBE);
        expect(result.images).toHaveLength(rendered.images.length);
        expect(result.images.length).toBeGreaterThan(0);
        for (const img of result.images) {
          expect(img.complete).toBe(true);
          expect(img.width).toBeGreaterThan(0);
        }
        expect(result.scrollWidth).toBeLessThanOrEqual(result.clientWidth);
        // The hostile tenant name must stay text, never become a script element.
        expect(result.scripts).toBe(0);
        await page.screenshot({ path: join(SHOTS, `${kind}-${width}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    },
  );
});
