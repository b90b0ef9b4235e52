/**
 * `TenantAlarms`: per-tenant alerting evaluated by the pipeline instead of CloudWatch alarms.
 *
 * Every minute, one EventBridge schedule per shard of {@link TENANTS_PER_SHARD} tenants invokes
 * the evaluator (`lambdas/handlers/tenant-alarms`), which reads the tenants' KPI buckets, runs the
 * same rules as the fleet's CloudWatch alarms through the project's alarm evaluator, keeps alarm
 * states in its own table and puts each state change on the default event bus as a `CloudWatch
 * Alarm State Change` with the source `<name>.tenant-alarms`. A rule here sends those to the
 * alarm router, so incidents, silences, grouping and ladders are the fleet alarms' own.
 *
 * Resources do not grow with tenants (one schedule per 250 of them), nor do CloudWatch alarms:
 * see docs/scale.md for the numbers. An alarm on the evaluator's errors pages at P2.
 */
import { Arn, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { formatAlarmName } from '../../lambdas/core/alarms/naming';
import { type PipelineConfig, perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { shardCount, TENANTS_PER_SHARD } from '../../lambdas/core/tenant-alarms/shard';
import { ENV } from '../../lambdas/handlers/composition/env';
import { grantTableData, TABLE_ATTRIBUTES } from './kpi-store';
import { createPipelineFunction } from './pipeline-function';

/** Settings of {@link TenantAlarms}. */
export interface TenantAlarmsProps {
  /** The resolved configuration: tenants, tiers, alarm rules, `name`. */
  readonly config: PipelineConfig;
  /** The KPI table the evaluator reads. */
  readonly kpiTable: dynamodb.ITable;
  /** The data key (KPI table; also encrypts the alarm state table). */
  readonly encryptionKey: kms.IKey;
  /** The alarm router, which receives the state changes. */
  readonly router: lambda.IFunction;
  /** Where state-change events the router still failed on go (the escalation's dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Tenants per scheduled invocation.
   * @default TENANTS_PER_SHARD (250)
   */
  readonly tenantsPerShard?: number;
}

/** The event source of per-tenant alarm state changes. */
export function tenantAlarmEventSource(config: PipelineConfig): string {
  return `${config.name}.tenant-alarms`;
}

/** Per-tenant alarm evaluation; see the module comment. */
export class TenantAlarms extends Construct {
  /** The evaluator function. */
  readonly function: NodejsFunction;
  /** Alarm states by tenant. */
  readonly stateTable: dynamodb.Table;
  /** One schedule per shard. */
  readonly schedules: events.Rule[];
  /** Pages (P2) when evaluations fail. */
  readonly failureAlarm: cloudwatch.Alarm;
  /** Name of {@link failureAlarm}. */
  readonly failureAlarmName: string;

  constructor(scope: Construct, id: string, props: TenantAlarmsProps) {
    super(scope, id);
    const { config } = props;
    const tenants = perTenantAlarmTenants(config);
    const shards = shardCount(tenants.length, props.tenantsPerShard ?? TENANTS_PER_SHARD);
    const source = tenantAlarmEventSource(config);

    // Soft state: lost, every alarm restarts at INSUFFICIENT_DATA as a newly created alarm does.
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: TABLE_ATTRIBUTES.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = this.createEvaluator(props, source);
    this.schedules = this.createSchedules(config, shards);
    this.routeStateChanges(props, source);
    this.failureAlarmName = formatAlarmName({
      deployment: config.name,
      severity: 'P2',
      ladder: 'technical',
      tenant: '*',
      ruleId: 'tenant-alarms-failed',
    });
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmName: this.failureAlarmName,
      alarmDescription:
        'Per-tenant alarm evaluations failed in 3 of the last 5 minutes: tenant problems may go unpaged. Check the evaluator logs.',
      metric: this.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The evaluator: reads the KPI table, keeps alarm states, puts state changes on the default bus. */
  private createEvaluator(props: TenantAlarmsProps, source: string): NodejsFunction {
    const { config } = props;
    const stack = Stack.of(this);
    const fn = createPipelineFunction(this, 'Evaluator', {
      config,
      entry: 'lambdas/handlers/tenant-alarms/index.ts',
      description:
        'Evaluates per-tenant alarm rules every minute from the KPI table; sends state changes to the router.',
      memorySize: 1024,
      timeout: Duration.seconds(55),
      environment: {
        [ENV.kpiTable]: props.kpiTable.tableName,
        [ENV.alarmStateTable]: this.stateTable.tableName,
        [ENV.alarmEventSource]: source,
        [ENV.accountId]: stack.account,
      },
    });
    grantTableData(fn, props.kpiTable, props.encryptionKey, 'read');
    grantTableData(fn, this.stateTable, props.encryptionKey, 'readWrite');
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [Arn.format({ service: 'events', resource: 'event-bus', resourceName: 'default' }, stack)],
        conditions: { StringEquals: { 'events:source': source } },
      }),
    );
    return fn;
  }

  /** One schedule per shard, every minute. */
  private createSchedules(config: PipelineConfig, shards: number): events.Rule[] {
    const schedules: events.Rule[] = [];
    for (let shard = 0; shard < shards; shard++) {
      schedules.push(
        new events.Rule(this, `Schedule${shard}`, {
          description: `${config.name}: evaluate per-tenant alarms, shard ${shard + 1} of ${shards}, every minute.`,
          schedule: events.Schedule.rate(Duration.minutes(1)),
          targets: [
            new targets.LambdaFunction(this.function, {
              event: events.RuleTargetInput.fromObject({ shard, shards }),
              // The next minute's evaluation is the retry: an old one is worth nothing.
              retryAttempts: 0,
              maxEventAge: Duration.minutes(1),
            }),
          ],
        }),
      );
    }
    return schedules;
  }

  /** Per-tenant alarm state changes go to the escalation router like CloudWatch's own. */
  private routeStateChanges(props: TenantAlarmsProps, source: string): void {
    const { config } = props;
    new events.Rule(this, 'StateChangesToRouter', {
      description: `Per-tenant alarm state changes of ${config.name} -> escalation router.`,
      eventPattern: {
        source: [source],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: events.Match.prefix(`${config.name}/`) },
      },
      targets: [
        new targets.LambdaFunction(props.router, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: props.deadLetterQueue,
        }),
      ],
    });
  }
}
