/**
 * Synthesizes the CDK app of a configuration in-process (bundling skipped) and returns each
 * stack's CloudFormation template: the alarm definitions, the tables and the escalation state
 * machine that `cdk deploy` would ship, read by `kpi local` and `kpi backtest`.
 *
 * Run as a script (`node -r tsx/cjs cli/synth.ts CONFIG.json OUTDIR`) it synthesizes in
 * a child process, so the local run can start its stand-ins and ingest while synthesis (CPU-bound,
 * seconds) proceeds on another core.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PipelineConfig, parseConfig } from '../lambdas/core/config/schema';
import { CommandFailedError } from './errors';

/** A CloudFormation template, as synthesized. */
export interface CfnTemplate {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }>;
}

/** The templates of one deployment, by stack name. */
export type SynthesizedTemplates = Readonly<Record<string, CfnTemplate>>;

/** Synthesizes in this process (several seconds: CDK plus the cdk-nag checks). */
export function synthesizeTemplates(config: PipelineConfig, outdir?: string): SynthesizedTemplates {
  // Loaded here, not at the top: aws-cdk-lib is large and most commands never need it.
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { buildApp } = require('../lib/app') as typeof import('../lib/app');
  const dir = outdir ?? mkdtempSync(join(tmpdir(), 'kpi-synth-'));
  const app = new App({ outdir: dir, context: { 'aws:cdk:bundling-stacks': [] } });
  buildApp(app, config);
  const assembly = app.synth();
  const out: Record<string, CfnTemplate> = {};
  for (const stack of assembly.stacks) out[stack.stackName] = stack.template as CfnTemplate;
  return out;
}

/**
 * Synthesizes in a child process; resolves with the templates.
 * @throws CommandFailedError with the child's error output when synthesis fails
 */
export function synthesizeTemplatesInChild(config: PipelineConfig): Promise<SynthesizedTemplates> {
  const dir = mkdtempSync(join(tmpdir(), 'kpi-synth-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const outdir = join(dir, 'cdk.out');
  return new Promise((resolveTemplates, reject) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), __filename, configPath, outdir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.once('error', (err) => reject(new CommandFailedError(`Synthesis could not start: ${err.message}`)));
    child.once('exit', (code) => {
      try {
        if (code !== 0) {
          reject(new CommandFailedError(`Synthesizing the CDK app failed (exit ${code}):\n${stderr.trim()}`));
          return;
        }
        const templates: Record<string, CfnTemplate> = {};
        for (const file of readdirSync(outdir)) {
          if (!file.endsWith('.template.json')) continue;
          templates[file.slice(0, -'.template.json'.length)] = JSON.parse(
            readFileSync(join(outdir, file), 'utf8'),
          ) as CfnTemplate;
        }
        resolveTemplates(templates);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** The resources of every template of a given CloudFormation type, by logical id. */
export function resourcesOfType(
  templates: SynthesizedTemplates,
  type: string,
): Array<{ stack: string; logicalId: string; properties: Record<string, unknown> }> {
  const out: Array<{ stack: string; logicalId: string; properties: Record<string, unknown> }> = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [logicalId, r] of Object.entries(t.Resources ?? {})) {
      if (r.Type === type) out.push({ stack, logicalId, properties: r.Properties ?? {} });
    }
  }
  return out;
}

/**
 * The logical id of the table a Lambda environment variable names (`Ref` in the same stack, or an
 * `Fn::ImportValue` of another stack's export), or `undefined` when no function sets it.
 */
export function tableLogicalIdFromEnvironment(templates: SynthesizedTemplates, variable: string): string | undefined {
  const exports = new Map<string, string>();
  for (const t of Object.values(templates)) {
    for (const o of Object.values(t.Outputs ?? {})) {
      const name = o.Export?.Name;
      const ref = (o.Value as { Ref?: unknown } | undefined)?.Ref;
      if (typeof name === 'string' && typeof ref === 'string') exports.set(name, ref);
    }
  }
  for (const fn of resourcesOfType(templates, 'AWS::Lambda::Function')) {
    const vars = (fn.properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    const value = vars?.[variable] as { Ref?: unknown; 'Fn::ImportValue'?: unknown } | undefined;
    if (value === undefined) continue;
    if (typeof value.Ref === 'string') return value.Ref;
    const imported = value['Fn::ImportValue'];
    if (typeof imported === 'string') return exports.get(imported);
  }
  return undefined;
}

const ALARM_TYPES = new Set(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']);

/**
 * A template whose alarms reference other resources (a Lambda function's name as a dimension of
 * an `AWS/Lambda` alarm) only by their logical ids: such metrics have no local data, so their
 * alarms stay in INSUFFICIENT_DATA or follow their treat-missing-data mode, as they would in an
 * account where those functions never ran. References between alarms are kept.
 */
export function withLocalReferences(template: CfnTemplate): CfnTemplate {
  const resources = template.Resources ?? {};
  const isAlarm = (id: string) => ALARM_TYPES.has(resources[id]?.Type ?? '');
  const inline = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(inline);
    if (typeof value !== 'object' || value === null) return value;
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string' && !isAlarm(v.Ref) && !v.Ref.startsWith('AWS::')) return v.Ref;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && !isAlarm(getAtt[0])) return getAtt.join('.');
    if (typeof v['Fn::ImportValue'] === 'string') return v['Fn::ImportValue'];
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inline(x)]));
  };
  const out: Record<string, { Type: string; Properties?: Record<string, unknown> }> = {};
  for (const [id, r] of Object.entries(resources)) {
    out[id] = r.Type.startsWith('AWS::CloudWatch::')
      ? { ...r, Properties: inline(r.Properties ?? {}) as Record<string, unknown> }
      : r;
  }
  return { ...template, Resources: out };
}

if (require.main === module) {
  const [configPath, outdir] = process.argv.slice(2);
  if (configPath === undefined || outdir === undefined) {
    process.stderr.write('usage: synth.ts CONFIG.json OUTDIR\n');
    process.exitCode = 2;
  } else {
    synthesizeTemplates(parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath), outdir);
  }
}
