/** The KPI catalog: every KPI as data, read by the aggregator, alarms, dashboards, reports and CLI. */
export { BUILT_IN_KPIS, REJECTION_EVENT_TYPE } from './builtin';
export { type CustomFieldKind, InvalidCustomKpiError, KpiCatalog, UnknownKpiError } from './catalog';
export { catalogMarkdownTable } from './markdown';
export * from './types';
