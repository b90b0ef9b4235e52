/**
 * The escalation ladder end to end: the state machine definition taken out of the synthesized
 * template runs in aws-local-stepfunctions; its tasks are the real notifier handler, paging through
 * the local SES (aws-ses-v2-local) and SNS (fauxqs) stand-ins and a local chat webhook, with
 * incidents in DynamoDB Local; alarm events go through the real router, acknowledgements through
 * the real acknowledgement handler, using the link read back from the mail store.
 *
 * Time is virtual: the Wait state is overridden to 0 ms and the clock the handlers read moves by
 * the `waitSeconds` the machine was about to wait, so the configured windows decide the page times.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { localClientConfig, readSesStore, type StandIns, startStandIns } from '../../cli/local/standins';
import { ChatWebhookChannel } from '../../lambdas/adapters/channels/chat-webhook';
import { SesEmailChannel } from '../../lambdas/adapters/channels/email-ses';
import { SnsSmsChannel } from '../../lambdas/adapters/channels/sms-sns';
import { FallbackPager } from '../../lambdas/adapters/channels/with-fallback';
import { DynamoDbAckNonceStore, DynamoDbIncidentStore } from '../../lambdas/adapters/incident-store-dynamodb';
import { StaticSecretLookup } from '../../lambdas/adapters/secret-lookup';
import { type PipelineConfig, parseConfig, type Severity } from '../../lambdas/core/config/schema';
import type { LadderStarter, LadderStep } from '../../lambdas/core/escalation/ladder';
import type { Incident } from '../../lambdas/core/incidents/types';
import { createAckHandler } from '../../lambdas/handlers/ack/handler';
import { createAlarmRouterHandler } from '../../lambdas/handlers/alarm-router/handler';
import type { EscalationLog } from '../../lambdas/handlers/escalation-log';
import { createNotifierHandler, type NotifierInput } from '../../lambdas/handlers/notifier/handler';
import { LADDER_STATES } from '../../lib/constructs/escalation';
import { synthesizeLadder } from '../support/ladder-definition';
import { createPkSkTable } from '../support/tables';

type JSONValue = Awaited<ReturnType<StateMachine['run']>['result']>;

const MIN = 60_000;
const T0 = Date.parse('2026-11-23T08:00:00.000Z');
const TABLE = 'incidents';
const ACK_URL = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws/';
const ACK_KEY = 'k'.repeat(64);

const config: PipelineConfig = parseConfig({
  name: 'acme',
  // These tests are about the ladder's windows: pages go out at once. Grouping has its own tests.
  alerting: { grouping: { groupWaitSeconds: 0 } },
  escalation: {
    contacts: {
      oncall: { name: 'On-call', email: 'oncall@example.com', phoneParameter: '/acme/oncall/phone' },
      techlead: { name: 'Tech lead', email: 'techlead@example.com' },
      engmanager: { name: 'Eng manager', email: 'engmanager@example.com' },
      cto: { name: 'CTO', email: 'cto@example.com' },
      teamlead: { name: 'Team lead', email: 'teamlead@example.com' },
      depthead: { name: 'Dept head', email: 'depthead@example.com' },
      vp: { name: 'VP', email: 'vp@example.com' },
      clevel: { name: 'C-level', email: 'clevel@example.com' },
      chat: { name: 'Alerts channel', email: 'alerts-channel@example.com', chatWebhookSecret: 'acme/chat' },
    },
  },
});

interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

interface Harness {
  readonly now: () => number;
  /** Runs an alarm event through the router. */
  route(event: unknown): Promise<{ action: string; incidentId?: string }>;
  /** Runs a ladder to its end; `onTick` is called at each virtual instant after a wait. */
  runLadder(
    incidentId: string,
    onTick?: (nowMs: number, step: LadderStep) => Promise<void>,
    severity?: Severity,
  ): Promise<LadderStep>;
  /** Executions started, by name (Step Functions starts one execution per name). */
  readonly executions: ReadonlySet<string>;
  /** StartExecution calls made by the router. */
  readonly startCalls: string[];
}

let standIns: StandIns;
let webhook: Server;
let webhookUrl: string;
const chatPosts: Array<{ path: string; text: string }> = [];
let definition: StateMachineDefinition;
let ddb: DynamoDBClient;
let store: DynamoDbIncidentStore;
const logged: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
const log: EscalationLog = {
  info: (message, extra) => logged.push({ level: 'info', message, extra }),
  warn: (message, extra) => logged.push({ level: 'warn', message, extra }),
};

beforeAll(async () => {
  // Synthesis blocks the event loop; the stand-ins start after it so their start-up timers stay honest.
  definition = synthesizeLadder(config).definition as unknown as StateMachineDefinition;
  standIns = await startStandIns(['dynamodb', 'ses', 'sns']);
  ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb!.endpoint));
  await createIncidentTable(TABLE);
  store = new DynamoDbIncidentStore(ddb, { tableName: TABLE });
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      chatPosts.push({ path: req.url ?? '', text: (JSON.parse(body) as { text: string }).text });
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end(req.url === '/broken' ? 'internal error' : 'ok');
    });
  });
  await new Promise<void>((done) => webhook.listen(0, '127.0.0.1', () => done()));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await standIns?.stop();
  await new Promise<void>((done) => (webhook ? webhook.close(() => done()) : done()));
  ddb?.destroy();
});

let tables = 0;
let currentTable = TABLE;

async function createIncidentTable(name: string): Promise<void> {
  await createPkSkTable(ddb, name);
}

async function mails(): Promise<StoredMail[]> {
  return (await readSesStore<StoredMail>(standIns.ses!.endpoint)).emails;
}

async function mailsAbout(incidentId: string): Promise<StoredMail[]> {
  return (await mails()).filter((m) => m.subject.includes(incidentId));
}

function alarmEvent(alarmName: string, state: string, previous: string, atMs: number, previousAtMs: number) {
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: `evt-${alarmName}-${state}-${atMs}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: new Date(atMs).toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: state, reason: `Threshold crossed (${state})`, timestamp: iso(atMs) },
      previousState: { value: previous, reason: 'before', timestamp: iso(previousAtMs) },
      configuration: { metrics: [] },
    },
  };
}

/**
 * One harness per test: its own virtual clock, channels, ladder starter and incidents table
 * (alarms of one tenant and ladder would otherwise join another test's incident).
 */
async function harness(options: { webhookPath?: string; config?: PipelineConfig } = {}): Promise<Harness> {
  currentTable = `incidents-${++tables}`;
  await createIncidentTable(currentTable);
  store = new DynamoDbIncidentStore(ddb, { tableName: currentTable });
  const cfg = options.config ?? config;
  let nowMs = T0;
  const now = () => nowMs;
  const sns = new SNSClient(localClientConfig(standIns.sns!.endpoint));
  const ses = new SESClient(localClientConfig(standIns.ses!.endpoint));
  const pager = new FallbackPager(
    [
      new SnsSmsChannel(sns, new StaticSecretLookup({ '/acme/oncall/phone': '+15555550100' })),
      new SesEmailChannel(ses, config.escalation.senderEmail),
      new ChatWebhookChannel(new StaticSecretLookup({ 'acme/chat': `${webhookUrl}${options.webhookPath ?? '/hook'}` })),
    ],
    { attempts: 2, backoffMs: () => 0 },
  );
  let nonce = 0;
  const notifier = createNotifierHandler({
    config: cfg,
    store,
    pager,
    ackUrl: ACK_URL,
    ackKey: async () => ACK_KEY,
    now,
    newNonce: () => `nonce${String(++nonce).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`,
    pollSeconds: 60,
    log,
  });
  const executions = new Set<string>();
  const startCalls: string[] = [];
  const ladder: LadderStarter = {
    // Step Functions starts one execution per name: a second StartExecution with it starts nothing.
    start: async (_incidentId, run) => {
      startCalls.push(run.name);
      executions.add(run.name);
      return `arn:aws:states:us-east-1:123456789012:execution:ladder:${run.name}`;
    },
  };
  const router = createAlarmRouterHandler({ config: cfg, store, ladder, log });
  const machine = new StateMachine(definition);

  return {
    now,
    executions,
    startCalls,
    route: (event) => router(event),
    async runLadder(incidentId, onTick, severity) {
      let last: LadderStep | undefined;
      // Lambda hands the machine the JSON of the handler's answer.
      const remember = async (input: NotifierInput): Promise<JSONValue> => {
        last = await notifier(input);
        return JSON.parse(JSON.stringify(last)) as JSONValue;
      };
      const execution = machine.run(
        { incidentId, level: 1, severity: severity ?? (await incident(incidentId)).severity },
        {
          overrides: {
            taskResourceLocalHandlers: {
              [LADDER_STATES.page]: (input) => remember(input as NotifierInput),
              [LADDER_STATES.check]: async (input) => {
                // The Wait before this check waited the previous step's waitSeconds.
                nowMs += (last?.waitSeconds ?? 0) * 1000;
                if (onTick !== undefined && last !== undefined) await onTick(nowMs, last);
                return remember(input as NotifierInput);
              },
              [LADDER_STATES.resolve]: (input) => remember(input as NotifierInput),
            },
            waitTimeOverrides: { [LADDER_STATES.wait]: 0 },
          },
        },
      );
      return (await execution.result) as unknown as LadderStep;
    },
  };
}

async function incident(id: string): Promise<Incident> {
  const found = await store.get(id);
  if (found === undefined) throw new Error(`incident ${id} not stored`);
  return found;
}

function ackEvent(method: 'GET' | 'POST', link: string): LambdaFunctionURLEvent {
  const token = new URL(link).searchParams.get('t') ?? '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: method === 'GET' ? `t=${token}` : '',
    headers: {},
    isBase64Encoded: method === 'POST',
    ...(method === 'POST' ? { body: Buffer.from(`t=${encodeURIComponent(token)}`).toString('base64') } : {}),
    requestContext: { http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' } },
  } as LambdaFunctionURLEvent;
}

function ackHandler(now: () => number) {
  return createAckHandler({
    store,
    nonces: new DynamoDbAckNonceStore(ddb, currentTable),
    ackKey: async () => ACK_KEY,
    now,
    log,
  });
}

function linkIn(mail: StoredMail): string {
  const match = /(https:\/\/\S+\?t=\S+)/.exec(mail.body.text ?? '');
  if (match === null) throw new Error(`no acknowledgement link in ${mail.subject}`);
  return match[1]!;
}

describe('escalation ladder (synthesized definition in aws-local-stepfunctions)', () => {
  it('without acknowledgement, climbs every level in order at the configured windows, then repeats the top', async () => {
    const h = await harness();
    const alarm = 'acme/P2/technical/fleet/api_latency-p2';
    const opened = await h.route(alarmEvent(alarm, 'ALARM', 'OK', T0, T0 - 3_600_000));
    expect(opened.action).toBe('opened');
    const id = opened.incidentId!;

    // Clear after the second repeat of the top level; it resolves after the 10-minute quiet period.
    let cleared = false;
    const end = await h.runLadder(id, async (nowMs) => {
      if (nowMs >= T0 + 125 * MIN && !cleared) {
        cleared = true;
        const r = await h.route(alarmEvent(alarm, 'OK', 'ALARM', nowMs, T0));
        expect(r.action).toBe('quiet');
      }
    });

    expect(end.next).toBe('stop');
    const inc = await incident(id);
    // Windows 15/15/30 min (operations spec), then the top level every topLevelRepeatMinutes (30).
    expect(inc.paged.map((p) => [p.level, p.contactId, (p.atMs - T0) / MIN, p.channel])).toEqual([
      [1, 'oncall', 0, 'email'],
      [2, 'techlead', 15, 'email'],
      [3, 'engmanager', 30, 'email'],
      [4, 'cto', 60, 'email'],
      [4, 'cto', 90, 'email'],
      [4, 'cto', 120, 'email'],
    ]);
    expect(inc.timeline.map((t) => t.kind)).toEqual([
      'opened',
      'paged',
      'climbed',
      'paged',
      'climbed',
      'paged',
      'climbed',
      'paged',
      'repeat',
      'paged',
      'repeat',
      'paged',
      'alert',
      'note',
      'resolved',
      'note',
      'note',
    ]);
    expect(inc.resolvedAt).toBe(T0 + 125 * MIN);
    const sent = await mailsAbout(id);
    const pages = sent.filter((m) => !m.subject.startsWith('[RESOLVED]')).map((m) => m.destination.to[0]);
    expect(pages).toEqual([
      'oncall@example.com',
      'techlead@example.com',
      'engmanager@example.com',
      'cto@example.com',
      'cto@example.com',
      'cto@example.com',
    ]);
    const resolved = sent.filter((m) => m.subject.startsWith('[RESOLVED]')).map((m) => m.destination.to[0]);
    expect(resolved.sort()).toEqual([
      'cto@example.com',
      'engmanager@example.com',
      'oncall@example.com',
      'techlead@example.com',
    ]);
  });

  it('acknowledgement at level 2 (through the link in the page) stops the ladder with no level-3 page', async () => {
    const h = await harness();
    const alarm = 'acme/P2/technical/fleet/csat-p2';
    const { incidentId } = await h.route(alarmEvent(alarm, 'ALARM', 'OK', T0, T0 - MIN));
    const id = incidentId!;
    const ack = ackHandler(h.now);
    let acked = false;

    const end = await h.runLadder(id, async (nowMs, step) => {
      if (acked || step.level !== 2 || nowMs < T0 + 20 * MIN) return;
      const page = (await mailsAbout(id)).find((m) => m.destination.to[0] === 'techlead@example.com');
      const link = linkIn(page!);
      const confirm = await ack(ackEvent('GET', link));
      expect(confirm.statusCode).toBe(200);
      expect((await incident(id)).state).toBe('open'); // GET only asks to confirm.
      const done = await ack(ackEvent('POST', link));
      expect(done.statusCode).toBe(200);
      acked = true;
      const replay = await ack(ackEvent('POST', link));
      expect(replay.statusCode).toBe(409);
    });

    expect(end).toMatchObject({ next: 'stop', level: 2 });
    const inc = await incident(id);
    expect(inc.state).toBe('acknowledged');
    expect(inc.acknowledgedAt).toBe(T0 + 20 * MIN);
    expect(inc.paged.map((p) => p.contactId)).toEqual(['oncall', 'techlead']);
    const recipients = (await mailsAbout(id)).map((m) => m.destination.to[0]);
    expect(recipients).not.toContain('engmanager@example.com');
    expect(logged.some((l) => l.message === 'acknowledgement refused' && l.extra.reason === 'replayed')).toBe(true);

    // The ladder has stopped, so the router starts a quiet-period run when the alarm clears: it
    // waits out the quiet period, resolves the incident and tells everyone paged.
    const cleared = await h.route(alarmEvent(alarm, 'OK', 'ALARM', T0 + 40 * MIN, T0));
    expect(cleared.action).toBe('quiet');
    expect([...h.executions]).toEqual([id, `${id}-quiet-${T0 + 40 * MIN}`]);
    expect(await h.runLadder(id)).toMatchObject({ next: 'stop', reason: 'resolved' });
    expect(await incident(id)).toMatchObject({ state: 'resolved', resolvedAt: T0 + 40 * MIN });
    expect(h.now()).toBeGreaterThanOrEqual(T0 + 50 * MIN);
    const told = (await mailsAbout(id))
      .filter((m) => m.subject.startsWith('[RESOLVED]'))
      .map((m) => m.destination.to[0]);
    expect(told.sort()).toEqual(['oncall@example.com', 'techlead@example.com']);
    // Running it again (a retried start) sends nothing twice.
    expect(await h.runLadder(id)).toMatchObject({ next: 'stop', reason: 'resolution already notified' });
    expect((await mailsAbout(id)).filter((m) => m.subject.startsWith('[RESOLVED]'))).toHaveLength(2);
  });

  it('OK while climbing resolves the incident and tells everyone paged, and nobody else', async () => {
    const h = await harness();
    const alarm = 'acme/P2/technical/tenant-globex/api_error_rate-p2';
    const { incidentId } = await h.route(alarmEvent(alarm, 'ALARM', 'OK', T0, T0 - MIN));
    const id = incidentId!;

    const end = await h.runLadder(id, async (nowMs) => {
      if (nowMs === T0 + 22 * MIN) await h.route(alarmEvent(alarm, 'OK', 'ALARM', nowMs, T0));
    });

    expect(end.next).toBe('stop');
    const inc = await incident(id);
    expect(inc.state).toBe('resolved');
    expect(inc.resolvedAt).toBe(T0 + 22 * MIN);
    const sent = await mailsAbout(id);
    const resolved = sent.filter((m) => m.subject.startsWith('[RESOLVED]')).map((m) => m.destination.to[0]);
    expect(resolved.sort()).toEqual(['oncall@example.com', 'techlead@example.com']);
    expect(sent.map((m) => m.destination.to[0])).not.toContain('engmanager@example.com');
    expect(inc.timeline.at(-1)?.detail).toContain('resolution sent to oncall by email, techlead by email');
  });

  it('duplicate and out-of-order alarm events open one incident and start one ladder', async () => {
    const h = await harness();
    const alarm = 'acme/P1/technical/fleet/availability-p1';
    const event = alarmEvent(alarm, 'ALARM', 'OK', T0 + 5 * MIN, T0);
    const results = await Promise.all([h.route(event), h.route(event), h.route(event)]);
    const ids = new Set(results.map((r) => r.incidentId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.action === 'opened')).toHaveLength(1);
    expect([...h.executions]).toEqual([...ids]);
    expect((await store.listBetween(T0 + 5 * MIN, T0 + 5 * MIN + 1)).map((i) => i.id)).toEqual([...ids]);

    // An OK that arrives before its ALARM records the alert out of ALARM; the late ALARM changes nothing.
    const late = 'acme/P1/technical/fleet/response_latency-p1';
    const ok = await h.route(alarmEvent(late, 'OK', 'ALARM', T0 + 9 * MIN, T0 + 6 * MIN));
    const alarmAfter = await h.route(alarmEvent(late, 'ALARM', 'OK', T0 + 6 * MIN, T0));
    expect(ok).toMatchObject({ action: 'cleared', incidentId: [...ids][0] });
    expect(alarmAfter).toMatchObject({ action: 'duplicate', incidentId: ok.incidentId });
    expect(h.executions.size).toBe(1);

    // Deploying alarms (INSUFFICIENT_DATA -> OK) opens nothing.
    const deploy = await h.route(
      alarmEvent('acme/P1/technical/fleet/api_error_rate-p1', 'OK', 'INSUFFICIENT_DATA', T0, T0),
    );
    expect(deploy.action).toBe('ignored');
    expect(h.executions.size).toBe(1);
  });

  it('a failing SMS channel falls back to e-mail, and the ladder goes on', async () => {
    const h = await harness();
    const alarm = 'acme/P1/technical/fleet/synthesis_over_2s_share-p1';
    const { incidentId } = await h.route(alarmEvent(alarm, 'ALARM', 'OK', T0, T0 - MIN));
    const id = incidentId!;
    const end = await h.runLadder(id, async (nowMs) => {
      if (nowMs >= T0 + 16 * MIN) await h.route(alarmEvent(alarm, 'OK', 'ALARM', nowMs, T0));
    });
    expect(end.next).toBe('stop');
    const inc = await incident(id);
    // fauxqs has no SMS: Publish to a phone number fails, twice (attempts: 2), then e-mail delivers.
    expect(inc.paged.slice(0, 2).map((p) => [p.contactId, p.channel])).toEqual([
      ['oncall', 'email'],
      ['techlead', 'email'],
    ]);
    const fallback = inc.timeline.find((t) => t.kind === 'fallback');
    expect(fallback?.detail).toMatch(/oncall sms failed .*sent by email/);
    const page = (await mailsAbout(id)).find((m) => m.destination.to[0] === 'oncall@example.com');
    expect(page?.subject).toContain('[P1]');
    expect(linkIn(page!)).toContain(ACK_URL);
  });

  it('a failing chat webhook falls back to e-mail; a working one gets the page', async () => {
    const broken = await harness({ webhookPath: '/broken' });
    const alarm = 'acme/P3/technical/fleet/cache_hit_rate-p3';
    const { incidentId } = await broken.route(alarmEvent(alarm, 'ALARM', 'OK', T0, T0 - MIN));
    await broken.runLadder(incidentId!, async (nowMs) => {
      if (nowMs >= T0 + 3 * MIN) await broken.route(alarmEvent(alarm, 'OK', 'ALARM', nowMs, T0));
    });
    const inc = await incident(incidentId!);
    expect(inc.paged.map((p) => [p.contactId, p.channel])).toEqual([['chat', 'email']]);
    expect(chatPosts.filter((p) => p.path === '/broken')).toHaveLength(2);
    expect((await mailsAbout(incidentId!)).map((m) => m.destination.to[0])).toContain('alerts-channel@example.com');

    const working = await harness();
    const other = 'acme/P3/technical/fleet/escalation_rate-p3';
    const second = await working.route(alarmEvent(other, 'ALARM', 'OK', T0, T0 - MIN));
    await working.runLadder(second.incidentId!, async (nowMs) => {
      if (nowMs >= T0 + 3 * MIN) await working.route(alarmEvent(other, 'OK', 'ALARM', nowMs, T0));
    });
    expect((await incident(second.incidentId!)).paged.map((p) => [p.contactId, p.channel])).toEqual([['chat', 'chat']]);
    expect(chatPosts.some((p) => p.path === '/hook' && p.text.includes(second.incidentId!))).toBe(true);
  });
});

describe('grouping on DynamoDB Local (default alerting settings)', () => {
  const grouped: PipelineConfig = parseConfig({
    name: 'acme',
    tenants: [{ id: 'voice', name: 'Voice', tier: 'enterprise' }],
    escalation: config.escalation,
  });
  const voice = (severity: string, rule: string) => `acme/${severity}/technical/tenant-voice/${rule}`;

  it('concurrent state changes of one group open one incident and start one ladder', async () => {
    const h = await harness({ config: grouped });
    const names = [
      voice('P2', 'response_latency-p2'),
      voice('P2', 'api_error_rate-p2'),
      voice('P2', 'api_latency-p2'),
      voice('P3', 'cache_hit_rate-p3'),
      voice('P2', 'availability-p2'),
      voice('P2', 'synthesis_over_2s_share-p2'),
    ];
    // Each event is delivered twice, as EventBridge may: twelve router calls racing on one group.
    const events = names.flatMap((n) => [
      alarmEvent(n, 'ALARM', 'OK', T0, T0 - MIN),
      alarmEvent(n, 'ALARM', 'OK', T0, T0 - MIN),
    ]);
    const results = await Promise.all(events.map((e) => h.route(e)));
    expect(results.filter((r) => r.action === 'opened')).toHaveLength(1);
    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    const stored = await store.listBetween(T0 - MIN, T0 + MIN);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.alerts?.map((a) => a.alarmName).sort()).toEqual([...names].sort());
    // A racing duplicate may call StartExecution again; the execution name makes it one ladder.
    expect([...h.executions]).toEqual([stored[0]!.id]);
  });

  it('a higher severity joining pages again at that severity; a re-fire after the quiet period opens a new incident', async () => {
    const h = await harness({ config: grouped });
    const p2 = voice('P2', 'response_latency-p2');
    const p1 = voice('P1', 'api_error_rate-p1');
    const { incidentId } = await h.route(alarmEvent(p2, 'ALARM', 'OK', T0, T0 - 60 * MIN));
    const id = incidentId!;
    let raised = false;
    const p2Run = await h.runLadder(id, async (nowMs) => {
      if (!raised && nowMs >= T0 + 3 * MIN) {
        raised = true;
        expect(await h.route(alarmEvent(p1, 'ALARM', 'OK', nowMs, T0 - 60 * MIN))).toMatchObject({
          action: 'raised',
          incidentId: id,
        });
      }
    });
    expect(p2Run).toMatchObject({ next: 'stop', reason: 'raised to P1; its ladder took over' });
    expect([...h.executions]).toEqual([id, `${id}-p1`]);

    let cleared = false;
    const p1Run = await h.runLadder(
      id,
      async (nowMs) => {
        if (!cleared && nowMs >= T0 + 6 * MIN) {
          cleared = true;
          await h.route(alarmEvent(p2, 'OK', 'ALARM', nowMs, T0));
          await h.route(alarmEvent(p1, 'OK', 'ALARM', nowMs, T0 + 3 * MIN));
        }
      },
      'P1',
    );
    expect(p1Run).toMatchObject({ next: 'stop', reason: 'resolved' });
    const inc = await incident(id);
    // The group wait holds the first page a minute; the raise pages again (SMS falls back to e-mail locally).
    expect(inc.paged.map((p) => [p.contactId, (p.atMs - T0) / MIN])).toEqual([
      ['oncall', 1],
      ['oncall', 3],
    ]);
    expect(inc.severity).toBe('P1');
    expect(inc.timeline.filter((t) => t.kind === 'fallback')).toHaveLength(1);
    const subjects = (await mailsAbout(id)).map((m) => m.subject.slice(0, 4));
    expect(subjects).toEqual(['[P2]', '[P1]', '[RES']);
    expect(inc.resolvedAt).toBe(T0 + 6 * MIN);

    // Fires again after the quiet period: a new incident and a new ladder.
    const again = await h.route(alarmEvent(p2, 'ALARM', 'OK', T0 + 40 * MIN, T0 + 6 * MIN));
    expect(again.action).toBe('opened');
    expect(again.incidentId).not.toBe(id);
  });
});
