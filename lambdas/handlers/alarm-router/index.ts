/** Lambda entry of the alarm router: its wiring is ./deps.ts, with the environment set by lib/constructs/escalation.ts. */
import { processEnv } from '../composition/env';
import { loadRuntimeConfig } from '../runtime-config';
import { buildRouterDeps } from './deps';
import { createAlarmRouterHandler } from './handler';

/** The Lambda handler. */
export const handler = createAlarmRouterHandler(buildRouterDeps(loadRuntimeConfig(), processEnv));
