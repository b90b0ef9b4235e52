/** Entry point of the report Lambda: its wiring is ./deps.ts, with the environment set by lib/constructs/reports.ts. */
import { processEnv } from '../composition/env';
import { loadRuntimeConfig } from '../runtime-config';
import { buildReportDeps } from './deps';
import { createReportHandler } from './handler';

/** The Lambda handler. */
export const handler = createReportHandler(buildReportDeps(loadRuntimeConfig(), processEnv));
