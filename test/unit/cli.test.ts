import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../cli/commands/program';
import { captureIo } from '../support/cli-io';

const ROOT = resolve(__dirname, '../..');

function capture() {
  return captureIo(Date.UTC(2026, 10, 23, 12));
}

const COMMANDS = ['local', 'send', 'export', 'snapshot', 'backtest', 'report', 'ack'];

describe('kpi CLI', () => {
  it.each(COMMANDS)('prints help for `kpi %s --help` and exits 0', async (command) => {
    const io = capture();
    const code = await runCli([command, '--help'], io);
    expect(code).toBe(0);
    expect(io.stdout()).toContain(`Usage: kpi ${command}`);
  });

  it('lists every command in the top-level help', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const command of COMMANDS) expect(io.stdout()).toMatch(new RegExp(`\\n\\s+${command}\\b`));
  });

  it('exits 2 with a pointer to --help on an unknown command', async () => {
    const io = capture();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.stderr()).toContain("unknown command 'frobnicate'");
    expect(io.stderr()).toContain('--help');
  });

  it('exits 2 on an unknown option and on a bad option value, naming what is accepted', async () => {
    const io = capture();
    expect(await runCli(['local', '--frob'], io)).toBe(2);
    expect(io.stderr()).toContain("unknown option '--frob'");
    const io2 = capture();
    expect(await runCli(['local', '--tenants', 'many'], io2)).toBe(2);
    expect(io2.stderr()).toContain('--tenants must be a whole number >= 1');
    const io3 = capture();
    expect(await runCli(['export', '--from', '2026-11-22', '--to', '2026-11-23', '--format', 'xml'], io3)).toBe(2);
    expect(io3.stderr()).toContain('Allowed choices are csv, jsonl');
  });

  it('exits 2 when a required option or argument is missing', async () => {
    const io = capture();
    expect(await runCli(['export', '--to', '2026-11-23'], io)).toBe(2);
    expect(io.stderr()).toContain("required option '--from <time>' not specified");
    const io2 = capture();
    expect(await runCli(['send'], io2)).toBe(2);
    expect(io2.stderr()).toContain("missing required argument 'file'");
    const io3 = capture();
    expect(await runCli(['report', 'weekly_gossip', '--date', '2026-11-22', '--out', 'x.html'], io3)).toBe(2);
    expect(io3.stderr()).toContain('Allowed choices are system_health');
  });

  it('exits 2 on an invalid configuration file, naming the key to fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpi-cli-'));
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ stream: { mode: 'sometimes' } }));
    const events = join(dir, 'e.ndjson');
    writeFileSync(events, '{}\n');
    const io = capture();
    expect(await runCli(['send', events, '--local', '--config', config], io)).toBe(2);
    expect(io.stderr()).toContain('stream.mode');
  });

  it('exits 1 and says how to start one when --local finds no running local pipeline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpi-cli-'));
    const events = join(dir, 'e.ndjson');
    writeFileSync(events, '{}\n');
    const io = capture();
    const code = await runCli(
      [
        'send',
        events,
        '--local',
        '--state-file',
        join(dir, 'none.json'),
        '--config',
        join(ROOT, 'config/pipeline.json'),
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr()).toContain('kpi local --keep-running');
  });

  it('exits 2 when --local and --region are both given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpi-cli-'));
    const events = join(dir, 'e.ndjson');
    writeFileSync(events, '{}\n');
    const io = capture();
    const code = await runCli(
      ['send', events, '--local', '--region', 'eu-west-1', '--config', join(ROOT, 'config/pipeline.json')],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr()).toContain('exclude each other');
  });

  it('exits 2 when backtest gets no readable metrics file, or ack gets something that is not an incident id', async () => {
    const io = capture();
    expect(await runCli(['backtest', '--metrics', '/nonexistent/metrics.ndjson'], io)).toBe(2);
    expect(io.stderr()).toContain('Cannot read --metrics /nonexistent/metrics.ndjson: ENOENT');
    const io2 = capture();
    expect(await runCli(['ack', 'DROP TABLE', '--local'], io2)).toBe(2);
    expect(io2.stderr()).toContain('is not an incident id');
  });

  it('exits 2 on an export range that is empty or not a date', async () => {
    const config = join(ROOT, 'config/pipeline.json');
    const io = capture();
    expect(await runCli(['export', '--from', '2026-11-23', '--to', '2026-11-22', '--local', '-c', config], io)).toBe(2);
    expect(io.stderr()).toContain('--to must be after --from');
    const io2 = capture();
    expect(await runCli(['export', '--from', 'yesterday', '--to', '2026-11-22', '--local', '-c', config], io2)).toBe(2);
    expect(io2.stderr()).toContain('--from "yesterday" is not a calendar date or an RFC 3339 timestamp');
    // Calendar-checked: not silently moved to 2026-03-02.
    const io3 = capture();
    expect(await runCli(['export', '--from', '2026-02-30', '--to', '2026-03-03', '--local', '-c', config], io3)).toBe(
      2,
    );
    expect(io3.stderr()).toContain('--from "2026-02-30" is not a calendar date');
    const io4 = capture();
    expect(await runCli(['report', 'system_health', '--date', '2026-02-30', '-o', '/tmp/x.html', '--local'], io4)).toBe(
      2,
    );
    expect(io4.stderr()).toContain('--date "2026-02-30" is not a calendar date');
  });

  it('exits 2 when kpi send cannot read its file (missing, or a directory), naming the file', async () => {
    const io = capture();
    expect(await runCli(['send', '/nonexistent/events.ndjson', '--local'], io)).toBe(2);
    expect(io.stderr()).toContain('Cannot read /nonexistent/events.ndjson: no such file');
    const io2 = capture();
    const dir = mkdtempSync(join(tmpdir(), 'kpi-send-dir-'));
    expect(await runCli(['send', dir, '--local'], io2)).toBe(2);
    expect(io2.stderr()).toContain(`Cannot read ${dir}: it is a directory`);
  });

  it('exits 2 on an impossible --date for kpi local, and on --now without --events', async () => {
    const io = capture();
    expect(await runCli(['local', '--date', '2026-02-30'], io)).toBe(2);
    expect(io.stderr()).toContain('--date "2026-02-30" is not a calendar day');
    const io2 = capture();
    expect(await runCli(['local', '--now', '2026-11-22T12:00:00Z'], io2)).toBe(2);
    expect(io2.stderr()).toContain('--now and --replay-live apply to --events only');
  });

  it('runs as a real process through bin/kpi.js with the same exit codes', () => {
    const help = execFileSync(process.execPath, [join(ROOT, 'bin/kpi.js'), '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help).toContain('Usage: kpi');
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/kpi.js'), 'local', '--scale', '-1'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--scale must be a number > 0');
  });
});
