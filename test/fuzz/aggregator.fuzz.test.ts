/**
 * Fuzzing the aggregator handler end to end (DynamoDB Local, the fauxqs S3 quarantine): batches
 * of about 250 records mixing valid events with garbage bytes, truncated and mutated events,
 * hostile keys, NaN literals, deep nesting and oversized records, about 5,000 records in all.
 * The handler must never throw nor report a failure (no faults are injected here), every record
 * the decoder rejects must be in the quarantine with its reason, and every accepted event must be
 * counted exactly once in the fleet's KPIs.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { localClientConfig, type StandIn, startDynamoDb, startFauxqs } from '../../cli/local/standins';
import { DynamoDbKpiReader } from '../../lambdas/adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { type QuarantinedRecord, S3Quarantine } from '../../lambdas/adapters/quarantine-s3';
import { AggregateBatch, FLEET_TENANT } from '../../lambdas/core/aggregation';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { decodeEvent, type RejectionReason } from '../../lambdas/core/events';
import { bucketStart } from '../../lambdas/core/time/buckets';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { createBucket, createKpiTable, kinesisEvent, listKeys } from '../support/aggregator-harness';
import { arbEvent, DEFAULT_EVENT_TIME_MS } from '../support/events';
import { lambdaRecord, syntheticShardRecords } from '../support/kinesis-batches';

const TABLE = 'kpi-fuzz';
const BUCKET = 'quarantine-fuzz';
const TENANTS = ['acme', 'globex', 'initech'];
/** Two minutes of event time keeps each batch on a few items, so 5,000 records run in seconds. */
const FROM_MS = DEFAULT_EVENT_TIME_MS;
const TO_MS = FROM_MS + 120_000;
const NOW_MS = TO_MS + 60_000;
const ARRIVAL_MS = NOW_MS - 1_000;
const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];
const BATCHES = 18;

const catalog = KpiCatalog.builtIn();
let dynamodb: StandIn;
let fauxqs: StandIn;
let ddb: DynamoDBClient;
let s3: S3Client;

beforeAll(async () => {
  [dynamodb, fauxqs] = await Promise.all([startDynamoDb(), startFauxqs()]);
  ddb = new DynamoDBClient(localClientConfig(dynamodb.endpoint));
  s3 = new S3Client(localClientConfig(fauxqs.endpoint));
  await createKpiTable(ddb, TABLE);
  await createBucket(s3, BUCKET);
}, 60_000);

afterAll(async () => {
  ddb?.destroy();
  s3?.destroy();
  await Promise.all([dynamodb?.stop(), fauxqs?.stop()]);
});

let nextId = 0;
const json = (v: unknown): string => JSON.stringify(v);
const validEvent = arbEvent({ tenants: TENANTS, fromMs: FROM_MS, toMs: TO_MS }).map((e) => ({
  ...e,
  id: `fz-${nextId++}`,
}));

/** One record's bytes: valid events most of the time, and every kind of bad input. */
const arbRecordBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 130, arbitrary: validEvent.map((e) => Buffer.from(json(e))) },
  { weight: 10, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  {
    weight: 10,
    arbitrary: fc
      .tuple(validEvent, fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([e, cut]) => Buffer.from(json(e)).subarray(0, Math.floor(cut * json(e).length))),
  },
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        validEvent,
        fc.constantFrom('id', 'source', 'type', 'time', 'tenantid', 'specversion', 'data'),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([e, key, value]) => Buffer.from(json({ ...e, [key]: value }))),
  },
  {
    weight: 10,
    arbitrary: fc
      .tuple(validEvent, fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.constantFrom('', 'data'))
      .map(([e, key, where]) => {
        const text = json(e);
        return Buffer.from(
          where === ''
            ? `{"${key}":{"polluted":true},${text.slice(1)}`
            : text.replace('"data":{', `"data":{"${key}":{"polluted":true},`),
        );
      }),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validEvent, fc.constantFrom('1e999', '-1e999', 'NaN', '"12"', 'null'))
      .map(([e, lit]) =>
        Buffer.from(
          json(e).replace(/("(?:latencyMs|totalMs|handleTimeMs|score|status|mrrDeltaUsd)":)[^,}]+/, `$1${lit}`),
        ),
      ),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validEvent, fc.integer({ min: 100, max: 5_000 }))
      .map(([e, depth]) =>
        Buffer.from(json(e).replace('"data":{', `"data":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`)),
      ),
  },
  {
    weight: 1,
    arbitrary: validEvent.map((e) => Buffer.from(json({ ...e, data: { ...e.data, pad: 'x'.repeat(70_000) } }))),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(validEvent, fc.constantFrom('a#b', 'ACME', '*', 'аcme', 'a/b', 'x'))
      .map(([e, tenant]) => Buffer.from(json({ ...e, tenantid: tenant }))),
  },
);

describe('aggregator handler under fuzzing', () => {
  it('never throws, quarantines every rejected record with its reason and counts every accepted event once', async () => {
    const handler = createAggregatorHandler({
      logger: new Logger({ serviceName: 'aggregator', logLevel: 'SILENT' }),
      now: () => NOW_MS,
      aggregate: new AggregateBatch({
        catalog,
        store: new DynamoDbKpiStore({ client: ddb, tableName: TABLE, catalog }),
        quarantine: new S3Quarantine({ client: s3, bucketName: BUCKET }),
      }),
    });
    const expectedReasons = new Map<string, RejectionReason>();
    const rejectedByReason: Record<string, number> = {};
    let accepted = 0;
    let records = 0;
    let failures = 0;
    let sequence = BigInt(`49${'0'.repeat(54)}`);
    const heapBefore = process.memoryUsage().heapUsed;

    await fc.assert(
      fc.asyncProperty(
        fc.array(arbRecordBytes, { minLength: 200, maxLength: 300 }),
        fc.constantFrom(...SHARDS),
        async (payloads, shardId) => {
          const batch = syntheticShardRecords(
            payloads.map((data) => ({ data, partitionKey: 'acme' })),
            { shardId, firstSequence: sequence, arrivalMs: ARRIVAL_MS },
          );
          sequence += BigInt(payloads.length * 10 + 10);
          // The oracle: what the decoder says of each record (in-batch duplicates cannot occur: ids are unique).
          for (const r of batch) {
            const d = decodeEvent(r.data, { nowMs: NOW_MS, catalog });
            if (d.ok) accepted++;
            else {
              expectedReasons.set(`${r.shardId}/${r.sequenceNumber}`, d.rejection.reason);
              rejectedByReason[d.rejection.reason] = (rejectedByReason[d.rejection.reason] ?? 0) + 1;
            }
          }
          records += batch.length;
          const response = await handler(kinesisEvent(batch.map((r) => lambdaRecord(r))));
          failures += response.batchItemFailures.length;
          expect(response.batchItemFailures).toEqual([]);
        },
      ),
      { numRuns: BATCHES, endOnFailure: true },
    );
    const heapAfter = process.memoryUsage().heapUsed;
    // Figures for RELIABILITY.md (heap is measured, not asserted: GC timing is not behaviour).
    console.log(
      json({
        records,
        accepted,
        rejected: expectedReasons.size,
        rejectedByReason,
        heapBeforeMb: heapBefore / 1e6,
        heapAfterMb: heapAfter / 1e6,
      }),
    );
    expect(records).toBeGreaterThanOrEqual(3_600);
    expect(failures).toBe(0);
    expect(Object.prototype).not.toHaveProperty('polluted');

    // Every rejected record is in the quarantine, once, with the decoder's reason; nothing else is.
    const keys = await listKeys(s3, BUCKET);
    const found = new Map<string, string>();
    for (let i = 0; i < keys.length; i += 64) {
      await Promise.all(
        keys.slice(i, i + 64).map(async (key) => {
          const body = await (
            await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
          ).Body?.transformToString();
          const q = JSON.parse(body ?? '{}') as QuarantinedRecord;
          expect(q.message.length).toBeGreaterThan(0);
          found.set(`${q.shardId}/${q.sequenceNumber}`, q.reason);
        }),
      );
    }
    expect(keys.length).toBe(expectedReasons.size);
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expectedReasons));

    // Every accepted event is counted once in the fleet, and every rejection by its reason.
    const reader = new DynamoDbKpiReader({ client: ddb, tableName: TABLE, catalog, consistentRead: true });
    const day = bucketStart(FROM_MS, 'day');
    const buckets = await reader.read({
      tenant: FLEET_TENANT,
      granularity: 'day',
      fromMs: day,
      toMs: day + 86_400_000,
    });
    expect(buckets).toHaveLength(1);
    const fleet = buckets[0]!.set;
    expect(fleet.eventCount()).toBe(accepted);
    for (const [reason, n] of Object.entries(rejectedByReason)) {
      expect({ reason, count: fleet.value(`rejected_events:${reason}`)?.count }).toEqual({ reason, count: n });
    }
  }, 120_000);
});
