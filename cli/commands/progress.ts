/**
 * Progress display: a cli-progress bar on a terminal, plain lines (every 10%) when the output is
 * a pipe or a file, so logs of CI runs stay readable.
 */
import { SingleBar } from 'cli-progress';
import type { CliIo } from '../io';

/** A progress display for one stage. */
export interface Progress {
  /** Sets the number of items done. */
  update(done: number): void;
  /** Ends the display (idempotent). */
  stop(): void;
}

/** A progress display for `total` items of a stage named `label`. */
export function createProgress(io: CliIo, label: string, total: number): Progress {
  if (io.isTTY) {
    const bar = new SingleBar({
      format: `${label.padEnd(12)} [{bar}] {percentage}% {value}/{total}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    });
    bar.start(total, 0);
    let stopped = false;
    return {
      update: (done) => bar.update(Math.min(done, total)),
      stop: () => {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
  let lastTenth = -1;
  let stopped = false;
  return {
    update: (done) => {
      const tenth = total === 0 ? 10 : Math.floor((Math.min(done, total) / total) * 10);
      if (tenth > lastTenth && !stopped) {
        lastTenth = tenth;
        io.err(`${label}: ${done}/${total} (${tenth * 10}%)\n`);
      }
    },
    stop: () => {
      stopped = true;
    },
  };
}
