import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { KpiCatalog } from '../../lambdas/core/catalog';
import type { PipelineConfig, Severity } from '../../lambdas/core/config/schema';
import { KpiAlarms } from '../constructs/alarms';
import { EscalationLadder } from '../constructs/escalation';

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
  /** Alarms by severity, for dashboards. */
  readonly alarmsBySeverity: Partial<Record<Severity, readonly cloudwatch.IAlarm[]>>;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.alarms = new KpiAlarms(this, 'Alarms', { config, catalog: props.catalog });
    this.alarmsBySeverity = this.alarms.alarmsBySeverity;
    this.escalation = new EscalationLadder(this, 'Escalation', {
      config,
      incidentsTable: props.incidentsTable,
      encryptionKey: props.encryptionKey,
    });
    new CfnOutput(this, 'AckUrl', {
      value: this.escalation.ackUrl.url,
      description: 'Acknowledgement endpoint (links in pages point here).',
    });
    new CfnOutput(this, 'LadderStateMachineArn', { value: this.escalation.stateMachine.stateMachineArn });
  }
}
