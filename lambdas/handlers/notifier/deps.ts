/** The notifier's wiring, for its Lambda entry and for local mode. */
import { randomBytes } from 'node:crypto';
import { ChatWebhookChannel } from '../../adapters/channels/chat-webhook';
import { SesEmailChannel } from '../../adapters/channels/email-ses';
import { SnsSmsChannel } from '../../adapters/channels/sms-sns';
import { FallbackPager } from '../../adapters/channels/with-fallback';
import type { PipelineConfig } from '../../core/config/schema';
import { ENV, type EnvReader, requireEnv } from '../composition/env';
import { incidentMetricsOf, incidentStoreOf } from '../composition/incidents';
import { clientOf, clockOf, loggerOf, phoneNumbersOf, secretsOf, type WiringOverrides } from '../composition/overrides';
import type { NotifierDeps } from './handler';

/**
 * Random bytes per acknowledgement nonce: 96 bits, so a nonce cannot be guessed or collide
 * within the nonce table's lifetime (the token's HMAC signs it; the nonce makes it single-use).
 */
export const ACK_NONCE_BYTES = 12;

/** Builds the notifier's dependencies. */
export function buildNotifierDeps(
  config: PipelineConfig,
  env: EnvReader,
  overrides: WiringOverrides = {},
): NotifierDeps {
  const secrets = secretsOf(overrides);
  const ackKeySecret = requireEnv(env, ENV.ackKeySecretArn);
  return {
    config,
    store: incidentStoreOf(config, env, clientOf(overrides, 'dynamodb')),
    pager: new FallbackPager(
      [
        new SnsSmsChannel(clientOf(overrides, 'sns'), phoneNumbersOf(overrides)),
        new SesEmailChannel(clientOf(overrides, 'ses'), config.escalation.senderEmail),
        new ChatWebhookChannel(secrets),
      ],
      overrides.sleep === undefined ? {} : { sleep: overrides.sleep },
    ),
    ackUrl: requireEnv(env, ENV.ackUrl),
    ackKey: () => secrets.get(ackKeySecret),
    now: clockOf(overrides),
    newNonce: () => randomBytes(ACK_NONCE_BYTES).toString('base64url'),
    pollSeconds: Number(requireEnv(env, ENV.ackPollSeconds)),
    log: loggerOf(overrides, 'escalation-notifier'),
    metrics: incidentMetricsOf(config, overrides),
  };
}
