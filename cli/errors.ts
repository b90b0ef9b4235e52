/**
 * The CLI's error classes and exit codes. Commands throw these; `runCli` maps them to an exit
 * code once, at the edge, so scripts can trust: 0 ok, 1 runtime failure, 2 usage/config error.
 */

/** Exit codes of the `kpi` command. */
export const EXIT = {
  ok: 0,
  /** Something failed while running (a server unreachable, a record not delivered). */
  failure: 1,
  /** The command line or the configuration is wrong; nothing was done. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM while running: the shell's code for an interrupt. */
  interrupted: 130,
} as const;

/** The user stopped a command while it ran; what it had started is stopped too. */
export class InterruptedError extends Error {
  constructor(what: string) {
    super(`Interrupted: ${what}.`);
    this.name = 'InterruptedError';
  }
}

/** A wrong argument or option: the message says what to pass instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that started but could not finish; the message says what to check. */
export class CommandFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandFailedError';
  }
}

/**
 * The error a KPI-reading command reports when the table cannot be read; usage errors pass through.
 */
export function kpiReadFailure(err: unknown): Error {
  if (err instanceof UsageError) return err;
  return new CommandFailedError(
    `Reading KPIs failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}. ` +
      'Check the target (--local / --region) and the table name (--kpi-table).',
    { cause: err },
  );
}

/** `--local` was asked for but no local run is up. */
export class LocalTargetUnavailableError extends CommandFailedError {
  constructor(stateFile: string) {
    super(
      `No running local pipeline found (state file ${stateFile} is missing). ` +
        'Start one with `kpi local --keep-running` in another terminal, or pass the endpoints with ' +
        '--kinesis-endpoint / --dynamodb-endpoint.',
    );
    this.name = 'LocalTargetUnavailableError';
  }
}

/** The local state file names a process that is gone: its stand-ins are gone (or orphaned) with it. */
export class StaleLocalStateError extends CommandFailedError {
  constructor(stateFile: string, pid: number) {
    super(
      `The local state file ${stateFile} is stale: process ${pid} that wrote it is no longer running ` +
        '(stopped without cleaning up, e.g. killed). Its endpoints are not a running local pipeline. ' +
        'Delete the file and start `kpi local --keep-running` again.',
    );
    this.name = 'StaleLocalStateError';
  }
}
