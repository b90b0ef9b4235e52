/** The KPI catalog: every KPI as data, read by the aggregator, alarms, dashboards, reports and CLI. */
export { aggregationOf, InvalidCatalogEntryError } from './builders';
export { BUILT_IN_KPIS, REJECTION_EVENT_TYPE } from './builtin';
export { type CustomFieldKind, InvalidCustomKpiError, KpiCatalog, UnknownKpiError } from './catalog';
export { builtInHealthTarget, builtInReportTargets } from './defaults';
export { catalogMarkdownTable } from './markdown';
export { type BuiltInKpiName, KPI } from './names';
export * from './types';
