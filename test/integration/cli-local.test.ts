/**
 * Every `kpi` command against a live local pipeline started by `kpi local --keep-running`, with
 * the hostile but realistic input a new user tries: records in the future and 400 days old, values
 * of 1e308, a record over the Kinesis 1 MiB limit, a byte order mark, bytes that are not UTF-8,
 * a tenant called `fleet`, impossible dates, a typo in the configuration, unreadable files, and a
 * local run killed with SIGKILL. Live, the alarms and ladders keep running: a burst of bad events
 * opens an incident the terminal shows and `kpi ack` acknowledges.
 *
 * The local run is a real child process (bin/kpi.js); the other commands run in-process through
 * `runCli` against its stand-ins, found through the state file, as a second terminal would.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/commands/program';
import type { LocalState } from '../../cli/wiring';
import { type ExportRow, parseCsv } from '../../lambdas/core/export';
import { captureIo } from '../support/cli-io';
import { KeptLocalRun, waitFor } from '../support/kept-local-run';

const NOW = '2026-11-22T12:00:00Z';
const NOW_MS = Date.parse(NOW);
const DAY = '2026-11-22';

function capture() {
  return captureIo(NOW_MS);
}

function event(id: string, time: string, type: string, data: Record<string, unknown>, tenant = 'acme-voice'): string {
  return JSON.stringify({ specversion: '1.0', id, source: '/cli-test', type, time, tenantid: tenant, data });
}

function turn(id: string, time: string, totalMs: number, tenant?: string): string {
  return event(id, time, 'agent.turn.completed', { sessionId: `s-${id}`, totalMs, ok: true }, tenant);
}

/** 20 good turns and one of each hostile record of the issue's table. */
function hostileFixture(): Buffer {
  const good = Array.from({ length: 20 }, (_, i) =>
    turn(`ok-${i}`, `${DAY}T10:${String(i).padStart(2, '0')}:00Z`, 800),
  );
  const lines = [
    ...good,
    turn('future-2h', `${DAY}T14:00:00Z`, 800),
    turn('old-400d', '2025-10-18T10:00:00Z', 800),
    event('won-1', `${DAY}T10:30:00Z`, 'sales.stage.changed', { leadId: 'l-1', stage: 'won', valueUsd: 1e308 }),
    event('won-2', `${DAY}T10:31:00Z`, 'sales.stage.changed', { leadId: 'l-2', stage: 'won', valueUsd: 1e308 }),
    turn('huge-turn', `${DAY}T10:32:00Z`, 1e308),
    event('too-large', `${DAY}T10:33:00Z`, 'user.active', { userId: 'u', feature: 'x'.repeat(1100 * 1024) }),
  ];
  const notUtf8 = Buffer.from(turn('not-utf8', `${DAY}T10:34:00Z`, 800).replace('s-not-utf8', 's-\u0001'), 'utf8');
  notUtf8[notUtf8.indexOf(0x01)] = 0xc3; // a lead byte followed by a quote: not UTF-8
  return Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(`${lines.join('\n')}\n`),
    notUtf8,
    Buffer.from('\n'),
  ]);
}

describe('kpi commands against `kpi local --keep-running`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-cli-local-'));
  const exportDir = join(dir, 'out');
  const stateFile = join(dir, 'state.json');
  const fixture = join(dir, 'hostile.ndjson');
  let run: KeptLocalRun;
  let state: LocalState;
  const local = ['--local', '--state-file', stateFile];

  beforeAll(async () => {
    writeFileSync(fixture, hostileFixture());
    run = await KeptLocalRun.start(['--events', fixture, '--now', NOW, '--export-dir', exportDir], stateFile, 280_000);
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as LocalState;
  }, 300_000);

  afterAll(() => run.stop(), 60_000);

  it('judges records against --now, counts every rejection by reason, and names the clock', () => {
    expect(run.output).toContain('20 accepted, 7 rejected');
    for (const reason of ['future 1', 'late 1', 'schema 3', 'too_large 1', 'invalid_json 1']) {
      expect(run.output).toContain(reason);
    }
    expect(run.output).toContain(`Clock: records judged late or future against 2026-11-22T12:00:00.000Z (--now)`);
  });

  it('writes every file despite 1e308 values; kpis.csv parses, holds finite numbers and only the accepted day', () => {
    const rows = parseCsv(readFileSync(join(exportDir, 'kpis.csv'), 'utf8'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      for (const v of [r.value, r.p50, r.p95, r.p99]) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
      // Neither the record 400 days old nor the one 2 hours ahead widened the range.
      expect(r.bucketStart.slice(0, 10)).toBe(DAY);
    }
    const turns = rows.find((r) => r.tenant === '*' && r.kpi === 'turns' && r.granularity === 'day');
    expect(turns?.value).toBe(20);
    expect(existsSync(join(exportDir, 'metrics.ndjson'))).toBe(true);
  });

  it('quarantines out-of-bound values with the bound, and the record after a BOM is accepted', () => {
    const rejected = readFileSync(join(exportDir, 'rejected.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; message: string });
    const messages = rejected.map((r) => r.message).join('\n');
    expect(messages).toContain('data.valueUsd must be a finite number <= 1000000000000');
    expect(messages).toContain('data.totalMs must be a finite number <= 31622400000');
    expect(messages).toContain('not UTF-8');
    expect(messages).not.toContain('\ufeff');
  });

  it('kpi send --local is aggregated live: export shows it within seconds; tenant "fleet" is a tenant, "*" the fleet', async () => {
    const live = join(dir, 'live.ndjson');
    const lines = [
      ...Array.from({ length: 3 }, (_, i) => turn(`fleet-${i}`, `${DAY}T11:5${i}:00Z`, 500, 'fleet')),
      ...Array.from({ length: 2 }, (_, i) => turn(`other-${i}`, `${DAY}T11:5${i}:00Z`, 500, 'other-co')),
    ];
    writeFileSync(live, `${lines.join('\n')}\n`);
    const io = capture();
    expect(await runCli(['send', live, ...local], io)).toBe(0);
    expect(io.stdout()).toContain('Sent 5 of 5');

    const exportTurns = async (tenant: string): Promise<ExportRow | undefined> => {
      const e = capture();
      const args = [
        'export',
        ...local,
        '--tenant',
        tenant,
        '--from',
        DAY,
        '--to',
        '2026-11-23',
        '--granularity',
        'day',
      ];
      expect(await runCli([...args, '--kpi', 'turns'], e)).toBe(0);
      return parseCsv(e.stdout()).find((r) => r.kpi === 'turns');
    };
    // A round can read the shard while PutRecords is still writing: wait for all three.
    const fleetTenant = await waitFor(
      'the live records in the export',
      async () => {
        const row = await exportTurns('fleet');
        return row !== undefined && (row.value ?? 0) >= 3 ? row : undefined;
      },
      60_000,
    );
    expect(fleetTenant).toMatchObject({ tenant: 'fleet', value: 3 });
    expect(await exportTurns('*')).toMatchObject({ tenant: '*', value: 25 });

    const snap = capture();
    expect(await runCli(['snapshot', ...local, '--tenant', 'fleet', '--at', NOW], snap)).toBe(0);
    expect(snap.stdout()).toContain('KPIs of the tenant fleet');
  }, 90_000);

  it('keeps the alarms and ladders running live: a burst of slow, failing turns opens an incident kpi ack acknowledges', async () => {
    // Five minutes of a busy, sick acme-voice (per-tenant alarms) just before --now.
    const lines: string[] = [];
    for (let m = 54; m <= 58; m++) {
      for (let i = 0; i < 60; i++) {
        const time = `${DAY}T11:${m}:${String(i).padStart(2, '0')}Z`;
        lines.push(turn(`slow-${m}-${i}`, time, 9_000));
        const status = i % 5 === 0 ? 503 : 200;
        lines.push(
          event(`api-${m}-${i}`, time, 'api.request.completed', {
            route: '/v1/respond',
            method: 'POST',
            status,
            latencyMs: 120,
          }),
        );
      }
    }
    const burst = join(dir, 'burst.ndjson');
    writeFileSync(burst, `${lines.join('\n')}\n`);
    const io = capture();
    expect(await runCli(['send', burst, ...local], io)).toBe(0);
    // What the terminal of `kpi local --keep-running` shows.
    const opened = await waitFor(
      'an incident opened live',
      () =>
        /\d\d:\d\dZ incident (inc-[0-9a-f]+) opened by agent-kpi\/P1\/technical\/(?:tenant-acme-voice|fleet)\//.exec(
          run.output,
        )?.[1],
      120_000,
    );
    const ack = capture();
    expect(await runCli(['ack', opened, ...local, '--by', 'on-call'], ack)).toBe(0);
    expect(ack.stdout()).toContain(`Incident ${opened}`);
    expect(ack.stdout()).toContain('is acknowledged by cli:on-call');
  }, 180_000);

  it('kpi send refuses a record over 1 MiB by line, with the reason, and delivers the rest', async () => {
    const file = join(dir, 'large.ndjson');
    const big = event('big', `${DAY}T11:00:00Z`, 'user.active', { userId: 'u', feature: 'x'.repeat(1100 * 1024) });
    writeFileSync(file, `${turn('small', `${DAY}T11:00:00Z`, 100)}\n${big}\n`);
    const io = capture();
    expect(await runCli(['send', file, ...local], io)).toBe(1);
    expect(io.stdout()).toContain('Sent 1 of 2');
    expect(io.stderr()).toMatch(
      /line 2: record is \d+ bytes with its partition key; Kinesis accepts at most 1 MiB \(1048576 bytes\)/,
    );
  });

  it('kpi send exits 2 for a missing file or a directory, naming it', async () => {
    const io = capture();
    expect(await runCli(['send', join(dir, 'missing.ndjson'), ...local], io)).toBe(2);
    expect(io.stderr()).toContain('no such file');
    const io2 = capture();
    expect(await runCli(['send', dir, ...local], io2)).toBe(2);
    expect(io2.stderr()).toContain('it is a directory');
  });

  it('kpi report renders a day from the live tables, and refuses 2026-02-30 and a typo in reports.targets', async () => {
    const out = join(dir, 'report.html');
    const io = capture();
    expect(await runCli(['report', 'system_health', ...local, '--date', DAY, '-o', out], io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<html');
    const io2 = capture();
    expect(await runCli(['report', 'system_health', ...local, '--date', '2026-02-30', '-o', out], io2)).toBe(2);
    expect(io2.stderr()).toContain('is not a calendar date');
    const badConfig = join(dir, 'typo.json');
    writeFileSync(badConfig, JSON.stringify({ reports: { targets: { availabilty: { min: 0.99 } } } }));
    const io3 = capture();
    expect(await runCli(['report', 'system_health', ...local, '--date', DAY, '-o', out, '-c', badConfig], io3)).toBe(2);
    expect(io3.stderr()).toContain('reports.targets.availabilty');
  });

  it('kpi ack reaches the live incident table and says when an incident does not exist', async () => {
    const io = capture();
    expect(await runCli(['ack', 'inc-0000000000ff', ...local], io)).toBe(1);
    expect(io.stderr()).toContain('Incident inc-0000000000ff does not exist');
  });

  it('kpi backtest replays the metrics the live run wrote', async () => {
    const io = capture();
    expect(await runCli(['backtest', '--metrics', join(exportDir, 'metrics.ndjson')], io)).toBe(0);
    expect(io.stdout().length).toBeGreaterThan(0);
  }, 180_000);

  it('after SIGKILL, the state file is named as stale and no stand-in is left serving it', async () => {
    run.child.kill('SIGKILL');
    await run.exited;
    const io = capture();
    expect(await runCli(['export', ...local, '--from', DAY, '--to', '2026-11-23'], io)).toBe(1);
    expect(io.stderr()).toContain(`state file ${stateFile} is stale: process ${state.pid}`);
    // DynamoDB Local dies with its guardian: its endpoint stops answering.
    await waitFor(
      'DynamoDB Local to stop',
      async () => {
        try {
          await fetch(state.endpoints.dynamodb, { method: 'POST' });
          return undefined;
        } catch {
          return true;
        }
      },
      30_000,
    );
  }, 60_000);
});
