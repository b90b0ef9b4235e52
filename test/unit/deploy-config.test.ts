/**
 * Deployment settings that used to fail only during a deploy, or deploy something useless:
 * time zones and crons, example addresses, the acknowledgement secret's name, reserved
 * concurrency, per-tenant metrics, and composite rules chunked by rendered length.
 */
import { chunkRuleChildren, worstCaseRuleLength } from '../../lambdas/core/alarms/rule-length';
import { assertDeliverableAddresses, exampleAddressKeys } from '../../lambdas/core/config/example-addresses';
import { cronProblem, isIanaTimeZone } from '../../lambdas/core/config/schedule-rules';
import {
  ackSigningSecretName,
  ConfigError,
  parseConfig,
  perTenantMetricTenants,
} from '../../lambdas/core/config/schema';

describe('reports.timezone', () => {
  it('accepts IANA names and refuses typos, naming the key', () => {
    expect(isIanaTimeZone('Europe/Berlin')).toBe(true);
    expect(isIanaTimeZone('UTC')).toBe(true);
    expect(() => parseConfig({ reports: { timezone: 'Europe/Berln' } })).toThrow(
      /reports\.timezone: must be an IANA time zone name/,
    );
    expect(() => parseConfig({ reports: { timezone: 'CEST' } })).toThrow(/reports\.timezone/);
  });
});

describe('report crons, field by field', () => {
  it.each([
    'cron(0 8 * * ? *)',
    'cron(0 8 ? * MON *)',
    'cron(0/15 8-17 ? * MON-FRI *)',
    'cron(30 6 L * ? 2027)',
    'cron(0 9 ? * 2#1 *)',
  ])('accepts %s', (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });

  it.each([
    ['cron(0 8 * *)', /6 fields/],
    ['cron(60 8 * * ? *)', /minutes field "60": values must be 0-59/],
    ['cron(0 24 * * ? *)', /hours field "24"/],
    ['cron(0 8 32 * ? *)', /day-of-month field "32"/],
    ['cron(0 8 ? 13 MON *)', /month field "13"/],
    ['cron(0 8 ? * MOX *)', /day-of-week field "MOX"/],
    ['cron(0 8 * * MON *)', /exactly one of day-of-month/],
    ['cron(? 8 * * ? *)', /minutes field "\?" is only allowed/],
    ['0 8 * * ? *', /EventBridge cron expression/],
  ])('refuses %s', (cron, why) => {
    expect(cronProblem(cron)).toMatch(why);
  });

  it('names the schedule key in the configuration error', () => {
    expect(() => parseConfig({ reports: { schedules: { system_health: { cron: 'cron(0 25 * * ? *)' } } } })).toThrow(
      /reports\.schedules\.system_health\.cron: hours field "25"/,
    );
  });
});

describe('example addresses', () => {
  it('lists every key of the shipped defaults that delivers nothing', () => {
    const keys = exampleAddressKeys(parseConfig({})).map((k) => k.key);
    expect(keys).toContain('escalation.contacts.oncall.email');
    expect(keys).toContain('escalation.senderEmail');
    expect(keys).toContain('reports.schedules.system_health.recipients.0');
  });

  it('refuses them at deploy with the keys to set, unless allowed in the file or by context', () => {
    const config = parseConfig({});
    let error: unknown;
    try {
      assertDeliverableAddresses(config, 'config/pipeline.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/escalation\.contacts\.oncall\.email: is "oncall@example\.com"/);
    expect((error as Error).message).toMatch(/deployment\.allowExampleAddresses: set it to true/);
    expect(() => assertDeliverableAddresses(config, 'x', true)).not.toThrow();
    const allowed = parseConfig({ deployment: { allowExampleAddresses: true } });
    expect(() => assertDeliverableAddresses(allowed, 'x')).not.toThrow();
  });

  it('passes a configuration with real addresses', () => {
    const real = parseConfig({
      escalation: {
        senderEmail: 'alerts@acme.io',
        contacts: { oncall: { name: 'On call', email: 'oncall@acme.io' }, chat: { name: 'c', email: 'c@acme.io' } },
        ladders: {
          technical: [{ name: 'L1', contacts: ['oncall'], ackWindowMinutes: 15 }],
          business: [{ name: 'L1', contacts: ['oncall'], ackWindowMinutes: 15 }],
        },
      },
      reports: {
        senderEmail: 'reports@acme.io',
        schedules: {
          system_health: { cron: 'cron(0 8 * * ? *)', recipients: ['ops@acme.io'] },
          business_performance: { cron: 'cron(0 9 * * ? *)', recipients: ['ops@acme.io'] },
          executive_summary: { cron: 'cron(0 8 ? * MON *)', recipients: ['ops@acme.io'] },
          client_success: { cron: 'cron(0 8 ? * FRI *)', enabled: false, recipients: ['x@example.com'] },
        },
      },
    });
    expect(exampleAddressKeys(real)).toEqual([]);
  });
});

describe('derived deployment settings', () => {
  it('names the acknowledgement secret after the deployment unless set', () => {
    expect(ackSigningSecretName(parseConfig({ name: 'second' }))).toBe('second/ack-signing-key');
    expect(ackSigningSecretName(parseConfig({ escalation: { ackSigningSecret: 'mine/key' } }))).toBe('mine/key');
  });

  it('gives per-tenant metrics to dashboard tiers only, whatever the alarm flag', () => {
    const config = parseConfig({
      tiers: { dash: { perTenantDashboard: true }, alarms: { perTenantAlarms: true } },
      tenants: [
        { id: 'd1', name: 'D', tier: 'dash' },
        { id: 'a1', name: 'A', tier: 'alarms' },
      ],
    });
    expect(perTenantMetricTenants(config)).toEqual(['d1']);
  });

  it('reserves no report concurrency unless asked', () => {
    expect(parseConfig({}).reports.reservedConcurrency).toBeUndefined();
    expect(parseConfig({ reports: { reservedConcurrency: 2 } }).reports.reservedConcurrency).toBe(2);
  });
});

describe('composite rules chunked by rendered length', () => {
  it('keeps every chunk under 10,000 characters with long names, where 50 per chunk would not', () => {
    const longName = (i: number) =>
      `a-deployment-name-of-31-chars-x/P1/technical/tenant-${'t'.repeat(50)}${i}/slo-availability-p1-1h`;
    const names = Array.from({ length: 200 }, (_, i) => longName(i));
    expect(worstCaseRuleLength(names.slice(0, 50))).toBeGreaterThan(10_000);
    const chunks = chunkRuleChildren(names);
    expect(chunks.flat()).toEqual(names);
    for (const c of chunks) {
      expect(worstCaseRuleLength(c)).toBeLessThanOrEqual(10_000);
      expect(c.length).toBeLessThanOrEqual(100);
    }
  });

  it('caps short names at 100 children', () => {
    const chunks = chunkRuleChildren(Array.from({ length: 250 }, (_, i) => `a/${i}`));
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
  });
});
