/**
 * Which KPIs are published as per-tenant CloudWatch metrics: those the per-tenant dashboard
 * draws, and no others. Each tenant x metric is a billed custom metric ($0.30 a month in the
 * first price tier), and per-tenant alarms read the KPI table instead, so a metric nobody graphs
 * would only cost. The dashboard shows a tenant's traffic and every KPI a default alarm rule
 * watches, that is what can page for the tenant; its other KPIs are in its reports, read from the
 * KPI table. With the built-in catalog that is 15 of the 27 published metrics.
 *
 * Pure: reads the catalog only.
 */
import type { KpiCatalog, KpiDefinition } from '../catalog';

/** A KPI with a published metric. */
export type PublishedKpi = KpiDefinition & { metric: NonNullable<KpiDefinition['metric']> };

/** The KPIs published to CloudWatch (those with a `metric`), in catalog order. */
export function publishedKpis(catalog: KpiCatalog): PublishedKpi[] {
  return catalog.all().filter((k): k is PublishedKpi => k.metric !== undefined);
}

/** Event volume KPIs: published counts of events. */
export function isTrafficKpi(k: KpiDefinition): boolean {
  return k.aggregation === 'count' && k.unit === 'count';
}

/** The KPIs of the per-tenant dashboard, in catalog order: traffic and what the default alarm rules watch. */
export function tenantDashboardKpis(catalog: KpiCatalog): PublishedKpi[] {
  return publishedKpis(catalog).filter((k) => isTrafficKpi(k) || k.defaultAlarms.length > 0);
}

/** The metric names published per tenant (for the tenants of `perTenantMetricTenants`). */
export function tenantMetricNames(catalog: KpiCatalog): string[] {
  return tenantDashboardKpis(catalog).map((k) => k.metric.name);
}
