/** Mergeable KPI states per (tenant, bucket). */
export { AggregateDecodeError } from './codec';
export { HLL_PRECISION, HyperLogLog } from './hyperloglog';
export { KpiSet, MAX_SERIALIZED_BYTES } from './kpi-set';
export { QUANTILE_RELATIVE_ACCURACY } from './sketch-store';
export { MAX_GROUPS_PER_KPI, OTHER_GROUP } from './state-table';
export type { KpiMoments, KpiSetOptions, KpiValue } from './types';
