/**
 * An in-memory KpiStore for benchmarks that measure something other than DynamoDB: it keeps
 * items serialized and deserializes them on read, as the DynamoDB store does, so the item codec
 * is part of the figure. Roll-ups are not modelled (bench/writes.bench.ts counts their cost):
 * no ledger, nothing open.
 */
import { KpiSet } from '../lambdas/core/aggregates';
import {
  itemId,
  type KpiItemAddress,
  type KpiItemWrite,
  type KpiStore,
  type KpiWriteOutcome,
  kpiItemKey,
  type MergedSources,
  type OpenPeriod,
  type StoredKpiItem,
} from '../lambdas/core/aggregation';
import type { KpiCatalog } from '../lambdas/core/catalog';

interface MemoryItem {
  readonly address: KpiItemAddress;
  readonly kpis: Uint8Array;
  readonly version: number;
  readonly watermarks: Readonly<Record<string, string>>;
}

/** See the module comment. */
export class MemoryKpiStore implements KpiStore {
  private readonly items = new Map<string, MemoryItem>();

  constructor(private readonly catalog: KpiCatalog) {}

  async readLedgers(): Promise<Map<number, ReadonlySet<string>>> {
    return new Map();
  }
  async addToLedger(): Promise<void> {}
  async openPeriods(): Promise<OpenPeriod[]> {
    return [];
  }
  async closePeriod(): Promise<void> {}
  async readSources(): Promise<MergedSources> {
    return { set: new KpiSet(this.catalog), stamp: 0, items: 0 };
  }
  async putRollup(): Promise<'written'> {
    return 'written';
  }

  async read(addresses: readonly KpiItemAddress[]): Promise<Map<string, StoredKpiItem>> {
    const out = new Map<string, StoredKpiItem>();
    for (const a of addresses) {
      const id = itemId(kpiItemKey(a));
      const item = this.items.get(id);
      if (item !== undefined) {
        out.set(id, {
          address: item.address,
          set: KpiSet.deserialize(item.kpis, this.catalog),
          version: item.version,
          watermarks: item.watermarks,
        });
      }
    }
    return out;
  }

  async write(writes: readonly KpiItemWrite[]): Promise<KpiWriteOutcome[]> {
    return writes.map((w) => {
      this.items.set(itemId(kpiItemKey(w.address)), {
        address: w.address,
        kpis: w.set.serialize(),
        version: (w.expectedVersion ?? 0) + 1,
        watermarks: { ...w.watermarks },
      });
      return 'written';
    });
  }
}
