/**
 * Entry point of the `kpi` command (bin/kpi.js loads it through tsx). Exit codes scripts can
 * trust: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
import { processIo, runCli } from './commands/program';

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    // Exit explicitly: a finished command must not wait on stray sockets or timers of the SDKs
    // and local interpreters it used (stdout and stderr are synchronous for files and pipes).
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
