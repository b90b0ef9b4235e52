/**
 * `SmsDeliveryStatus`: makes lost SMS pages visible. SNS accepts a Publish to a phone number
 * before the carrier has delivered it; a sandboxed account, a spent monthly limit or a missing
 * origination identity fail afterwards, silently. This turns on SNS's SMS delivery status logs
 * (the account's `DeliveryStatusIAMRole` SMS attribute, set through the SNS API since
 * CloudFormation has no resource for it) and adds a P2 alarm on failed direct-to-phone
 * deliveries, which pages by e-mail. P1 pages also go out by e-mail (the notifier), so a lost SMS
 * never means a lost page.
 *
 * SMS attributes are account- and Region-wide: a second deployment in the same account sets the
 * same role attribute to its own role, which works just as well. Deleting the stack leaves the
 * attribute in place (removing it would stop another deployment's logs).
 */
import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { formatAlarmName } from '../../lambdas/core/alarms/naming';
import type { PipelineConfig } from '../../lambdas/core/config/schema';

/** Settings of {@link SmsDeliveryStatus}. */
export interface SmsDeliveryStatusProps {
  /** The resolved configuration (`name`). */
  readonly config: PipelineConfig;
  /**
   * Share of successful deliveries logged too, in percent (failures are always logged).
   * @default 100 (pages are few; every delivery receipt is worth keeping)
   */
  readonly successSamplingPercent?: number;
}

/** SMS delivery status logging and the alarm on failed SMS deliveries. */
export class SmsDeliveryStatus extends Construct {
  /** The role SNS writes delivery status logs with. */
  readonly role: iam.Role;
  /** P2: SMS deliveries failed. */
  readonly failureAlarm: cloudwatch.Alarm;
  /** Name of {@link failureAlarm}. */
  readonly failureAlarmName: string;

  constructor(scope: Construct, id: string, props: SmsDeliveryStatusProps) {
    super(scope, id);
    this.role = this.createLogRole();
    this.setSmsAttributes(props, this.role);
    const { alarmName, alarm } = this.createFailureAlarm(props.config);
    this.failureAlarmName = alarmName;
    this.failureAlarm = alarm;
  }

  /** The role SNS writes delivery status logs with, limited to SNS's own SMS log groups. */
  private createLogRole(): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'LogRole', {
      assumedBy: new iam.ServicePrincipal('sns.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'SNS writes SMS delivery status (success and failure receipts) to CloudWatch Logs with this role.',
    });
    // SNS names the groups itself: sns/<region>/<account>/DirectPublishToPhoneNumber[/Failure].
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:PutMetricFilter',
          'logs:PutRetentionPolicy',
        ],
        resources: [
          Arn.format(
            {
              service: 'logs',
              resource: 'log-group',
              resourceName: `sns/${stack.region}/${stack.account}/DirectPublishToPhoneNumber*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            },
            stack,
          ),
        ],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'SNS creates the delivery status log groups and streams itself under sns/<region>/<account>/DirectPublishToPhoneNumber, with and without /Failure: the prefix is as narrow as their names allow.',
        },
      ],
      true,
    );
    return role;
  }

  /** Points the account's SMS delivery status logging at the role (a custom resource: CloudFormation has none). */
  private setSmsAttributes(props: SmsDeliveryStatusProps, role: iam.Role): void {
    const stack = Stack.of(this);
    const { config } = props;
    const attributes = {
      DeliveryStatusIAMRole: role.roleArn,
      DeliveryStatusSuccessSamplingRate: String(props.successSamplingPercent ?? 100),
    };
    const call: cr.AwsSdkCall = {
      service: 'SNS',
      action: 'setSMSAttributes',
      parameters: { attributes },
      physicalResourceId: cr.PhysicalResourceId.of(`${config.name}-sms-delivery-status`),
    };
    const setter = new cr.AwsCustomResource(this, 'SetSmsAttributes', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['sns:SetSMSAttributes'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [role.roleArn] }),
      ]),
    });
    // AwsCustomResource runs one singleton function per stack, under this fixed id.
    const provider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
    if (provider !== undefined) {
      NagSuppressions.addResourceSuppressions(
        provider,
        [
          {
            id: 'AwsSolutions-IAM4',
            reason:
              'The AwsCustomResource provider (aws-cdk-lib) logs with AWSLambdaBasicExecutionRole; it runs only on deploy, to set the SMS attributes.',
            appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          },
        ],
        true,
      );
    }
    NagSuppressions.addResourceSuppressions(
      setter,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'sns:SetSMSAttributes is an account-level action with no resource ARN.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }

  /** P2 on failed direct-to-phone deliveries. */
  private createFailureAlarm(config: PipelineConfig): { alarmName: string; alarm: cloudwatch.Alarm } {
    const alarmName = formatAlarmName({
      deployment: config.name,
      severity: 'P2',
      ladder: 'technical',
      tenant: '*',
      ruleId: 'sms-delivery-failed',
    });
    const alarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmName,
      alarmDescription:
        'An SMS page was not delivered (sandbox, spend limit, origination identity, carrier). The e-mail copy of P1 pages went out; see the sns/<region>/<account>/DirectPublishToPhoneNumber/Failure log group and docs/deploy.md.',
      // SNS publishes direct-to-phone deliveries under the PhoneNumber dimension, value PhoneNumberDirect.
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SNS',
        metricName: 'NumberOfNotificationsFailed',
        dimensionsMap: { PhoneNumber: 'PhoneNumberDirect' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { alarmName, alarm };
  }
}
