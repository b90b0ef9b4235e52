/** The report handler's wiring, for its Lambda entry and for local mode. */
import { existsSync } from 'node:fs';
import { DynamoDbHealthStore } from '../../adapters/health-store-dynamodb';
import { DynamoDbKpiReader } from '../../adapters/kpi-reader-dynamodb';
import { DynamoDbKpiStore } from '../../adapters/kpi-store-dynamodb';
import { SesReportMailer } from '../../adapters/report-mailer-ses';
import { catalogFor } from '../../core/catalog/for-config';
import type { PipelineConfig } from '../../core/config/schema';
import { ENV, type EnvReader, requireEnv } from '../composition/env';
import { incidentStoreOf } from '../composition/incidents';
import { clientOf, clockOf, type WiringOverrides } from '../composition/overrides';
import type { ReportHandlerDeps } from './handler';

/** Where the CDK app puts the chart font when `REPORT_FONT_FILE` is unset (Lambda has no system fonts). */
const BUNDLED_FONT = '/var/task/assets/fonts/DejaVuSans.ttf';

/** The report handler's dependencies, with the adapters local mode also renders files from. */
export interface BuiltReportDeps extends ReportHandlerDeps {
  readonly source: DynamoDbKpiReader;
  readonly health: DynamoDbHealthStore;
}

/** Builds the report handler's dependencies. */
export function buildReportDeps(
  config: PipelineConfig,
  env: EnvReader,
  overrides: WiringOverrides = {},
): BuiltReportDeps {
  const catalog = catalogFor(config);
  const dynamodb = clientOf(overrides, 'dynamodb');
  const kpiTable = requireEnv(env, ENV.kpiTable);
  return {
    config,
    catalog,
    source: new DynamoDbKpiReader({ client: dynamodb, tableName: kpiTable, catalog }),
    incidents: incidentStoreOf(config, env, dynamodb),
    health: new DynamoDbHealthStore(dynamodb, { tableName: kpiTable }),
    // Experiment items live in the KPI table; the store reads them by key (the analysis merges them per variant).
    experimentStore: new DynamoDbKpiStore({ client: dynamodb, tableName: kpiTable, catalog }),
    mailer: new SesReportMailer(clientOf(overrides, 'ses')),
    fonts: {
      fontFiles: [env(ENV.reportFontFile), BUNDLED_FONT].filter(
        (f): f is string => f !== undefined && f !== '' && existsSync(f),
      ),
    },
    now: clockOf(overrides),
  };
}
