/** Per-tenant alarms evaluated by the pipeline: plans, one evaluation minute, shards and ports. */

export {
  evaluateTenantAlarms,
  evaluationInstant,
  type StoredAlarmState,
  type TenantAlarmStates,
  type TenantEvaluation,
} from './evaluate';
export { bucketDatapoints, QUANTILE_POINTS } from './metric-data';
export {
  HOUR_NAMESPACE_SUFFIX,
  MINUTE_RESOLUTION_MAX_PERIOD_SECONDS,
  type TenantAlarmPlan,
  type TenantAlarmPlanOptions,
  tenantAlarmDefinitions,
  tenantAlarmPlans,
} from './plan';
export {
  type AlarmEventSink,
  TenantAlarmError,
  type TenantAlarmStateStore,
  type VersionedTenantStates,
} from './ports';
export { shardCount, TENANTS_PER_SHARD, tenantsOfShard } from './shard';
export { SILENT_TENANT_RULE_ID, type SilentTenantAlarms, silentTenantAlarms, trafficKpis } from './silence';
