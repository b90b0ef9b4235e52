/**
 * Rewrites the KPI catalog table of README.md from the catalog (`npm run readme:catalog`).
 * Only the text between the two markers changes. `--check` exits 1 when the README is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogMarkdownTable, KpiCatalog } from '../lambdas/core/catalog';

/** Opening marker of the generated section. */
export const START_MARKER = '<!-- kpi-catalog:start -->';
/** Closing marker of the generated section. */
export const END_MARKER = '<!-- kpi-catalog:end -->';

/** The README has no (or broken) catalog markers. */
export class MissingCatalogMarkersError extends Error {
  constructor() {
    super(`README.md must contain ${START_MARKER} followed by ${END_MARKER}, each on its own line`);
    this.name = 'MissingCatalogMarkersError';
  }
}

/** The README text with the section between the markers replaced by `table`. */
export function withCatalogTable(readme: string, table: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new MissingCatalogMarkersError();
  return `${readme.slice(0, start + START_MARKER.length)}\n${table}${readme.slice(end)}`;
}

/** The text currently between the markers. */
export function currentCatalogTable(readme: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new MissingCatalogMarkersError();
  return readme.slice(start + START_MARKER.length + 1, end);
}

/** Path of the project's README. */
export const README_PATH = join(__dirname, '..', 'README.md');

if (require.main === module) {
  const readme = readFileSync(README_PATH, 'utf8');
  const next = withCatalogTable(readme, catalogMarkdownTable(KpiCatalog.builtIn()));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md KPI catalog is out of date: run npm run readme:catalog');
      process.exitCode = 1;
    }
  } else if (next !== readme) {
    writeFileSync(README_PATH, next);
    console.log('README.md KPI catalog updated');
  } else console.log('README.md KPI catalog is up to date');
}
