/** The per-tenant alarm evaluator's wiring, for its Lambda entry. */
import { EventBridgeAlarmEventSink } from '../../adapters/alarm-events-eventbridge';
import { DynamoDbKpiReader } from '../../adapters/kpi-reader-dynamodb';
import { DynamoDbTenantAlarmStateStore } from '../../adapters/tenant-alarm-state-dynamodb';
import { catalogFor } from '../../core/catalog/for-config';
import { type PipelineConfig, perTenantAlarmTenants } from '../../core/config/schema';
import { tenantAlarmPlans } from '../../core/tenant-alarms';
import { ENV, type EnvReader, requireEnv } from '../composition/env';
import { clientOf, clockOf, loggerOf, type WiringOverrides } from '../composition/overrides';
import type { TenantAlarmsDeps } from './handler';

/** Builds the per-tenant alarm evaluator's dependencies. */
export function buildTenantAlarmsDeps(
  config: PipelineConfig,
  env: EnvReader,
  overrides: WiringOverrides = {},
): TenantAlarmsDeps {
  const catalog = catalogFor(config);
  const dynamodb = clientOf(overrides, 'dynamodb');
  return {
    plans: tenantAlarmPlans(config, catalog, perTenantAlarmTenants(config)),
    kpis: new DynamoDbKpiReader({ client: dynamodb, tableName: requireEnv(env, ENV.kpiTable), catalog }),
    states: new DynamoDbTenantAlarmStateStore({ client: dynamodb, tableName: requireEnv(env, ENV.alarmStateTable) }),
    sink: new EventBridgeAlarmEventSink(clientOf(overrides, 'eventbridge'), requireEnv(env, ENV.alarmEventSource)),
    log: loggerOf(overrides, 'tenant-alarms'),
    now: clockOf(overrides),
    account: requireEnv(env, ENV.accountId),
    region: requireEnv(env, ENV.region),
  };
}
