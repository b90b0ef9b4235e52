/**
 * Configuration variant: silences present, reports in a local time zone with one report off,
 * a tuned aggregator, two enterprise tenants.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { dashboards, nagErrors, type SynthesizedApp, synthesize } from './synth';

describe('silences, local time zone, one report off, tuned aggregator', () => {
  let s: SynthesizedApp;
  beforeAll(() => {
    s = synthesize({
      tenants: [
        { id: 'acme-voice', name: 'Acme', tier: 'enterprise' },
        { id: 'initech', name: 'Initech', tier: 'enterprise' },
      ],
      silences: [
        {
          id: 'maintenance',
          alarm: '*',
          tenant: 'acme-voice',
          start: '2026-12-01T00:00:00Z',
          end: '2026-12-01T04:00:00Z',
          reason: 'Planned database migration',
        },
      ],
      aggregator: { batchSize: 500, maxBatchingWindowSeconds: 2, maxRetryAttempts: 3, reservedConcurrency: 5 },
      retention: { quarantineDays: 7, logDays: 90 },
      reports: {
        timezone: 'Europe/Berlin',
        senderEmail: 'kpi@reports.example.org',
        schedules: {
          client_success: { enabled: false, cron: 'cron(0 8 ? * FRI *)' },
          system_health: { cron: 'cron(30 7 * * ? *)' },
        },
      },
    });
  });

  it('synthesizes every stack with the silences present', () => {
    expect(s.stacks.alerting).toBeDefined();
    expect(
      s.app
        .synth()
        .stacks.map((st) => st.stackName)
        .sort(),
    ).toEqual(['agent-kpi-alerting', 'agent-kpi-data', 'agent-kpi-pipeline']);
  });

  it('schedules only enabled reports, in the configured time zone and cron', () => {
    const schedules = Object.values(s.pipeline.findResources('AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(3);
    for (const sc of schedules) expect(sc.Properties.ScheduleExpressionTimezone).toBe('Europe/Berlin');
    expect(schedules.map((sc) => JSON.parse(sc.Properties.Target.Input).kind).sort()).toEqual([
      'business_performance',
      'executive_summary',
      'system_health',
    ]);
    s.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 7 * * ? *)' });
  });

  it('scopes SES to the configured sender and its domain', () => {
    const text = JSON.stringify(s.pipeline.toJSON());
    expect(text).toContain(':identity/kpi@reports.example.org');
    expect(text).toContain(':identity/reports.example.org');
  });

  it('applies the aggregator settings and reserved concurrency', () => {
    s.pipeline.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 2,
      MaximumRetryAttempts: 3,
    });
    s.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 5,
    });
  });

  it('applies quarantine and log retention', () => {
    s.data.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
    s.pipeline.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, 2);
  });

  it('offers each enterprise tenant in the tenant dashboard picker', () => {
    const names = [...dashboards(s.pipeline).keys()].filter((n) => n.includes('-tenant')).sort();
    expect(names).toEqual(['agent-kpi-tenants']);
    const body = JSON.stringify(s.pipeline.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('(acme-voice)');
    expect(body).toContain('(initech)');
  });

  it('stays cdk-nag clean', () => {
    expect([...nagErrors(s, s.stacks.data), ...nagErrors(s, s.stacks.pipeline)]).toEqual([]);
  });
});
