/**
 * Configuration variant: every tenant on a tier without per-tenant extras, and a provisioned stream.
 */
import { dashboards, nagErrors, type SynthesizedApp, synthesize } from './synth';

describe('standard tiers only, provisioned stream', () => {
  let s: SynthesizedApp;
  beforeAll(() => {
    s = synthesize({
      name: 'kpi-prov',
      tiers: { standard: { perTenantAlarms: false, perTenantDashboard: false } },
      tenants: [
        { id: 'acme-voice', name: 'Acme', tier: 'standard' },
        { id: 'globex', name: 'Globex', tier: 'standard' },
      ],
      stream: { mode: 'provisioned', shardCount: 4, retentionHours: 168 },
    });
  });

  it('provisions the configured shards and retention', () => {
    s.data.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 4,
      RetentionPeriodHours: 168,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
  });

  it('creates no per-tenant dashboard, only the fleet overview and pipeline health', () => {
    expect([...dashboards(s.pipeline).keys()].sort()).toEqual(['kpi-prov-fleet-overview', 'kpi-prov-pipeline-health']);
  });

  it('names the stacks after the deployment', () => {
    expect([s.stacks.data.stackName, s.stacks.pipeline.stackName]).toEqual(['kpi-prov-data', 'kpi-prov-pipeline']);
  });

  it('stays cdk-nag clean', () => {
    expect([...nagErrors(s, s.stacks.data), ...nagErrors(s, s.stacks.pipeline)]).toEqual([]);
  });
});
