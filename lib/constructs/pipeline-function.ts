import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../lambdas/core/config/schema';

/** The repository root: entries and the lock file are resolved against it, whatever the working directory. */
export const PROJECT_ROOT = join(__dirname, '..', '..');

/**
 * The newest Node.js runtime aws-cdk-lib knows. cdk-nag AwsSolutions-L1 flags anything older,
 * so this moves with aws-cdk-lib upgrades (and is pinned, unlike `NODEJS_LATEST`, so a CDK
 * upgrade never changes the runtime silently).
 */
export const PIPELINE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Retention values CloudWatch Logs accepts, ascending; a configured day count rounds up to one of them. */
const LOG_RETENTION_DAYS: readonly logs.RetentionDays[] = [
  logs.RetentionDays.ONE_DAY,
  logs.RetentionDays.THREE_DAYS,
  logs.RetentionDays.FIVE_DAYS,
  logs.RetentionDays.ONE_WEEK,
  logs.RetentionDays.TWO_WEEKS,
  logs.RetentionDays.ONE_MONTH,
  logs.RetentionDays.TWO_MONTHS,
  logs.RetentionDays.THREE_MONTHS,
  logs.RetentionDays.FOUR_MONTHS,
  logs.RetentionDays.FIVE_MONTHS,
  logs.RetentionDays.SIX_MONTHS,
  logs.RetentionDays.ONE_YEAR,
  logs.RetentionDays.THIRTEEN_MONTHS,
  logs.RetentionDays.EIGHTEEN_MONTHS,
  logs.RetentionDays.TWO_YEARS,
  logs.RetentionDays.THREE_YEARS,
  logs.RetentionDays.FIVE_YEARS,
  logs.RetentionDays.SIX_YEARS,
  logs.RetentionDays.SEVEN_YEARS,
  logs.RetentionDays.EIGHT_YEARS,
  logs.RetentionDays.NINE_YEARS,
  logs.RetentionDays.TEN_YEARS,
];

/**
 * The CloudWatch Logs retention that keeps logs at least `days` days (the service accepts only
 * fixed values, so `logDays: 30` is exact and `logDays: 20` keeps a month).
 */
export function logRetentionFor(days: number): logs.RetentionDays {
  return LOG_RETENTION_DAYS.find((r) => r >= days) ?? logs.RetentionDays.INFINITE;
}

/** Bundling hooks copying native packages from the local node_modules next to the bundle. */
function copyIntoBundle(packages: readonly string[], assetFiles: readonly string[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [
      ...packages.map(
        (name) =>
          `mkdir -p "${outputDir}/node_modules/${name}" && cp -R "${inputDir}/node_modules/${name}/." "${outputDir}/node_modules/${name}/"`,
      ),
      ...assetFiles.map(
        (file) => `mkdir -p "$(dirname "${outputDir}/${file}")" && cp "${inputDir}/${file}" "${outputDir}/${file}"`,
      ),
    ],
  };
}

/** Settings of one pipeline Lambda function. */
export interface PipelineFunctionProps {
  /** The resolved configuration, embedded into the bundle (`__PIPELINE_CONFIG__`, see lambdas/handlers/runtime-config.ts). */
  readonly config: PipelineConfig;
  /** Handler entry file, relative to the repository root, e.g. `lambdas/handlers/aggregator/index.ts`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Resource names only (table names, bucket names): everything else is in the embedded configuration.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /**
   * Caps concurrent executions so a backlog cannot overwhelm a downstream (the KPI table, SES).
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Instruction set. A function that loads a native addon must match the addon's prebuilt binary.
   * @default lambda.Architecture.ARM_64 (cheaper per GB-second)
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Packages with native addons that esbuild cannot bundle: left external and copied as-is from the
   * local node_modules into the bundle (no network at synth). List the platform package too, e.g.
   * `@resvg/resvg-js-linux-x64-gnu`.
   * @default - none
   */
  readonly nativeModules?: readonly string[];
  /**
   * Repository files copied into the bundle at the same relative path (e.g. `assets/fonts/DejaVuSans.ttf`,
   * then found at `/var/task/assets/fonts/DejaVuSans.ttf`).
   * @default - none
   */
  readonly assetFiles?: readonly string[];
}

/**
 * Creates a Lambda function with the pipeline's secure defaults: newest Node.js runtime, arm64,
 * its own log group with the configured retention, active X-Ray tracing, a dedicated role that
 * may write only to that log group (no AWS managed policy), and a bundle built by the local
 * esbuild (never Docker) with minification, source maps and the configuration embedded.
 */
export function createPipelineFunction(scope: Construct, id: string, props: PipelineFunctionProps): NodejsFunction {
  const nativeModules = props.nativeModules ?? [];
  const assetFiles = props.assetFiles ?? [];
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logRetentionFor(props.config.retention.logDays),
    // Logs are operational data, recreated on redeploy; keeping them after teardown only costs money.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${id}: its own log group plus the grants its construct adds.`,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  const fn = new NodejsFunction(scope, id, {
    entry: resolve(PROJECT_ROOT, props.entry),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    description: props.description,
    runtime: PIPELINE_RUNTIME,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(30),
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    role,
    // Source maps are only applied to stack traces with this flag.
    environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.CJS,
      minify: true,
      sourceMap: true,
      // Double encoding: `define` takes a JS expression, and the handler expects a JSON string.
      define: { __PIPELINE_CONFIG__: JSON.stringify(JSON.stringify(props.config)) },
      externalModules: ['@aws-sdk/*', ...nativeModules],
      commandHooks:
        nativeModules.length === 0 && assetFiles.length === 0 ? undefined : copyIntoBundle(nativeModules, assetFiles),
    },
  });
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions (Resource *).',
        appliesTo: ['Resource::*'],
      },
    ],
    true,
  );
  return fn;
}
