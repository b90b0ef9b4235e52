/**
 * The figures CloudFormation and CloudWatch limit, read from a synthesized deployment: resources,
 * outputs and template size per stack, and the worst-case rendered length and child count of
 * every composite alarm rule (ARNs counted at the longest partition and Region).
 */
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { MAX_ALARM_ARN_PREFIX } from '../../lambdas/core/alarms/rule-length';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { buildApp } from '../../lib/app';

/** The limits the project holds every stack to (CloudFormation's are 500, 200 and 1 MB). */
export const STACK_LIMITS = { resources: 450, outputs: 150, templateBytes: 800 * 1024 } as const;
/** The limits held for composite rules (CloudWatch's are 10,240 characters and 100 children). */
export const RULE_LIMITS = { chars: 10_000, children: 100 } as const;

/** Figures of one stack. */
export interface StackFigures {
  readonly stack: string;
  readonly resources: number;
  readonly outputs: number;
  /** Size of the template as synthesized (pretty-printed JSON, as uploaded). */
  readonly templateBytes: number;
  /** Longest composite rule, worst case. */
  readonly maxRuleChars: number;
  /** Most children of a composite. */
  readonly maxRuleChildren: number;
  /** Unsuppressed cdk-nag errors. */
  readonly nagErrors: readonly string[];
  readonly template: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function ruleLength(value: unknown, resources: Json): { chars: number; children: number } {
  if (typeof value === 'string') return { chars: value.length, children: (value.match(/ALARM\(/g) ?? []).length };
  if (value === null || typeof value !== 'object') return { chars: 0, children: 0 };
  const v = value as Json;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    let chars = sep.length * Math.max(0, parts.length - 1);
    let children = 0;
    for (const p of parts) {
      const r = ruleLength(p, resources);
      chars += r.chars;
      children += r.children;
    }
    return { chars, children };
  }
  if ('Fn::GetAtt' in v) {
    const [id] = v['Fn::GetAtt'] as [string, string];
    const props = ((resources[id] as Json | undefined)?.Properties ?? {}) as Json;
    const name = props.AlarmName ?? props.CompositeAlarmName ?? id;
    return { chars: MAX_ALARM_ARN_PREFIX + (typeof name === 'string' ? name.length : 255), children: 0 };
  }
  if ('Ref' in v) {
    const ref = v.Ref;
    return {
      chars: ref === 'AWS::Region' ? 16 : ref === 'AWS::AccountId' ? 12 : ref === 'AWS::Partition' ? 10 : 64,
      children: 0,
    };
  }
  return { chars: JSON.stringify(v).length, children: 0 };
}

/** The figures of every stack of an assembly. */
export function stackFigures(assembly: CloudAssembly): StackFigures[] {
  return assembly.stacks.map((s) => {
    const template = s.template as Json;
    const resources = (template.Resources ?? {}) as Json;
    let maxRuleChars = 0;
    let maxRuleChildren = 0;
    for (const r of Object.values(resources) as Json[]) {
      if (r.Type !== 'AWS::CloudWatch::CompositeAlarm') continue;
      const { chars, children } = ruleLength((r.Properties as Json).AlarmRule, resources);
      maxRuleChars = Math.max(maxRuleChars, chars);
      maxRuleChildren = Math.max(maxRuleChildren, children);
    }
    return {
      stack: s.stackName,
      resources: Object.keys(resources).length,
      outputs: Object.keys((template.Outputs ?? {}) as Json).length,
      templateBytes: Buffer.byteLength(JSON.stringify(template, undefined, 1)),
      maxRuleChars,
      maxRuleChildren,
      nagErrors: s.messages
        .filter((m) => m.level === 'error' && /AwsSolutions-/.test(String(m.entry.data)))
        .map((m) => `${m.id}: ${String(m.entry.data)}`),
      template,
    };
  });
}

/** Synthesizes a configuration the fast way (bundling skipped, cdk-nag on) and returns the assembly. */
export function synthesizeFast(input: PipelineConfigInput, outdir?: string): CloudAssembly {
  const app = new App({
    ...(outdir === undefined ? {} : { outdir }),
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  buildApp(app, parseConfig(input, 'generated'));
  return app.synth();
}
