/**
 * Production entry of the aggregator: builds the SDK clients and adapters once per container
 * from the environment (KPI_TABLE_NAME, QUARANTINE_BUCKET_NAME, METRICS_NAMESPACE) and the
 * configuration embedded in the bundle.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbKpiStore } from '../../adapters/kpi-store-dynamodb';
import { DEFAULT_METRICS_NAMESPACE, EmfKpiMetrics } from '../../adapters/metrics-emf';
import { S3Quarantine } from '../../adapters/quarantine-s3';
import { AggregateBatch } from '../../core/aggregation';
import { type CustomKpiSpec, KpiCatalog } from '../../core/catalog';
import { type PipelineConfig, perTenantMetricTenants } from '../../core/config/schema';
import { tenantMetricNames } from '../../core/dashboards/tenant-metrics';
import { loadRuntimeConfig, requireEnv } from '../runtime-config';
import { createAggregatorHandler } from './handler';

/** The catalog of a configuration (built-in KPIs plus the declared custom ones). */
export function catalogOf(config: PipelineConfig): KpiCatalog {
  // The schema checks the `custom.` prefix; the catalog re-validates every custom KPI.
  return KpiCatalog.create(config.customKpis as unknown as readonly CustomKpiSpec[]);
}

const config = loadRuntimeConfig();
const catalog = catalogOf(config);
const logger = new Logger({ serviceName: 'aggregator' });
const namespace = process.env.METRICS_NAMESPACE || config.metricsNamespace || DEFAULT_METRICS_NAMESPACE;

/** The Lambda handler. */
export const handler = createAggregatorHandler({
  logger,
  aggregate: new AggregateBatch({
    catalog,
    store: new DynamoDbKpiStore({ client: new DynamoDBClient({}), tableName: requireEnv('KPI_TABLE_NAME'), catalog }),
    quarantine: new S3Quarantine({ client: new S3Client({}), bucketName: requireEnv('QUARANTINE_BUCKET_NAME') }),
    metrics: new EmfKpiMetrics({
      metrics: new Metrics({ namespace, serviceName: 'aggregator' }),
      catalog,
      // Per-tenant metrics only where the tenant dashboard reads them (per-tenant alarms read the KPI table).
      perTenantAlarmTenants: perTenantMetricTenants(config),
      perTenantMetricNames: tenantMetricNames(catalog),
    }),
    retention: config.retention,
    limits: {
      maxRecordBytes: config.ingestion.maxRecordBytes,
      maxPastMs: config.ingestion.maxPastDays * 86_400_000,
      maxFutureMs: config.ingestion.maxFutureMinutes * 60_000,
    },
    experiments: config.experiments,
  }),
});
