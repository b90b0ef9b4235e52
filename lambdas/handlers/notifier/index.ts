/** Lambda entry of the notifier (the escalation state machine's task). */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ChatWebhookChannel } from '../../adapters/channels/chat-webhook';
import { SesEmailChannel } from '../../adapters/channels/email-ses';
import { SnsSmsChannel } from '../../adapters/channels/sms-sns';
import { FallbackPager } from '../../adapters/channels/with-fallback';
import { CloudWatchIncidentMetrics } from '../../adapters/incident-metrics-cloudwatch';
import { DynamoDbIncidentStore } from '../../adapters/incident-store-dynamodb';
import { SecretsManagerLookup, SsmParameterLookup } from '../../adapters/secret-lookup';
import { loadRuntimeConfig, requireEnv } from '../runtime-config';
import { createNotifierHandler } from './handler';

const config = loadRuntimeConfig();
const secrets = new SecretsManagerLookup(new SecretsManagerClient({}));
const ackKeySecret = requireEnv('ACK_KEY_SECRET_ARN');

/** The Lambda handler. */
export const handler = createNotifierHandler({
  config,
  store: new DynamoDbIncidentStore(new DynamoDBClient({}), {
    tableName: requireEnv('INCIDENTS_TABLE'),
    retentionDays: config.retention.hourDays,
  }),
  pager: new FallbackPager([
    new SnsSmsChannel(new SNSClient({}), new SsmParameterLookup(new SSMClient({}))),
    new SesEmailChannel(new SESClient({}), config.escalation.senderEmail),
    new ChatWebhookChannel(secrets),
  ]),
  ackUrl: requireEnv('ACK_URL'),
  ackKey: () => secrets.get(ackKeySecret),
  now: Date.now,
  newNonce: () => randomBytes(6).toString('base64url'),
  pollSeconds: Number(requireEnv('ACK_POLL_SECONDS')),
  log: new Logger({ serviceName: 'escalation-notifier' }),
  metrics: new CloudWatchIncidentMetrics(new CloudWatchClient({}), config.metricsNamespace),
});
