/**
 * {@link AlarmEventSink} over EventBridge PutEvents: each state change goes on the default bus as
 * a `CloudWatch Alarm State Change` with the deployment's own source (`aws.*` sources are
 * reserved), where a rule sends it to the alarm router next to CloudWatch's own.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AlarmStateChangeEvent } from '../core/alarm-evaluator';
import { type AlarmEventSink, TenantAlarmError } from '../core/tenant-alarms';

/** PutEvents takes at most 10 entries a call. */
const ENTRIES_PER_CALL = 10;

/** Sends alarm state changes to EventBridge. */
export class EventBridgeAlarmEventSink implements AlarmEventSink {
  constructor(
    private readonly client: EventBridgeClient,
    /** The event source the router's rule matches, e.g. `agent-kpi.tenant-alarms`. */
    private readonly source: string,
  ) {}

  async send(events: readonly AlarmStateChangeEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += ENTRIES_PER_CALL) {
      const batch = events.slice(i, i + ENTRIES_PER_CALL);
      const res = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            Source: this.source,
            DetailType: e['detail-type'],
            Detail: JSON.stringify(e.detail),
            Time: new Date(e.time),
          })),
        }),
      );
      if ((res.FailedEntryCount ?? 0) > 0) {
        const first = res.Entries?.find((x) => x.ErrorCode !== undefined);
        throw new TenantAlarmError(
          `EventBridge refused ${res.FailedEntryCount} alarm event(s): ${first?.ErrorCode ?? ''} ${first?.ErrorMessage ?? ''}`,
          true,
        );
      }
    }
  }
}
