/**
 * `kpi experiment prompt-v2 --local` against a live local pipeline started by
 * `kpi local --keep-running`, as a user runs it after `npm start`: the demo's simulated day
 * carries the configured experiment `prompt-v2` on the largest tenant, with a real effect on
 * resolution and none on the other KPIs.
 *
 * The local run is a real child process (bin/kpi.js) with one tenant, no history, no incident
 * and no declines, to keep it short; the command runs in-process through `runCli` against its
 * stand-ins, found through the state file, as a second terminal would. The per-variant metrics
 * the aggregator wrote on the way (metrics.ndjson) are checked against the command's counts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/commands/program';
import { EXPERIMENT_COLUMNS, type ExperimentRow } from '../../lambdas/core/experiments';
import { captureIo } from '../support/cli-io';
import { KeptLocalRun } from '../support/kept-local-run';

const DAY = '2026-11-30';
/** The command's clock: the morning after the simulated day. */
const NOW_MS = Date.parse('2026-12-01T06:00:00Z');
const SECONDARY = ['csat', 'response_latency', 'escalation_rate'];

function capture() {
  return captureIo(NOW_MS);
}

/** Per variant, the samples of the experiment's primary metric in the EMF lines the aggregator wrote. */
function publishedSamples(path: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const doc = JSON.parse(line) as Record<string, unknown>;
    if (doc.Experiment !== 'prompt-v2') continue;
    const v = doc.ResolutionRate as number | number[];
    out.set(String(doc.Variant), [...(out.get(String(doc.Variant)) ?? []), ...(Array.isArray(v) ? v : [v])]);
  }
  return out;
}

describe('kpi experiment against `kpi local --keep-running`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-cli-experiment-'));
  const exportDir = join(dir, 'out');
  const stateFile = join(dir, 'state.json');
  const local = ['--local', '--state-file', stateFile];
  let run: KeptLocalRun;

  beforeAll(async () => {
    run = await KeptLocalRun.start(
      [
        ...['--date', DAY, '--tenants', '1', '--history-days', '0', '--no-incident', '--no-declines'],
        ...['--export-dir', exportDir],
      ],
      stateFile,
      890_000,
    );
  }, 900_000);

  afterAll(() => run.stop(), 60_000);

  async function experiment(...args: string[]): Promise<string> {
    const io = capture();
    const code = await runCli(['experiment', 'prompt-v2', ...local, ...args], io);
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    return io.stdout();
  }

  it('shows the table: resolution significantly better, every secondary KPI not significant, no mismatch', async () => {
    const text = await experiment();
    expect(text).toContain('Experiment prompt-v2 (tenant acme-voice, running, since 2026-11-01), control control');
    const rowOf = (kpi: string) => text.split('\n').find((l) => l.startsWith(`${kpi} `));
    expect(rowOf('resolution_rate')).toMatch(/^resolution_rate \(primary\)\s+treatment .* significant, better$/);
    for (const kpi of SECONDARY) expect(rowOf(kpi)).toMatch(/\s+not significant$/);
    expect(text).toMatch(/Sample ratio: control \d+ \(50% planned\), treatment \d+ \(50% planned\); .*no mismatch\./);
    expect(text).toContain('Note: response_latency counts agent.turn.completed events, not the randomized units');
    // The run's own summary shows the same result.
    expect(run.output).toContain('== Experiment prompt-v2 ==');
    expect(run.output).toContain(rowOf('resolution_rate'));
  });

  it('--format json: the same verdicts with numbers, and n per variant as the aggregator published it', async () => {
    const json = JSON.parse(await experiment('--format', 'json')) as {
      id: string;
      srm: { mismatch: boolean };
      rows: ExperimentRow[];
    };
    expect(json.id).toBe('prompt-v2');
    expect(json.srm.mismatch).toBe(false);
    const byKpi = new Map(json.rows.map((r) => [r.kpi, r]));
    expect([...byKpi.keys()]).toEqual(['resolution_rate', ...SECONDARY]);
    const primary = byKpi.get('resolution_rate')!;
    expect(primary).toMatchObject({ role: 'primary', variant: 'treatment', verdict: 'better' });
    expect(primary.p_value as number).toBeLessThan(0.05);
    expect(primary.rel_ci_low as number).toBeGreaterThan(0);
    for (const kpi of SECONDARY)
      expect(byKpi.get(kpi)).toMatchObject({ role: 'secondary', verdict: 'not_significant' });

    // One sample per session and variant in the per-variant metric the dashboard draws, averaging to the value.
    const samples = publishedSamples(join(exportDir, 'metrics.ndjson'));
    expect([...samples.keys()].sort()).toEqual(['control', 'treatment']);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(samples.get('control')).toHaveLength(primary.n_control as number);
    expect(samples.get('treatment')).toHaveLength(primary.n_variant as number);
    expect(mean(samples.get('control')!)).toBeCloseTo(primary.control_value as number, 9);
    expect(mean(samples.get('treatment')!)).toBeCloseTo(primary.variant_value as number, 9);
  });

  it('--format csv: the header and one row per KPI with its verdict', async () => {
    const [header, ...rows] = (await experiment('--format', 'csv', '--from', DAY, '--to', DAY)).trim().split('\n');
    expect(header).toBe(EXPERIMENT_COLUMNS.join(','));
    const verdict = EXPERIMENT_COLUMNS.indexOf('verdict');
    expect(rows.map((r) => [r.split(',')[0], r.split(',')[verdict]])).toEqual([
      ['resolution_rate', 'better'],
      ...SECONDARY.map((k) => [k, 'not_significant']),
    ]);
  });

  it('names the problem when the experiment is not configured or the tenant is not its tenant', async () => {
    const io = capture();
    expect(await runCli(['experiment', 'prompt-v3', ...local], io)).toBe(2);
    expect(io.stderr()).toContain('no experiment "prompt-v3"');
    const io2 = capture();
    expect(await runCli(['experiment', 'prompt-v2', ...local, '--tenant', 'globex'], io2)).toBe(2);
    expect(io2.stderr()).toContain('runs in tenant acme-voice, not globex');
  });
});
