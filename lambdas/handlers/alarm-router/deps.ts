/** The alarm router's wiring, for its Lambda entry and for local mode. */
import { SfnLadderStarter } from '../../adapters/ladder-starter-sfn';
import type { PipelineConfig } from '../../core/config/schema';
import type { LadderStarter } from '../../core/escalation/ladder';
import { ENV, type EnvReader, requireEnv } from '../composition/env';
import { incidentMetricsOf, incidentStoreOf } from '../composition/incidents';
import { clientOf, loggerOf, type WiringOverrides } from '../composition/overrides';
import type { AlarmRouterDeps } from './handler';

/** The router's overrides: the common ones, and where ladders run. */
export interface RouterOverrides extends WiringOverrides {
  /**
   * Starts escalation ladders. Local mode runs the synthesized state machine in process
   * (aws-local-stepfunctions): Step Functions' stand-in is a library, not an endpoint.
   * @default the state machine of `STATE_MACHINE_ARN`
   */
  readonly ladder?: LadderStarter;
}

/** Builds the alarm router's dependencies. */
export function buildRouterDeps(
  config: PipelineConfig,
  env: EnvReader,
  overrides: RouterOverrides = {},
): AlarmRouterDeps {
  return {
    config,
    store: incidentStoreOf(config, env, clientOf(overrides, 'dynamodb')),
    ladder: overrides.ladder ?? new SfnLadderStarter(clientOf(overrides, 'sfn'), requireEnv(env, ENV.stateMachineArn)),
    metrics: incidentMetricsOf(config, overrides),
    log: loggerOf(overrides, 'alarm-router'),
  };
}
