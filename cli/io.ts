/** Where the CLI writes and what time it is: the process, or a test's capture and fixed clock. */

/** Where a command writes; tests capture it, the real CLI uses the process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stdout is an interactive terminal (progress bars and colours) or a pipe/file (plain lines). */
  readonly isTTY: boolean;
  /** The current time (epoch ms): the one clock of the CLI, fixed by tests. */
  readonly now: () => number;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
    now: () => Date.now(),
  };
}
