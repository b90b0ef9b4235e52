/**
 * Entry point of the `kpi` command (bin/kpi.js loads it through tsx). Exit codes scripts can
 * trust: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
import { runCli } from './commands/program';
import { processIo } from './io';

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    // No process.exit: every command closes what it opened, so the process ends by itself once
    // its output is flushed (an explicit exit could cut a piped stdout short).
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
