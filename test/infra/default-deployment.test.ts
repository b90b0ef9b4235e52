/**
 * The deployment of the shipped configuration (config/pipeline.json): the properties that keep
 * data safe and the pipeline correct, checked on the synthesized templates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { KpiCatalog } from '../../lambdas/core/catalog';
import { REPORT_KINDS } from '../../lambdas/core/config/schema';
import { CLOUDWATCH_MAX_WIDGETS } from '../../lib/constructs/dashboards';
import {
  actionsOf,
  dashboards,
  identityStatements,
  nagErrors,
  nagSuppressions,
  type SynthesizedApp,
  synthesize,
} from './synth';

const shipped = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config', 'pipeline.json'), 'utf8'));
let s: SynthesizedApp;

beforeAll(() => {
  s = synthesize(shipped);
});

describe('data stack', () => {
  it('has termination protection and a rotating, retained customer managed key', () => {
    expect(s.stacks.data.terminationProtection).toBe(true);
    s.data.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });
  });

  it('puts events on an on-demand Kinesis stream encrypted with the key, retained 24 h', () => {
    s.data.resourceCountIs('AWS::Kinesis::Stream', 1);
    s.data.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('DataKey'), 'Arn'] } },
      ShardCount: Match.absent(),
    });
  });

  it('keeps KPIs and incidents in on-demand tables with PITR, TTL, CMK encryption and deletion protection, retained', () => {
    const tables = s.data.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(2);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      });
    }
  });

  it('quarantines into a private, TLS-only, versioned, KMS bucket expiring after retention.quarantineDays, with access logs', () => {
    s.data.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('AccessLogs') } },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
      },
    });
    // enforceSSL: every bucket denies requests without TLS.
    const policies = Object.values(s.data.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it('offers producers a managed policy allowing only PutRecord/PutRecords on the stream and a data key', () => {
    const policies = Object.values(s.data.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/Stream/), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/DataKey/), 'Arn'] },
      },
    ]);
  });
});

describe('pipeline stack', () => {
  it('runs every function on the newest Node.js runtime with tracing, its own log group and the configured log retention', () => {
    const functions = Object.values(s.pipeline.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/Logs/) });
    }
    s.pipeline.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 2);
  });

  it('runs the aggregator on arm64 with only resource names in its environment', () => {
    s.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: {
          KPI_TABLE_NAME: { 'Fn::ImportValue': Match.stringLikeRegexp('KpiTable') },
          QUARANTINE_BUCKET_NAME: { 'Fn::ImportValue': Match.stringLikeRegexp('QuarantineBucket') },
          METRICS_NAMESPACE: 'AgentKpi',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('reads the stream in order with bisection, partial batch failures, bounded retries and an encrypted failure queue', () => {
    s.pipeline.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    s.pipeline.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('Stream') },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 60,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('AggregatorFailureQueue'), 'Arn'] } },
      },
    });
    for (const queue of Object.values(s.pipeline.findResources('AWS::SQS::Queue'))) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::ImportValue': expect.stringMatching(/DataKey/) });
    }
  });

  it('grants no wildcard action anywhere, and Resource "*" only for X-Ray', () => {
    const statements = [...identityStatements(s.pipeline), ...identityStatements(s.data)];
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      if (statement.Resource === '*') {
        expect(actionsOf(statement).every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('limits the report function to reading incidents and sending as the configured SES identity', () => {
    const ses = identityStatements(s.pipeline).filter((st) => actionsOf(st).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(JSON.stringify(ses[0]!.Resource)).toContain(':identity/reports@example.com');
    const onIncidents = identityStatements(s.pipeline).filter((st) =>
      JSON.stringify(st.Resource).includes('IncidentsTable'),
    );
    expect(onIncidents.flatMap(actionsOf).filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });

  it('schedules each report in the configured time zone with retries and a dead-letter queue', () => {
    const schedules = Object.values(s.pipeline.findResources('AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(REPORT_KINDS.length);
    const inputs = schedules.map((sc) => JSON.parse(sc.Properties.Target.Input));
    expect(inputs).toEqual(
      expect.arrayContaining([
        { kind: 'system_health', period: 'day' },
        { kind: 'business_performance', period: 'day' },
        { kind: 'executive_summary', period: 'week' },
        { kind: 'client_success', period: 'week' },
      ]),
    );
    s.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 8 ? * MON *)',
      ScheduleExpressionTimezone: 'UTC',
    });
    for (const sc of schedules) {
      expect(sc.Properties.ScheduleExpressionTimezone).toBe('UTC');
      expect(sc.Properties.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 });
      expect(sc.Properties.Target.DeadLetterConfig).toEqual({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/ReportsDeadLetterQueue/), 'Arn'] },
      });
    }
  });
});

describe('dashboards', () => {
  it('builds the fleet overview from the catalog: p50/p95/p99 of every quantile KPI, fleet dimension', () => {
    const fleet = dashboards(s.pipeline).get('agent-kpi-fleet-overview');
    expect(fleet).toBeDefined();
    const quantileKpis = KpiCatalog.builtIn()
      .all()
      .filter((k) => k.aggregation === 'quantiles' && k.metric !== undefined);
    expect(quantileKpis.length).toBeGreaterThan(3);
    for (const kpi of quantileKpis) {
      const widget = fleet!.find((w) => w.properties.title?.startsWith(kpi.title));
      expect(widget).toBeDefined();
      const metrics = widget!.properties.metrics!;
      expect(metrics.map((m) => (m[m.length - 1] as { stat: string }).stat)).toEqual(['p50', 'p95', 'p99']);
      expect(metrics[0]!.slice(0, 4)).toEqual(['AgentKpi', kpi.metric!.name, 'Tenant', 'ALL']);
    }
    expect(fleet!.some((w) => w.properties.title === 'Traffic')).toBe(true);
    expect(fleet!.some((w) => w.properties.title === 'Error rates')).toBe(true);
  });

  it('shows the alerting stack and pipeline health alarms by severity on the fleet overview', () => {
    const fleet = dashboards(s.pipeline).get('agent-kpi-fleet-overview')!;
    const kpiAlarms = s.stacks.alerting?.alarmNamesBySeverity;
    const healthAlarms = s.stacks.pipeline.healthAlarms.alarmNamesBySeverity;
    expect(kpiAlarms).toBeDefined();
    for (const severity of ['P1', 'P2', 'P3', 'P4'] as const) {
      const widgets = fleet.filter((w) => w.type === 'alarm' && w.properties.title?.startsWith(`${severity} alarms`));
      expect(widgets.flatMap((w) => w.properties.alarms ?? [])).toHaveLength(
        (kpiAlarms?.[severity]?.length ?? 0) + healthAlarms[severity].length,
      );
    }
    // Named, not imported: the pipeline stack takes nothing from the alerting stack.
    expect(JSON.stringify(s.pipeline.toJSON())).not.toContain('Fn::ImportValue":"agent-kpi-alerting');
    const p2 = JSON.stringify(fleet.filter((w) => w.properties.title?.startsWith('P2 alarms')));
    expect(p2).toContain('fleet/sms-delivery-failed');
    expect(p2).toContain('fleet/tenant-alarms-failed');
  });

  it('adds a pipeline health dashboard (iterator age, throttles, quarantine, failure queues)', () => {
    const health = dashboards(s.pipeline).get('agent-kpi-pipeline-health')!;
    const text = JSON.stringify(health);
    for (const metric of [
      'IteratorAge',
      'Throttles',
      'WriteProvisionedThroughputExceeded',
      'NumberOfObjects',
      'ApproximateNumberOfMessagesVisible',
      'Duration',
      'ConcurrentExecutions',
    ]) {
      expect(text).toContain(`"${metric}"`);
    }
  });

  it('gives the enterprise tenant a place in the one tenant dashboard, on its own dimension', () => {
    const names = [...dashboards(s.pipeline).keys()].filter((n) => n.includes('-tenant'));
    expect(names).toEqual(['agent-kpi-tenants']);
    const tenant = JSON.stringify(dashboards(s.pipeline).get('agent-kpi-tenants'));
    expect(tenant).toContain('"Tenant","acme-voice"');
    expect(tenant).not.toContain('"Tenant","ALL"');
  });

  it('keeps every dashboard within the widget limit', () => {
    for (const widgets of dashboards(s.pipeline).values()) {
      expect(widgets.length).toBeLessThanOrEqual(CLOUDWATCH_MAX_WIDGETS);
    }
  });
});

describe('pipeline health alarms', () => {
  it('pages through the alarm convention when the pipeline itself fails, and never on deploy', () => {
    const alarms = s.pipeline.findResources('AWS::CloudWatch::Alarm');
    const byName = new Map(
      Object.values(alarms).map((a) => [a.Properties.AlarmName as string, a.Properties as Record<string, unknown>]),
    );
    const expectAlarm = (name: string, metricName: string, threshold: number) => {
      const props = byName.get(name);
      expect(props).toBeDefined();
      expect(props).toMatchObject({
        MetricName: metricName,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    };
    // 24 h retention: a quarter is 6 h, capped at 15 minutes.
    expectAlarm('agent-kpi/P1/technical/fleet/pipeline-iterator-age', 'IteratorAge', 15 * 60_000);
    expectAlarm('agent-kpi/P1/technical/fleet/pipeline-batches-given-up', 'ApproximateNumberOfMessagesVisible', 0);
    expectAlarm('agent-kpi/P2/technical/fleet/pipeline-aggregator-errors', 'Errors', 0);
    expectAlarm('agent-kpi/P3/technical/fleet/pipeline-reports-failed', 'ApproximateNumberOfMessagesVisible', 0);
  });

  it('pages at P2 when an escalation ladder execution fails or times out', () => {
    const alerting = Template.fromStack(s.stacks.alerting!);
    alerting.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'agent-kpi/P2/technical/fleet/escalation-ladder-failed',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'failed + timedOut' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed' }) }),
        }),
        Match.objectLike({
          Id: 'timedOut',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }),
        }),
      ]),
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed error on the data and pipeline stacks', () => {
    expect(nagErrors(s, s.stacks.data)).toEqual([]);
    expect(nagErrors(s, s.stacks.pipeline)).toEqual([]);
  });

  it('gives every suppression a written reason', () => {
    const suppressions = [...nagSuppressions(s.data), ...nagSuppressions(s.pipeline)];
    expect(suppressions.length).toBeGreaterThan(0);
    for (const suppression of suppressions) expect(suppression.reason.length).toBeGreaterThanOrEqual(30);
  });
});
