/** Lambda entry of the acknowledgement function URL. */
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchIncidentMetrics } from '../../adapters/incident-metrics-cloudwatch';
import { DynamoDbAckNonceStore, DynamoDbIncidentStore } from '../../adapters/incident-store-dynamodb';
import { SecretsManagerLookup } from '../../adapters/secret-lookup';
import { loadRuntimeConfig, requireEnv } from '../runtime-config';
import { createAckHandler } from './handler';

const config = loadRuntimeConfig();
const ddb = new DynamoDBClient({});
const tableName = requireEnv('INCIDENTS_TABLE');
const secrets = new SecretsManagerLookup(new SecretsManagerClient({}));
const ackKeySecret = requireEnv('ACK_KEY_SECRET_ARN');

/** The Lambda handler. */
export const handler = createAckHandler({
  store: new DynamoDbIncidentStore(ddb, { tableName, retentionDays: config.retention.hourDays }),
  nonces: new DynamoDbAckNonceStore(ddb, tableName),
  ackKey: () => secrets.get(ackKeySecret),
  now: Date.now,
  metrics: new CloudWatchIncidentMetrics(new CloudWatchClient({}), config.metricsNamespace),
  log: new Logger({ serviceName: 'escalation-ack' }),
});
