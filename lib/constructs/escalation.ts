import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ackSigningSecretName, type PipelineConfig } from '../../lambdas/core/config/schema';
import { ENV } from '../../lambdas/handlers/composition/env';
import { grantTableData } from './kpi-store';
import { createPipelineFunction, logRetentionFor } from './pipeline-function';

/** Names of the state machine's states (tests override the wait and the tasks by these names). */
export const LADDER_STATES = {
  page: 'PageLevel',
  route: 'NextStep',
  wait: 'AwaitAcknowledgement',
  check: 'CheckAcknowledgement',
  resolve: 'NotifyResolution',
  resolved: 'Resolved',
  stopped: 'Stopped',
} as const;

/** Settings of the escalation ladder. */
export interface EscalationLadderProps {
  /** The resolved configuration: `escalation.*` (ladders, contacts, channels) and `name` (alarm prefix). */
  readonly config: PipelineConfig;
  /** Incidents and redeemed acknowledgement nonces. */
  readonly incidentsTable: dynamodb.ITable;
  /** The data key of the incidents table. */
  readonly encryptionKey: kms.IKey;
  /**
   * Longest single wait between acknowledgement checks: an acknowledgement stops the paging at
   * once, and a resolution is announced within this long.
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;
  /**
   * A ladder still running after this long is stopped (an incident nobody acknowledges or resolves).
   * Kept under 24.8 days so local ASL interpreters, whose timers are 32-bit, run the same definition.
   * @default Duration.days(14)
   */
  readonly maxLadderDuration?: Duration;
}

/**
 * The escalation ladder: the alarm router, the Step Functions state machine that pages level
 * after level, the notifier it runs, and the acknowledgement function URL.
 *
 * Why a poll loop and not `.waitForTaskToken`: the machine is `PageLevel -> AwaitAcknowledgement
 * (Wait) -> CheckAcknowledgement -> NextStep (Choice)`, where each wait is the rest of the
 * level's window capped at `pollInterval`. A task token would end the wait the moment someone
 * acknowledges, but acknowledgement already stops all further pages at once (the notifier reads
 * the incident before every page) and the only thing that waits is the resolution notice, at
 * most one poll. In exchange, the ladder has no token to lose (a page whose token was not stored
 * cannot be acknowledged), the acknowledgement handler needs no Step Functions permission, resolution
 * and acknowledgement share one path (the incident's state), and the whole definition runs
 * unchanged in a local ASL interpreter, which has no task tokens. The cost is one check per poll
 * interval: about 4 state transitions a minute while an incident is open.
 */
export class EscalationLadder extends Construct {
  /** The ladder state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** Alarm state changes -> incidents -> ladders. */
  readonly router: NodejsFunction;
  /** The state machine's task: pages, checks, resolution notices. */
  readonly notifier: NodejsFunction;
  /** The acknowledgement function. */
  readonly ackFunction: NodejsFunction;
  /** Its URL; acknowledgement links point here. */
  readonly ackUrl: lambda.FunctionUrl;
  /** The HMAC key signing acknowledgement links (generated, never leaves Secrets Manager and the two functions). */
  readonly signingKey: secretsmanager.Secret;
  /** The EventBridge rule on this deployment's alarm state changes. */
  readonly rule: events.Rule;
  /** Alarm events the router still failed on after every retry. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EscalationLadderProps) {
    super(scope, id);
    const { config } = props;
    const pollInterval = props.pollInterval ?? Duration.minutes(1);

    this.signingKey = this.createSigningKey(config);
    // Acknowledgement: a function URL without IAM auth, because the signed token is the auth.
    this.ackFunction = this.createAckFunction(props);
    this.ackUrl = this.ackFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    NagSuppressions.addResourceSuppressions(this.ackUrl, [
      {
        id: 'LambdaFunctionUrlAuth',
        reason:
          'Auth NONE on purpose: the people acknowledging have no AWS identity; the HMAC-signed, expiring, single-use token in the link is the authentication, checked before anything is read or written.',
      },
    ]);
    grantTableData(this.ackFunction, props.incidentsTable, props.encryptionKey, 'readWrite');
    this.signingKey.grantRead(this.ackFunction);

    this.notifier = this.createNotifier(props, pollInterval);
    this.stateMachine = this.buildStateMachine(config, props.maxLadderDuration ?? Duration.days(14));
    this.router = this.createRouter(props);
    const putMetrics = new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': config.metricsNamespace } },
    });
    this.router.addToRolePolicy(putMetrics);
    this.ackFunction.addToRolePolicy(putMetrics);
    // The ladder resolves incidents after their quiet period, and publishes TimeToResolve then.
    this.notifier.addToRolePolicy(putMetrics);

    this.deadLetterQueue = new sqs.Queue(this, 'RouterDeadLetterQueue', {
      // SSE-SQS: EventBridge can write to it without a KMS key policy naming the rule.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rule = this.createAlarmRule(config, this.router, this.deadLetterQueue);
    this.suppressNagFindings();
  }

  private createSigningKey(config: PipelineConfig): secretsmanager.Secret {
    const signingKey = new secretsmanager.Secret(this, 'AckSigningKey', {
      secretName: ackSigningSecretName(config),
      description: `HMAC-SHA256 key signing the acknowledgement links of ${config.name} pages.`,
      // The AWS managed key: the data key lives in the data stack, whose key policy cannot name
      // this stack's roles without a cross-stack cycle.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    NagSuppressions.addResourceSuppressions(signingKey, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotating the ack signing key only invalidates outstanding links (they expire within ackLinkTtlMinutes anyway); rotate by updating the secret.',
      },
    ]);
    return signingKey;
  }

  private createAckFunction(props: EscalationLadderProps): NodejsFunction {
    return createPipelineFunction(this, 'AckFunction', {
      config: props.config,
      entry: 'lambdas/handlers/ack/index.ts',
      description: 'Acknowledges incidents from the signed, single-use links in pages.',
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: {
        [ENV.incidentsTable]: props.incidentsTable.tableName,
        [ENV.ackKeySecretArn]: this.signingKey.secretArn,
      },
    });
  }

  /** The notifier with its paging permissions: SES from the sender, SMS, phone parameters, webhook secrets. */
  private createNotifier(props: EscalationLadderProps, pollInterval: Duration): NodejsFunction {
    const { config, incidentsTable, encryptionKey } = props;
    const notifier = createPipelineFunction(this, 'Notifier', {
      config,
      entry: 'lambdas/handlers/notifier/index.ts',
      description: 'Pages a ladder level (SMS, e-mail, chat with e-mail fallback) and checks for acknowledgement.',
      memorySize: 256,
      // Three attempts per channel with backoff, then the e-mail fallback, for every contact of a level.
      timeout: Duration.seconds(60),
      environment: {
        [ENV.incidentsTable]: incidentsTable.tableName,
        [ENV.ackKeySecretArn]: this.signingKey.secretArn,
        [ENV.ackUrl]: this.ackUrl.url,
        [ENV.ackPollSeconds]: String(pollInterval.toSeconds()),
      },
    });
    grantTableData(notifier, incidentsTable, encryptionKey, 'readWrite');
    this.signingKey.grantRead(notifier);
    const stack = Stack.of(this);
    const senderDomain = config.escalation.senderEmail.slice(config.escalation.senderEmail.indexOf('@') + 1);
    notifier.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [config.escalation.senderEmail, senderDomain].map((identity) =>
          Arn.format({ service: 'ses', resource: 'identity', resourceName: identity }, stack),
        ),
        conditions: { StringEquals: { 'ses:FromAddress': config.escalation.senderEmail } },
      }),
    );
    // SMS to a phone number has no resource ARN, so sns:Publish cannot be narrowed further.
    notifier.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
    this.grantContactSecrets(notifier, config);
    return notifier;
  }

  /** Read access to the contacts' phone parameters and chat webhook secrets. */
  private grantContactSecrets(notifier: NodejsFunction, config: PipelineConfig): void {
    const stack = Stack.of(this);
    const phoneParameters = [
      ...new Set(Object.values(config.escalation.contacts).flatMap((c) => c.phoneParameter ?? [])),
    ];
    const webhookSecrets = [
      ...new Set(Object.values(config.escalation.contacts).flatMap((c) => c.chatWebhookSecret ?? [])),
    ];
    if (phoneParameters.length > 0) {
      notifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: phoneParameters.map((name) =>
            Arn.format({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') }, stack),
          ),
        }),
      );
      // SecureString parameters under the AWS managed key: decrypt through SSM only.
      notifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [Arn.format({ service: 'kms', resource: 'key', resourceName: '*' }, stack)],
          conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` } },
        }),
      );
    }
    if (webhookSecrets.length > 0) {
      notifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          // Secrets Manager appends 6 random characters to a secret's name in its ARN.
          resources: webhookSecrets.map((name) =>
            Arn.format(
              {
                service: 'secretsmanager',
                resource: 'secret',
                resourceName: `${name}-??????`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              stack,
            ),
          ),
        }),
      );
    }
  }

  private createRouter(props: EscalationLadderProps): NodejsFunction {
    const router = createPipelineFunction(this, 'Router', {
      config: props.config,
      entry: 'lambdas/handlers/alarm-router/index.ts',
      description: 'Opens, updates and resolves incidents on alarm state changes; starts one ladder per episode.',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        [ENV.incidentsTable]: props.incidentsTable.tableName,
        [ENV.stateMachineArn]: this.stateMachine.stateMachineArn,
      },
    });
    grantTableData(router, props.incidentsTable, props.encryptionKey, 'readWrite');
    router.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );
    return router;
  }

  private createAlarmRule(config: PipelineConfig, router: NodejsFunction, deadLetterQueue: sqs.Queue): events.Rule {
    return new events.Rule(this, 'AlarmStateChanges', {
      description: `CloudWatch alarm state changes of ${config.name} alarms -> escalation router.`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: events.Match.prefix(`${config.name}/`) },
      },
      targets: [
        new targets.LambdaFunction(router, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue,
        }),
      ],
    });
  }

  private suppressNagFindings(): void {
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the alarm rule target.' },
    ]);
    NagSuppressions.addResourceSuppressions(
      this.notifier.role!,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'sns:Publish to a phone number has no resource ARN; kms:Decrypt of SSM SecureStrings (AWS managed key, whose id is not known at synth) is limited by kms:ViaService; webhook secret ARNs end in a random suffix.',
          appliesTo: [
            'Resource::*',
            { regex: '/^Resource::arn:<AWS::Partition>:kms:.+:key\\/\\*$/g' },
            { regex: '/^Resource::arn:<AWS::Partition>:secretsmanager:.*-\\?\\?\\?\\?\\?\\?$/g' },
          ],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Added by CDK: X-Ray and CloudWatch Logs delivery actions have no resource ARN; invoking the notifier includes its versions (`<arn>:*`).',
          appliesTo: ['Resource::*', { regex: '/^Resource::<.*Notifier.*\\.Arn>:\\*$/g' }],
        },
      ],
      true,
    );
    for (const fn of [this.router, this.ackFunction]) {
      NagSuppressions.addResourceSuppressions(
        fn,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'cloudwatch:PutMetricData has no resource ARN; it is limited to the pipeline namespace by condition.',
            appliesTo: ['Resource::*'],
          },
        ],
        true,
      );
    }
  }

  private buildStateMachine(config: PipelineConfig, timeout: Duration): sfn.StateMachine {
    const retry = (task: tasks.LambdaInvoke): tasks.LambdaInvoke => {
      // The notifier never fails on a channel; this covers the incidents table or a cold start failing.
      task.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 4 });
      return task;
    };
    const invoke = (id: string, action: string, extra: Record<string, string>): tasks.LambdaInvoke =>
      retry(
        new tasks.LambdaInvoke(this, id, {
          lambdaFunction: this.notifier,
          payload: sfn.TaskInput.fromObject({
            action,
            'incidentId.$': '$.incidentId',
            'level.$': '$.level',
            // The severity this run pages at; a raise starts another run and this one stops.
            'severity.$': '$.severity',
            ...extra,
          }),
          // The notifier's answer is the next LadderStep, the whole state.
          payloadResponseOnly: true,
          retryOnServiceExceptions: true,
        }),
      );

    const page = invoke(LADDER_STATES.page, 'page', {});
    const wait = new sfn.Wait(this, LADDER_STATES.wait, { time: sfn.WaitTime.secondsPath('$.waitSeconds') });
    const check = invoke(LADDER_STATES.check, 'check', { 'deadlineMs.$': '$.deadlineMs' });
    const resolve = invoke(LADDER_STATES.resolve, 'resolve', {});
    const resolved = new sfn.Succeed(this, LADDER_STATES.resolved, { comment: 'Resolved; everyone paged was told.' });
    const stopped = new sfn.Succeed(this, LADDER_STATES.stopped, { comment: 'Acknowledged or silenced.' });
    const route = new sfn.Choice(this, LADDER_STATES.route)
      .when(sfn.Condition.stringEquals('$.next', 'page'), page)
      .when(sfn.Condition.stringEquals('$.next', 'wait'), wait)
      .when(sfn.Condition.stringEquals('$.next', 'resolved'), resolve)
      .otherwise(stopped);
    page.next(route);
    wait.next(check);
    check.next(route);
    resolve.next(resolved);

    const logGroup = new logs.LogGroup(this, 'LadderLogs', {
      retention: logRetentionFor(config.retention.logDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new sfn.StateMachine(this, 'Ladder', {
      comment: `${config.name} escalation ladder: page a level, wait its window (checking every poll), climb; stop on acknowledgement; tell everyone on resolution.`,
      definitionBody: sfn.DefinitionBody.fromChainable(page),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
  }
}
