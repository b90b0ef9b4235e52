/**
 * `kpi local --events <fixture> --export-dir <tmp>` through the real CLI entry, against the local
 * stand-ins, compared with an exact computation over the same events: counts and rates exactly,
 * quantiles within 1%, distinct counts within 2%.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simulateDay, simulatedFleet } from '../../cli/local/simulator';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events';
import { type ExportRow, parseCsv } from '../../lambdas/core/export';
import { exactKpis } from '../support/exact-kpis';

const ROOT = resolve(__dirname, '../..');
const DAY = Date.UTC(2026, 10, 22);
const catalog = KpiCatalog.builtIn();

/** Lines the pipeline must reject, one per reason a fixture can carry without a clock. */
const BAD_LINES = [
  '{"specversion":"1.0","id":"broken",',
  JSON.stringify({
    specversion: '1.0',
    id: 'bad-schema',
    source: '/t',
    type: 'agent.turn.completed',
    time: '2026-11-22T01:00:00Z',
    tenantid: 'acme-voice',
    data: { sessionId: 's', totalMs: -1, ok: true },
  }),
  JSON.stringify({
    specversion: '1.0',
    id: 'bad-type',
    source: '/t',
    type: 'agent.coffee.brewed',
    time: '2026-11-22T01:30:00Z',
    tenantid: 'acme-voice',
    data: {},
  }),
];

const key = (r: ExportRow) => `${r.tenant}|${r.kpi}|${r.granularity}|${r.bucketStart}`;

function aggregationOf(kpi: string): string | undefined {
  return catalog.get(kpi.split(':')[0] ?? kpi)?.aggregation;
}

describe('kpi local --events', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-e2e-events-'));
  const exportDir = join(dir, 'out');
  const fixture = join(dir, 'events.ndjson');
  // Three busy hours of four tenants: every event type, thousands of events, several buckets.
  const tenants = simulatedFleet(4, 11);
  const records = simulateDay({
    dayStartMs: DAY + 9 * 3_600_000,
    tenants,
    seed: 11,
    scale: 0.15,
    minutes: 180,
    badRecords: false,
  });
  const events = records.map((r) => JSON.parse(r.data) as AgentEvent);
  let run: ReturnType<typeof spawnSync>;
  let rows: ExportRow[];

  beforeAll(() => {
    writeFileSync(fixture, `${[...records.map((r) => r.data), ...BAD_LINES].join('\n')}\n`);
    run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin/kpi.js'),
        'local',
        '--events',
        fixture,
        // The events' own afternoon: judged late or future against it, never against the wall clock.
        '--now',
        '2026-11-22T12:05:00Z',
        '--export-dir',
        exportDir,
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, CI: '1' },
        // Generous: on a shared 2-core machine under load the run alone took over 3 minutes.
        timeout: 400_000,
      },
    );
    rows = run.status === 0 ? parseCsv(readFileSync(join(exportDir, 'kpis.csv'), 'utf8')) : [];
  }, 420_000);

  it('exits 0 and prints a summary', () => {
    // The whole stderr in the failure message: it says why the run stopped.
    expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0 });
    expect(run.stderr).not.toContain('error:');
    expect(run.stdout).toContain('Fleet KPIs');
    expect(run.stdout).toContain(`${events.length} accepted, ${BAD_LINES.length} rejected`);
  });

  it.each(['minute', 'hour', 'day'] as const)(
    'exports exactly the KPIs of the events at %s granularity',
    (granularity) => {
      const expected = exactKpis(events, { granularity });
      const actual = new Map(
        rows
          .filter((r) => r.granularity === granularity && !r.kpi.startsWith('rejected_events'))
          .map((r) => [key(r), r]),
      );
      expect(expected.length).toBeGreaterThan(100);
      const problems: string[] = [];
      for (const e of expected) {
        const a = actual.get(key(e));
        actual.delete(key(e));
        if (a === undefined) {
          problems.push(`missing ${key(e)}`);
          continue;
        }
        const agg = aggregationOf(e.kpi);
        if (a.count !== e.count) problems.push(`${key(e)} count ${a.count} != ${e.count}`);
        if (e.value === null || a.value === null) {
          if (e.value !== a.value) problems.push(`${key(e)} value ${a.value} != ${e.value}`);
        } else if (agg === 'distinct') {
          if (Math.abs(a.value - e.value) > 0.02 * e.value + 1e-9)
            problems.push(`${key(e)} distinct ${a.value} vs ${e.value}`);
        } else if (Math.abs(a.value - e.value) > 1e-9 * Math.max(1, Math.abs(e.value))) {
          problems.push(`${key(e)} value ${a.value} != ${e.value}`);
        }
        for (const q of ['p50', 'p95', 'p99'] as const) {
          const ev = e[q];
          const av = a[q];
          if (ev === undefined) continue;
          if (av === undefined || Math.abs(av - ev) > 0.01 * Math.abs(ev) + 1e-9)
            problems.push(`${key(e)} ${q} ${av} vs ${ev}`);
        }
      }
      expect(problems.slice(0, 20)).toEqual([]);
      // Nothing the events do not justify.
      expect([...actual.keys()].slice(0, 20)).toEqual([]);
    },
  );

  it('quarantines every bad line with its reason and counts it', () => {
    const rejected = readFileSync(join(exportDir, 'rejected.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string });
    expect(rejected.map((r) => r.reason).sort()).toEqual(['invalid_json', 'schema', 'unknown_type']);
    const fleetDay = rows.find((r) => r.tenant === '*' && r.granularity === 'day' && r.kpi === 'rejected_events');
    expect(fleetDay?.count).toBe(BAD_LINES.length);
  });
});
