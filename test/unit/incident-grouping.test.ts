/**
 * Grouping, raising, inhibition and flap damping of alarm state changes into incidents, through
 * the router's use case on the in-memory store (the DynamoDB store runs the same use case in
 * test/integration/incident-grouping.test.ts).
 */
import { parseConfig } from '../../lambdas/core/config/schema';
import { ladderPlan, stepAfterWait, stepBeforePage } from '../../lambdas/core/escalation';
import {
  type AlarmStateChange,
  alertSummary,
  type Incident,
  InMemoryIncidentStore,
  type RouteOutcome,
  resolveQuietIncident,
  routeAlarmChange,
} from '../../lambdas/core/incidents';

const MIN = 60_000;
const T0 = Date.parse('2026-11-23T10:00:00Z');
const config = parseConfig({
  name: 'acme',
  tenants: [
    { id: 'voice', name: 'Voice', tier: 'enterprise' },
    { id: 'globex', name: 'Globex', tier: 'enterprise' },
  ],
});

const LAT_P1 = 'acme/P1/technical/tenant-voice/response_latency-p1';
const LAT_P2 = 'acme/P2/technical/tenant-voice/response_latency-p2';
const ERR_P2 = 'acme/P2/technical/tenant-voice/api_error_rate-p2';
const FLEET_LAT_P2 = 'acme/P2/technical/fleet/response_latency-p2';
const FLEET_ERR_P1 = 'acme/P1/technical/fleet/api_error_rate-p1';
const GLOBEX_ERR_P2 = 'acme/P2/technical/tenant-globex/api_error_rate-p2';
const INITECH_ERR_P2 = 'acme/P2/technical/tenant-initech/api_error_rate-p2';

function fired(alarmName: string, atMs: number, reason = 'Threshold Crossed'): AlarmStateChange {
  return {
    alarmName,
    state: 'ALARM',
    stateAtMs: atMs,
    previousState: 'OK',
    previousStateAtMs: atMs - 60 * MIN,
    reason,
  };
}

function cleared(alarmName: string, atMs: number, firedAt: number, state: 'OK' | 'INSUFFICIENT_DATA' = 'OK') {
  return {
    alarmName,
    state,
    stateAtMs: atMs,
    previousState: 'ALARM',
    previousStateAtMs: firedAt,
    reason: 'back',
  } satisfies AlarmStateChange;
}

function incidentOf(outcome: RouteOutcome): Incident {
  if (outcome.kind === 'ignored') throw new Error(`ignored: ${outcome.reason}`);
  return outcome.incident;
}

describe('grouping alarm state changes into incidents', () => {
  it('alarms of one tenant and ladder join one incident that lists its alerts; a higher severity raises it', async () => {
    const store = new InMemoryIncidentStore();
    const first = await routeAlarmChange(config, store, fired(LAT_P2, T0 + 2 * MIN, 'p95 3400 > 3000'));
    expect(first.kind).toBe('opened');
    const error = await routeAlarmChange(config, store, fired(ERR_P2, T0 + 3 * MIN));
    expect(error).toMatchObject({ kind: 'changed', effect: 'joined' });
    const raise = await routeAlarmChange(config, store, fired(LAT_P1, T0 + 4 * MIN, 'p95 7600 > 5000'));
    expect(raise).toMatchObject({ kind: 'changed', effect: 'raised' });

    const incidents = await store.listBetween(0, T0 + 60 * MIN);
    expect(incidents).toHaveLength(1);
    const inc = incidents[0]!;
    expect(inc).toMatchObject({ severity: 'P1', tenant: 'voice', openedAt: T0 + 2 * MIN, groupKey: 'voice|technical' });
    expect(inc.alerts?.map((a) => [a.alarmName, a.severity, a.firstFiredAt - T0, a.lastState])).toEqual([
      [LAT_P2, 'P2', 2 * MIN, 'ALARM'],
      [ERR_P2, 'P2', 3 * MIN, 'ALARM'],
      [LAT_P1, 'P1', 4 * MIN, 'ALARM'],
    ]);
    // The P1 on response latency mutes the P2 on the same KPI (default inhibition).
    expect(inc.alerts?.find((a) => a.alarmName === LAT_P2)?.mutedBy).toBe(`p1-mutes-same-kpi by ${LAT_P1}`);
    expect(alertSummary(inc)).toBe(
      'voice: 3 alarms, highest P1: P1 response_latency-p1, P2 response_latency-p2, muted, P2 api_error_rate-p2',
    );
    expect(inc.timeline.map((t) => t.kind)).toEqual(['opened', 'joined', 'raised']);
  });

  it('another tenant opens its own incident; a fleet alarm joins the open tenant incident', async () => {
    const store = new InMemoryIncidentStore();
    const voice = incidentOf(await routeAlarmChange(config, store, fired(LAT_P2, T0)));
    const globex = incidentOf(
      await routeAlarmChange(config, store, fired('acme/P3/business/tenant-globex/csat-p3', T0 + MIN)),
    );
    expect(globex.id).not.toBe(voice.id);
    const fleet = await routeAlarmChange(config, store, fired(FLEET_LAT_P2, T0 + 2 * MIN));
    expect(fleet).toMatchObject({ kind: 'changed', effect: 'joined' });
    expect(incidentOf(fleet).id).toBe(voice.id);
    // Its OK finds the same incident through the fleet group's pointer.
    const ok = await routeAlarmChange(config, store, cleared(FLEET_LAT_P2, T0 + 9 * MIN, T0 + 2 * MIN));
    expect(incidentOf(ok).id).toBe(voice.id);
    expect(incidentOf(ok).alerts?.find((a) => a.alarmName === FLEET_LAT_P2)?.lastState).toBe('OK');

    const apart = parseConfig({ name: 'acme', alerting: { grouping: { fleetJoinsTenantIncidents: false } } });
    const store2 = new InMemoryIncidentStore();
    await routeAlarmChange(apart, store2, fired(LAT_P2, T0));
    expect((await routeAlarmChange(apart, store2, fired(FLEET_LAT_P2, T0 + MIN))).kind).toBe('opened');
  });

  it('a fleet-wide problem is one incident: tenant alarms on the firing fleet alarm KPI join it', async () => {
    const store = new InMemoryIncidentStore();
    const fleet = incidentOf(await routeAlarmChange(config, store, fired(FLEET_ERR_P1, T0)));
    expect(fleet.tenant).toBe('*');
    const voice = await routeAlarmChange(config, store, fired(ERR_P2, T0 + 20 * MIN));
    expect(voice).toMatchObject({ kind: 'changed', effect: 'joined', incident: { id: fleet.id, tenant: 'voice' } });
    const globex = await routeAlarmChange(config, store, fired(GLOBEX_ERR_P2, T0 + 40 * MIN));
    // Its alerts now span two tenants: the incident speaks for the fleet.
    expect(globex).toMatchObject({ kind: 'changed', effect: 'joined', incident: { id: fleet.id, tenant: '*' } });
    for (const [name, firedAt] of [
      [FLEET_ERR_P1, T0],
      [ERR_P2, T0 + 20 * MIN],
      [GLOBEX_ERR_P2, T0 + 40 * MIN],
    ] as const) {
      await routeAlarmChange(config, store, cleared(name, T0 + 50 * MIN, firedAt));
    }
    // Quiet, not yet resolved: nothing fleet-wide fires any more, so a third tenant's alarm on the
    // same KPI is news and opens (and pages for) its own incident.
    const late = await routeAlarmChange(config, store, fired(INITECH_ERR_P2, T0 + 55 * MIN));
    expect(late.kind).toBe('opened');
    expect(await store.listBetween(0, T0 + 60 * MIN)).toHaveLength(2);
  });

  it('a tenant alarm on another KPI than the fleet alerts opens its own incident once the fleet incident spans tenants', async () => {
    const store = new InMemoryIncidentStore();
    const fleet = incidentOf(await routeAlarmChange(config, store, fired(FLEET_ERR_P1, T0)));
    await routeAlarmChange(config, store, fired(ERR_P2, T0 + MIN));
    const other = await routeAlarmChange(
      config,
      store,
      fired('acme/P2/technical/tenant-globex/response_latency-p2', T0 + 2 * MIN),
    );
    expect(other.kind).toBe('opened');
    expect(incidentOf(other).id).not.toBe(fleet.id);
  });

  it('a fleet alarm joins the incident of the tenant behind it (same KPI) before an older one of another tenant', async () => {
    const store = new InMemoryIncidentStore();
    const voice = incidentOf(await routeAlarmChange(config, store, fired(LAT_P2, T0)));
    const globex = incidentOf(await routeAlarmChange(config, store, fired(GLOBEX_ERR_P2, T0 + MIN)));
    expect(globex.id).not.toBe(voice.id);
    const fleet = await routeAlarmChange(config, store, fired(FLEET_ERR_P1, T0 + 2 * MIN));
    expect(fleet).toMatchObject({ kind: 'changed', effect: 'raised', incident: { id: globex.id, severity: 'P1' } });
  });

  it('a fleet alarm does not join a quiet tenant incident: that problem is over, the new one pages', async () => {
    const store = new InMemoryIncidentStore();
    const globex = incidentOf(await routeAlarmChange(config, store, fired(GLOBEX_ERR_P2, T0)));
    await routeAlarmChange(config, store, cleared(GLOBEX_ERR_P2, T0 + 5 * MIN, T0));
    const fleet = await routeAlarmChange(config, store, fired(FLEET_ERR_P1, T0 + 8 * MIN));
    expect(fleet.kind).toBe('opened');
    expect(incidentOf(fleet).id).not.toBe(globex.id);
  });

  it('a fleet and a tenant alarm of one problem racing open one incident', async () => {
    const store = new InMemoryIncidentStore();
    const names = [FLEET_ERR_P1, ERR_P2, GLOBEX_ERR_P2, INITECH_ERR_P2];
    const outcomes = await Promise.all(names.map((n) => routeAlarmChange(config, store, fired(n, T0))));
    expect(outcomes.filter((o) => o.kind === 'opened')).toHaveLength(1);
    const all = await store.listBetween(0, T0 + MIN);
    expect(all).toHaveLength(1);
    expect(all[0]?.alerts?.map((a) => a.alarmName).sort()).toEqual([...names].sort());
  });

  it('the grouping key is configurable: by scope, ladder and rule, two rules of a tenant open two incidents', async () => {
    const byRule = parseConfig({ name: 'acme', alerting: { grouping: { by: ['scope', 'ladder', 'rule'] } } });
    const store = new InMemoryIncidentStore();
    expect((await routeAlarmChange(byRule, store, fired(LAT_P2, T0))).kind).toBe('opened');
    expect((await routeAlarmChange(byRule, store, fired(ERR_P2, T0 + MIN))).kind).toBe('opened');
    expect(await store.listBetween(0, T0 + MIN + 1)).toHaveLength(2);
  });

  it('concurrent state changes of one group open exactly one incident', async () => {
    const store = new InMemoryIncidentStore();
    const names = [LAT_P2, ERR_P2, LAT_P1, 'acme/P2/technical/tenant-voice/availability-p2'];
    const outcomes = await Promise.all(names.map((n, i) => routeAlarmChange(config, store, fired(n, T0 + i * 1000))));
    expect(outcomes.filter((o) => o.kind === 'opened')).toHaveLength(1);
    const all = await store.listBetween(0, T0 + MIN);
    expect(all).toHaveLength(1);
    expect(all[0]?.alerts?.map((a) => a.alarmName).sort()).toEqual([...names].sort());
  });

  it('repeated and out-of-order events change nothing twice', async () => {
    const store = new InMemoryIncidentStore();
    await routeAlarmChange(config, store, fired(LAT_P2, T0));
    expect(await routeAlarmChange(config, store, fired(LAT_P2, T0))).toMatchObject({ effect: 'unchanged' });
    // An OK that arrives before its ALARM: the late ALARM is stale and pages nobody.
    await routeAlarmChange(config, store, cleared(ERR_P2, T0 + 8 * MIN, T0 + 5 * MIN));
    expect(await routeAlarmChange(config, store, fired(ERR_P2, T0 + 5 * MIN))).toMatchObject({
      effect: 'unchanged',
    });
  });
});

describe('flap damping', () => {
  it('resolves only after every alert has been out of ALARM for the quiet period; a re-fire inside it joins', async () => {
    const store = new InMemoryIncidentStore();
    const id = incidentOf(await routeAlarmChange(config, store, fired(LAT_P2, T0))).id;
    await routeAlarmChange(config, store, fired(ERR_P2, T0 + MIN));
    expect(await routeAlarmChange(config, store, cleared(LAT_P2, T0 + 5 * MIN, T0))).toMatchObject({
      effect: 'cleared',
    });
    const quiet = await routeAlarmChange(config, store, cleared(ERR_P2, T0 + 6 * MIN, T0 + MIN));
    expect(quiet).toMatchObject({ effect: 'quiet' });
    expect(incidentOf(quiet).quietSince).toBe(T0 + 6 * MIN);
    expect(incidentOf(quiet).state).toBe('open');

    // Fires again 9 minutes into the 10-minute quiet period: same incident, no page of its own.
    const refire = await routeAlarmChange(config, store, fired(LAT_P2, T0 + 15 * MIN));
    expect(refire).toMatchObject({ kind: 'changed', effect: 'joined' });
    expect(incidentOf(refire).id).toBe(id);
    expect(incidentOf(refire).quietSince).toBeUndefined();
    expect(incidentOf(refire).timeline.at(-1)?.detail).toContain('inside the quiet period (no page)');

    await routeAlarmChange(config, store, cleared(LAT_P2, T0 + 17 * MIN, T0 + 15 * MIN));
    // Fires again 10 minutes after the last OK: the quiet period is over; the old incident
    // resolves (when it went quiet) and a new one opens.
    const after = await routeAlarmChange(config, store, fired(LAT_P2, T0 + 27 * MIN));
    expect(after.kind).toBe('opened');
    const old = await store.get(id);
    expect(old).toMatchObject({ state: 'resolved', resolvedAt: T0 + 17 * MIN });
  });

  it('INSUFFICIENT_DATA counts as not firing: the incident goes quiet and resolves after the quiet period', async () => {
    const store = new InMemoryIncidentStore();
    const inc = incidentOf(await routeAlarmChange(config, store, fired(LAT_P2, T0)));
    const gone = await routeAlarmChange(config, store, cleared(LAT_P2, T0 + 4 * MIN, T0, 'INSUFFICIENT_DATA'));
    expect(gone).toMatchObject({ effect: 'quiet' });
    expect(incidentOf(gone).alerts?.[0]?.lastState).toBe('INSUFFICIENT_DATA');
    expect(resolveQuietIncident(config, incidentOf(gone), T0 + 13 * MIN).state).toBe('open');
    expect(resolveQuietIncident(config, incidentOf(gone), T0 + 14 * MIN)).toMatchObject({
      id: inc.id,
      state: 'resolved',
      resolvedAt: T0 + 4 * MIN,
    });
    // Missing data alone never opens an incident.
    expect(
      (await routeAlarmChange(config, store, cleared(ERR_P2, T0 + 30 * MIN, T0 + 20 * MIN, 'INSUFFICIENT_DATA'))).kind,
    ).toBe('ignored');
  });
});

describe('inhibition', () => {
  it('a less urgent burn rate does not mute a P1 threshold: the incident stays P1 and pages once', async () => {
    const store = new InMemoryIncidentStore();
    await routeAlarmChange(config, store, fired('acme/P1/technical/fleet/api_error_rate-p1', T0));
    const burn = await routeAlarmChange(config, store, fired('acme/P2/technical/fleet/slo-api-errors-p2-1d', T0 + MIN));
    expect(burn).toMatchObject({ effect: 'joined', incident: { severity: 'P1' } });
    expect(incidentOf(burn).alerts?.every((a) => a.mutedBy === undefined)).toBe(true);
    const p1Burn = await routeAlarmChange(
      config,
      store,
      fired('acme/P1/technical/fleet/slo-api-errors-p1-6h', T0 + 2 * MIN),
    );
    // The P1 burn rate mutes the P1 threshold, and the incident pages at P1 as before: no raise.
    expect(p1Burn).toMatchObject({ effect: 'joined', incident: { severity: 'P1' } });
    expect(incidentOf(p1Burn).alerts?.find((a) => a.ruleId === 'api_error_rate-p1')?.mutedBy).toMatch(
      /^burn-rate-mutes-threshold/,
    );
  });

  it('a P1 mutes P2-P4 of the same tenant and KPI; a burn-rate alert mutes the threshold on its SLO KPI', async () => {
    const store = new InMemoryIncidentStore();
    await routeAlarmChange(config, store, fired('acme/P1/technical/tenant-voice/slo-api-errors-p1-1h', T0));
    const muted = await routeAlarmChange(config, store, fired('acme/P1/technical/tenant-voice/api_error_rate-p1', T0));
    expect(muted).toMatchObject({ effect: 'muted' });
    const inc = incidentOf(muted);
    expect(inc.timeline.at(-1)).toMatchObject({ kind: 'muted' });
    expect(inc.timeline.at(-1)?.detail).toContain('burn-rate-mutes-threshold');
    // Another KPI is not muted.
    expect(await routeAlarmChange(config, store, fired(LAT_P2, T0 + MIN))).toMatchObject({ effect: 'joined' });
  });

  it('with inhibitions off, the same alerts are not muted', async () => {
    const off = parseConfig({ name: 'acme', alerting: { inhibitions: [] } });
    const store = new InMemoryIncidentStore();
    await routeAlarmChange(off, store, fired(LAT_P1, T0));
    const p2 = incidentOf(await routeAlarmChange(off, store, fired(LAT_P2, T0 + MIN)));
    expect(p2.alerts?.every((a) => a.mutedBy === undefined)).toBe(true);
  });

  it('a muted alert does not raise the incident; once its source clears, it counts again', async () => {
    const store = new InMemoryIncidentStore();
    await routeAlarmChange(config, store, fired('acme/P3/technical/tenant-voice/response_latency-p3', T0));
    // P1 and P2 on one KPI: the P2 is muted, the P1 raises.
    await routeAlarmChange(config, store, fired(LAT_P1, T0 + MIN));
    const p2 = incidentOf(await routeAlarmChange(config, store, fired(LAT_P2, T0 + 2 * MIN)));
    expect(p2.severity).toBe('P1');
    const afterP1 = incidentOf(await routeAlarmChange(config, store, cleared(LAT_P1, T0 + 5 * MIN, T0 + MIN)));
    expect(afterP1.alerts?.find((a) => a.alarmName === LAT_P2)?.mutedBy).toBeUndefined();
    // The incident keeps its highest severity: it was a P1 problem.
    expect(afterP1.severity).toBe('P1');
  });
});

describe('ladder timing of grouped incidents', () => {
  const ctx = (nowMs: number, severity?: 'P1' | 'P2') => ({
    config,
    nowMs,
    pollSeconds: 60,
    ...(severity === undefined ? {} : { severity }),
  });

  it('waits the group wait before the first page, and the group interval before a raise pages again', async () => {
    const store = new InMemoryIncidentStore();
    const inc = incidentOf(await routeAlarmChange(config, store, fired(LAT_P2, T0)));
    expect(stepBeforePage(inc, 1, ctx(T0 + 10_000, 'P2'))).toMatchObject({
      next: 'wait',
      level: 0,
      waitSeconds: 50,
      deadlineMs: T0 + 60_000,
    });
    expect(stepBeforePage(inc, 1, ctx(T0 + 60_000, 'P2'))).toBeUndefined();
    const paged: Incident = { ...inc, paged: [{ contactId: 'oncall', channel: 'email', atMs: T0 + MIN, level: 1 }] };
    const raised = { ...paged, severity: 'P1' as const };
    // The P2 run stops; the P1 run pages 2 minutes (group interval) after the last page.
    expect(stepBeforePage(raised, 1, ctx(T0 + 90_000, 'P2'))).toMatchObject({ next: 'stop' });
    expect(stepBeforePage(raised, 1, ctx(T0 + 90_000, 'P1'))).toMatchObject({ next: 'wait', waitSeconds: 60 });
    expect(stepBeforePage(raised, 1, ctx(T0 + 3 * MIN, 'P1'))).toBeUndefined();
  });

  it('holds the climb while quiet and resolves when the quiet period ends', async () => {
    const store = new InMemoryIncidentStore();
    await routeAlarmChange(config, store, fired(LAT_P2, T0));
    const quiet = incidentOf(await routeAlarmChange(config, store, cleared(LAT_P2, T0 + 5 * MIN, T0)));
    const plan = ladderPlan(config, 'P2', 'technical');
    const waiting = { level: 1, deadlineMs: T0 + 6 * MIN };
    // The level-1 window ends at 6 min, but nothing fires: no level-2 page.
    expect(stepAfterWait(plan, quiet, waiting, ctx(T0 + 7 * MIN, 'P2'))).toMatchObject({ next: 'wait', level: 1 });
    const resolved = resolveQuietIncident(config, quiet, T0 + 15 * MIN);
    expect(stepAfterWait(plan, resolved, waiting, ctx(T0 + 15 * MIN, 'P2'))).toMatchObject({ next: 'resolved' });
  });
});
