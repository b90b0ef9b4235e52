/**
 * KPI table keys. One item per (tenant, granularity, bucket):
 *
 * - partition key `pk` = `kpi#<tenant>#<granularity>`, e.g. `kpi#acme#minute`, `kpi#*#day`
 * - sort key `sk` = the bucket start, `2026-11-22T08:00:00Z`
 *
 * Why no collision is possible: tenant ids match `^[a-z0-9][a-z0-9-]{1,62}$`, so they contain
 * neither `#` nor `*`. The tenant is therefore exactly the text between the first and the last
 * `#` of `pk`, the fleet tenant `*` can never be a real tenant, and `kpi#a#b` cannot be read as
 * another (tenant, granularity) pair. {@link parseKpiItemKey} inverts {@link kpiItemKey} and
 * rejects everything else (a unit test checks the round trip over arbitrary tenant ids).
 *
 * Putting the granularity in the partition key keeps a range read (a tenant's minutes of a day)
 * to one Query on one partition, with the fixed-width ISO sort key ordering buckets in time.
 */
import { TENANT_ID_PATTERN } from '../events/contract';
import { formatBucket, GRANULARITIES, GRANULARITY_MS, type Granularity, parseBucket } from '../time/buckets';
import { FLEET_SCOPE } from '../vocabulary';

/** The fleet-wide tenant: every tenant's events merged. */
export const FLEET_TENANT = FLEET_SCOPE;

/** Prefix of every KPI item's partition key (the table may later hold other item kinds). */
export const KPI_KEY_PREFIX = 'kpi';

/** The primary key of a KPI item. */
export interface KpiItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** What a KPI item key identifies. */
export interface KpiItemAddress {
  /** A tenant id or {@link FLEET_TENANT}. */
  readonly tenant: string;
  readonly granularity: Granularity;
  /** Bucket start, epoch ms, aligned to the granularity. */
  readonly bucketStartMs: number;
  /** Set on an experiment item: the KPIs of one variant of one experiment in the scope `tenant`. */
  readonly experiment?: ExperimentCellKey;
}

/** The experiment and variant of an experiment item. */
export interface ExperimentCellKey {
  /** An experiment id of the contract, or {@link UNKNOWN_ASSIGNMENT} for events naming no configured experiment. */
  readonly id: string;
  /** A variant id of the contract, or {@link UNKNOWN_ASSIGNMENT} for events naming no configured variant. */
  readonly variant: string;
}

/** Prefix of experiment items' partition keys: `exp#<scope>#<experiment>#<variant>#<granularity>`. */
export const EXPERIMENT_KEY_PREFIX = 'exp';

/**
 * Experiment or variant of events whose assignment matches no configuration. Contract ids start
 * with a letter or digit, so this name is never a real one.
 */
export const UNKNOWN_ASSIGNMENT = '_unknown';

const EXPERIMENT_PART = /^(?:[a-z0-9][a-z0-9_-]{0,62}|_unknown)$/;

/** The partition key of an experiment's items for one variant and granularity. */
export function experimentPartitionKey(tenant: string, cell: ExperimentCellKey, granularity: Granularity): string {
  if (!isKpiTenant(tenant)) {
    throw new InvalidKpiKeyError(`tenant "${tenant.slice(0, 80)}"`, 'must match ^[a-z0-9][a-z0-9-]{1,62}$ or be "*"');
  }
  if (!EXPERIMENT_PART.test(cell.id) || !EXPERIMENT_PART.test(cell.variant)) {
    throw new InvalidKpiKeyError(
      `experiment "${cell.id.slice(0, 80)}/${cell.variant.slice(0, 40)}"`,
      'is not a contract id',
    );
  }
  return `${EXPERIMENT_KEY_PREFIX}#${tenant}#${cell.id}#${cell.variant}#${granularity}`;
}

/** A tenant id or key that cannot address a KPI item. */
export class InvalidKpiKeyError extends Error {
  constructor(what: string, why: string) {
    super(`${what}: ${why}`);
    this.name = 'InvalidKpiKeyError';
  }
}

/** Whether `tenant` may address KPI items: a valid tenant id or the fleet. */
export function isKpiTenant(tenant: string): boolean {
  return tenant === FLEET_TENANT || TENANT_ID_PATTERN.test(tenant);
}

/** The partition key holding all buckets of one tenant at one granularity. */
export function kpiPartitionKey(tenant: string, granularity: Granularity): string {
  if (!isKpiTenant(tenant)) {
    throw new InvalidKpiKeyError(`tenant "${tenant.slice(0, 80)}"`, 'must match ^[a-z0-9][a-z0-9-]{1,62}$ or be "*"');
  }
  return `${KPI_KEY_PREFIX}#${tenant}#${granularity}`;
}

/**
 * The key of the item for `address`.
 * @throws InvalidKpiKeyError when the tenant is not a tenant id or `*`, or the bucket start is not aligned
 */
export function kpiItemKey(address: KpiItemAddress): KpiItemKey {
  const { tenant, granularity, bucketStartMs } = address;
  if (!Number.isSafeInteger(bucketStartMs) || bucketStartMs % GRANULARITY_MS[granularity] !== 0) {
    throw new InvalidKpiKeyError(`bucket ${bucketStartMs}`, `is not the start of a ${granularity} bucket`);
  }
  const pk =
    address.experiment === undefined
      ? kpiPartitionKey(tenant, granularity)
      : experimentPartitionKey(tenant, address.experiment, granularity);
  return { pk, sk: formatBucket(bucketStartMs) };
}

/**
 * Inverse of {@link kpiItemKey}.
 * @throws InvalidKpiKeyError for keys it did not build
 */
export function parseKpiItemKey(key: KpiItemKey): KpiItemAddress {
  const parts = key.pk.split('#');
  const experimentItem = parts.length === 5 && parts[0] === EXPERIMENT_KEY_PREFIX;
  if (!experimentItem && (parts.length !== 3 || parts[0] !== KPI_KEY_PREFIX)) {
    throw new InvalidKpiKeyError(`pk "${key.pk.slice(0, 100)}"`, 'is not kpi#<tenant>#<granularity>');
  }
  const tenant = parts[1]!;
  const g = parts[parts.length - 1]!;
  const experiment = experimentItem ? { id: parts[2]!, variant: parts[3]! } : undefined;
  if (experiment !== undefined && !(EXPERIMENT_PART.test(experiment.id) && EXPERIMENT_PART.test(experiment.variant))) {
    throw new InvalidKpiKeyError(`pk "${key.pk.slice(0, 100)}"`, 'names no valid experiment and variant');
  }
  if (!isKpiTenant(tenant)) throw new InvalidKpiKeyError(`pk "${key.pk.slice(0, 100)}"`, 'names no valid tenant');
  if (!(GRANULARITIES as readonly string[]).includes(g)) {
    throw new InvalidKpiKeyError(`pk "${key.pk.slice(0, 100)}"`, 'names no granularity');
  }
  const granularity = g as Granularity;
  let bucketStartMs: number;
  try {
    bucketStartMs = parseBucket(key.sk);
  } catch {
    throw new InvalidKpiKeyError(`sk "${key.sk.slice(0, 100)}"`, 'is not a bucket start');
  }
  if (bucketStartMs % GRANULARITY_MS[granularity] !== 0) {
    throw new InvalidKpiKeyError(`sk "${key.sk}"`, `is not the start of a ${granularity} bucket`);
  }
  return experiment === undefined
    ? { tenant, granularity, bucketStartMs }
    : { tenant, granularity, bucketStartMs, experiment };
}

/** A string id of an item key, for maps (`pk` and `sk` joined by a character neither contains). */
export function itemId(key: KpiItemKey): string {
  return `${key.pk}|${key.sk}`;
}

/** How long KPI items are kept, per granularity, in days. */
export interface KpiRetention {
  /** @default 14 */
  readonly minuteDays: number;
  /** @default 400 */
  readonly hourDays: number;
  /** @default 1825 (5 years) */
  readonly dayDays: number;
}

/** The retention defaults of the operations spec. */
export const DEFAULT_KPI_RETENTION: KpiRetention = { minuteDays: 14, hourDays: 400, dayDays: 1825 };

/**
 * The TTL (`expiresAt`, epoch seconds) of an item: the end of its bucket plus the retention of
 * its granularity. Counting from the bucket's end, not from the write, keeps the expiry of an item
 * fixed however often late events touch it.
 */
export function expiresAtSeconds(address: KpiItemAddress, retention: KpiRetention = DEFAULT_KPI_RETENTION): number {
  const days =
    address.granularity === 'minute'
      ? retention.minuteDays
      : address.granularity === 'hour'
        ? retention.hourDays
        : retention.dayDays;
  const endMs = address.bucketStartMs + GRANULARITY_MS[address.granularity];
  return Math.floor(endMs / 1000) + days * 86_400;
}

/**
 * Partition of the roll-up ledger: one item per hour (sort key = the hour's start) listing the
 * tenants with minute items in it. `rollup` never starts a KPI item's key, so no tenant can reach it.
 */
export const ROLLUP_LEDGER_PK = 'rollup#ledger';

/** Partition of the open marks: one item per hour or day not yet rolled up. */
export const OPEN_PERIODS_PK = 'rollup#open';

/** The sort key of an open mark, e.g. `hour#2026-11-22T08:00:00Z`. */
export function openPeriodSortKey(granularity: 'hour' | 'day', bucketStartMs: number): string {
  return `${granularity}#${formatBucket(bucketStartMs)}`;
}

/**
 * Inverse of {@link openPeriodSortKey}.
 * @throws InvalidKpiKeyError for other keys
 */
export function parseOpenPeriodSortKey(sk: string): { granularity: 'hour' | 'day'; bucketStartMs: number } {
  const [g, at] = sk.split('#');
  if ((g !== 'hour' && g !== 'day') || at === undefined) {
    throw new InvalidKpiKeyError(`open mark "${sk.slice(0, 100)}"`, 'is not hour#<start> or day#<start>');
  }
  const bucketStartMs = parseBucket(at);
  if (bucketStartMs % GRANULARITY_MS[g] !== 0) throw new InvalidKpiKeyError(`open mark "${sk}"`, `is not a ${g} start`);
  return { granularity: g, bucketStartMs };
}
