/**
 * Shared synthesis for the infrastructure tests: builds the real app (lib/app.ts) from a
 * configuration with bundling skipped, CloudFormation validation as errors and cdk-nag on.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { buildApp, type PipelineApp } from '../../lib/app';

/** A synthesized deployment with the templates of its stacks. */
export interface SynthesizedApp {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly stacks: PipelineApp;
  readonly data: Template;
  readonly pipeline: Template;
}

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /**
   * Run aws-cdk-lib's built-in CloudFormation validation (errors fail synth). It is most of the
   * synth time, so a file that only varies dashboard bodies may turn it off.
   * @default true
   */
  readonly validate?: boolean;
  /** The synth-time clock (epoch ms). @default Date.now */
  readonly now?: () => number;
}

/** Builds and synthesizes every stack for a configuration document (defaults filled in). */
export function synthesize(input: PipelineConfigInput, options: SynthesizeOptions = {}): SynthesizedApp {
  const app = new App({
    builtinCloudFormationValidation: options.validate ?? true,
    context: {
      // Skips esbuild: the tests check wiring, not bundles (`cdk synth` bundles for real).
      'aws:cdk:bundling-stacks': [],
      // The built-in CloudFormation validator: its findings fail synth instead of warning.
      '@aws-cdk/core:validateAgainstDefaultRules': true,
    },
  });
  const stacks = buildApp(app, parseConfig(input, 'test'), options.now === undefined ? {} : { now: options.now });
  // Throws when a validation rule reports an error.
  const assembly = app.synth();
  return {
    app,
    assembly,
    stacks,
    data: Template.fromStack(stacks.data),
    pipeline: Template.fromStack(stacks.pipeline),
  };
}

/**
 * Unsuppressed cdk-nag AwsSolutions errors of a stack, as `path: message`. Same result as
 * `Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))`, read
 * from the assembly already synthesized (Annotations.fromStack forces a new synth, validation included).
 */
export function nagErrors(s: SynthesizedApp, stack: Stack): string[] {
  return s.assembly
    .getStackArtifact(stack.artifactId)
    .messages.filter((m) => m.level === 'error' && /AwsSolutions-/.test(String(m.entry.data)))
    .map((m) => `${m.id}: ${String(m.entry.data)}`);
}

/** Every `rules_to_suppress` entry of cdk-nag metadata in a template. */
export function nagSuppressions(template: Template): { id: string; reason: string }[] {
  const out: { id: string; reason: string }[] = [];
  for (const resource of Object.values(template.toJSON().Resources ?? {}) as { Metadata?: Record<string, unknown> }[]) {
    const nag = resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined;
    out.push(...(nag?.rules_to_suppress ?? []));
  }
  return out;
}

/** An IAM policy statement as it appears in a template. */
export interface TemplateStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Principal?: unknown;
}

/** Every statement of every identity policy (inline and managed) of a template. */
export function identityStatements(template: Template): TemplateStatement[] {
  const out: TemplateStatement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const resource of Object.values(template.findResources(type))) {
      out.push(...(resource.Properties.PolicyDocument.Statement as TemplateStatement[]));
    }
  }
  return out;
}

/** The actions of a statement as a list. */
export function actionsOf(statement: TemplateStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Replaces CloudFormation intrinsics in a dashboard body by placeholders so the JSON parses. */
function flatten(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body !== null && typeof body === 'object' && 'Fn::Join' in body) {
    const [sep, parts] = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(sep);
  }
  throw new Error(`unexpected dashboard body ${JSON.stringify(body)}`);
}

/** A widget of a dashboard body. */
export interface DashboardWidget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly metrics?: unknown[][];
    readonly alarms?: unknown[];
  };
}

/** The dashboards of a template, by name, with their widgets. */
export function dashboards(template: Template): Map<string, DashboardWidget[]> {
  const out = new Map<string, DashboardWidget[]>();
  for (const resource of Object.values(template.findResources('AWS::CloudWatch::Dashboard'))) {
    const body = JSON.parse(flatten(resource.Properties.DashboardBody)) as { widgets: DashboardWidget[] };
    out.set(resource.Properties.DashboardName as string, body.widgets);
  }
  return out;
}
