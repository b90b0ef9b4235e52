/**
 * Simulated time for the escalation stage: alarm events, acknowledgements and ladder waits are
 * processed in time order, each ladder running as its own task. A ladder's Wait state parks its
 * task until the clock reaches the wake-up instant; the clock only moves when every task is
 * parked, so a ladder sees every event that happened before its next check, as in AWS.
 */
export class SimulatedTimeline {
  /** The simulated instant, epoch ms. */
  nowMs: number;
  private readonly events: Array<{ atMs: number; seq: number; run: () => Promise<void> }> = [];
  private readonly sleepers: Array<{ atMs: number; seq: number; wake: () => void }> = [];
  private active = 0;
  private seq = 0;
  private idleWaiters: Array<() => void> = [];
  private failure: unknown;

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  /** Runs `fn` at `atMs` (events at the same instant run in scheduling order, before wake-ups). */
  schedule(atMs: number, run: () => Promise<void>): void {
    this.events.push({ atMs, seq: this.seq++, run });
  }

  /** Starts a task that may park itself with {@link sleepUntil}. */
  spawn(task: () => Promise<unknown>): void {
    this.active++;
    void task()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.settle());
  }

  /** Parks the calling task until the clock reaches `atMs`. */
  sleepUntil(atMs: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ atMs: Math.max(atMs, this.nowMs), seq: this.seq++, wake });
      this.settle();
    });
  }

  /** Processes everything due up to `endMs`; returns how many tasks are still parked after it. */
  async runUntil(endMs: number): Promise<number> {
    for (;;) {
      await this.idle();
      if (this.failure !== undefined) throw this.failure;
      this.events.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      this.sleepers.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
      const event = this.events[0];
      const sleeper = this.sleepers[0];
      if (event !== undefined && event.atMs <= endMs && (sleeper === undefined || event.atMs <= sleeper.atMs)) {
        this.events.shift();
        this.nowMs = Math.max(this.nowMs, event.atMs);
        this.active++;
        try {
          await event.run();
        } finally {
          this.settle();
        }
      } else if (sleeper !== undefined && sleeper.atMs <= endMs) {
        this.sleepers.shift();
        this.nowMs = Math.max(this.nowMs, sleeper.atMs);
        this.active++;
        sleeper.wake();
      } else {
        return this.sleepers.length;
      }
    }
  }

  private settle(): void {
    this.active--;
    if (this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }
}
