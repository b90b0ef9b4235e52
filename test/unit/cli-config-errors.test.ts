/**
 * The `kpi` command maps every configuration error (schema, catalog, alarm rules) once: exit code
 * 2, the message naming the key and the rule, no stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/commands/program';
import type { CliIo } from '../../cli/io';

function capture(): CliIo & { stderr: () => string } {
  let err = '';
  return {
    out: () => undefined,
    err: (t) => {
      err += t;
    },
    isTTY: false,
    now: () => Date.UTC(2026, 10, 23, 12),
    stderr: () => err,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kpi-cli-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('kpi CLI: configuration errors', () => {
  it('exits 2 naming an alarms.overrides id that names no rule, without a stack trace', async () => {
    const config = join(dir, 'bad-override.json');
    writeFileSync(config, JSON.stringify({ alarms: { overrides: { 'response_latency-p9': { threshold: 1 } } } }));
    const metrics = join(dir, 'metrics.ndjson');
    writeFileSync(metrics, '');
    const io = capture();
    const code = await runCli(['backtest', '--metrics', metrics, '--config', config], io);
    expect(code).toBe(2);
    expect(io.stderr()).toContain('alarms.overrides names rule "response_latency-p9", which does not exist');
    expect(io.stderr()).not.toMatch(/\n\s+at /);
  });

  it('exits 2 naming the key of a custom KPI that breaks a catalog rule', async () => {
    const config = join(dir, 'bad-custom.json');
    writeFileSync(
      config,
      JSON.stringify({ customKpis: [{ name: 'booking_value', eventType: 'custom.booking', aggregation: 'sum' }] }),
    );
    const io = capture();
    const code = await runCli(['backtest', '--metrics', join(dir, 'metrics.ndjson'), '--config', config], io);
    expect(code).toBe(2);
    expect(io.stderr()).toContain('customKpis.0.field: must be a data field name');
  });
});
