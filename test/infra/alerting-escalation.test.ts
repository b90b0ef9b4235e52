import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../../lambdas/core/config/schema';
import { LADDER_STATES } from '../../lib/constructs/escalation';
import { type SynthesizedLadder, synthesizeLadder } from '../support/ladder-definition';

const config = parseConfig({
  name: 'acme',
  escalation: {
    contacts: {
      oncall: { name: 'On-call', email: 'oncall@example.com', phoneParameter: '/acme/oncall/phone' },
      techlead: { name: 'Tech lead', email: 'techlead@example.com' },
      engmanager: { name: 'Eng manager', email: 'engmanager@example.com' },
      cto: { name: 'CTO', email: 'cto@example.com' },
      teamlead: { name: 'Team lead', email: 'teamlead@example.com' },
      depthead: { name: 'Dept head', email: 'depthead@example.com' },
      vp: { name: 'VP', email: 'vp@example.com' },
      clevel: { name: 'C-level', email: 'clevel@example.com' },
      chat: { name: 'Alerts channel', chatWebhookSecret: 'acme/chat' },
    },
  },
});

/** asl-validator ships no type declarations; this is its documented call shape. */
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

let ladder: SynthesizedLadder;

beforeAll(() => {
  ladder = synthesizeLadder(config, (stack) => Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true })));
});

/** Every statement of the policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(rolePrefix: string): Statement[] {
  const policies = ladder.template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) =>
      (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref.startsWith(`Escalation${rolePrefix}`)),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function actionsOf(rolePrefix: string): string[] {
  return statementsOf(rolePrefix).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe('escalation infrastructure', () => {
  it("routes only this deployment's alarm state changes to the router, with retries and a dead-letter queue", () => {
    ladder.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'acme/' }] },
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

  it('exposes acknowledgement as a function URL whose only auth is the signed token', () => {
    ladder.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EscalationAckFunction'), 'Arn'] },
    });
    ladder.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      // Named after the deployment, so a second deployment in the account does not collide.
      Name: 'acme/ack-signing-key',
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });

  it('runs a standard state machine with full logging and tracing, whose definition passes asl-validator', () => {
    ladder.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    const { isValid, errors } = aslValidator(ladder.definition);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('waits for acknowledgement by the step the notifier computed, and loops page -> wait -> check', () => {
    const states = ladder.definition.States as Record<string, Record<string, unknown>>;
    expect(ladder.definition.StartAt).toBe(LADDER_STATES.page);
    expect(states[LADDER_STATES.wait]).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.waitSeconds',
      Next: LADDER_STATES.check,
    });
    expect(states[LADDER_STATES.page]?.Next).toBe(LADDER_STATES.route);
    expect(states[LADDER_STATES.check]?.Next).toBe(LADDER_STATES.route);
    const choices = (states[LADDER_STATES.route]!.Choices as Array<{ StringEquals: string; Next: string }>).map((c) => [
      c.StringEquals,
      c.Next,
    ]);
    expect(choices).toEqual([
      ['page', LADDER_STATES.page],
      ['wait', LADDER_STATES.wait],
      ['resolved', LADDER_STATES.resolve],
    ]);
    expect(states[LADDER_STATES.route]?.Default).toBe(LADDER_STATES.stopped);
  });

  it('grants least privilege: router starts the ladder, notifier pages, acknowledgement touches only incidents', () => {
    const router = actionsOf('RouterRole');
    const notifier = actionsOf('NotifierRole');
    const ack = actionsOf('AckFunctionRole');
    expect(router).toContain('states:StartExecution');
    for (const actions of [notifier, ack]) expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
    for (const actions of [router, ack]) {
      expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('ses:') || a.startsWith('ssm:'))).toEqual([]);
    }
    for (const actions of [router, notifier, ack]) {
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions.some((a) => a.endsWith(':*') || a === '*')).toBe(false);
    }
    const start = statementsOf('RouterRole').find((s) => s.Action === 'states:StartExecution');
    expect(start?.Resource).toEqual({ Ref: expect.stringMatching(/^EscalationLadder[0-9A-F]{8}$/) });
    const ses = statementsOf('NotifierRole').find((s) => s.Action === 'ses:SendEmail');
    expect(ses?.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'alerts@example.com' } });
    const metrics = statementsOf('RouterRole').find((s) => s.Action === 'cloudwatch:PutMetricData');
    expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'AgentKpi' } });
    const ssm = statementsOf('NotifierRole').find((s) => s.Action === 'ssm:GetParameter');
    expect(JSON.stringify(ssm?.Resource)).toContain('parameter/acme/oncall/phone');
  });

  it('passes the cdk-nag AwsSolutions checks (suppressions carry their reasons)', () => {
    const errors = Annotations.fromStack(ladder.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data).slice(0, 120)}`)).toEqual([]);
  });
});
