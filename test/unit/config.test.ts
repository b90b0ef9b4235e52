import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  activeSilence,
  ConfigError,
  parseConfig,
  perTenantAlarmTenants,
  perTenantDashboardTenants,
} from '../../lambdas/core/config/schema';
import { loadConfigFile } from '../../lib/config/load';

function issuesOf(input: unknown): Array<{ key: string; rule: string }> {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('fills every default of the operations spec into an empty document', () => {
    const config = parseConfig({});
    expect(config.escalation.ladders.technical.map((l) => l.ackWindowMinutes)).toEqual([15, 15, 30, 60]);
    expect(config.escalation.ladders.business.map((l) => l.ackWindowMinutes)).toEqual([30, 90, 120, 240]);
    expect(config.escalation.severities.P1).toEqual({ channel: 'sms', climb: true, alsoChannels: ['email'] });
    expect(config.escalation.severities.P2).toEqual({ channel: 'email', climb: true, alsoChannels: [] });
    expect(config.escalation.severities.P3.channel).toBe('chat');
    expect(config.alarms.burnRates).toEqual([
      { severity: 'P1', factor: 14.4, longWindowMinutes: 60, shortWindowMinutes: 5 },
      { severity: 'P1', factor: 6, longWindowMinutes: 360, shortWindowMinutes: 30 },
      { severity: 'P2', factor: 3, longWindowMinutes: 1440, shortWindowMinutes: 120 },
      { severity: 'P4', factor: 1, longWindowMinutes: 4320, shortWindowMinutes: 360 },
    ]);
    expect(config.reports.schedules.system_health.cron).toBe('cron(0 8 * * ? *)');
    expect(config.reports.schedules.business_performance.cron).toBe('cron(0 9 * * ? *)');
    expect(config.reports.schedules.executive_summary.cron).toBe('cron(0 8 ? * MON *)');
    expect(config.reports.schedules.client_success.cron).toBe('cron(0 8 ? * FRI *)');
    expect(config.retention).toMatchObject({ minuteDays: 14, hourDays: 400, dayDays: 1825 });
    expect(config.healthScore.weights).toEqual({
      usage: 25,
      performance: 25,
      support: 20,
      growth: 15,
      satisfaction: 15,
    });
    expect(config.healthScore.bands).toEqual({ green: 80, yellow: 60 });
    expect(config.aggregator.parallelizationFactor).toBe(1);
  });

  it('names the key and the rule of every mistake at once', () => {
    const issues = issuesOf({
      tenants: [{ id: 'Bad#Tenant', name: 'x', tier: 'gold' }],
      stream: { mode: 'provisioned' },
      healthScore: { weights: { usage: 50 } },
      aggregator: { parallelizationFactor: 4 },
    });
    const keys = issues.map((i) => i.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'tenants.0.id',
        'stream.shardCount',
        'healthScore.weights',
        'aggregator.parallelizationFactor',
      ]),
    );
    expect(issues.find((i) => i.key === 'stream.shardCount')?.rule).toMatch(/required when mode is "provisioned"/);
    expect(issues.find((i) => i.key === 'healthScore.weights')?.rule).toMatch(/add up to 100/);
  });

  it('rejects unknown keys so a typo never silently falls back to a default', () => {
    const issues = issuesOf({ retention: { minuteDay: 3 } });
    expect(issues).toEqual([{ key: 'retention', rule: 'unknown key(s) minuteDay' }]);
  });

  it('refuses unknown KPIs, unknown statistics and unknown keys in reports.targets', () => {
    expect(issuesOf({ reports: { targets: { availabilty: { min: 0.999 } } } })).toEqual([
      {
        key: 'reports.targets.availabilty',
        rule: 'names KPI "availabilty", which is neither a built-in KPI (README, KPI catalog) nor in customKpis',
      },
    ]);
    expect(issuesOf({ reports: { targets: { api_latency: { max: 500, statistic: 'p59' } } } })).toEqual([
      { key: 'reports.targets.api_latency.statistic', rule: 'must be one of value, p50, p95, p99' },
    ]);
    expect(issuesOf({ reports: { targets: { csat: { min: 4, statistic: 'p95' } } } })).toEqual([
      { key: 'reports.targets.csat.statistic', rule: 'must be "value": csat is a mean KPI, it has no p95' },
    ]);
    expect(issuesOf({ reports: { targets: { csat: { minimum: 4 } } } })).toEqual([
      { key: 'reports.targets.csat', rule: 'unknown key(s) minimum' },
      { key: 'reports.targets.csat', rule: 'needs min or max (or both)' },
    ]);
  });

  it('accepts report targets on custom KPIs and quantiles of quantile KPIs', () => {
    const config = parseConfig({
      customKpis: [{ name: 'booking_delay', eventType: 'custom.booking', aggregation: 'quantiles', field: 'ms' }],
      reports: { targets: { booking_delay: { max: 900, statistic: 'p99' }, response_latency: { max: 3000 } } },
    });
    expect(config.reports.targets.booking_delay).toEqual({ max: 900, statistic: 'p99' });
  });

  it('checks cross references: tiers, contacts and silenced tenants', () => {
    const issues = issuesOf({
      tenants: [{ id: 'acme', name: 'Acme', tier: 'platinum' }],
      escalation: { ladders: { technical: [{ name: 'L1', contacts: ['nobody'], ackWindowMinutes: 5 }] } },
      silences: [
        { id: 's1', tenant: 'ghost', start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z', reason: 'x' },
      ],
    });
    expect(issues.map((i) => i.key)).toEqual(
      expect.arrayContaining(['tenants.0.tier', 'escalation.ladders.technical.0.contacts.0', 'silences.0.tenant']),
    );
  });

  it('refuses a silence that ends before it starts or silences nothing', () => {
    const issues = issuesOf({
      silences: [{ id: 's', start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z', reason: 'maintenance' }],
    });
    expect(issues.map((i) => i.key)).toEqual(expect.arrayContaining(['silences.0.alarm', 'silences.0.end']));
  });

  it('finds the active silence for a rule and tenant only inside its window', () => {
    const config = parseConfig({
      tenants: [{ id: 'acme', name: 'Acme', tier: 'standard' }],
      silences: [
        { id: 'deploy', tenant: 'acme', start: '2026-11-22T10:00:00Z', end: '2026-11-22T11:00:00Z', reason: 'deploy' },
      ],
    });
    const inside = Date.parse('2026-11-22T10:30:00Z');
    expect(activeSilence(config, 'response_latency-p1', 'acme', inside)?.id).toBe('deploy');
    expect(activeSilence(config, 'response_latency-p1', 'other', inside)).toBeUndefined();
    expect(activeSilence(config, 'response_latency-p1', 'acme', Date.parse('2026-11-22T11:00:00Z'))).toBeUndefined();
  });

  it('lists per-tenant alarm and dashboard tenants from their tiers', () => {
    const config = parseConfig({
      tenants: [
        { id: 'big', name: 'Big', tier: 'enterprise' },
        { id: 'small', name: 'Small', tier: 'standard' },
      ],
    });
    expect(perTenantAlarmTenants(config)).toEqual(['big']);
    expect(perTenantDashboardTenants(config)).toEqual(['big']);
  });

  it('loads the shipped configuration file and explains a broken one', () => {
    expect(loadConfigFile('config/pipeline.json').tenants.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "tenants": [ ');
    expect(() => loadConfigFile(broken)).toThrow(/is not valid JSON/);
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/cannot read the file \(ENOENT\)/);
  });
});
