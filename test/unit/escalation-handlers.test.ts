import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { ChannelError, type PageChannel } from '../../lambdas/adapters/channels/page-channel';
import { FallbackPager } from '../../lambdas/adapters/channels/with-fallback';
import { parseAlarmName } from '../../lambdas/core/alarms/naming';
import { parseConfig } from '../../lambdas/core/config/schema';
import { InMemoryAckNonceStore, signAckToken } from '../../lambdas/core/escalation';
import { groupKeyOf, InMemoryIncidentStore, newGroupIncident } from '../../lambdas/core/incidents';
import { createAckHandler } from '../../lambdas/handlers/ack/handler';
import { createAlarmRouterHandler } from '../../lambdas/handlers/alarm-router/handler';
import type { EscalationLog } from '../../lambdas/handlers/escalation-log';
import { createNotifierHandler } from '../../lambdas/handlers/notifier/handler';

const T0 = Date.parse('2026-11-23T08:00:00Z');
const KEY = 'deployment-key';
const config = parseConfig({ name: 'acme' });

function recordingLog() {
  const entries: Array<{ message: string; extra: Record<string, unknown> }> = [];
  const log: EscalationLog = {
    info: (message, extra) => entries.push({ message, extra }),
    warn: (message, extra) => entries.push({ message, extra }),
  };
  return { log, entries };
}

function alarmEvent(alarmName: string) {
  return {
    'detail-type': 'CloudWatch Alarm State Change',
    detail: {
      alarmName,
      state: { value: 'ALARM', reason: 'x', timestamp: '2026-11-23T08:00:00.000+0000' },
      previousState: { value: 'OK', timestamp: '2026-11-23T07:00:00.000+0000' },
    },
  };
}

describe('alarm router', () => {
  it('ignores, without retrying, alarms of other deployments and names outside the convention', async () => {
    const starts: string[] = [];
    const { log, entries } = recordingLog();
    const route = createAlarmRouterHandler({
      config,
      store: new InMemoryIncidentStore(),
      ladder: {
        start: async (id, run) => {
          starts.push(run.name);
          return id;
        },
      },
      log,
    });
    await expect(route(alarmEvent('other/P1/technical/fleet/availability-p1'))).resolves.toMatchObject({
      action: 'ignored',
    });
    await expect(route(alarmEvent('acme/P9/technical/fleet/x'))).resolves.toMatchObject({ action: 'ignored' });
    await expect(route({ 'detail-type': 'Scheduled Event' })).resolves.toMatchObject({ action: 'ignored' });
    expect(starts).toEqual([]);
    expect(entries.filter((e) => e.message === 'alarm event ignored')).toHaveLength(2);
  });

  it('records a silenced incident and starts no ladder', async () => {
    const silenced = parseConfig({
      name: 'acme',
      silences: [
        { id: 'deploy', alarm: '*', start: '2026-11-23T07:30:00Z', end: '2026-11-23T08:30:00Z', reason: 'release' },
      ],
    });
    const store = new InMemoryIncidentStore();
    const starts: string[] = [];
    const route = createAlarmRouterHandler({
      config: silenced,
      store,
      ladder: {
        start: async (id, run) => {
          starts.push(run.name);
          return id;
        },
      },
      log: recordingLog().log,
    });
    const result = await route(alarmEvent('acme/P1/technical/fleet/availability-p1'));
    expect(result.action).toBe('silenced');
    expect((await store.get(result.incidentId!))?.silencedBy).toBe('deploy');
    expect(starts).toEqual([]);
  });
});

describe('acknowledgement handler', () => {
  async function setup() {
    const store = new InMemoryIncidentStore();
    const alarmName = 'acme/P1/technical/fleet/availability-p1';
    const incident = newGroupIncident(
      config,
      { alarmName, state: 'ALARM', stateAtMs: T0, previousState: 'OK', previousStateAtMs: T0 - 1, reason: 'x' },
      groupKeyOf(config, parseAlarmName(alarmName)),
    );
    await store.create(incident);
    const { log, entries } = recordingLog();
    const ack = createAckHandler({
      store,
      nonces: new InMemoryAckNonceStore(),
      ackKey: async () => KEY,
      now: () => T0 + 60_000,
      log,
    });
    return { store, ack, entries, id: incident.id };
  }

  function post(token: string, incident?: string): LambdaFunctionURLEvent {
    const body = new URLSearchParams({ t: token, ...(incident ? { incident } : {}) }).toString();
    return {
      rawQueryString: '',
      body,
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST' } },
    } as unknown as LambdaFunctionURLEvent;
  }

  it('refuses forged, expired and other-incident links with 403, logs the reason, and leaves the incident open', async () => {
    const { store, ack, entries, id } = await setup();
    const claims = { incidentId: id, level: 1, expiresAtMs: T0 + 3_600_000, nonce: 'nonce0001' };
    const cases: Array<[string, string, string | undefined]> = [
      ['forged', signAckToken(claims, 'wrong-key'), undefined],
      ['expired', signAckToken({ ...claims, expiresAtMs: T0 }, KEY), undefined],
      ['other-incident', signAckToken(claims, KEY), 'inc-000000000000'],
      ['malformed', 'not-a-token', undefined],
    ];
    for (const [reason, token, incident] of cases) {
      const res = await ack(post(token, incident));
      expect(res.statusCode).toBe(403);
      expect(entries.at(-1)).toMatchObject({ message: 'acknowledgement refused', extra: { reason } });
    }
    expect((await store.get(id))?.state).toBe('open');
    const ok = await ack(post(signAckToken(claims, KEY)));
    expect(ok.statusCode).toBe(200);
    expect(await store.get(id)).toMatchObject({ state: 'acknowledged', acknowledgedAt: T0 + 60_000 });
  });

  it('answers GET with a confirmation form and does not acknowledge (link scanners fetch every link)', async () => {
    const { store, ack, id } = await setup();
    const token = signAckToken({ incidentId: id, level: 1, expiresAtMs: T0 + 3_600_000, nonce: 'nonce0002' }, KEY);
    const res = await ack({
      rawQueryString: `t=${token}`,
      requestContext: { http: { method: 'GET' } },
    } as unknown as LambdaFunctionURLEvent);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post">');
    expect((await store.get(id))?.state).toBe('open');
  });
});

describe('notifier: every severity reaches a person', () => {
  const sent: Array<[string, string, string]> = [];
  const recorder = (channel: 'sms' | 'email'): PageChannel => ({
    channel,
    send: async (to, text) => {
      if (channel === 'email' && to.email === undefined) throw new ChannelError('email', to.id, 'no email', true);
      sent.push([channel, to.id, text.subject]);
    },
  });

  async function pageOnce(severity: 'P1' | 'P3') {
    sent.length = 0;
    const store = new InMemoryIncidentStore();
    const alarmName = `acme/${severity}/technical/fleet/cache_hit_rate-${severity.toLowerCase()}`;
    const incident = newGroupIncident(
      config,
      { alarmName, state: 'ALARM', stateAtMs: T0, previousState: 'OK', previousStateAtMs: T0 - 1, reason: 'x' },
      groupKeyOf(config, parseAlarmName(alarmName)),
    );
    await store.create(incident);
    // No chat channel at all: the shipped configuration's chat contact has a webhook secret but no e-mail.
    const notifier = createNotifierHandler({
      config,
      store,
      pager: new FallbackPager([recorder('sms'), recorder('email')], { attempts: 1 }),
      ackUrl: 'https://ack.example.com/',
      ackKey: async () => KEY,
      now: () => T0 + 5 * 60_000,
      newNonce: () => 'nonce-123456',
      pollSeconds: 60,
      log: recordingLog().log,
    });
    await notifier({ action: 'page', incidentId: incident.id, level: 1, severity });
    return (await store.get(incident.id))!;
  }

  it('a P3 page with no chat channel falls back to e-mail to the ladder`s first level', async () => {
    const inc = await pageOnce('P3');
    expect(sent.map(([ch, to]) => [ch, to])).toEqual([['email', 'oncall']]);
    expect(inc.paged.map((p) => [p.contactId, p.channel])).toEqual([['oncall', 'email']]);
    expect(inc.timeline.find((t) => t.kind === 'fallback')?.detail).toContain('no chat contact could be reached');
  });

  it('a P1 page goes by SMS and by e-mail', async () => {
    const inc = await pageOnce('P1');
    expect(sent.map(([ch, to]) => [ch, to])).toEqual([
      ['sms', 'oncall'],
      ['email', 'oncall'],
    ]);
    expect(inc.paged.map((p) => p.channel)).toEqual(['sms', 'email']);
  });
});

describe('notifier: resolution after the quiet period', () => {
  it('resolves the incident at the first check after its quiet period, as of when it went quiet, and publishes TimeToResolve', async () => {
    const store = new InMemoryIncidentStore();
    const alarmName = 'acme/P2/technical/fleet/api_latency-p2';
    const quiet = {
      ...newGroupIncident(
        config,
        { alarmName, state: 'ALARM', stateAtMs: T0, previousState: 'OK', previousStateAtMs: T0 - 1, reason: 'x' },
        groupKeyOf(config, parseAlarmName(alarmName)),
      ),
      quietSince: T0 + 5 * 60_000,
    };
    await store.create(quiet);
    const published: Array<[string, readonly string[]]> = [];
    let now = T0 + 14 * 60_000;
    const notifier = createNotifierHandler({
      config,
      store,
      pager: new FallbackPager([], { attempts: 1 }),
      ackUrl: 'https://ack.example.com/',
      ackKey: async () => KEY,
      now: () => now,
      newNonce: () => 'nonce-123456',
      pollSeconds: 60,
      log: recordingLog().log,
      metrics: { publish: async (i, which) => void published.push([i.id, which]) },
    });
    const check = { action: 'check' as const, incidentId: quiet.id, level: 1, deadlineMs: -1, severity: 'P2' as const };
    expect(await notifier(check)).toMatchObject({ next: 'wait', waitSeconds: 60 });
    expect(published).toEqual([]);
    now = T0 + 15 * 60_000;
    expect(await notifier(check)).toMatchObject({ next: 'resolved' });
    expect(await store.get(quiet.id)).toMatchObject({ state: 'resolved', resolvedAt: T0 + 5 * 60_000 });
    expect(published).toEqual([[quiet.id, ['TimeToResolve']]]);
  });
});
