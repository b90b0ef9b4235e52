/** Lambda entry of the acknowledgement function URL: its wiring is ./deps.ts. */
import { processEnv } from '../composition/env';
import { loadRuntimeConfig } from '../runtime-config';
import { buildAckDeps } from './deps';
import { createAckHandler } from './handler';

/** The Lambda handler. */
export const handler = createAckHandler(buildAckDeps(loadRuntimeConfig(), processEnv));
