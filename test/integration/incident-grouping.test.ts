/**
 * Grouping across scopes on the DynamoDB incident store (DynamoDB Local): the router's use case
 * with the same conditional writes as in AWS. The in-memory store runs the same use case in
 * test/unit/incident-grouping.test.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localClientConfig, type StandIns, startStandIns } from '../../cli/local/standins';
import { DynamoDbIncidentStore } from '../../lambdas/adapters/incident-store-dynamodb';
import { parseConfig } from '../../lambdas/core/config/schema';
import { type AlarmStateChange, routeAlarmChange } from '../../lambdas/core/incidents';
import { createPkSkTable } from '../support/tables';

const MIN = 60_000;
const T0 = Date.parse('2026-11-23T10:00:00Z');
const config = parseConfig({
  name: 'acme',
  tenants: [
    { id: 'voice', name: 'Voice', tier: 'enterprise' },
    { id: 'globex', name: 'Globex', tier: 'enterprise' },
  ],
});
const FLEET_ERR_P1 = 'acme/P1/technical/fleet/api_error_rate-p1';
const tenantErr = (tenant: string) => `acme/P2/technical/tenant-${tenant}/api_error_rate-p2`;

let standIns: StandIns;
let ddb: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  standIns = await startStandIns(['dynamodb']);
  ddb = new DynamoDBClient(localClientConfig(standIns.dynamodb!.endpoint));
});

afterAll(async () => {
  ddb?.destroy();
  await standIns?.stop();
});

async function freshStore(): Promise<DynamoDbIncidentStore> {
  const tableName = `incidents-${++tables}`;
  await createPkSkTable(ddb, tableName);
  return new DynamoDbIncidentStore(ddb, { tableName });
}

function fired(alarmName: string, atMs: number): AlarmStateChange {
  return {
    alarmName,
    state: 'ALARM',
    stateAtMs: atMs,
    previousState: 'OK',
    previousStateAtMs: atMs - 60 * MIN,
    reason: 'Threshold Crossed',
  };
}

describe('grouping across scopes on DynamoDB Local', () => {
  it('a fleet alarm and the tenant alarms behind it, all racing, open one incident', async () => {
    const store = await freshStore();
    const names = [FLEET_ERR_P1, tenantErr('voice'), FLEET_ERR_P1, tenantErr('voice')];
    // Each delivered twice, as EventBridge may: four router calls racing across two groups.
    const outcomes = await Promise.all(names.map((n) => routeAlarmChange(config, store, fired(n, T0))));
    expect(outcomes.filter((o) => o.kind === 'opened')).toHaveLength(1);
    const stored = await store.listBetween(T0 - MIN, T0 + MIN);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.alerts?.map((a) => a.alarmName).sort()).toEqual([FLEET_ERR_P1, tenantErr('voice')].sort());
    expect(await store.openings('*|technical')).toBe(1);
  });

  it('tenant alarms firing hours into an open fleet incident on their KPI join it', async () => {
    const store = await freshStore();
    const fleet = await routeAlarmChange(config, store, fired(FLEET_ERR_P1, T0));
    expect(fleet.kind).toBe('opened');
    const voice = await routeAlarmChange(config, store, fired(tenantErr('voice'), T0 + 60 * MIN));
    const globex = await routeAlarmChange(config, store, fired(tenantErr('globex'), T0 + 120 * MIN));
    expect([voice.kind, globex.kind]).toEqual(['changed', 'changed']);
    const stored = await store.listBetween(T0 - MIN, T0 + 180 * MIN);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ tenant: '*', groupKey: 'fleet|technical' });
    // Each tenant group now points at the fleet incident, so their OK events find it.
    expect(await store.groupIncident('globex|technical')).toBe(stored[0]!.id);
  });
});
