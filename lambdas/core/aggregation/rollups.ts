/**
 * Hours and days are rolled up from finer items once their period has closed, instead of being
 * rewritten by every batch (see docs/exactly-once.md, "Roll-ups").
 *
 * A roll-up is a recomputation, not an increment: an hour item is the merge of the tenant's
 * minute items of that hour, a day item the merge of its hour items. Writing it twice, or from two
 * invocations at once, gives the same item, so roll-ups need no watermark. Their writes are
 * ordered by a stamp (the sum of the sources' versions, which only rises), so an older roll-up
 * can never overwrite a newer one.
 *
 * Bookkeeping, kept in the KPI table by the store:
 * - the ledger of an hour: the tenants with minute items in it, written before their minute items;
 * - open marks: an hour or day whose hour/day items are not yet rolled up. Created with the
 *   hour's ledger, before any minute item of the hour is written; readers merge finer items for
 *   an open period, and trust the stored item of any other period (including every period written
 *   before roll-ups existed, which has no mark).
 *
 * When roll-ups happen:
 * 1. Normal close: the first batch that runs {@link ROLLUP_DELAY_MS} after an open period ended
 *    rolls up every tenant of its ledger (and the fleet), then removes the mark. A day waits until
 *    none of its hours is open. Any later batch retries what failed; the mark stays until then.
 * 2. Late writes: a batch whose processing time is at least {@link LATE_REROLL_AFTER_MS} past the
 *    end of an hour (day) it touches re-rolls that hour (day) for the tenants it touched, after its
 *    minute writes and before it reports success. If that fails, the batch reports its records
 *    as failures, and the redelivery (which skips the minute writes by watermark) rolls again.
 *
 * Why no write is missed: a write that lands after a normal roll-up read the minutes comes from
 * an invocation that started at most {@link MAX_INVOCATION_MS} before the roll-up, that is at or
 * after `end + ROLLUP_DELAY_MS - MAX_INVOCATION_MS = end + LATE_REROLL_AFTER_MS`, so rule 2 makes
 * it re-roll after its own write. Processing times come from the Lambda's clock (NTP-synchronized
 * across invocations).
 */
import { bucketStart, GRANULARITY_MS } from '../time/buckets';
import type { BatchFold } from './fold';
import { expiresAtSeconds, FLEET_TENANT, type KpiItemAddress, type KpiRetention } from './keys';
import { type KpiStore, KpiStoreError, type OpenPeriod } from './ports';
import { parseSequenceNumber } from './sequence';

/** Lambda's hard limit on one invocation: no write of an invocation lands later than this after it started. */
export const MAX_INVOCATION_MS = 15 * 60_000;
/** How long after its end a period is rolled up (so minutes still in flight are in). */
export const ROLLUP_DELAY_MS = 20 * 60_000;
/** A batch that writes this long after a period ended re-rolls it itself. */
export const LATE_REROLL_AFTER_MS = ROLLUP_DELAY_MS - MAX_INVOCATION_MS;

const HOUR_MS = GRANULARITY_MS.hour;
const DAY_MS = GRANULARITY_MS.day;

/** What the roll-ups of one batch did. */
export interface RollupOutcome {
  /** Roll-up items written (or found already newer). */
  rolled: number;
  /** Periods closed by the normal roll-up. */
  closed: number;
  /** Per shard, where redelivery must restart because a late re-roll failed. */
  readonly failedFrom: Map<string, bigint>;
}

/** Keeps the ledger and rolls up closed hours and days; used by {@link AggregateBatch}. */
export class PeriodRollups {
  constructor(
    private readonly store: KpiStore,
    private readonly retention: KpiRetention,
  ) {}

  /**
   * Records the batch's tenants in the ledgers of the hours they write, before any minute write.
   * @throws KpiStoreError when the ledger cannot be read or written
   */
  async record(minutes: readonly KpiItemAddress[]): Promise<void> {
    const byHour = new Map<number, Set<string>>();
    for (const m of minutes) {
      if (m.tenant === FLEET_TENANT) continue;
      const h = bucketStart(m.bucketStartMs, 'hour');
      let set = byHour.get(h);
      if (set === undefined) {
        set = new Set();
        byHour.set(h, set);
      }
      set.add(m.tenant);
    }
    // Rejections without a tenant touch only the fleet: the hour still needs a ledger (and marks).
    for (const m of minutes) {
      const h = bucketStart(m.bucketStartMs, 'hour');
      if (!byHour.has(h)) byHour.set(h, new Set());
    }
    if (byHour.size === 0) return;
    const ledgers = await this.store.readLedgers([...byHour.keys()]);
    await Promise.all(
      [...byHour].map(async ([hour, tenants]) => {
        const known = ledgers.get(hour);
        const missing = [...tenants].filter((t) => known === undefined || !known.has(t));
        if (known === undefined || missing.length > 0) await this.store.addToLedger(hour, missing, known === undefined);
      }),
    );
  }

  /**
   * After the minute writes: re-rolls the closed periods the batch touched (rule 2), then rolls up
   * the periods that closed since (rule 1).
   * @param touched minute items the batch applied or found applied (not the failed ones)
   */
  async afterBatch(fold: BatchFold, touched: readonly KpiItemAddress[], nowMs: number): Promise<RollupOutcome> {
    const out: RollupOutcome = { rolled: 0, closed: 0, failedFrom: new Map() };
    await this.rerollLate(fold, touched, nowMs, out);
    try {
      await this.closeDue(nowMs, out);
    } catch (err) {
      // Nothing of this batch depends on it: the marks stay and a later batch rolls them up.
      if (!(err instanceof KpiStoreError)) throw err;
    }
    return out;
  }

  private async rerollLate(
    fold: BatchFold,
    touched: readonly KpiItemAddress[],
    nowMs: number,
    out: RollupOutcome,
  ): Promise<void> {
    // (tenant, period) -> the minute items of the batch inside it
    const periods = new Map<string, { address: KpiItemAddress; minutes: KpiItemAddress[] }>();
    for (const m of touched) {
      for (const g of ['hour', 'day'] as const) {
        const start = bucketStart(m.bucketStartMs, g);
        if (nowMs < start + GRANULARITY_MS[g] + LATE_REROLL_AFTER_MS) continue;
        const key = `${m.tenant}|${g}|${start}`;
        let p = periods.get(key);
        if (p === undefined) {
          p = { address: { tenant: m.tenant, granularity: g, bucketStartMs: start }, minutes: [] };
          periods.set(key, p);
        }
        p.minutes.push(m);
      }
    }
    if (periods.size === 0) return;
    const fail = (minutes: readonly KpiItemAddress[]) => {
      for (const m of minutes) {
        for (const [shard, seq] of fold.lowestSequences(m)) {
          const s = parseSequenceNumber(seq);
          const prev = out.failedFrom.get(shard);
          if (prev === undefined || s < prev) out.failedFrom.set(shard, s);
        }
      }
    };
    const list = [...periods.values()];
    // Hours first: a day is the merge of its hours.
    for (const g of ['hour', 'day'] as const) {
      await Promise.all(
        list
          .filter((p) => p.address.granularity === g)
          .map(async (p) => {
            const ok = await this.rollSafely(p.address);
            if (ok) out.rolled++;
            else fail(p.minutes);
          }),
      );
    }
  }

  private async closeDue(nowMs: number, out: RollupOutcome): Promise<void> {
    const open = await this.store.openPeriods();
    const due = (p: OpenPeriod) => nowMs >= p.bucketStartMs + GRANULARITY_MS[p.granularity] + ROLLUP_DELAY_MS;
    const hours = open.filter((p) => p.granularity === 'hour' && due(p));
    const stillOpenHours = new Set(open.filter((p) => p.granularity === 'hour').map((p) => p.bucketStartMs));
    for (const hour of hours) {
      const ledgers = await this.store.readLedgers([hour.bucketStartMs]);
      const tenants = [...(ledgers.get(hour.bucketStartMs) ?? []), FLEET_TENANT];
      if (await this.rollAll(tenants, 'hour', hour.bucketStartMs, out)) {
        await this.store.closePeriod(hour);
        stillOpenHours.delete(hour.bucketStartMs);
        out.closed++;
      }
    }
    for (const day of open.filter((p) => p.granularity === 'day' && due(p))) {
      const hourStarts = Array.from({ length: 24 }, (_, i) => day.bucketStartMs + i * HOUR_MS);
      if (hourStarts.some((h) => stillOpenHours.has(h))) continue;
      const ledgers = await this.store.readLedgers(hourStarts);
      const tenants = new Set<string>([FLEET_TENANT]);
      for (const set of ledgers.values()) for (const t of set) tenants.add(t);
      if (await this.rollAll([...tenants], 'day', day.bucketStartMs, out)) {
        await this.store.closePeriod(day);
        out.closed++;
      }
    }
  }

  private async rollAll(
    tenants: readonly string[],
    granularity: 'hour' | 'day',
    startMs: number,
    out: RollupOutcome,
  ): Promise<boolean> {
    let ok = true;
    // A bounded number at a time: a roll-up of 1,000 tenants must not open 1,000 sockets.
    for (let i = 0; i < tenants.length; i += 25) {
      const results = await Promise.all(
        tenants.slice(i, i + 25).map((tenant) => this.rollSafely({ tenant, granularity, bucketStartMs: startMs })),
      );
      for (const r of results) {
        if (r) out.rolled++;
        else ok = false;
      }
    }
    return ok;
  }

  /** Rolls one period up; false when the store could not (the caller retries later). */
  private async rollSafely(address: KpiItemAddress): Promise<boolean> {
    try {
      const size = address.granularity === 'hour' ? HOUR_MS : DAY_MS;
      const sources = await this.store.readSources(
        address.tenant,
        address.granularity === 'hour' ? 'minute' : 'hour',
        address.bucketStartMs,
        address.bucketStartMs + size,
      );
      if (sources.items === 0) return true;
      const r = await this.store.putRollup(address, sources, expiresAtSeconds(address, this.retention));
      return r !== 'failed';
    } catch (err) {
      if (err instanceof KpiStoreError) return false;
      throw err;
    }
  }
}
