/** Lambda entry of the notifier (the escalation state machine's task): its wiring is ./deps.ts. */
import { processEnv } from '../composition/env';
import { loadRuntimeConfig } from '../runtime-config';
import { buildNotifierDeps } from './deps';
import { createNotifierHandler } from './handler';

/** The Lambda handler. */
export const handler = createNotifierHandler(buildNotifierDeps(loadRuntimeConfig(), processEnv));
