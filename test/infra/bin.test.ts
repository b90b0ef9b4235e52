/**
 * `cdk synth` runs bin/app.ts: a wrong configuration must stop it with the key and rule, not a
 * stack trace. The app is run as the CDK CLI runs it (context in CDK_CONTEXT_JSON).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kpi-bin-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runApp(configPath: string, context: Record<string, unknown> = {}): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ config: configPath, ...context }),
      CDK_OUTDIR: join(dir, 'out'),
    },
  });
  return { status: result.status, stderr: result.stderr };
}

describe('bin/app.ts', () => {
  it('fails synth naming the key and the rule of a wrong configuration', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({ stream: { mode: 'provisioned' }, tenants: [{ id: 'Bad Id', name: 'x', tier: 'gold' }] }),
    );
    const { status, stderr } = runApp(path);
    expect(status).toBe(2);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('stream.shardCount: is required when mode is "provisioned"');
    expect(stderr).toContain('tenants.0.id');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses the shipped example.com contacts and recipients, naming the keys to set', () => {
    const { status, stderr } = runApp(join(root, 'config', 'pipeline.json'));
    expect(status).toBe(2);
    expect(stderr).toContain('escalation.contacts.oncall.email: is "oncall@example.com"');
    expect(stderr).toContain('reports.schedules.system_health.recipients.0');
    expect(stderr).toContain('deployment.allowExampleAddresses: set it to true');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('fails synth with exit 2 and no stack trace for an alarms.overrides id that names no rule', () => {
    const path = join(dir, 'bad-override.json');
    writeFileSync(
      path,
      JSON.stringify({
        deployment: { allowExampleAddresses: true },
        alarms: { overrides: { 'response_latency-p9': { threshold: 1 } } },
      }),
    );
    // Bundling is skipped: the plan fails before any asset matters.
    const { status, stderr } = runApp(path, { 'aws:cdk:bundling-stacks': [] });
    expect(status).toBe(2);
    expect(stderr).toContain('alarms.overrides names rule "response_latency-p9", which does not exist');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('fails synth when the file named by -c config does not exist', () => {
    const { status, stderr } = runApp(join(dir, 'missing.json'));
    expect(status).toBe(2);
    expect(stderr).toContain('cannot read the file (ENOENT)');
  });
});
