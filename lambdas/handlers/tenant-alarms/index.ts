/** Lambda entry of the per-tenant alarm evaluator: builds its dependencies from the environment set by lib/constructs/tenant-alarms.ts. */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeAlarmEventSink } from '../../adapters/alarm-events-eventbridge';
import { DynamoDbKpiReader } from '../../adapters/kpi-reader-dynamodb';
import { DynamoDbTenantAlarmStateStore } from '../../adapters/tenant-alarm-state-dynamodb';
import { KpiCatalog } from '../../core/catalog';
import { perTenantAlarmTenants } from '../../core/config/schema';
import { tenantAlarmPlans } from '../../core/tenant-alarms';
import { loadRuntimeConfig, requireEnv } from '../runtime-config';
import { createTenantAlarmsHandler } from './handler';

const config = loadRuntimeConfig();
const catalog = KpiCatalog.create(config.customKpis);
const dynamo = new DynamoDBClient({});

/** The Lambda handler. */
export const handler = createTenantAlarmsHandler({
  plans: tenantAlarmPlans(config, catalog, perTenantAlarmTenants(config)),
  kpis: new DynamoDbKpiReader({ client: dynamo, tableName: requireEnv('KPI_TABLE_NAME'), catalog }),
  states: new DynamoDbTenantAlarmStateStore({ client: dynamo, tableName: requireEnv('ALARM_STATE_TABLE_NAME') }),
  sink: new EventBridgeAlarmEventSink(new EventBridgeClient({}), requireEnv('ALARM_EVENT_SOURCE')),
  log: new Logger({ serviceName: 'tenant-alarms' }),
  now: () => Date.now(),
  account: requireEnv('ACCOUNT_ID'),
  region: requireEnv('AWS_REGION'),
});
