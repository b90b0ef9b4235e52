/**
 * Benchmark runner: `npm run bench [-- name-filter]`. Discovers `bench/*.bench.ts`, each
 * exporting `run(): Promise<BenchResult[]>`, runs them one after another (never in parallel:
 * they would compete for the same cores) and prints one table.
 */
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';

/** One measured figure. */
export interface BenchResult {
  /** What was measured, e.g. `decode only`. */
  readonly name: string;
  readonly value: number;
  /** E.g. `events/s`, `MiB`, `ratio`. */
  readonly unit: string;
  /** Context a reader needs (record count, goal). */
  readonly note?: string;
}

/** A benchmark module. */
export interface BenchModule {
  run(): Promise<BenchResult[]>;
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(3);
}

/** Runs every benchmark whose file name contains `filter` (all when undefined) and prints the table. */
export async function runBenchmarks(dir: string, filter?: string): Promise<Array<BenchResult & { bench: string }>> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts') && (filter === undefined || f.includes(filter)))
    .sort();
  const all: Array<BenchResult & { bench: string }> = [];
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
  for (const file of files) {
    const bench = basename(file, '.bench.ts');
    const mod = (await import(join(dir, file))) as BenchModule;
    const started = Date.now();
    const results = await mod.run();
    console.log(`\n${bench} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const rows = results.map((r) => [r.name, format(r.value), r.unit, r.note ?? '']);
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), 4));
    for (const row of rows) {
      console.log(
        `  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)} ${row[2]!.padEnd(widths[2]!)}  ${row[3]}`,
      );
    }
    all.push(...results.map((r) => ({ ...r, bench })));
  }
  if (files.length === 0) console.log(`no benchmark matches "${filter ?? ''}"`);
  return all;
}

if (require.main === module) {
  runBenchmarks(__dirname, process.argv[2]).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
