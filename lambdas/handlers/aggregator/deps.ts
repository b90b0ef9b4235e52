/** The aggregator's wiring, for its Lambda entry and for local mode. */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import { DynamoDbKpiStore } from '../../adapters/kpi-store-dynamodb';
import { EmfKpiMetrics } from '../../adapters/metrics-emf';
import { EmfExperimentMetrics } from '../../adapters/metrics-emf-experiments';
import { S3Quarantine } from '../../adapters/quarantine-s3';
import { AggregateBatch, type DecodeLimits } from '../../core/aggregation';
import { catalogFor } from '../../core/catalog/for-config';
import { type PipelineConfig, perTenantMetricTenants } from '../../core/config/schema';
import { tenantMetricNames } from '../../core/dashboards/tenant-metrics';
import { ENV, type EnvReader, requireEnv } from '../composition/env';
import { clientOf, clockOf, loggerOf, type WiringOverrides } from '../composition/overrides';
import type { AggregatorHandlerDeps } from './handler';

/** Which tenants get per-tenant metrics, and which metrics. */
export interface PerTenantMetricScope {
  readonly tenants: readonly string[];
  /** @default every metric */
  readonly names?: readonly string[];
}

/** The aggregator's overrides: the common ones, and where its EMF metrics go. */
export interface AggregatorOverrides extends WiringOverrides {
  /**
   * Creates the Powertools Metrics the EMF documents go through. Local mode keeps the documents
   * for its alarm evaluator: CloudWatch has no stand-in. @default Powertools Metrics (stdout)
   */
  readonly metrics?: (options: MetricsOptions) => Metrics;
}

/** The contract's limits as the configuration sets them. */
export function ingestionLimits(config: PipelineConfig): DecodeLimits {
  return {
    maxRecordBytes: config.ingestion.maxRecordBytes,
    maxPastMs: config.ingestion.maxPastDays * 86_400_000,
    maxFutureMs: config.ingestion.maxFutureMinutes * 60_000,
  };
}

/** Builds the aggregator's dependencies. */
export function buildAggregatorDeps(
  config: PipelineConfig,
  env: EnvReader,
  overrides: AggregatorOverrides = {},
): AggregatorHandlerDeps & { readonly aggregate: AggregateBatch } {
  const catalog = catalogFor(config);
  const metricsOptions: MetricsOptions = {
    namespace: env(ENV.metricsNamespace) || config.metricsNamespace,
    serviceName: 'aggregator',
  };
  // Per-tenant metrics only where the tenant dashboard reads them (per-tenant alarms read the KPI table).
  const scope: PerTenantMetricScope = { tenants: perTenantMetricTenants(config), names: tenantMetricNames(catalog) };
  const metrics = (overrides.metrics ?? ((o) => new Metrics(o)))(metricsOptions);
  const now = clockOf(overrides);
  return {
    logger: loggerOf(overrides, 'aggregator'),
    now,
    aggregate: new AggregateBatch({
      catalog,
      store: new DynamoDbKpiStore({
        client: clientOf(overrides, 'dynamodb'),
        tableName: requireEnv(env, ENV.kpiTable),
        catalog,
      }),
      quarantine: new S3Quarantine({
        client: clientOf(overrides, 's3'),
        bucketName: requireEnv(env, ENV.quarantineBucket),
      }),
      metrics: new EmfExperimentMetrics({
        inner: new EmfKpiMetrics({
          metrics,
          catalog,
          perTenantAlarmTenants: scope.tenants,
          ...(scope.names === undefined ? {} : { perTenantMetricNames: scope.names }),
        }),
        metrics,
        catalog,
        experiments: config.experiments,
        now,
      }),
      retention: config.retention,
      limits: ingestionLimits(config),
      experiments: config.experiments,
    }),
  };
}
