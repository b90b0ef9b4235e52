/**
 * What a caller of a `build<Handler>Deps` function may replace, and nothing else. The Lambda
 * entry points replace nothing; local mode (cli/local) replaces exactly these: the SDK clients
 * (pointed at the stand-ins), the clock, the secrets that have no stand-in, the phone numbers
 * (there is no phone network) and the log level.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type SecretLookup, SecretsManagerLookup, SsmParameterLookup } from '../../adapters/secret-lookup';

/** The SDK clients the handlers use, one per service. */
export interface SdkClients {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly ses: SESClient;
  readonly sns: SNSClient;
  readonly sfn: SFNClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
}

/** The log levels of the handlers' Powertools loggers. */
export type HandlerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/** The overrides every builder accepts. */
export interface WiringOverrides {
  /** SDK clients. @default clients of the function's own region and role */
  readonly clients?: Partial<SdkClients>;
  /** The clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** How retries wait. @default a setTimeout sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Secrets Manager values (the acknowledgement key, chat webhook URLs).
   * @default Secrets Manager, cached
   */
  readonly secrets?: SecretLookup;
  /** Phone numbers of the contacts (SSM SecureString parameters). @default SSM, cached */
  readonly phoneNumbers?: SecretLookup;
  /** Level of the handlers' loggers. @default Powertools' own (POWERTOOLS_LOG_LEVEL, else INFO) */
  readonly logLevel?: HandlerLogLevel;
}

const DEFAULT_CLIENTS: { readonly [K in keyof SdkClients]: () => SdkClients[K] } = {
  dynamodb: () => new DynamoDBClient({}),
  s3: () => new S3Client({}),
  ses: () => new SESClient({}),
  sns: () => new SNSClient({}),
  sfn: () => new SFNClient({}),
  cloudwatch: () => new CloudWatchClient({}),
  eventbridge: () => new EventBridgeClient({}),
  secretsManager: () => new SecretsManagerClient({}),
  ssm: () => new SSMClient({}),
};

/** The client of `service`: the override, else a new client of the function's region. */
export function clientOf<K extends keyof SdkClients>(overrides: WiringOverrides, service: K): SdkClients[K] {
  return overrides.clients?.[service] ?? DEFAULT_CLIENTS[service]();
}

/** The clock of a wiring. */
export function clockOf(overrides: WiringOverrides): () => number {
  return overrides.now ?? Date.now;
}

/** The Secrets Manager lookup of a wiring. */
export function secretsOf(overrides: WiringOverrides): SecretLookup {
  return overrides.secrets ?? new SecretsManagerLookup(clientOf(overrides, 'secretsManager'));
}

/** The phone number lookup of a wiring. */
export function phoneNumbersOf(overrides: WiringOverrides): SecretLookup {
  return overrides.phoneNumbers ?? new SsmParameterLookup(clientOf(overrides, 'ssm'));
}

/** A handler's Powertools logger. */
export function loggerOf(overrides: WiringOverrides, serviceName: string): Logger {
  return new Logger({ serviceName, ...(overrides.logLevel === undefined ? {} : { logLevel: overrides.logLevel }) });
}
