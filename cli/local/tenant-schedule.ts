/**
 * The simulated one-minute schedule of the per-tenant alarm evaluator in a local run: which
 * evaluation minutes each tenant gets.
 *
 * In AWS the evaluator runs every minute for every tenant. Locally each evaluation reads the
 * tenant's last hours of KPI buckets from DynamoDB Local, so a run evaluates a tenant only where
 * its state can change:
 * - the minute after each minute in which the tenant sent something (its data changed), unless
 *   `everyDataMinute` is off;
 * - every minute of the `focus` windows in which the tenant has data in its look-back;
 * - every `strideMs` while the tenant's data is within its look-back, so alarms whose data ages
 *   out (or a tenant that went silent) change state, up to `strideMs` later than in AWS.
 * A tenant with nothing in its look-back is not evaluated: its alarms read no data and keep their
 * state. Pure.
 */

const MINUTE = 60_000;

/** A time window, epoch ms, `toMs` exclusive. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** How densely the local schedule evaluates. */
export interface TenantAlarmScheduleOptions {
  /** Evaluate the minute after every minute with data. @default true */
  readonly everyDataMinute?: boolean;
  /** Evaluate every minute of these windows (e.g. around an injected problem). @default none */
  readonly focus?: readonly TimeWindow[];
  /** Evaluate at every multiple of this while data is in the look-back. @default 15 minutes */
  readonly strideMs?: number;
}

/** Evaluation instants (whole minutes, ascending) for one tenant, within `range`. */
export function tenantEvaluationMinutes(
  dataMinutes: Iterable<number>,
  lookbackMs: number,
  range: TimeWindow,
  options: TenantAlarmScheduleOptions = {},
): number[] {
  const stride = Math.max(MINUTE, options.strideMs ?? 15 * MINUTE);
  const minutes = [...new Set([...dataMinutes].map((m) => Math.floor(m / MINUTE) * MINUTE))].sort((a, b) => a - b);
  const out = new Set<number>();
  const within = (t: number) => t >= range.fromMs && t < range.toMs;
  // The windows in which the tenant has data in its look-back: [minute + 1, minute + 1 + look-back].
  const live: TimeWindow[] = [];
  for (const m of minutes) {
    const from = m + MINUTE;
    if (options.everyDataMinute !== false && within(from)) out.add(from);
    const last = live.at(-1);
    if (last !== undefined && from <= last.toMs)
      live[live.length - 1] = { fromMs: last.fromMs, toMs: from + lookbackMs };
    else live.push({ fromMs: from, toMs: from + lookbackMs });
  }
  for (const w of live) {
    for (let t = Math.ceil(w.fromMs / stride) * stride; t <= w.toMs; t += stride) if (within(t)) out.add(t);
    // Once everything has aged out: the alarms settle into their no-data states.
    if (within(w.toMs)) out.add(Math.ceil(w.toMs / MINUTE) * MINUTE);
    for (const f of options.focus ?? []) {
      const from = Math.ceil(Math.max(w.fromMs, f.fromMs) / MINUTE) * MINUTE;
      for (let t = from; t < Math.min(w.toMs, f.toMs); t += MINUTE) if (within(t)) out.add(t);
    }
  }
  return [...out].sort((a, b) => a - b);
}
