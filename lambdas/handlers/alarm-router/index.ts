/** Lambda entry of the alarm router: builds its dependencies from the environment set by lib/constructs/escalation.ts. */
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchIncidentMetrics } from '../../adapters/incident-metrics-cloudwatch';
import { DynamoDbIncidentStore } from '../../adapters/incident-store-dynamodb';
import { SfnLadderStarter } from '../../adapters/ladder-starter-sfn';
import { loadRuntimeConfig, requireEnv } from '../runtime-config';
import { createAlarmRouterHandler } from './handler';

const config = loadRuntimeConfig();

/** The Lambda handler. */
export const handler = createAlarmRouterHandler({
  config,
  store: new DynamoDbIncidentStore(new DynamoDBClient({}), {
    tableName: requireEnv('INCIDENTS_TABLE'),
    retentionDays: config.retention.hourDays,
  }),
  ladder: new SfnLadderStarter(new SFNClient({}), requireEnv('STATE_MACHINE_ARN')),
  metrics: new CloudWatchIncidentMetrics(new CloudWatchClient({}), config.metricsNamespace),
  log: new Logger({ serviceName: 'alarm-router' }),
});
