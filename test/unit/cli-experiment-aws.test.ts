/**
 * `kpi experiment ID --region R` against AWS: the command reads the experiment's day items from
 * the deployed KPI table (`<name>-kpis`) with strongly consistent BatchGetItem requests and
 * prints the verdicts. DynamoDB is mocked with aws-sdk-client-mock; the stored items are encoded
 * by the real KPI store adapter, so the command decodes what the aggregator writes.
 */

import { resolve } from 'node:path';
import {
  BatchGetItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../cli/commands/program';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { KpiSet } from '../../lambdas/core/aggregates';
import { catalogFor } from '../../lambdas/core/catalog/for-config';
import { loadConfigFile } from '../../lib/config/load';
import { captureIo } from '../support/cli-io';
import { makeEvent } from '../support/events';

const CONFIG = resolve(__dirname, '../../config/pipeline.json');
const config = loadConfigFile(CONFIG);
const catalog = catalogFor(config);
const TABLE = `${config.name}-kpis`;
const DAY_MS = Date.UTC(2026, 10, 20);
const NOW_MS = Date.UTC(2026, 10, 21, 9);
const ddb = mockClient(DynamoDBClient);

function capture() {
  return captureIo(NOW_MS);
}

/** `sessions` sessions of which `resolved` resolved, each with two 900 ms turns. */
function variantDay(sessions: number, resolved: number): KpiSet {
  const set = new KpiSet(catalog, { secondMoments: true });
  for (let i = 0; i < sessions; i++) {
    set.observe(makeEvent('agent.session.completed', { data: { resolved: i < resolved, escalated: i % 10 === 0 } }));
    set.observe(makeEvent('agent.turn.completed', { data: { totalMs: 900 + (i % 7) * 10 } }));
    set.observe(makeEvent('agent.turn.completed', { data: { totalMs: 880 + (i % 5) * 10 } }));
  }
  return set;
}

/** The DynamoDB items of prompt-v2's day items, as the KPI store adapter writes them. */
async function storedItems(): Promise<Array<Record<string, unknown>>> {
  ddb.reset();
  ddb.on(PutItemCommand).resolves({});
  const store = new DynamoDbKpiStore({
    client: new DynamoDBClient({ region: 'eu-west-1' }),
    tableName: TABLE,
    catalog,
  });
  const sets = { control: variantDay(2000, 1200), treatment: variantDay(2000, 1340) };
  await store.write(
    Object.entries(sets).map(([variant, set]) => ({
      address: {
        tenant: 'acme-voice',
        granularity: 'day' as const,
        bucketStartMs: DAY_MS,
        experiment: { id: 'prompt-v2', variant },
      },
      set,
      expectedVersion: undefined,
      watermarks: { 'shardId-000000000000': '1' },
      expiresAt: Math.floor(NOW_MS / 1000) + 86_400,
    })),
  );
  return ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item as Record<string, unknown>);
}

describe('kpi experiment against AWS (DynamoDB mocked)', () => {
  let items: Array<Record<string, unknown>>;
  beforeAll(async () => {
    items = await storedItems();
  });
  beforeEach(() => {
    ddb.reset();
  });
  afterAll(() => {
    ddb.restore();
  });

  it('reads the day items of the deployed table consistently and prints the verdict per KPI', async () => {
    ddb
      .on(BatchGetItemCommand)
      .callsFake((input: { RequestItems: Record<string, { Keys: Array<Record<string, { S: string }>> }> }) => {
        const wanted = new Set(input.RequestItems[TABLE]!.Keys.map((k) => `${k.pk!.S}|${k.sk!.S}`));
        const found = items.filter((i) => wanted.has(`${(i.pk as { S: string }).S}|${(i.sk as { S: string }).S}`));
        return { Responses: { [TABLE]: found } };
      });
    const io = capture();
    const code = await runCli(
      ['experiment', 'prompt-v2', '--region', 'eu-west-1', '-c', CONFIG, '--from', '2026-11-20'],
      io,
    );
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);

    const calls = ddb.commandCalls(BatchGetItemCommand);
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(Object.keys(c.args[0].input.RequestItems ?? {})).toEqual([TABLE]);
      expect(c.args[0].input.RequestItems?.[TABLE]?.ConsistentRead).toBe(true);
      expect(await c.thisValue.config.region()).toBe('eu-west-1');
    }
    const text = io.stdout();
    expect(text).toMatch(
      /^resolution_rate \(primary\)\s+treatment\s+60\.0+%\s+67\.0+%\s+2000 \/ 2000 .* significant, better$/m,
    );
    expect(text).toMatch(/^response_latency\s+treatment .* not significant$/m);
    expect(text).toContain('Sample ratio: control 2000 (50% planned), treatment 2000 (50% planned)');
  });

  it('names the table and the target when DynamoDB refuses the read, with exit code 1', async () => {
    ddb
      .on(BatchGetItemCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const io = capture();
    const code = await runCli(['experiment', 'prompt-v2', '--region', 'eu-west-1', '-c', CONFIG], io);
    expect(code).toBe(1);
    expect(io.stderr()).toContain('Reading KPIs failed');
    expect(io.stderr()).toContain(`KPI table "${TABLE}"`);
    expect(io.stderr()).toContain('Check the target (--local / --region)');
  });
});
