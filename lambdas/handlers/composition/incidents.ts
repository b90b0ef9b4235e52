/** The pieces the escalation handlers (router, notifier, acknowledgement, reports) share. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchIncidentMetrics } from '../../adapters/incident-metrics-cloudwatch';
import { DynamoDbIncidentStore } from '../../adapters/incident-store-dynamodb';
import type { PipelineConfig } from '../../core/config/schema';
import { ENV, type EnvReader, requireEnv } from './env';
import { clientOf, type WiringOverrides } from './overrides';

/** The incident table, with the retention every writer stamps on it. */
export function incidentStoreOf(
  config: PipelineConfig,
  env: EnvReader,
  dynamodb: DynamoDBClient,
): DynamoDbIncidentStore {
  return new DynamoDbIncidentStore(dynamodb, {
    tableName: requireEnv(env, ENV.incidentsTable),
    retentionDays: config.retention.hourDays,
  });
}

/** Incident response times as CloudWatch metrics, in the configuration's namespace. */
export function incidentMetricsOf(config: PipelineConfig, overrides: WiringOverrides): CloudWatchIncidentMetrics {
  return new CloudWatchIncidentMetrics(clientOf(overrides, 'cloudwatch'), config.metricsNamespace);
}
