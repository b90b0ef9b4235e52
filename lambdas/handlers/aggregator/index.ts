/**
 * Production entry of the aggregator: its wiring (./deps.ts) reads the resource names from the
 * environment the CDK app sets and the configuration embedded in the bundle.
 */
import { processEnv } from '../composition/env';
import { loadRuntimeConfig } from '../runtime-config';
import { buildAggregatorDeps } from './deps';
import { createAggregatorHandler } from './handler';

/** The Lambda handler. */
export const handler = createAggregatorHandler(buildAggregatorDeps(loadRuntimeConfig(), processEnv));
