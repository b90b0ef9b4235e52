/**
 * Shared synthesis for the infrastructure tests: builds the real app (lib/app.ts) from a
 * configuration with bundling skipped, CloudFormation validation as errors and cdk-nag on.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { type PipelineConfigInput, parseConfig } from '../../lambdas/core/config/schema';
import { buildApp, type PipelineApp } from '../../lib/app';

/** A synthesized deployment with the templates of its stacks. */
export interface SynthesizedApp {
  readonly app: App;
  readonly stacks: PipelineApp;
  readonly data: Template;
  readonly pipeline: Template;
}

/** Builds and synthesizes every stack for a configuration document (defaults filled in). */
export function synthesize(input: PipelineConfigInput): SynthesizedApp {
  const app = new App({
    context: {
      // Skips esbuild: the tests check wiring, not bundles (`cdk synth` bundles for real).
      'aws:cdk:bundling-stacks': [],
      // The built-in CloudFormation validator: its findings fail synth instead of warning.
      '@aws-cdk/core:validateAgainstDefaultRules': true,
    },
  });
  const stacks = buildApp(app, parseConfig(input, 'test'));
  // Throws when a validation rule reports an error.
  app.synth();
  return { app, stacks, data: Template.fromStack(stacks.data), pipeline: Template.fromStack(stacks.pipeline) };
}

/** Unsuppressed cdk-nag AwsSolutions errors of a stack, as `path: message`. */
export function nagErrors(stack: Stack): string[] {
  return Annotations.fromStack(stack)
    .findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))
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
