/**
 * Routine configuration changes must deploy: CloudFormation refuses to update a stack when an
 * export another stack imports would disappear or change ("Export ... cannot be deleted as it is
 * in use"). Each change below is synthesized next to the configuration before it, and every
 * export the first deployment's stacks import must still exist, with the same value, after it.
 */
import type { PipelineConfigInput } from '../../lambdas/core/config/schema';
import { stackFigures, synthesizeFast } from '../support/stack-figures';
import { tenantFleetConfig } from '../support/tenant-fleet';

type Json = Record<string, unknown>;

/** Export name -> value, over every stack. */
function exportsOf(templates: readonly Json[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of templates) {
    for (const o of Object.values((t.Outputs ?? {}) as Record<string, Json>)) {
      const name = (o.Export as Json | undefined)?.Name;
      if (typeof name === 'string') out.set(name, JSON.stringify(o.Value));
    }
  }
  return out;
}

/** Every `Fn::ImportValue` name in the templates. */
function importsOf(templates: readonly Json[]): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Fn::ImportValue' && typeof x === 'string') out.add(x);
        else walk(x);
      }
    }
  };
  templates.forEach(walk);
  return out;
}

function templates(input: PipelineConfigInput): Json[] {
  return stackFigures(synthesizeFast(input)).map((f) => f.template);
}

function alarmLogicalIds(ts: readonly Json[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of ts) {
    for (const [id, r] of Object.entries((t.Resources ?? {}) as Record<string, Json>)) {
      if (r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm') {
        const p = r.Properties as Json;
        out.set(id, String(p.AlarmName ?? p.CompositeAlarmName));
      }
    }
  }
  return out;
}

const base = tenantFleetConfig(9);
const baseTemplates = templates(base);
const enterprise = (base.tenants ?? []).filter((t) => t.tier === 'enterprise').map((t) => t.id);

const changes: Record<string, PipelineConfigInput> = {
  'a severity override': { ...base, alarms: { overrides: { 'response_latency-p1': { severity: 'P2' } } } },
  'a rule switched off': { ...base, alarms: { overrides: { 'api_error_rate-p1': { enabled: false } } } },
  'an enterprise tenant removed': { ...base, tenants: (base.tenants ?? []).filter((t) => t.id !== enterprise[0]) },
  'an SLO changed and another removed': {
    ...base,
    alarms: { slos: [{ id: 'availability', kpi: 'availability', objective: 0.995, windowDays: 30 }] },
  },
  'every tenant moved to the standard tier': {
    ...base,
    tenants: (base.tenants ?? []).map((t) => ({ ...t, tier: 'standard' })),
  },
};

describe('configuration changes keep every imported export', () => {
  const imported = importsOf(baseTemplates);
  const before = exportsOf(baseTemplates);

  it('imports only the data stack exports, which no alarm or tenant setting changes', () => {
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) expect(name).toMatch(/^agent-kpi-data:/);
  });

  it.each(Object.keys(changes))('after %s', (change) => {
    const after = exportsOf(templates(changes[change]!));
    const lost = [...imported].filter((name) => after.get(name) !== before.get(name));
    expect(lost).toEqual([]);
  });

  it('keeps an alarm logical id when an override changes its severity (the alarm is renamed in place)', () => {
    const ids = alarmLogicalIds(baseTemplates);
    const renamed = alarmLogicalIds(templates(changes['a severity override']!));
    const [id] = [...ids].find(([, name]) => name === 'agent-kpi/P1/technical/fleet/response_latency-p1') ?? [];
    expect(id).toBeDefined();
    expect(renamed.get(id!)).toBe('agent-kpi/P2/technical/fleet/response_latency-p1');
    // No other alarm moved.
    for (const [otherId, name] of ids) {
      if (otherId !== id && !name.includes('.rollup/')) expect(renamed.get(otherId)).toBe(name);
    }
  });
});
