/**
 * Synthesizes the CDK app of a configuration in-process (bundling skipped) and returns each
 * stack's CloudFormation template: the alarm definitions, the tables and the escalation state
 * machine that `cdk deploy` would ship, read by `kpi local` and `kpi backtest`.
 *
 * Run as a script (`node -r tsx/cjs cli/commands/synth.ts CONFIG.json OUTDIR`) it synthesizes in
 * a child process, so the local run can start its stand-ins and ingest while synthesis (CPU-bound,
 * seconds) proceeds on another core.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PipelineConfig, parseConfig } from '../../lambdas/core/config/schema';
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
  const { buildApp } = require('../../lib/app') as typeof import('../../lib/app');
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

if (require.main === module) {
  const [configPath, outdir] = process.argv.slice(2);
  if (configPath === undefined || outdir === undefined) {
    process.stderr.write('usage: synth.ts CONFIG.json OUTDIR\n');
    process.exit(2);
  }
  synthesizeTemplates(parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath), outdir);
}
