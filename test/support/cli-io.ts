import type { CliIo } from '../../cli/io';

/** A {@link CliIo} that keeps what a command prints, with its clock fixed at `nowMs`. */
export function captureIo(nowMs: number): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTTY: false,
    now: () => nowMs,
    stdout: () => out,
    stderr: () => err,
  };
}
