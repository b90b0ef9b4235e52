/**
 * Entry point of the report Lambda: builds the handler's dependencies from the environment
 * (KPI_TABLE_NAME, INCIDENTS_TABLE_NAME, optional REPORT_FONT_FILE) and the embedded configuration.
 */
import { existsSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDbHealthStore } from '../../adapters/health-store-dynamodb';
import { DynamoDbIncidentStore } from '../../adapters/incident-store-dynamodb';
import { DynamoDbKpiReader } from '../../adapters/kpi-reader-dynamodb';
import { SesReportMailer } from '../../adapters/report-mailer-ses';
import { KpiCatalog } from '../../core/catalog';
import { loadRuntimeConfig, requireEnv } from '../runtime-config';
import { createReportHandler } from './handler';

/** Font the charts are drawn in: the file the CDK app bundles with the function (Lambda has no system fonts). */
const FONT_CANDIDATES = [process.env.REPORT_FONT_FILE, '/var/task/assets/fonts/DejaVuSans.ttf'];

const config = loadRuntimeConfig();
const catalog = KpiCatalog.create(
  config.customKpis.map((k) => ({ ...k, eventType: k.eventType as `custom.${string}` })),
);
const ddb = new DynamoDBClient({});
const kpiTable = requireEnv('KPI_TABLE_NAME');

/** The Lambda handler. */
export const handler = createReportHandler({
  config,
  catalog,
  source: new DynamoDbKpiReader({ client: ddb, tableName: kpiTable, catalog }),
  incidents: new DynamoDbIncidentStore(ddb, { tableName: requireEnv('INCIDENTS_TABLE_NAME') }),
  health: new DynamoDbHealthStore(ddb, { tableName: kpiTable }),
  mailer: new SesReportMailer(new SESClient({})),
  fonts: {
    fontFiles: FONT_CANDIDATES.filter((f): f is string => f !== undefined && f !== '' && existsSync(f)),
  },
  now: () => Date.now(),
});
