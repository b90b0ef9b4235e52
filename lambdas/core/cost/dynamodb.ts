/**
 * DynamoDB write and read units of the aggregator, modelled on how it writes (see
 * docs/exactly-once.md, "Write cost") and checked against `npm run bench -- writes`, which drives
 * the real fold and store through a table that bills items by DynamoDB's size rules.
 *
 * Per shard, a batch lasts the batching window, or less when the batch fills first. A batch
 * writes, with one conditional PutItem each:
 * - every minute item of every tenant of the shard with events in the batch: a tenant's active
 *   minute is written once per batch overlapping it, that is `1 + 60 / duration` times;
 * - the fleet's minute item of each minute the batch spans (`1 + duration / 60`);
 * and reads each of them first (strongly consistent). Hours and days are rolled up once per closed
 * period, each reading its sources with one Query (late events re-roll what they touch; rare).
 *
 * Traffic follows a daily shape (quiet nights, a midday peak, the same as the demo day's), which
 * matters because busy hours fill batches and shorten them. Item sizes are the benchmark's
 * measurements, inputs here, printed with the estimate.
 */

/** Inputs of {@link dynamoDbUnits}. */
export interface DynamoDbTraffic {
  readonly tenants: number;
  readonly eventsPerTenantPerDay: number;
  readonly shards: number;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
}

/** Sizes and traffic shape the configuration does not hold (defaults measured by `npm run bench -- writes`). */
export interface DynamoDbAssumptions {
  /** A tenant's minute item. @default 300 (benchmark: 292-330 B) */
  readonly tenantMinuteBytes: number;
  /** A tenant's hour and day items. @default 800 / 1400 */
  readonly tenantHourBytes: number;
  readonly tenantDayBytes: number;
  /**
   * Events that arrive together in one minute (a conversation's turns); with the tenant's rate it
   * sets the share of minutes in which the tenant is active. @default 11 (fits the benchmark)
   */
  readonly eventsPerBurst: number;
}

/** The defaults of {@link DynamoDbAssumptions}. */
export const DEFAULT_DYNAMODB_ASSUMPTIONS: DynamoDbAssumptions = {
  tenantMinuteBytes: 300,
  tenantHourBytes: 800,
  tenantDayBytes: 1400,
  eventsPerBurst: 11,
};

/** Units per day, by what they are spent on. */
export interface DynamoDbUnits {
  readonly wruPerDay: number;
  readonly rruPerDay: number;
  readonly parts: {
    readonly tenantMinutes: number;
    readonly fleetMinutes: number;
    readonly rollups: number;
    readonly bookkeeping: number;
  };
  /** Write units per event. */
  readonly wruPerEvent: number;
}

/** Share of the day's traffic in each hour (mean 1): the demo day's raised cosine around 14:00 UTC, floor 15%. */
function hourlyShape(): number[] {
  const raw = Array.from({ length: 24 }, (_, h) => {
    const phase = ((h + 0.5 - 14) / 24) * 2 * Math.PI;
    return 0.15 + 0.85 * ((1 + Math.cos(phase)) / 2) ** 2;
  });
  const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
  return raw.map((v) => v / mean);
}

/**
 * Share of minutes a tenant is active in an hour of traffic `share` (1: the day's mean): bursts of
 * `eventsPerBurst` events arrive as a Poisson stream.
 */
function activeShare(eventsPerTenantPerDay: number, share: number, eventsPerBurst: number): number {
  return 1 - Math.exp(-((eventsPerTenantPerDay / 1440) * share) / eventsPerBurst);
}

/** Share of a tenant's minutes over the day that hold an item (at least one event). */
export function activeMinuteShare(
  eventsPerTenantPerDay: number,
  a: DynamoDbAssumptions = DEFAULT_DYNAMODB_ASSUMPTIONS,
): number {
  const shape = hourlyShape();
  return (
    shape.reduce((sum, share) => sum + activeShare(eventsPerTenantPerDay, share, a.eventsPerBurst), 0) / shape.length
  );
}

const wru = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const rru = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

/**
 * The fleet's minute item grows with the variety it merges (more sketch bins, a denser
 * HyperLogLog): fitted to the benchmark's 490 B at 10 tenants to about 1.6 KB at 1,000.
 */
export function fleetMinuteBytes(tenantMinuteBytes: number, tenants: number): number {
  return tenantMinuteBytes * (1 + 1.1 * Math.log10(Math.max(1, tenants)));
}

/** The aggregator's DynamoDB units per day. */
export function dynamoDbUnits(
  t: DynamoDbTraffic,
  a: DynamoDbAssumptions = DEFAULT_DYNAMODB_ASSUMPTIONS,
): DynamoDbUnits {
  const events = t.tenants * t.eventsPerTenantPerDay;
  const fleetBytes = fleetMinuteBytes(a.tenantMinuteBytes, t.tenants);
  let tenantMinuteWrites = 0;
  let fleetMinuteWrites = 0;
  for (const share of hourlyShape()) {
    const perShardPerSecond = (events * share) / 86_400 / t.shards;
    const window = Math.max(1, t.batchingWindowSeconds);
    const duration = perShardPerSecond > 0 ? Math.min(window, t.batchSize / perShardPerSecond) : window;
    const batchesPerShard = 3600 / duration;
    const activeNow = activeShare(t.eventsPerTenantPerDay, share, a.eventsPerBurst);
    // Per tenant-minute: written once per batch overlapping the minute, if active in it.
    tenantMinuteWrites += t.tenants * 60 * activeNow * (1 + 60 / duration);
    fleetMinuteWrites += t.shards * batchesPerShard * (1 + duration / 60);
  }
  const tenantMinutes = tenantMinuteWrites * wru(a.tenantMinuteBytes);
  const fleetMinutes = fleetMinuteWrites * wru(fleetBytes);
  // Roll-ups: each hour and each day once, for every tenant and the fleet.
  const rollups =
    t.tenants * (24 * wru(a.tenantHourBytes) + wru(a.tenantDayBytes)) +
    (24 * wru(fleetBytes * 2) + wru(fleetBytes * 3));
  // Ledger (tenant ids, ~14 B each, added by a few batches per shard and hour) and open marks.
  const bookkeeping = 24 * (t.shards * 2 * wru(t.tenants * 14) + 4);
  const writes = tenantMinutes + fleetMinutes + rollups + bookkeeping;
  // Reads: each minute item before its write (strongly consistent), each roll-up's sources once.
  const reads =
    tenantMinuteWrites * rru(a.tenantMinuteBytes) +
    fleetMinuteWrites * rru(fleetBytes) +
    t.tenants * (24 * rru(60 * a.tenantMinuteBytes) + rru(24 * a.tenantHourBytes));
  return {
    wruPerDay: writes,
    rruPerDay: reads,
    parts: { tenantMinutes, fleetMinutes, rollups, bookkeeping },
    wruPerEvent: events === 0 ? 0 : writes / events,
  };
}
