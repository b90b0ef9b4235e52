import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchIncidentMetrics } from '../../lambdas/adapters/incident-metrics-cloudwatch';
import type { Incident } from '../../lambdas/core/incidents/types';

// CloudWatch has no local emulator: the SDK client is mocked, and the test checks what a
// dashboard or report reading these metrics would see.
const cloudwatch = mockClient(CloudWatchClient);
const OPENED = Date.parse('2026-11-22T10:04:00Z');

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-0123456789ab',
    alarmName: 'agent-kpi/P1/technical/fleet/response_latency-p1',
    ruleId: 'response_latency-p1',
    severity: 'P1',
    ladder: 'technical',
    tenant: '*',
    state: 'resolved',
    openedAt: OPENED,
    firstBadEventAt: OPENED - 4 * 60_000,
    acknowledgedAt: OPENED + 18 * 60_000,
    acknowledgedBy: 'techlead',
    resolvedAt: OPENED + 19 * 60_000,
    episode: 'e',
    level: 2,
    paged: [],
    timeline: [],
    ...over,
  };
}

describe('incident response-time metrics', () => {
  beforeEach(() => cloudwatch.reset());

  it('publishes time to detect, acknowledge and resolve in milliseconds, per severity and fleet-wide', async () => {
    cloudwatch.on(PutMetricDataCommand).resolves({});
    await new CloudWatchIncidentMetrics(new CloudWatchClient({}), 'AgentKpi').publish(incident(), [
      'TimeToDetect',
      'TimeToAcknowledge',
      'TimeToResolve',
    ]);
    const calls = cloudwatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.Namespace).toBe('AgentKpi');
    const values = (input.MetricData ?? []).map((d) => [d.MetricName, d.Value, d.Unit, d.Dimensions?.[0]?.Value]);
    expect(values).toEqual([
      ['TimeToDetect', 240_000, 'Milliseconds', 'P1'],
      ['TimeToDetect', 240_000, 'Milliseconds', undefined],
      ['TimeToAcknowledge', 1_080_000, 'Milliseconds', 'P1'],
      ['TimeToAcknowledge', 1_080_000, 'Milliseconds', undefined],
      ['TimeToResolve', 1_140_000, 'Milliseconds', 'P1'],
      ['TimeToResolve', 1_140_000, 'Milliseconds', undefined],
    ]);
  });

  it('publishes nothing for a time the incident has not reached (an open incident has no time to resolve)', async () => {
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const open = incident({ state: 'open', acknowledgedAt: undefined, resolvedAt: undefined });
    const sink = new CloudWatchIncidentMetrics(new CloudWatchClient({}), 'AgentKpi');
    await sink.publish(open, ['TimeToAcknowledge', 'TimeToResolve']);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    await sink.publish(open, ['TimeToDetect', 'TimeToResolve']);
    const data = cloudwatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData ?? [];
    expect(data.map((d) => d.MetricName)).toEqual(['TimeToDetect', 'TimeToDetect']);
  });

  it('lets a CloudWatch failure reach the caller instead of losing it silently', async () => {
    cloudwatch.on(PutMetricDataCommand).rejects(new Error('Throttling: Rate exceeded'));
    await expect(
      new CloudWatchIncidentMetrics(new CloudWatchClient({}), 'AgentKpi').publish(incident(), ['TimeToResolve']),
    ).rejects.toThrow(/Rate exceeded/);
  });
});
