/** Lambda entry of the per-tenant alarm evaluator: its wiring is ./deps.ts, with the environment set by lib/constructs/tenant-alarms.ts. */
import { processEnv } from '../composition/env';
import { loadRuntimeConfig } from '../runtime-config';
import { buildTenantAlarmsDeps } from './deps';
import { createTenantAlarmsHandler } from './handler';

/** The Lambda handler. */
export const handler = createTenantAlarmsHandler(buildTenantAlarmsDeps(loadRuntimeConfig(), processEnv));
