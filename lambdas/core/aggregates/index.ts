/** Mergeable KPI states per (tenant, bucket). */
export { AggregateDecodeError } from './codec';
export { HLL_PRECISION, HyperLogLog } from './hyperloglog';
export {
  type KpiMoments,
  KpiSet,
  type KpiSetOptions,
  type KpiValue,
  MAX_GROUPS_PER_KPI,
  MAX_SERIALIZED_BYTES,
  OTHER_GROUP,
  QUANTILE_RELATIVE_ACCURACY,
} from './kpi-set';
