/**
 * The catalog is the one place a built-in KPI is named. Production code elsewhere refers to a KPI
 * through the catalog (`KPI.sessions`, `catalog.summaryKpis()`, an entry's target), never through
 * its name as a string literal, so renaming or adding a KPI cannot miss a copy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILT_IN_KPIS, KPI } from '../../lambdas/core/catalog';

const ROOT = join(__dirname, '..', '..');
/** Production code. Tests and docs may name KPIs freely. */
const SCANNED = ['lambdas', 'lib', 'cli', 'bin'];
/**
 * Where the names live: the catalog itself, and the frozen codec dictionary of the aggregates
 * (`KEY_WORDS`), whose persisted words must never follow a rename.
 */
const EXEMPT_DIRS = ['lambdas/core/catalog/', 'lambdas/core/aggregates/'];

/**
 * Literals that spell a KPI's name but mean something else. Each entry is checked to still occur,
 * so the list cannot outlive its reason.
 */
const OTHER_MEANINGS: ReadonlyArray<{ file: string; literal: string; meaning: string }> = [
  { file: 'lambdas/core/events/contract.ts', literal: 'csat', meaning: 'feedback kind of the event contract' },
  { file: 'lambdas/core/events/contract.ts', literal: 'nps', meaning: 'feedback kind of the event contract' },
  { file: 'lambdas/core/events/decode.ts', literal: 'csat', meaning: 'feedback kind of the event contract' },
  { file: 'lambdas/core/events/decode.ts', literal: 'nps', meaning: 'feedback kind of the event contract' },
  { file: 'cli/local/simulator.ts', literal: 'csat', meaning: 'feedback kind of simulated events' },
  { file: 'cli/local/simulator.ts', literal: 'nps', meaning: 'feedback kind of simulated events' },
  { file: 'cli/report-fixture.ts', literal: 'csat', meaning: 'feedback kind of fixture events' },
  { file: 'cli/report-fixture.ts', literal: 'nps', meaning: 'feedback kind of fixture events' },
  { file: 'lambdas/core/alarms/rules.ts', literal: 'nps', meaning: 'the nps aggregation' },
  { file: 'lambdas/core/reports/format.ts', literal: 'nps', meaning: 'the nps unit' },
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('cdk.out')) out.push(...sourceFiles(path));
    } else if (/\.(ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

/** Code without comments: a name in a doc comment is prose, not a reference. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `file: literal` for every built-in KPI name written as a whole string literal. */
function literalsIn(file: string, text: string): string[] {
  const code = withoutComments(text);
  const found: string[] = [];
  for (const { name } of BUILT_IN_KPIS) {
    if (new RegExp(`(['"\`])${escapeRegExp(name)}\\1`).test(code)) found.push(`${file}: ${name}`);
  }
  return found;
}

const files = SCANNED.flatMap((d) => sourceFiles(join(ROOT, d))).map((path) => ({
  file: relative(ROOT, path).split('\\').join('/'),
  text: readFileSync(path, 'utf8'),
}));

describe('built-in KPI names outside the catalog', () => {
  it('scans the production code', () => {
    expect(files.length).toBeGreaterThan(100);
    // The scan itself finds what it should: the catalog names every KPI.
    const catalog = files.filter((f) => f.file.startsWith('lambdas/core/catalog/'));
    expect(catalog.flatMap((f) => literalsIn(f.file, f.text)).length).toBeGreaterThanOrEqual(40);
  });

  it('appear nowhere as a string literal, except where the literal means something else', () => {
    const allowed = new Set(OTHER_MEANINGS.map((o) => `${o.file}: ${o.literal}`));
    const found = files
      .filter((f) => !EXEMPT_DIRS.some((d) => f.file.startsWith(d)))
      .flatMap((f) => literalsIn(f.file, f.text));
    expect(found.filter((f) => !allowed.has(f))).toEqual([]);
    // Every exception still applies (a stale one would hide a new literal of the same name).
    expect(OTHER_MEANINGS.map((o) => `${o.file}: ${o.literal}`).filter((o) => !found.includes(o))).toEqual([]);
  });

  it('KPI names exactly the built-in entries', () => {
    expect(Object.values(KPI).sort()).toEqual(BUILT_IN_KPIS.map((k) => k.name).sort());
  });
});
