/**
 * `kpi local --keep-running` as a real child process (bin/kpi.js), for the suites that run other
 * commands against its stand-ins as a second terminal would: started, awaited until its state file
 * exists, its terminal output collected, and stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Polls every 500 ms, at most `limitMs` worth of attempts (counted, not read from the clock). */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  limitMs: number,
): Promise<T> {
  for (let attempt = 0; attempt * 500 <= limitMs; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A running `kpi local --keep-running`. */
export class KeptLocalRun {
  private out = '';
  private err = '';
  private gone = false;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => {
      this.out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      this.err += c.toString();
    });
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
    void this.exited.then(() => {
      this.gone = true;
    });
  }

  /**
   * Starts `kpi local <args> --keep-running --state-file <stateFile>` and waits until the state
   * file exists (the run is ready for other commands).
   * @throws Error with the run's output when it exits first, or after `limitMs`
   */
  static async start(args: readonly string[], stateFile: string, limitMs: number): Promise<KeptLocalRun> {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/kpi.js'), 'local', ...args, '--keep-running', '--state-file', stateFile],
      { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const run = new KeptLocalRun(child);
    await waitFor(
      'the local state file',
      () => {
        if (run.gone) throw new Error(`kpi local exited early:\n${run.out}\n${run.err}`);
        return existsSync(stateFile) ? true : undefined;
      },
      limitMs,
    );
    return run;
  }

  /** What its terminal has shown so far. */
  get output(): string {
    return this.out;
  }

  /** Stops it as Ctrl-C would (nothing when it has already exited). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      await this.exited;
    }
  }
}
