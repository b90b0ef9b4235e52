/**
 * The demo scenario of `npm start`, on a shortened day (09:00-12:00 UTC of traffic, the incident
 * at 10:00): the real aggregator over kinesalite, the synthesized alarms, the escalation ladder in
 * aws-local-stepfunctions and the report handler mailing to the local SES.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configWithFleet, DEMO_INCIDENT_MINUTES, DEMO_INCIDENT_START_MINUTE } from '../../cli/commands/local';
import type { LocalRun } from '../../cli/local/context';
import { localMails } from '../../cli/local/escalation';
import { runLocalPipeline } from '../../cli/local/runner';
import { simulateDay, simulatedFleet } from '../../cli/local/simulator';
import type { Incident } from '../../lambdas/core/incidents/types';
import { loadConfigFile } from '../../lib/config/load';

const DAY = Date.UTC(2026, 10, 22);
const MIN = 60_000;
const INCIDENT_START = DAY + DEMO_INCIDENT_START_MINUTE * MIN;

describe('demo scenario', () => {
  const exportDir = mkdtempSync(join(tmpdir(), 'kpi-e2e-demo-'));
  const fleet = simulatedFleet(8, 42);
  const incidentTenant = fleet[0]!.id;
  let run: LocalRun;
  let incident: Incident | undefined;

  beforeAll(async () => {
    const config = configWithFleet(loadConfigFile(resolve(__dirname, '../../config/pipeline.json')), fleet);
    const records = simulateDay({
      dayStartMs: DAY + 9 * 60 * MIN,
      minutes: 180,
      tenants: fleet,
      seed: 42,
      scale: 0.1,
      incident: { tenant: incidentTenant, startMs: INCIDENT_START, durationMs: DEMO_INCIDENT_MINUTES * MIN },
    });
    run = await runLocalPipeline({ config, records, rangeStartMs: DAY, rangeEndMs: DAY + 24 * 60 * MIN, exportDir });
    incident = run.result.escalation.incidents.find(
      (i) =>
        i.severity === 'P1' &&
        i.tenant === incidentTenant &&
        (i.alerts ?? []).some((a) => a.severity === 'P1' && a.ruleId.startsWith('response_latency')),
    );
  }, 240_000);

  /** When the incident's first P1 alert fired. */
  const firstP1 = () =>
    Math.min(...(incident!.alerts ?? []).filter((a) => a.severity === 'P1').map((a) => a.firstFiredAt));

  afterAll(async () => {
    await run?.stop();
  });

  it('detects the incident at P1 within 5 simulated minutes of its start', () => {
    expect(incident).toBeDefined();
    expect(firstP1()).toBeGreaterThanOrEqual(INCIDENT_START);
    expect(firstP1() - INCIDENT_START).toBeLessThanOrEqual(5 * MIN);
  });

  it('groups the problem into one incident: the fleet and tenant alarms it raised are its alerts', () => {
    const during = run.result.escalation.incidents.filter(
      (i) => i.openedAt < INCIDENT_START + DEMO_INCIDENT_MINUTES * MIN && (i.resolvedAt ?? Infinity) > INCIDENT_START,
    );
    expect(during.map((i) => i.id)).toEqual([incident!.id]);
    const scopes = new Set((incident!.alerts ?? []).map((a) => a.tenant));
    expect(scopes).toEqual(new Set(['*', incidentTenant]));
  });

  it('climbs to level 2 when level 1 does not acknowledge, and level 2 acknowledges', () => {
    const kinds = incident!.timeline.map((t) => t.kind);
    expect(incident!.paged.some((p) => p.level === 1)).toBe(true);
    expect(incident!.paged.some((p) => p.level === 2)).toBe(true);
    expect(kinds.indexOf('climbed')).toBeGreaterThan(kinds.indexOf('paged'));
    expect(incident!.acknowledgedAt).toBeDefined();
    expect(incident!.acknowledgedAt! - firstP1()).toBeGreaterThanOrEqual(15 * MIN);
  });

  it('resolves the incident when the alarm returns to OK after the incident window', () => {
    expect(incident!.state).toBe('resolved');
    expect(incident!.resolvedAt).toBeGreaterThan(INCIDENT_START + (DEMO_INCIDENT_MINUTES - 1) * MIN);
  });

  it('pages by e-mail through the local SES and lists the incident in the next system health report', async () => {
    const mails = await localMails(run.result.endpoints.ses);
    expect(mails.some((m) => m.subject.includes(incident!.id))).toBe(true);
    const report = run.result.reports.find((r) => r.kind === 'system_health');
    expect(report).toMatchObject({ outcome: 'sent', date: '2026-11-22' });
    const html = readFileSync(report!.file!, 'utf8');
    // Titled in words in the mail; the alarm name stays in the incidents CSV attachment.
    expect(html).toContain(`(${incident!.severity})`);
    expect(html).not.toContain(incident!.alarmName);
    expect(mails.some((m) => /system health/i.test(m.subject))).toBe(true);
  });

  it('writes kpis.csv, rejected.ndjson and incidents.json', () => {
    const incidents = JSON.parse(readFileSync(join(exportDir, 'incidents.json'), 'utf8')) as Incident[];
    expect(incidents.map((i) => i.id)).toContain(incident!.id);
    expect(readFileSync(join(exportDir, 'kpis.csv'), 'utf8').split(/\r?\n/)[0]).toBe(
      'tenant,kpi,granularity,bucket_start,value,count,p50,p95,p99',
    );
    expect(readFileSync(join(exportDir, 'rejected.ndjson'), 'utf8').trim().split('\n').length).toBeGreaterThan(0);
  });
});
