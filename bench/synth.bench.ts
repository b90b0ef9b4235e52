/**
 * `npm run bench -- synth`: synthesizes generated configurations of 10, 100 and 1,000 tenants
 * (a third on the per-tenant alerting tier) with cdk-nag on and bundling skipped, and records
 * the synth time, the process's peak memory and each stack's resources, outputs and template
 * size against the limits held (450 / 150 / 800 KB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackFigures, synthesizeFast } from '../test/support/stack-figures';
import { tenantFleetConfig } from '../test/support/tenant-fleet';
import type { BenchResult } from './run';

/** Runs the benchmark. */
export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const tenants of [10, 100, 1000]) {
    const dir = mkdtempSync(join(tmpdir(), 'kpi-bench-synth-'));
    const started = process.hrtime.bigint();
    const assembly = synthesizeFast(tenantFleetConfig(tenants), dir);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rssMiB = process.resourceUsage().maxRSS / 1024;
    out.push({ name: `${tenants} tenants: synth`, value: seconds, unit: 's', note: 'cdk-nag on, bundling skipped' });
    out.push({ name: `${tenants} tenants: peak RSS`, value: Math.round(rssMiB), unit: 'MiB', note: 'process so far' });
    for (const f of stackFigures(assembly)) {
      out.push({
        name: `${tenants} tenants: ${f.stack}`,
        value: f.resources,
        unit: 'resources',
        note: `${f.outputs} outputs, ${(f.templateBytes / 1024).toFixed(0)} KB, longest rule ${f.maxRuleChars} chars / ${f.maxRuleChildren} children, ${f.nagErrors.length} nag errors`,
      });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
