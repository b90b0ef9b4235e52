import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { formatAlarmName } from '../../lambdas/core/alarms/naming';
import type { AlarmPlan } from '../../lambdas/core/alarms/rules';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import { type PipelineConfig, perTenantAlarmTenants, type Severity } from '../../lambdas/core/config/schema';
import { KpiAlarms } from '../constructs/alarms';
import { EscalationLadder } from '../constructs/escalation';
import { SmsDeliveryStatus } from '../constructs/sms-delivery-status';
import { TenantAlarms } from '../constructs/tenant-alarms';

/** Settings of the alerting stack: the configuration and the data stack's resources. */
export interface AlertingStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly catalog: KpiCatalog;
  readonly incidentsTable: dynamodb.ITable;
  readonly kpiTable: dynamodb.ITable;
  readonly encryptionKey: kms.IKey;
}

/**
 * Alarms and escalation: the CloudWatch alarms generated from the catalog, and the ladder that
 * turns their state changes into incidents and pages. Stateless (incidents live in the data stack).
 */
export class AlertingStack extends Stack {
  /** The CloudWatch alarms generated from the catalog and the configuration. */
  readonly alarms: KpiAlarms;
  /** The escalation ladder (router, state machine, notifier, acknowledgement URL). */
  readonly escalation: EscalationLadder;
  /** Per-tenant alarm evaluation (absent when no tier has `perTenantAlarms`). */
  readonly tenantAlarms?: TenantAlarms;
  /** SMS delivery status logs and the alarm on failed SMS (absent when no contact has a phone). */
  readonly smsDeliveryStatus?: SmsDeliveryStatus;
  /** Pages when a ladder execution fails or times out. */
  readonly ladderFailedAlarm: cloudwatch.Alarm;
  /** Alarms by severity, for dashboards. */
  readonly alarmsBySeverity: Partial<Record<Severity, readonly cloudwatch.IAlarm[]>>;
  /**
   * Names of the paging alarms by severity, for the pipeline stack's dashboards. Names are plain
   * strings computed from the configuration: passing them creates no CloudFormation export.
   */
  readonly alarmNamesBySeverity: Record<Severity, string[]>;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alarms = new KpiAlarms(this, 'Alarms', { config, catalog: props.catalog });
    this.alarmNamesBySeverity = alarmNamesBySeverity(this.alarms.plan);
    this.escalation = new EscalationLadder(this, 'Escalation', {
      config,
      incidentsTable: props.incidentsTable,
      encryptionKey: props.encryptionKey,
    });
    if (perTenantAlarmTenants(config).length > 0) {
      this.tenantAlarms = new TenantAlarms(this, 'TenantAlarms', {
        config,
        kpiTable: props.kpiTable,
        encryptionKey: props.encryptionKey,
        router: this.escalation.router,
        deadLetterQueue: this.escalation.deadLetterQueue,
      });
      this.alarmNamesBySeverity.P2.push(this.tenantAlarms.failureAlarmName);
    }
    if (Object.values(config.escalation.contacts).some((c) => c.phoneParameter !== undefined)) {
      this.smsDeliveryStatus = new SmsDeliveryStatus(this, 'SmsDeliveryStatus', { config });
      this.alarmNamesBySeverity.P2.push(this.smsDeliveryStatus.failureAlarmName);
    }
    // A ladder that fails may have left someone unpaged: that is itself worth a page.
    const ladderFailedName = formatAlarmName({
      deployment: config.name,
      severity: 'P2',
      ladder: 'technical',
      tenant: '*',
      ruleId: 'escalation-ladder-failed',
    });
    this.alarmNamesBySeverity.P2.push(ladderFailedName);
    this.ladderFailedAlarm = new cloudwatch.Alarm(this, 'LadderFailed', {
      alarmName: ladderFailedName,
      alarmDescription:
        'An escalation ladder execution failed or timed out: a page may not have gone out. Check the state machine executions.',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut',
        usingMetrics: {
          failed: this.escalation.stateMachine.metricFailed({ statistic: 'Sum' }),
          timedOut: this.escalation.stateMachine.metricTimedOut({ statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
      }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarmsBySeverity = {
      ...this.alarms.alarmsBySeverity,
      P2: [...(this.alarms.alarmsBySeverity.P2 ?? []), this.ladderFailedAlarm],
    };
    new CfnOutput(this, 'AckUrl', {
      value: this.escalation.ackUrl.url,
      description: 'Acknowledgement endpoint (links in pages point here).',
    });
    new CfnOutput(this, 'LadderStateMachineArn', { value: this.escalation.stateMachine.stateMachineArn });
  }
}

/** The paging alarms of a plan, by severity, in plan order. */
function alarmNamesBySeverity(plan: AlarmPlan): Record<Severity, string[]> {
  const out: Record<Severity, string[]> = { P1: [], P2: [], P3: [], P4: [] };
  for (const spec of [...plan.alarms, ...plan.composites]) {
    if (spec.role === 'page') out[spec.identity.severity].push(spec.name);
  }
  return out;
}
