import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgeAlarmEventSink } from '../../lambdas/adapters/alarm-events-eventbridge';
import { alarmStateChangeEvent } from '../../lambdas/core/alarm-evaluator';
import { parseAlarmStateChange } from '../../lambdas/core/incidents/alarm-event';
import { TenantAlarmError } from '../../lambdas/core/tenant-alarms';

// EventBridge has no local emulator: the SDK client is mocked, and the test reads the entries
// back the way EventBridge hands them to the router.
const eventBridge = mockClient(EventBridgeClient);
const AT = Date.parse('2026-11-22T10:04:00Z');
const SOURCE = 'acme.tenant-alarms';

function change(i: number) {
  return alarmStateChangeEvent(
    {
      alarmName: `acme/P1/technical/tenant-t${i}/api_error_rate-p1`,
      fromState: 'OK',
      toState: 'ALARM',
      atMs: AT,
      fromStateSinceMs: AT - 3_600_000,
      reason: 'Threshold Crossed',
    },
    { account: '123456789012', region: 'eu-west-1', eventId: `e-${i}` },
  );
}

describe('EventBridgeAlarmEventSink', () => {
  beforeEach(() => eventBridge.reset());

  it('puts every change, at most 10 a call, with the deployment source the router rule matches', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const events = Array.from({ length: 23 }, (_, i) => change(i));
    await new EventBridgeAlarmEventSink(new EventBridgeClient({}), SOURCE).send(events);

    const calls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    const entries = calls.flat();
    expect(entries.every((e) => e.Source === SOURCE && e.DetailType === 'CloudWatch Alarm State Change')).toBe(true);
    expect(entries.every((e) => e.Time?.getTime() === AT)).toBe(true);
    // What the router receives parses to the same change, in the same order.
    const parsed = entries.map((e) =>
      parseAlarmStateChange({ 'detail-type': e.DetailType, source: e.Source, detail: JSON.parse(e.Detail!) }),
    );
    expect(parsed.map((p) => p.alarmName)).toEqual(events.map((e) => e.detail.alarmName));
    expect(parsed[0]).toMatchObject({ state: 'ALARM', previousState: 'OK', previousStateAtMs: AT - 3_600_000 });
  });

  it('fails retryably, naming the error, when EventBridge refuses an entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{}, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    const sent = new EventBridgeAlarmEventSink(new EventBridgeClient({}), SOURCE).send([change(1), change(2)]);
    await expect(sent).rejects.toThrow(TenantAlarmError);
    await expect(sent).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/ThrottlingException/),
    });
  });
});
