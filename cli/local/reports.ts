/** The reports stage: the scheduled reports of the morning after, through the real report handler. */
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { type PipelineConfig, REPORT_KINDS, type ReportKind } from '../../lambdas/core/config/schema';
import type { EnvReader } from '../../lambdas/handlers/composition/env';
import { createReportHandler } from '../../lambdas/handlers/report/handler';
import { renderReportToFile } from '../report-preview';
import { localReportDeps } from './handlers';
import { localClientConfig } from './standins';

/** One scheduled report of the run. */
export interface LocalReport {
  readonly kind: ReportKind;
  /** The last UTC day it covers, `yyyy-mm-dd`. */
  readonly date: string;
  readonly recipients: readonly string[];
  readonly outcome: 'sent' | 'skipped';
  /** The rendered HTML, when an export directory was given. */
  readonly file?: string;
}

/** Options of {@link runReports}. */
export interface ReportsOptions {
  readonly config: PipelineConfig;
  readonly dynamodb: DynamoDBClient;
  /** The environment the CDK app would give the report function. */
  readonly env: EnvReader;
  readonly sesEndpoint: string;
  /** The last day the reports cover (UTC midnight). */
  readonly lastDayMs: number;
  readonly exportDir?: string;
}

/**
 * Sends the scheduled reports due the morning after the range through the real report handler
 * (health scores into the KPI table, mail through the local SES), and renders each to HTML in
 * the export directory.
 */
export async function runReports(o: ReportsOptions): Promise<LocalReport[]> {
  const ses = new SESClient(localClientConfig(o.sesEndpoint));
  // The schedules fire the morning after the simulated day.
  const deps = localReportDeps(
    o.config,
    o.env,
    { dynamodb: o.dynamodb, ses },
    () => o.lastDayMs + 86_400_000 + 8 * 3_600_000,
  );
  const handler = createReportHandler(deps);
  const date = new Date(o.lastDayMs).toISOString().slice(0, 10);
  const out: LocalReport[] = [];
  try {
    for (const kind of REPORT_KINDS) {
      if (!o.config.reports.schedules[kind].enabled) continue;
      const period = kind === 'executive_summary' || kind === 'client_success' ? 'week' : 'day';
      const result = await handler({ kind, period, date });
      let file: string | undefined;
      if (o.exportDir !== undefined) {
        file = join(o.exportDir, `report-${kind}-${date}.html`);
        await renderReportToFile(kind, o.lastDayMs, deps.source, deps.incidents, o.config, file, {
          health: deps.health,
          ...(deps.experimentStore === undefined ? {} : { experimentStore: deps.experimentStore }),
        });
      }
      out.push({
        kind,
        date,
        recipients: result.recipients,
        outcome: result.outcome,
        ...(file === undefined ? {} : { file }),
      });
    }
    return out;
  } finally {
    ses.destroy();
  }
}
