/**
 * The CLI's module rules (docs/architecture.md): `cli/local` never reaches into `cli/commands`,
 * and no two modules of the CLI import each other, directly or through others. Imports are read
 * from the source text: static and type imports, `export ... from`, and `require()`/`import()`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The repository files a module imports by relative path. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const base = resolve(dirname(file), m[1] as string);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
    if (target !== undefined) out.push(target);
  }
  return out;
}

const graph = new Map(sourceFiles(join(ROOT, 'cli')).map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(ROOT, f);
const inCli = (f: string) => graph.has(f);

/** Every CLI module `file` reaches through CLI modules. */
function reachable(file: string): Set<string> {
  const seen = new Set<string>();
  const stack = [file];
  while (stack.length > 0) {
    for (const next of graph.get(stack.pop() as string) ?? []) {
      if (inCli(next) && !seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

describe('CLI import rules', () => {
  it('finds the imports it checks (the rule cannot pass on an empty graph)', () => {
    const program = join(ROOT, 'cli/commands/program.ts');
    expect([...reachable(program)].map(rel)).toEqual(
      expect.arrayContaining(['cli/commands/local.ts', 'cli/local/runner.ts']),
    );
  });

  it('cli/local imports nothing from cli/commands, directly or through other modules', () => {
    const offending = [...graph.keys()]
      .filter((f) => rel(f).startsWith('cli/local/'))
      .flatMap((f) =>
        [...reachable(f)].filter((t) => rel(t).startsWith('cli/commands/')).map((t) => `${rel(f)} -> ${rel(t)}`),
      );
    expect(offending).toEqual([]);
  });

  it('no CLI module imports itself through others (no import cycles)', () => {
    const cycles = [...graph.keys()].filter((f) => reachable(f).has(f)).map(rel);
    expect(cycles).toEqual([]);
  });
});
