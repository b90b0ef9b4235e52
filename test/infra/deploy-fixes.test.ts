/**
 * What a first deploy into a fresh account needs: no reserved concurrency unless asked, SMS
 * delivery failures logged and alarmed, per-tenant alarm state changes wired to the router with
 * least privilege, and the acknowledgement secret named after the deployment.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { PipelineConfigInput } from '../../lambdas/core/config/schema';
import { synthesizeFast } from '../support/stack-figures';
import { tenantFleetConfig } from '../support/tenant-fleet';

function templates(input: PipelineConfigInput): { alerting: Template; pipeline: Template } {
  const assembly = synthesizeFast(input);
  const of = (name: string) => Template.fromJSON(assembly.getStackByName(name).template as Record<string, unknown>);
  return { alerting: of(`${input.name}-alerting`), pipeline: of(`${input.name}-pipeline`) };
}

const base = templates(tenantFleetConfig(3));

describe('report function concurrency', () => {
  it('reserves none by default, so accounts with a concurrency quota of 10 can deploy', () => {
    const fns = base.pipeline.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(fns)) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('reserves what reports.reservedConcurrency says', () => {
    const t = templates(tenantFleetConfig(3, { reports: { reservedConcurrency: 2 } }));
    t.pipeline.resourcePropertiesCountIs('AWS::Lambda::Function', { ReservedConcurrentExecutions: 2 }, 1);
  });
});

describe('SMS delivery status', () => {
  it('lets SNS log delivery receipts with a role limited to its SMS log groups, set as the account SMS attribute', () => {
    base.alerting.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'sns.amazonaws.com' } })],
      }),
    });
    const custom = Object.values(base.alerting.findResources('Custom::AWS'));
    expect(custom).toHaveLength(1);
    const create = JSON.stringify(custom[0]!.Properties.Create);
    expect(create).toContain('setSMSAttributes');
    expect(create).toContain('DeliveryStatusIAMRole');
    const logs = JSON.stringify(base.alerting.findResources('AWS::IAM::Policy'));
    expect(logs).toContain('DirectPublishToPhoneNumber*');
  });

  it('pages at P2 when an SMS is not delivered', () => {
    base.alerting.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'agent-kpi/P2/technical/fleet/sms-delivery-failed',
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [{ Name: 'PhoneNumber', Value: 'PhoneNumberDirect' }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it('is left out when no contact has a phone', () => {
    const t = templates(
      tenantFleetConfig(3, {
        escalation: {
          contacts: { oncall: { name: 'On call', email: 'oncall@acme.io' }, chat: { name: 'c', email: 'c@acme.io' } },
          ladders: {
            technical: [{ name: 'L1', contacts: ['oncall'], ackWindowMinutes: 15 }],
            business: [{ name: 'L1', contacts: ['oncall'], ackWindowMinutes: 15 }],
          },
        },
      }),
    );
    expect(Object.keys(t.alerting.findResources('Custom::AWS'))).toEqual([]);
  });
});

describe('per-tenant alarm wiring', () => {
  it('may put events with its own source on the default bus only', () => {
    const statements = Object.values(base.alerting.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[],
    );
    const put = statements.filter((s) => s.Action === 'events:PutEvents');
    expect(put).toHaveLength(1);
    expect(put[0]!.Condition).toEqual({ StringEquals: { 'events:source': 'agent-kpi.tenant-alarms' } });
    expect(JSON.stringify(put[0])).toContain(':event-bus/default');
  });

  it('routes its state changes to the alarm router with retries and the dead-letter queue', () => {
    base.alerting.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['agent-kpi.tenant-alarms'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'agent-kpi/' }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EscalationRouter'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        }),
      ],
    });
  });

  it('is left out when no tier has per-tenant alarms', () => {
    const t = templates(tenantFleetConfig(3, { tiers: { standard: {}, enterprise: { perTenantDashboard: true } } }));
    t.alerting.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' }, 0);
  });
});

describe('acknowledgement signing secret', () => {
  it('is named after the deployment, so two deployments share an account', () => {
    const t = templates(tenantFleetConfig(1, { name: 'second' }));
    t.alerting.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'second/ack-signing-key' });
  });
});
