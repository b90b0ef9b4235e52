/** The simulated day's experiment: assignments on one tenant's sessions and a real effect on resolution only. */
import { simulateDay, simulatedExperimentOf, simulatedFleet } from '../../cli/local/simulator';
import { parseConfig } from '../../lambdas/core/config/schema';

const DAY = Date.UTC(2026, 10, 30);
const fleet = simulatedFleet(3, 7);
const experiment = { id: 'prompt-v2', tenant: fleet[0]!.id, control: 'control', treatment: 'treatment' };

type Event = { tenantid?: string; type: string; experiment?: string; variant?: string; data: Record<string, unknown> };

function events(withExperiment: boolean): Event[] {
  return simulateDay({
    dayStartMs: DAY,
    tenants: fleet,
    seed: 3,
    scale: 0.3,
    minutes: 600,
    badRecords: false,
    ...(withExperiment ? { experiment } : {}),
  }).map((r) => JSON.parse(r.data) as Event);
}

describe('simulated experiment', () => {
  const plain = events(false);
  const withExp = events(true);

  it("assigns every event of one tenant's sessions and no other tenant's", () => {
    const assigned = withExp.filter((e) => e.experiment !== undefined);
    expect(assigned.length).toBeGreaterThan(1000);
    expect(new Set(assigned.map((e) => e.tenantid))).toEqual(new Set([experiment.tenant]));
    expect(new Set(assigned.map((e) => e.variant))).toEqual(new Set(['control', 'treatment']));
    expect(withExp.map((e) => e.type)).toEqual(plain.map((e) => e.type));
  });

  it('resolves more sessions in the treatment and keeps latency the same', () => {
    const share = (variant: string) => {
      const s = withExp.filter((e) => e.type === 'agent.session.completed' && e.variant === variant);
      return s.filter((e) => e.data.resolved === true).length / s.length;
    };
    expect(share('treatment') - share('control')).toBeGreaterThan(0.02);
    const latencies = withExp.filter((e) => e.type === 'agent.turn.completed').map((e) => e.data.totalMs);
    const plainLatencies = plain.filter((e) => e.type === 'agent.turn.completed').map((e) => e.data.totalMs);
    expect(latencies).toEqual(plainLatencies);
  });

  it('runs the first single-tenant experiment of the configuration', () => {
    const config = parseConfig({
      tenants: [{ id: 'acme-voice', name: 'Acme', tier: 'enterprise' }],
      experiments: [
        {
          id: 'prompt-v2',
          tenant: 'acme-voice',
          variants: [
            { id: 'a', allocation: 1 },
            { id: 'b', allocation: 1 },
          ],
          control: 'a',
          primaryKpi: 'resolution_rate',
          start: '2026-11-01T00:00:00Z',
        },
      ],
    });
    expect(simulatedExperimentOf(config)).toEqual({
      id: 'prompt-v2',
      tenant: 'acme-voice',
      control: 'a',
      treatment: 'b',
    });
    expect(simulatedExperimentOf(parseConfig({}))).toBeUndefined();
  });
});
