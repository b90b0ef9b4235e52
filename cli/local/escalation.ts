/**
 * The escalation stage: alarm state changes through the real alarm router, each ladder's
 * synthesized state machine in aws-local-stepfunctions with the real notifier (paging through
 * the local SES and SNS), and acknowledgements at level 2 through the real acknowledgement
 * handler, with the signed token taken from the page e-mail. Everything runs on a simulated
 * timeline.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type AlarmStateTransition, alarmStateChangeEvent } from '../../lambdas/core/alarm-evaluator';
import type { PipelineConfig } from '../../lambdas/core/config/schema';
import type { LadderInput, LadderRun, LadderStarter, LadderStep } from '../../lambdas/core/escalation/ladder';
import type { IncidentStore } from '../../lambdas/core/incidents/store';
import type { Incident } from '../../lambdas/core/incidents/types';
import { createAckHandler } from '../../lambdas/handlers/ack/handler';
import { createAlarmRouterHandler } from '../../lambdas/handlers/alarm-router/handler';
import type { EnvReader } from '../../lambdas/handlers/composition/env';
import { createNotifierHandler, type NotifierInput } from '../../lambdas/handlers/notifier/handler';
import { resourcesOfType, type SynthesizedTemplates } from '../synth';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../wiring';
import type { DeliveredEvent } from './event-bus';
import { escalationOverrides, localEscalationDeps } from './handlers';
import { localClientConfig, readSesStore } from './standins';
import { SimulatedTimeline } from './timeline';
import './promise-with-resolvers';

type JSONValue = Awaited<ReturnType<StateMachine['run']>['result']>;

/** Resolves the intrinsic functions of a state machine's `DefinitionString` to local values. */
function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if ('Fn::GetAtt' in v) {
      const [logicalId] = v['Fn::GetAtt'] as [string, string];
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
    }
    if ('Ref' in v) {
      const ref = v.Ref as string;
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      return ref;
    }
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolveIntrinsic).join(sep);
    }
  }
  throw new Error(`Unexpected intrinsic function in the state machine definition: ${JSON.stringify(value)}`);
}

/**
 * The escalation ladder's state machine definition from the synthesized templates, with its
 * CloudFormation intrinsics resolved as `cdk deploy` would hand it to Step Functions.
 */
export function ladderDefinition(templates: SynthesizedTemplates): StateMachineDefinition {
  const machines = resourcesOfType(templates, 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`Expected one state machine in the app, found ${machines.length}`);
  return JSON.parse(resolveIntrinsic(machines[0]?.properties.DefinitionString)) as StateMachineDefinition;
}

/** One mail the local SES stored. */
export interface StoredMail {
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly text?: string; readonly html?: string };
}

/** Reads the mails the local SES stand-in received. */
export async function localMails(sesEndpoint: string): Promise<StoredMail[]> {
  return (await readSesStore<StoredMail>(sesEndpoint)).emails;
}

/** An acknowledgement as the function URL receives it: a POST of the confirmation form. */
function ackFormEvent(token: string): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    isBase64Encoded: true,
    body: Buffer.from(`t=${encodeURIComponent(token)}`).toString('base64'),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: 'ack.local',
      domainPrefix: 'ack',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'kpi-local' },
      requestId: token.slice(0, 16),
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/** Where the escalation handlers run and how the demo's on-call behaves. */
export interface EscalationSetup {
  readonly config: PipelineConfig;
  readonly templates: SynthesizedTemplates;
  readonly dynamodb: DynamoDBClient;
  /** The environment the CDK app would give the escalation functions. */
  readonly env: EnvReader;
  readonly sesEndpoint: string;
  readonly snsEndpoint: string;
  /** The demo's on-call behaviour: nobody answers level 1; level 2 acknowledges after this long. */
  readonly ackDelayMs?: number;
  /** Only acknowledge at level 2 when this holds (the demo acknowledges the incidents it injected). */
  readonly acknowledge?: (incident: Incident) => boolean;
}

/** Options of {@link runEscalation}. */
export interface EscalationOptions extends EscalationSetup {
  /** CloudWatch alarms' state changes (the router gets each as CloudWatch's event, at its instant). */
  readonly transitions: readonly AlarmStateTransition[];
  /** Events the bus delivers to the router (per-tenant alarm state changes), at their delivery time. */
  readonly events?: readonly DeliveredEvent[];
  /** Escalation runs until here (epoch ms); ladders still climbing then are stopped. */
  readonly endMs: number;
}

/** What the escalation stage did. */
export interface EscalationResult {
  readonly incidents: readonly Incident[];
  readonly routed: number;
  readonly ladders: number;
  /** Ladders still running at the end of the range, stopped by the run. */
  readonly stopped: number;
  readonly mails: number;
}

/** The handlers a ladder calls: the notifier for every task, the acknowledgement for the on-call's click. */
interface LadderHandlers {
  readonly notifier: ReturnType<typeof createNotifierHandler>;
  readonly ack: ReturnType<typeof createAckHandler>;
  readonly store: IncidentStore;
}

/**
 * Starts ladders as executions of the synthesized state machine on the timeline, each its own
 * task; the Wait before a check parks the task until the simulated clock reaches its end.
 */
class LocalLadders implements LadderStarter {
  private readonly definition: StateMachineDefinition;
  private readonly machine: StateMachine;
  private readonly taskStates: string[];
  private readonly waitStates: string[];
  private readonly executions: Array<{ abort: () => void }> = [];
  readonly started = new Set<string>();

  constructor(
    private readonly o: EscalationSetup,
    private readonly timeline: SimulatedTimeline,
    private readonly handlers: LadderHandlers,
  ) {
    this.definition = ladderDefinition(o.templates);
    this.machine = new StateMachine(this.definition);
    const states = Object.entries(this.definition.States as Record<string, { Type?: string }>);
    this.taskStates = states.filter(([, st]) => st.Type === 'Task').map(([name]) => name);
    this.waitStates = states.filter(([, st]) => st.Type === 'Wait').map(([name]) => name);
  }

  async start(incidentId: string, run: LadderRun): Promise<string> {
    const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:ladder:${run.name}`;
    if (this.started.has(run.name)) return arn;
    this.started.add(run.name);
    this.timeline.spawn(async () => {
      const execution = this.machine.run({ incidentId, level: 1, severity: run.severity } satisfies LadderInput, {
        overrides: {
          taskResourceLocalHandlers: this.taskHandlers(incidentId),
          waitTimeOverrides: Object.fromEntries(this.waitStates.map((name) => [name, 0])),
        },
      });
      this.executions.push(execution);
      await execution.result.catch(() => {});
    });
    return arn;
  }

  /** Stops every execution still running. */
  abortAll(): void {
    for (const e of this.executions) e.abort();
  }

  /** Every task of the ladder is the notifier; its input's action says which step it is. */
  private taskHandlers(incidentId: string): Record<string, (raw: JSONValue) => Promise<JSONValue>> {
    let last: LadderStep | undefined;
    const handle = async (raw: JSONValue): Promise<JSONValue> => {
      const input = raw as unknown as NotifierInput;
      if (input.action === 'check') {
        // The Wait state before a check waited the previous step's waitSeconds.
        await this.timeline.sleepUntil(this.timeline.nowMs + (last?.waitSeconds ?? 0) * 1000);
      }
      last = await this.handlers.notifier(input);
      const out = JSON.parse(JSON.stringify(last)) as JSONValue;
      if (input.action === 'page' && input.level === 2) await this.acknowledgeFromMail(incidentId, 2);
      return out;
    };
    return Object.fromEntries(this.taskStates.map((name) => [name, handle]));
  }

  /** The on-call of `level` clicks the link of the page mail, `ackDelayMs` later. */
  private async acknowledgeFromMail(incidentId: string, level: number): Promise<void> {
    const { config } = this.o;
    const incident = await this.handlers.store.get(incidentId);
    if (incident === undefined || incident.state !== 'open' || !(this.o.acknowledge?.(incident) ?? true)) return;
    const contacts = new Set(
      (config.escalation.ladders[incident.ladder][level - 1]?.contacts ?? [])
        .map((id) => config.escalation.contacts[id]?.email)
        .filter((e): e is string => e !== undefined),
    );
    const mail = (await localMails(this.o.sesEndpoint))
      .filter((m) => m.subject.includes(incidentId) && m.destination.to.some((t) => contacts.has(t)))
      .at(-1);
    const token = /[?&]t=([^\s&]+)/.exec(mail?.body.text ?? '')?.[1];
    if (token === undefined) return;
    this.timeline.schedule(this.timeline.nowMs + (this.o.ackDelayMs ?? 3 * 60_000), async () => {
      await this.handlers.ack(ackFormEvent(decodeURIComponent(token)));
    });
  }
}

/**
 * The real alarm router and the ladders it starts, on a simulated timeline from `startMs`: events
 * are routed at their instants, and time moves only when {@link runUntil} is called, so a live run
 * can move it with its clock. {@link close} stops the ladders and closes the clients.
 */
export class LocalEscalation {
  readonly timeline: SimulatedTimeline;
  /** Events routed so far. */
  routed = 0;
  private readonly ses: SESClient;
  private readonly sns: SNSClient;
  private ladders: LocalLadders | undefined;
  private closed = false;
  private readonly deps: ReturnType<typeof localEscalationDeps>;
  private readonly router: ReturnType<typeof createAlarmRouterHandler>;

  constructor(
    o: EscalationSetup,
    startMs: number,
    /** Told of each incident the router opens, with the alarm that opened it. */
    private readonly onOpened?: (incidentId: string, alarmName: string, atMs: number) => void,
  ) {
    this.timeline = new SimulatedTimeline(startMs);
    this.ses = new SESClient(localClientConfig(o.sesEndpoint));
    this.sns = new SNSClient(localClientConfig(o.snsEndpoint));
    const overrides = escalationOverrides(o.config, {
      dynamodb: o.dynamodb,
      ses: this.ses,
      sns: this.sns,
      now: () => this.timeline.nowMs,
    });
    this.deps = localEscalationDeps(o.config, o.env, overrides, (notifier, ack) => {
      this.ladders = new LocalLadders(o, this.timeline, {
        notifier: createNotifierHandler(notifier),
        ack: createAckHandler(ack),
        store: notifier.store,
      });
      return this.ladders;
    });
    this.router = createAlarmRouterHandler(this.deps.router);
  }

  /** Routes `event` (an EventBridge event for the router) at `atMs`, or at once if that has passed. */
  route(atMs: number, event: unknown): void {
    this.timeline.schedule(atMs, async () => {
      this.routed++;
      const result = await this.router(event);
      if (result.action === 'opened' && result.incidentId !== undefined) {
        const name = (event as { detail?: { alarmName?: string } }).detail?.alarmName ?? '';
        this.onOpened?.(result.incidentId, name, this.timeline.nowMs);
      }
    });
  }

  /** Processes everything due up to `endMs`; returns how many ladders are still waiting. */
  runUntil(endMs: number): Promise<number> {
    return this.timeline.runUntil(endMs);
  }

  /** Ladders started so far. */
  get ladderCount(): number {
    return this.ladders?.started.size ?? 0;
  }

  /** Incidents opened in `[fromMs, toMs)`. */
  incidents(fromMs: number, toMs: number): Promise<Incident[]> {
    return this.deps.notifier.store.listBetween(fromMs, toMs);
  }

  /** Stops the ladders still running and closes the clients (once). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ladders?.abortAll();
    this.ses.destroy();
    this.sns.destroy();
  }
}

/**
 * Routes the alarm state changes through the real alarm router and runs the ladders they start
 * until `endMs`, with the handlers wired as in Lambda (see ./handlers.ts for what differs).
 */
export async function runEscalation(o: EscalationOptions): Promise<EscalationResult> {
  const events = o.events ?? [];
  const firstMs = Math.min(o.transitions[0]?.atMs ?? o.endMs, events[0]?.atMs ?? o.endMs);
  const escalation = new LocalEscalation(o, firstMs);
  o.transitions.forEach((t, i) => {
    const event = alarmStateChangeEvent(t, { account: LOCAL_ACCOUNT, region: LOCAL_REGION, eventId: `local-${i}` });
    escalation.route(t.atMs, event);
  });
  for (const e of events) escalation.route(e.atMs, e.event);
  try {
    const stillRunning = await escalation.runUntil(o.endMs);
    escalation.close();
    return {
      incidents: await escalation.incidents(firstMs - 86_400_000, o.endMs + 1),
      routed: escalation.routed,
      ladders: escalation.ladderCount,
      stopped: stillRunning,
      mails: (await localMails(o.sesEndpoint)).length,
    };
  } finally {
    escalation.close();
  }
}
