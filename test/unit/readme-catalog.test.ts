import { readFileSync } from 'node:fs';
import { catalogMarkdownTable, KpiCatalog } from '../../lambdas/core/catalog';
import {
  currentCatalogTable,
  MissingCatalogMarkersError,
  README_PATH,
  withCatalogTable,
} from '../../scripts/readme-catalog';

describe('README KPI catalog', () => {
  it('matches the catalog (run `npm run readme:catalog` after changing KPIs)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(currentCatalogTable(readme)).toBe(catalogMarkdownTable(KpiCatalog.builtIn()));
  });

  it('the generator rewrites only the text between the markers', () => {
    const readme = 'intro\n<!-- kpi-catalog:start -->\nold table\n<!-- kpi-catalog:end -->\noutro\n';
    const next = withCatalogTable(readme, '| new |\n');
    expect(next).toBe('intro\n<!-- kpi-catalog:start -->\n| new |\n<!-- kpi-catalog:end -->\noutro\n');
    expect(withCatalogTable(next, '| new |\n')).toBe(next);
    expect(() => withCatalogTable('no markers', '| x |\n')).toThrow(MissingCatalogMarkersError);
  });
});
