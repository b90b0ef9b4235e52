import { parseAlarmName } from '../../lambdas/core/alarms/naming';
import { parseConfig } from '../../lambdas/core/config/schema';
import {
  ladderPlan,
  PageTextError,
  SMS_MAX_CHARS,
  smsText,
  stepAfterPage,
  stepAfterWait,
} from '../../lambdas/core/escalation';
import {
  type AlarmStateChange,
  acknowledgeIncident,
  groupKeyOf,
  type Incident,
  IncidentStateError,
  InvalidAlarmEventError,
  incidentTimings,
  meanTimings,
  newGroupIncident,
  parseAlarmStateChange,
  recordPages,
  resolveIncident,
} from '../../lambdas/core/incidents';

const MIN = 60_000;
const T0 = Date.parse('2026-11-23T08:00:00Z');
const config = parseConfig({
  tenants: [{ id: 'globex', name: 'Globex', tier: 'enterprise' }],
  silences: [
    {
      id: 'maint-1',
      tenant: 'globex',
      start: '2026-11-23T07:00:00Z',
      end: '2026-11-23T09:00:00Z',
      reason: 'database upgrade',
    },
  ],
});

function change(over: Partial<AlarmStateChange>): AlarmStateChange {
  return {
    alarmName: 'agent-kpi/P1/technical/fleet/availability-p1',
    state: 'ALARM',
    stateAtMs: T0,
    previousState: 'OK',
    previousStateAtMs: T0 - 60 * MIN,
    reason: 'Threshold crossed',
    ...over,
  };
}

function opened(over: Partial<AlarmStateChange> = {}): Incident {
  const c = change(over);
  return newGroupIncident(config, c, groupKeyOf(config, parseAlarmName(c.alarmName)));
}

const ctx = (nowMs: number) => ({ config, nowMs, pollSeconds: 60 });

describe('incident decisions on alarm transitions', () => {
  it('ALARM opens an incident whose id is stable for the episode', () => {
    const a = opened();
    expect(a).toMatchObject({
      state: 'open',
      severity: 'P1',
      ladder: 'technical',
      tenant: '*',
      openedAt: T0,
      level: 0,
    });
    expect(opened().id).toBe(a.id);
    expect(opened({ stateAtMs: T0 + 1000 }).id).not.toBe(a.id);
    expect(a.id).toMatch(/^inc-[0-9a-f]{12}$/);
  });

  it('an alarm covered by a silence is recorded silenced, with the silence on the timeline', () => {
    const i = opened({ alarmName: 'agent-kpi/P1/technical/tenant-globex/availability-p1' });
    expect(i).toMatchObject({ state: 'silenced', silencedBy: 'maint-1', tenant: 'globex' });
    expect(i.timeline.map((t) => t.kind)).toEqual(['opened', 'silenced']);
    expect(i.timeline[1]?.detail).toContain('database upgrade');
    const after = opened({
      alarmName: 'agent-kpi/P1/technical/tenant-globex/availability-p1',
      stateAtMs: T0 + 61 * MIN,
    });
    expect(after.state).toBe('open');
  });

  it('acknowledging twice keeps the first; acknowledging a resolved incident is refused', () => {
    const a = acknowledgeIncident(opened(), 'techlead', T0 + 5 * MIN);
    expect(acknowledgeIncident(a, 'cto', T0 + 9 * MIN)).toBe(a);
    const r = resolveIncident(opened(), T0 + 3 * MIN);
    expect(resolveIncident(r, T0 + 4 * MIN)).toBe(r);
    expect(() => acknowledgeIncident(r, 'techlead', T0 + 5 * MIN)).toThrow(IncidentStateError);
  });

  it('records pages, fallbacks, failures, climbs and repeats on the timeline', () => {
    let i = recordPages(
      opened(),
      1,
      'On-call',
      [{ contactId: 'oncall', requested: 'sms', deliveredBy: 'email', failures: ['sms: x'] }],
      T0,
    );
    i = recordPages(
      i,
      2,
      'Lead',
      [{ contactId: 'techlead', requested: 'sms', failures: ['sms: x', 'email: y'] }],
      T0 + 15 * MIN,
    );
    i = recordPages(
      i,
      2,
      'Lead',
      [{ contactId: 'techlead', requested: 'sms', deliveredBy: 'sms', failures: [] }],
      T0 + 45 * MIN,
    );
    expect(i.timeline.map((t) => t.kind)).toEqual([
      'opened',
      'fallback',
      'paged',
      'climbed',
      'page_failed',
      'repeat',
      'paged',
    ]);
    expect(i.paged.map((p) => [p.contactId, p.channel, p.level])).toEqual([
      ['oncall', 'email', 1],
      ['techlead', 'sms', 2],
    ]);
    expect(i.level).toBe(2);
  });

  it('computes time to detect, acknowledge and resolve', () => {
    let i = opened({ firstBadAtMs: T0 - 3 * MIN });
    i = acknowledgeIncident(i, 'oncall', T0 + 4 * MIN);
    i = resolveIncident(i, T0 + 12 * MIN);
    expect(incidentTimings(i)).toEqual({
      timeToDetectMs: 3 * MIN,
      timeToAcknowledgeMs: 4 * MIN,
      timeToResolveMs: 12 * MIN,
    });
    expect(meanTimings([i, resolveIncident(opened(), T0 + 20 * MIN)])).toEqual({
      timeToDetectMs: 3 * MIN,
      timeToAcknowledgeMs: 4 * MIN,
      timeToResolveMs: 16 * MIN,
    });
  });
});

describe('alarm state-change events', () => {
  const event = {
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    detail: {
      alarmName: 'agent-kpi/P2/business/fleet/csat-p2',
      state: {
        value: 'ALARM',
        reason: 'Threshold Crossed',
        reasonData: JSON.stringify({
          evaluatedDatapoints: [
            { timestamp: '2026-11-23T07:55:00.000+0000' },
            { timestamp: '2026-11-23T07:56:00.000+0000' },
          ],
        }),
        timestamp: '2026-11-23T08:00:00.000+0000',
      },
      previousState: { value: 'OK', timestamp: '2026-11-22T08:00:00.000+0000' },
    },
  };

  it('reads CloudWatch timestamps and the first evaluated datapoint', () => {
    expect(parseAlarmStateChange(event)).toMatchObject({
      state: 'ALARM',
      stateAtMs: T0,
      previousState: 'OK',
      firstBadAtMs: T0 - 5 * MIN,
    });
  });

  it('names the field that is wrong', () => {
    expect(() => parseAlarmStateChange({ ...event, detail: { ...event.detail, state: { value: 'RED' } } })).toThrow(
      InvalidAlarmEventError,
    );
    expect(() => parseAlarmStateChange({ ...event, 'detail-type': 'Scheduled Event' })).toThrow(/detail-type/);
  });
});

describe('ladder decisions', () => {
  const technical = ladderPlan(config, 'P1', 'technical');

  it('uses the configured ladder and windows, the top level repeating at topLevelRepeatMinutes', () => {
    expect(technical.channel).toBe('sms');
    expect(technical.levels.map((l) => [l.contacts, l.windowSeconds / 60])).toEqual([
      [['oncall'], 15],
      [['techlead'], 15],
      [['engmanager'], 30],
      [['cto'], 30],
    ]);
  });

  it('P3/P4 page the chat contacts once and never climb', () => {
    const plan = ladderPlan(config, 'P3', 'technical');
    expect(plan).toMatchObject({ channel: 'chat', climbs: false });
    const step = stepAfterPage(plan, opened(), 1, ctx(T0));
    expect(step.deadlineMs).toBe(-1);
    expect(stepAfterWait(plan, opened(), step, ctx(T0 + 30 * 24 * 60 * MIN)).next).toBe('wait');
  });

  it('waits in polls until the window ends, then climbs; at the top it repeats', () => {
    const i = opened();
    const after = stepAfterPage(technical, i, 1, ctx(T0));
    expect(after).toMatchObject({ next: 'wait', waitSeconds: 60, deadlineMs: T0 + 15 * MIN });
    expect(stepAfterWait(technical, i, after, ctx(T0 + 14.5 * MIN))).toMatchObject({ next: 'wait', waitSeconds: 30 });
    expect(stepAfterWait(technical, i, after, ctx(T0 + 15 * MIN))).toMatchObject({ next: 'page', level: 2 });
    const top = stepAfterPage(technical, i, 4, ctx(T0));
    expect(stepAfterWait(technical, i, top, ctx(T0 + 30 * MIN))).toMatchObject({ next: 'page', level: 4 });
  });

  it('stops on acknowledgement or silence and resolves on resolution', () => {
    const after = stepAfterPage(technical, opened(), 2, ctx(T0));
    expect(stepAfterWait(technical, acknowledgeIncident(opened(), 'x', T0), after, ctx(T0 + MIN)).next).toBe('stop');
    expect(stepAfterWait(technical, resolveIncident(opened(), T0), after, ctx(T0 + MIN)).next).toBe('resolved');
  });
});

describe('SMS text', () => {
  const link = `https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.ap-southeast-2.on.aws/?t=inc-3f9a1c0d2b7e.2.t4abcd.AbCdEf12.${'x'.repeat(16)}`;

  it('fits 160 characters with the severity, incident id and the whole link, in GSM-7', () => {
    const i = opened({ alarmName: 'agent-kpi/P1/technical/tenant-globex/synthesis_over_2s_share-p1-very-long-rule' });
    const sms = smsText({
      incident: { ...i, state: 'open' },
      level: 2,
      levelName: 'Lead',
      ackUrl: link,
      deployment: 'agent-kpi',
    });
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    expect(sms).toContain(i.id);
    expect(sms).toContain(link);
    expect(sms.startsWith('P1 ')).toBe(true);
    expect(sms).toMatch(/^[\x20-\x7e]+$/);
  });

  it('refuses, with a reason, a link that cannot fit', () => {
    expect(() =>
      smsText({ incident: opened(), level: 1, levelName: 'x', ackUrl: `${link}${'y'.repeat(100)}`, deployment: 'd' }),
    ).toThrow(PageTextError);
  });
});
