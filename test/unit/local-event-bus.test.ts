/** The local default bus (cli/local/event-bus.ts) behind the per-tenant alarm evaluator's EventBridge client. */
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { type DeliveredEvent, LocalEventBus } from '../../cli/local/event-bus';
import { EventBridgeAlarmEventSink } from '../../lambdas/adapters/alarm-events-eventbridge';
import { alarmStateChangeEvent } from '../../lambdas/core/alarm-evaluator';
import { parseAlarmStateChange } from '../../lambdas/core/incidents/alarm-event';

const NOW = Date.UTC(2026, 10, 22, 10, 5);

describe('LocalEventBus', () => {
  it('delivers what the EventBridge sink puts as the router reads it, stamped with the clock', async () => {
    const delivered: DeliveredEvent[] = [];
    const bus = new LocalEventBus(
      () => NOW,
      (d) => delivered.push(d),
    );
    const sink = new EventBridgeAlarmEventSink(bus.client(), 'agent-kpi.tenant-alarms');
    const transitions = Array.from({ length: 12 }, (_, i) => ({
      alarmName: `agent-kpi/P1/technical/tenant-acme-voice/rule-${i}`,
      fromState: 'OK' as const,
      toState: 'ALARM' as const,
      atMs: NOW - 60_000,
      fromStateSinceMs: NOW - 3_600_000,
      reason: 'Threshold Crossed',
    }));
    await sink.send(
      transitions.map((t) => alarmStateChangeEvent(t, { account: '1', region: 'r', eventId: t.alarmName })),
    );

    expect(delivered).toHaveLength(12);
    expect(delivered.every((d) => d.atMs === NOW && d.event.source === 'agent-kpi.tenant-alarms')).toBe(true);
    expect(new Set(delivered.map((d) => d.event.id)).size).toBe(12);
    const change = parseAlarmStateChange(delivered[3]?.event);
    expect(change).toMatchObject({
      alarmName: 'agent-kpi/P1/technical/tenant-acme-voice/rule-3',
      state: 'ALARM',
      previousState: 'OK',
      stateAtMs: NOW - 60_000,
      previousStateAtMs: NOW - 3_600_000,
    });
  });

  it('refuses any call but PutEvents', async () => {
    const bus = new LocalEventBus(
      () => NOW,
      () => {},
    );
    await expect(bus.client().send(new ListRulesCommand({}))).rejects.toThrow('supports PutEvents only');
  });
});
