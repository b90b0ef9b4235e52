/**
 * The environment variables through which the CDK constructs (lib/constructs) tell each Lambda
 * where its resources are. Both sides use these constants, so a name cannot drift; one name
 * per resource. Everything else a handler needs is in the embedded configuration.
 */
export const ENV = {
  /** DynamoDB table of KPI aggregates (and health scores). */
  kpiTable: 'KPI_TABLE_NAME',
  /** DynamoDB table of incidents and acknowledgement nonces. */
  incidentsTable: 'INCIDENTS_TABLE_NAME',
  /** S3 bucket of quarantined records. */
  quarantineBucket: 'QUARANTINE_BUCKET_NAME',
  /** CloudWatch namespace of the aggregator's EMF metrics. */
  metricsNamespace: 'METRICS_NAMESPACE',
  /** Secrets Manager ARN of the acknowledgement signing key. */
  ackKeySecretArn: 'ACK_KEY_SECRET_ARN',
  /** The acknowledgement function URL put into pages. */
  ackUrl: 'ACK_URL',
  /** Longest wait of the escalation ladder between checks, seconds. */
  ackPollSeconds: 'ACK_POLL_SECONDS',
  /** The escalation ladder's state machine. */
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** DynamoDB table of per-tenant alarm states. */
  alarmStateTable: 'ALARM_STATE_TABLE_NAME',
  /** EventBridge `source` of the per-tenant alarm state changes. */
  alarmEventSource: 'ALARM_EVENT_SOURCE',
  /** The account id the per-tenant alarm ARNs carry. */
  accountId: 'ACCOUNT_ID',
  /** Set by Lambda itself. */
  region: 'AWS_REGION',
  /** Font file the report charts are drawn in (bundled with the function). */
  reportFontFile: 'REPORT_FONT_FILE',
} as const;

/** One of the variables above. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Reads the environment of a Lambda entry point. */
export type EnvReader = (name: EnvName) => string | undefined;

/** A variable the CDK app sets on every function that reads it, missing. */
export class MissingEnvironmentError extends Error {
  constructor(readonly variable: EnvName) {
    super(`Environment variable ${variable} is not set; the CDK app sets it on this function.`);
    this.name = 'MissingEnvironmentError';
  }
}

/**
 * Reads a required variable through `read`.
 * @throws MissingEnvironmentError when it is unset or empty
 */
export function requireEnv(read: EnvReader, name: EnvName): string {
  const value = read(name);
  if (value === undefined || value === '') throw new MissingEnvironmentError(name);
  return value;
}

/** The process environment, as Lambda sets it. */
export const processEnv: EnvReader = (name) => process.env[name];
