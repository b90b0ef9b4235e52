import { simulateDay, simulatedFleet } from '../../cli/local/simulator';

function summary(records: ReturnType<typeof simulateDay>, tenant: string) {
  let sessions = 0;
  let escalated = 0;
  for (const r of records) {
    if (r.partitionKey !== tenant) continue;
    const e = JSON.parse(r.data) as { type?: string; data?: { escalated?: boolean } };
    if (e.type !== 'agent.session.completed') continue;
    sessions += 1;
    if (e.data?.escalated === true) escalated += 1;
  }
  return { sessions, escalatedShare: escalated / sessions };
}

describe('simulated decline', () => {
  const fleet = simulatedFleet(3, 5);
  const tenant = fleet[1]?.id ?? '';
  const day = { dayStartMs: Date.UTC(2026, 10, 20), tenants: fleet, seed: 3, badRecords: false, minutes: 600 };

  it('a declining tenant has fewer sessions and more escalations; the other tenants keep their traffic', () => {
    const healthy = simulateDay(day);
    const declining = simulateDay({ ...day, declines: [{ tenant, level: 1 }] });
    const before = summary(healthy, tenant);
    const after = summary(declining, tenant);
    expect(after.sessions).toBeLessThan(before.sessions * 0.6);
    expect(after.escalatedShare).toBeGreaterThan(before.escalatedShare * 2);
    expect(summary(declining, fleet[2]?.id ?? '').sessions).toBeGreaterThan(0);
  });
});
