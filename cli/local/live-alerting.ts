/**
 * Alarms and ladders of a live local pipeline (`kpi local --keep-running`): after each round of
 * the stream follower, on the live clock,
 * - the synthesized CloudWatch alarms are evaluated by the project's evaluator over every EMF
 *   document the aggregator has published since the run's monitored range began, up to now; each
 *   state change not seen before goes to the router as CloudWatch's event;
 * - the real tenant-alarms handler runs for every shard, as its one-minute schedule does, from the
 *   alarm states the run left in its table; its events reach the router through the local bus;
 * - the router's incidents climb their ladders as the clock moves (nobody acknowledges by
 *   themselves: `kpi ack --local` does).
 * Evaluations run when the clock enters a new minute or new metrics arrived (with a fixed `--now`,
 * only the latter): an idle pipeline evaluates once a minute, or never on a fixed clock.
 */
import {
  type AlarmDefinitions,
  type AlarmStateTransition,
  alarmStateChangeEvent,
  evaluateAlarms,
  type MetricDatum,
  parseEmfLines,
} from '../../lambdas/core/alarm-evaluator';
import { perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../wiring';
import { templateAlarms } from './alarms';
import type { RunContext } from './context';
import { LocalEscalation } from './escalation';
import { evaluatorEnv, type LocalTenantAlarms, localTenantAlarms } from './tenant-alarms';

const MINUTE = 60_000;

/** What live alerting reads and drives. */
export interface LiveAlertingSources {
  /** The CloudWatch alarms of the synthesized templates. */
  readonly definitions: AlarmDefinitions;
  /** The aggregator's EMF documents; the live aggregator appends to it. */
  readonly emf: readonly string[];
  /** Where the alarm evaluation starts (the run's monitored range). */
  readonly fromMs: number;
  /** State changes the run already routed (they are not routed twice). */
  readonly routed: readonly AlarmStateTransition[];
  readonly escalation: LocalEscalation;
  /** The per-tenant evaluator, its events delivered to the same escalation. @default none */
  readonly tenantAlarms?: LocalTenantAlarms;
}

function keyOf(t: AlarmStateTransition): string {
  return `${t.alarmName}|${t.atMs}|${t.toState}`;
}

/** Live alarms and ladders; {@link tick} after every follower round. */
export class LiveAlerting {
  private readonly routed: Set<string>;
  private readonly data: MetricDatum[] = [];
  private parsedDocs = 0;
  private seenDocs = -1;
  private seenMinute = Number.NaN;
  private sent = 0;

  constructor(private readonly s: LiveAlertingSources) {
    this.routed = new Set(s.routed.map(keyOf));
  }

  /** Evaluates what is due at `nowMs` and moves the ladders to it. */
  async tick(nowMs: number): Promise<void> {
    const docs = this.s.emf.length;
    const minute = Math.floor(nowMs / MINUTE);
    if (docs !== this.seenDocs || minute !== this.seenMinute) {
      this.seenDocs = docs;
      this.seenMinute = minute;
      this.evaluateFleet(nowMs);
      await this.s.tenantAlarms?.invokeAll(nowMs);
    }
    await this.s.escalation.runUntil(nowMs);
  }

  /** Stops the ladders and closes the escalation's clients. */
  close(): void {
    this.s.escalation.close();
  }

  private evaluateFleet(nowMs: number): void {
    const fresh = parseEmfLines(this.s.emf.slice(this.parsedDocs)).filter((d) => d.timestampMs >= this.s.fromMs);
    this.parsedDocs = this.s.emf.length;
    for (const d of fresh) this.data.push(d);
    const { transitions } = evaluateAlarms(this.s.definitions, this.data, { fromMs: this.s.fromMs, toMs: nowMs });
    for (const t of transitions) {
      const key = keyOf(t);
      if (this.routed.has(key)) continue;
      this.routed.add(key);
      const eventId = `live-${++this.sent}`;
      this.s.escalation.route(
        t.atMs,
        alarmStateChangeEvent(t, { account: LOCAL_ACCOUNT, region: LOCAL_REGION, eventId }),
      );
    }
  }
}

/**
 * Live alerting over a finished run's context: its synthesized alarms and metrics, a new
 * escalation on the live clock from `startMs`, and the per-tenant evaluator when a tier has
 * per-tenant alarms. Undefined when the run never synthesized the app.
 */
export function startLiveAlerting(
  ctx: RunContext,
  startMs: number,
  onOpened?: (incidentId: string, alarmName: string, atMs: number) => void,
): LiveAlerting | undefined {
  const { templates, aggregator, alarms } = ctx;
  if (templates === undefined || aggregator === undefined || alarms === undefined) return undefined;
  const escalation = new LocalEscalation(
    {
      config: ctx.config,
      templates,
      dynamodb: ctx.clients.dynamodb,
      env: ctx.env,
      sesEndpoint: ctx.endpoints.ses,
      snsEndpoint: ctx.endpoints.s3,
      // Live, the on-call acknowledges with `kpi ack --local`.
      acknowledge: () => false,
    },
    startMs,
    onOpened,
  );
  const tenantAlarms =
    perTenantAlarmTenants(ctx.config).length === 0
      ? undefined
      : localTenantAlarms(ctx.config, evaluatorEnv(ctx.env, templates), ctx.clients.dynamodb, (d) =>
          escalation.route(d.atMs, d.event),
        );
  return new LiveAlerting({
    definitions: templateAlarms(templates),
    emf: aggregator.metrics.documents,
    fromMs: ctx.options.monitoredFromMs ?? ctx.options.rangeStartMs,
    routed: alarms.transitions,
    escalation,
    ...(tenantAlarms === undefined ? {} : { tenantAlarms }),
  });
}
