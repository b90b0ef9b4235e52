/** The acknowledgement handler's wiring, for its Lambda entry and for local mode. */
import { DynamoDbAckNonceStore } from '../../adapters/incident-store-dynamodb';
import type { PipelineConfig } from '../../core/config/schema';
import { ENV, type EnvReader, requireEnv } from '../composition/env';
import { incidentMetricsOf, incidentStoreOf } from '../composition/incidents';
import { clientOf, clockOf, loggerOf, secretsOf, type WiringOverrides } from '../composition/overrides';
import type { AckDeps } from './handler';

/** Builds the acknowledgement handler's dependencies. */
export function buildAckDeps(config: PipelineConfig, env: EnvReader, overrides: WiringOverrides = {}): AckDeps {
  const dynamodb = clientOf(overrides, 'dynamodb');
  const secrets = secretsOf(overrides);
  const ackKeySecret = requireEnv(env, ENV.ackKeySecretArn);
  return {
    store: incidentStoreOf(config, env, dynamodb),
    nonces: new DynamoDbAckNonceStore(dynamodb, requireEnv(env, ENV.incidentsTable)),
    ackKey: () => secrets.get(ackKeySecret),
    now: clockOf(overrides),
    metrics: incidentMetricsOf(config, overrides),
    log: loggerOf(overrides, 'escalation-ack'),
  };
}
