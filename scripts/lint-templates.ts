/**
 * `npm run lint:templates`: synthesizes the shipped configuration and generated ones of 10, 100
 * and 1,000 tenants, then runs cfn-lint (a Python tool, installed on the machines, not an npm
 * dependency: `npm test` never needs it) over every template. Exits 1 on any finding.
 *
 * Two findings are ignored, each with its reason:
 * - E3002 on `Tags` of `AWS::CloudWatch::Dashboard` only: CloudFormation accepts dashboard tags,
 *   but the schema bundled with cfn-lint 1.51 predates them.
 * - W3005 (a `DependsOn` already implied by a `GetAtt`): aws-cdk-lib adds it on purpose to every
 *   function and custom resource, so the role's policy exists before the function runs (the
 *   `GetAtt` orders the role, not its separate policy resource).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../lib/config/load';
import { synthesizeFast } from '../test/support/stack-figures';
import { tenantFleetConfig } from '../test/support/tenant-fleet';

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
  readonly Message: string;
  readonly Filename: string;
}

function ignored(f: Finding, template: Record<string, unknown>): boolean {
  if (f.Rule.Id === 'W3005') return true;
  const [section, logicalId, props, key] = f.Location.Path;
  if (f.Rule.Id !== 'E3002' || section !== 'Resources' || props !== 'Properties' || key !== 'Tags') return false;
  const resource = (template.Resources as Record<string, { Type?: string }> | undefined)?.[String(logicalId)];
  return resource?.Type === 'AWS::CloudWatch::Dashboard';
}

function main(): number {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    console.error('cfn-lint is not installed (pip install cfn-lint); the templates were not linted.');
    return 1;
  }
  const root = mkdtempSync(join(tmpdir(), 'kpi-lint-'));
  const cases: [string, Parameters<typeof synthesizeFast>[0]][] = [
    ['shipped', { ...loadConfigFile(), deployment: { allowExampleAddresses: true } }],
    ...[10, 100, 1000].map(
      (n) => [`${n}-tenants`, tenantFleetConfig(n)] as [string, Parameters<typeof synthesizeFast>[0]],
    ),
  ];
  let failures = 0;
  try {
    for (const [name, config] of cases) {
      const dir = join(root, name);
      const assembly = synthesizeFast(config, dir);
      const files = readdirSync(dir).filter((f) => f.endsWith('.template.json'));
      const run = spawnSync('cfn-lint', ['--format', 'json', ...files.map((f) => join(dir, f))], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const findings = (JSON.parse(run.stdout || '[]') as Finding[]).filter((f) => {
        const stack = assembly.stacks.find((s) => f.Filename.endsWith(s.templateFile));
        return stack === undefined || !ignored(f, stack.template as Record<string, unknown>);
      });
      console.log(`${name}: ${files.length} templates, ${findings.length} finding(s)`);
      for (const f of findings) console.log(`  ${f.Rule.Id} ${f.Filename} ${f.Location.Path.join('/')}: ${f.Message}`);
      failures += findings.length;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return failures === 0 ? 0 : 1;
}

process.exitCode = main();
