import { Arn, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { type PipelineConfig, REPORT_KINDS, type ReportKind } from '../../lambdas/core/config/schema';
import { ENV } from '../../lambdas/handlers/composition/env';
import { grantTableData } from './kpi-store';
import { createPipelineFunction } from './pipeline-function';

/** The period each scheduled report covers: daily reports a day, weekly ones a week. */
export const REPORT_PERIODS: Readonly<Record<ReportKind, 'day' | 'week'>> = {
  system_health: 'day',
  business_performance: 'day',
  executive_summary: 'week',
  client_success: 'week',
};

/** What a schedule passes to the report function. */
export interface ReportInvocation {
  readonly kind: ReportKind;
  readonly period: 'day' | 'week';
}

/** Settings of the reports. */
export interface ReportsProps {
  /** The resolved configuration: `reports.*` sets schedules, time zone and sender. */
  readonly config: PipelineConfig;
  /** KPI buckets (read) and health scores (written daily). */
  readonly kpiTable: dynamodb.ITable;
  /** Incidents (read) for MTTA/MTTR and incident lists. */
  readonly incidentsTable: dynamodb.ITable;
  /** The data key of both tables. */
  readonly encryptionKey: kms.IKey;
  /**
   * Handler entry, relative to the repository root.
   * @default 'lambdas/handlers/report/index.ts'
   */
  readonly entry?: string;
  /**
   * Retries of a failed invocation by EventBridge Scheduler.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * An invocation still failing after this long goes to the dead-letter queue.
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

/** The SES identity ARNs a sender address may send as: the address itself and its domain. */
function sesIdentityArns(scope: Construct, sender: string): string[] {
  const stack = Stack.of(scope);
  const domain = sender.slice(sender.indexOf('@') + 1);
  return [sender, domain].map((identity) =>
    Arn.format({ service: 'ses', resource: 'identity', resourceName: identity }, stack),
  );
}

/**
 * The scheduled e-mail reports: one report function and one EventBridge Scheduler schedule per
 * enabled report, evaluated in the configured time zone, with retries and a dead-letter queue
 * so a missed report is visible rather than silent.
 */
/** The font file shipped with the report function (DejaVu Sans, free license beside it). */
const REPORT_FONT = 'assets/fonts/DejaVuSans.ttf';

export class Reports extends Construct {
  /** The report function. */
  readonly function: NodejsFunction;
  /** Schedule invocations that failed after every retry. */
  readonly deadLetterQueue: sqs.Queue;
  /** The schedules, by report. */
  readonly schedules: Partial<Record<ReportKind, scheduler.Schedule>>;

  constructor(scope: Construct, id: string, props: ReportsProps) {
    super(scope, id);
    this.function = this.createFunction(props);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the report schedules.' },
    ]);

    const schedulerRole = this.createSchedulerRole(props);
    this.schedules = this.createSchedules(props, schedulerRole);
    NagSuppressions.addResourceSuppressions(
      schedulerRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'lambda:InvokeFunction on the report function and its versions (`<arn>:*`), added by LambdaInvoke.',
          appliesTo: [{ regex: '/^Resource::<.*ReportsFunction.*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );
  }

  private createFunction(props: ReportsProps): NodejsFunction {
    const { config } = props;
    const fn = createPipelineFunction(this, 'Function', {
      config,
      entry: props.entry ?? 'lambdas/handlers/report/index.ts',
      description: 'Builds and e-mails the scheduled KPI reports; stores daily health scores.',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      // Off by default: new accounts' concurrency quota of 10 leaves nothing to reserve. Where it
      // can be reserved, a small cap keeps a retry storm off the tables and SES.
      reservedConcurrentExecutions: config.reports.reservedConcurrency,
      // The chart renderer loads a native addon; only its x86_64 glibc build ships with the project.
      architecture: lambda.Architecture.X86_64,
      nativeModules: ['@resvg/resvg-js', '@resvg/resvg-js-linux-x64-gnu'],
      // Lambda's image has no fonts: the charts' text is drawn with this bundled one.
      assetFiles: [REPORT_FONT],
      environment: {
        [ENV.reportFontFile]: `/var/task/${REPORT_FONT}`,
        [ENV.kpiTable]: props.kpiTable.tableName,
        [ENV.incidentsTable]: props.incidentsTable.tableName,
      },
    });
    grantTableData(fn, props.kpiTable, props.encryptionKey, 'readWrite');
    grantTableData(fn, props.incidentsTable, props.encryptionKey, 'read');
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: sesIdentityArns(this, config.reports.senderEmail),
      }),
    );
    return fn;
  }

  private createSchedulerRole(props: ReportsProps): iam.Role {
    // One role for every schedule, so its policy lists exactly: invoke this function, send to this queue.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the report function and dead-letter failures.',
    });
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [props.encryptionKey.keyArn],
      }),
    );
    return schedulerRole;
  }

  /** One schedule per enabled report, each invoking the function with its kind and period. */
  private createSchedules(
    props: ReportsProps,
    schedulerRole: iam.Role,
  ): Partial<Record<ReportKind, scheduler.Schedule>> {
    const { config } = props;
    const retryAttempts = props.retryAttempts ?? 3;
    const maxEventAge = props.maxEventAge ?? Duration.hours(2);
    const timeZone = TimeZone.of(config.reports.timezone);
    const schedules: Partial<Record<ReportKind, scheduler.Schedule>> = {};
    for (const kind of REPORT_KINDS) {
      const settings = config.reports.schedules[kind];
      if (!settings.enabled) continue;
      const input: ReportInvocation = { kind, period: REPORT_PERIODS[kind] };
      schedules[kind] = new scheduler.Schedule(this, `Schedule-${kind}`, {
        description: `The ${kind.replace(/_/g, ' ')} report (${settings.cron}, ${config.reports.timezone}).`,
        schedule: scheduler.ScheduleExpression.expression(settings.cron, timeZone),
        target: new LambdaInvoke(this.function, {
          role: schedulerRole,
          input: scheduler.ScheduleTargetInput.fromObject(input),
          retryAttempts,
          maxEventAge,
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
    }
    return schedules;
  }
}
