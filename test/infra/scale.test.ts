/**
 * Deployable at 1,000 tenants: generated configurations of 10, 100 and 1,000 tenants, a third on
 * the per-tenant alerting tier, synthesize with cdk-nag clean, every stack under 450 resources,
 * 150 outputs and 800 KB, every composite rule under 10,000 characters (worst-case ARNs) and 100
 * children; per-tenant alerting is there (one evaluator schedule per 250 tenants) and the
 * tenants share one dashboard.
 */
import { parseConfig, perTenantAlarmTenants } from '../../lambdas/core/config/schema';
import { RULE_LIMITS, STACK_LIMITS, type StackFigures, stackFigures, synthesizeFast } from '../support/stack-figures';
import { tenantFleetConfig } from '../support/tenant-fleet';

type Json = Record<string, unknown>;

function resourcesOfType(f: StackFigures, type: string): Json[] {
  return Object.values((f.template.Resources ?? {}) as Record<string, Json>).filter((r) => r.Type === type);
}

describe.each([10, 100, 1000])('%i tenants', (tenants) => {
  const config = tenantFleetConfig(tenants);
  const figures = stackFigures(synthesizeFast(config));
  const alerting = figures.find((f) => f.stack === 'agent-kpi-alerting')!;
  const pipeline = figures.find((f) => f.stack === 'agent-kpi-pipeline')!;

  it.each(figures.map((f) => [f.stack, f] as const))('%s is within the limits and cdk-nag clean', (_name, f) => {
    expect(f.nagErrors).toEqual([]);
    expect(f.resources).toBeLessThan(STACK_LIMITS.resources);
    expect(f.outputs).toBeLessThan(STACK_LIMITS.outputs);
    expect(f.templateBytes).toBeLessThan(STACK_LIMITS.templateBytes);
    expect(f.maxRuleChars).toBeLessThan(RULE_LIMITS.chars);
    expect(f.maxRuleChildren).toBeLessThanOrEqual(RULE_LIMITS.children);
  });

  it('evaluates per-tenant alarms on a schedule per 250 alerting tenants, routed like CloudWatch alarms', () => {
    const alerting_ = perTenantAlarmTenants(parseConfig(config)).length;
    const rules = resourcesOfType(alerting, 'AWS::Events::Rule');
    const schedules = rules.filter((r) => (r.Properties as Json).ScheduleExpression === 'rate(1 minute)');
    expect(schedules).toHaveLength(Math.ceil(alerting_ / 250));
    const routed = rules.filter((r) =>
      JSON.stringify((r.Properties as Json).EventPattern ?? {}).includes('agent-kpi.tenant-alarms'),
    );
    expect(routed).toHaveLength(1);
    // No CloudWatch alarm names a tenant: they are all fleet or pipeline alarms.
    const names = resourcesOfType(alerting, 'AWS::CloudWatch::Alarm').map((r) =>
      String((r.Properties as Json).AlarmName),
    );
    expect(names.filter((n) => /\/tenant-[^/]+\//.test(n))).toEqual([]);
    expect(names.length).toBeGreaterThan(0);
  });

  it('gives the dashboard tenants one dashboard with a tenant picker', () => {
    const dashboards = resourcesOfType(pipeline, 'AWS::CloudWatch::Dashboard').map((r) =>
      String((r.Properties as Json).DashboardName),
    );
    expect(dashboards.sort()).toEqual(['agent-kpi-fleet-overview', 'agent-kpi-pipeline-health', 'agent-kpi-tenants']);
  });
});
