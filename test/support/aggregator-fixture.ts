/**
 * Builds aggregators wired to the local stand-ins and generates event workloads for the
 * aggregator's integration tests.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { DynamoDbKpiStore } from '../../lambdas/adapters/kpi-store-dynamodb';
import { S3Quarantine } from '../../lambdas/adapters/quarantine-s3';
import { AggregateBatch, type KpiStore, type QuarantineSink } from '../../lambdas/core/aggregation';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { createAggregatorHandler } from '../../lambdas/handlers/aggregator/handler';
import { arbEvent, DEFAULT_EVENT_TIME_MS } from './events';

/** The catalog the tests use. */
export const catalog = KpiCatalog.builtIn();
/** Processing time of the tests: two hours after the events' default time. */
export const NOW_MS = DEFAULT_EVENT_TIME_MS + 2 * 3_600_000;
const noSleep = () => Promise.resolve();

/** A DynamoDB store with instant backoff (the tests count attempts, not wait). */
export function localStore(ddb: DynamoDBClient, tableName: string, maxAttempts = 8): DynamoDbKpiStore {
  return new DynamoDbKpiStore({ client: ddb, tableName, catalog, backoff: { sleep: noSleep, maxAttempts } });
}

/** An S3 quarantine with instant backoff. */
export function localQuarantine(s3: S3Client, bucketName: string): S3Quarantine {
  return new S3Quarantine({ client: s3, bucketName, backoff: { sleep: noSleep } });
}

/** A real aggregator handler over the given store and quarantine, logging nowhere. */
export function aggregatorHandler(store: KpiStore, quarantine: QuarantineSink) {
  return createAggregatorHandler({
    aggregate: new AggregateBatch({ catalog, store, quarantine }),
    logger: new Logger({ serviceName: 'aggregator-test', logLevel: 'SILENT' }),
    now: () => NOW_MS,
  });
}

/** `n` valid events over `tenants`, with times in [fromMs, toMs), reproducible by `seed`. */
export function sampleEvents(
  n: number,
  seed: number,
  tenants: readonly string[],
  fromMs = DEFAULT_EVENT_TIME_MS,
  toMs = DEFAULT_EVENT_TIME_MS + 3_600_000,
): AgentEvent[] {
  return fc.sample(arbEvent({ tenants, fromMs, toMs }), { numRuns: n, seed });
}
