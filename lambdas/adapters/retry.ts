/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the wait before attempt n is uniform in [0, min(cap, base * 2^n)], which spreads the retries
 * of many concurrent writers instead of having them collide again in lockstep.
 */

/** Backoff settings shared by the adapters. */
export interface BackoffOptions {
  /** Attempts in total, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** @default 25 */
  readonly baseDelayMs?: number;
  /** @default 2000 */
  readonly maxDelayMs?: number;
  /** Waits; replaceable so tests and benchmarks need not sleep. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** Resolved {@link BackoffOptions}. */
export interface Backoff {
  readonly maxAttempts: number;
  /** Waits before retry number `attempt` (1 for the first retry). */
  wait(attempt: number): Promise<void>;
}

/** Resolves backoff options with their defaults. */
export function backoff(options: BackoffOptions = {}): Backoff {
  const base = options.baseDelayMs ?? 25;
  const cap = options.maxDelayMs ?? 2000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = options.random ?? Math.random;
  return {
    maxAttempts: options.maxAttempts ?? 8,
    wait: (attempt) => sleep(Math.floor(random() * Math.min(cap, base * 2 ** attempt))),
  };
}

/** The error name of an SDK v3 service exception (or any error). */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
