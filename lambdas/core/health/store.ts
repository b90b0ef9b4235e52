import type { HealthScore } from './types';

/**
 * Where daily health scores are kept (the KPI table, pk `health#<tenant>`, sk `yyyy-mm-dd`, in
 * AWS; memory in tests). Reports and the next day's trend read it back.
 */
export interface HealthStore {
  /** Stores (overwrites) the scores, one item per tenant and day. */
  put(scores: readonly HealthScore[]): Promise<void>;
  /** A tenant's scores with `fromDate <= date <= toDate` (`yyyy-mm-dd`), oldest first. */
  history(tenant: string, fromDate: string, toDate: string): Promise<HealthScore[]>;
}

/** A {@link HealthStore} in memory, for tests, the CLI preview and local mode. */
export class InMemoryHealthStore implements HealthStore {
  private readonly items = new Map<string, HealthScore>();

  /** {@inheritDoc HealthStore.put} */
  async put(scores: readonly HealthScore[]): Promise<void> {
    for (const s of scores) this.items.set(`${s.tenant}|${s.date}`, s);
  }

  /** {@inheritDoc HealthStore.history} */
  async history(tenant: string, fromDate: string, toDate: string): Promise<HealthScore[]> {
    return [...this.items.values()]
      .filter((s) => s.tenant === tenant && s.date >= fromDate && s.date <= toDate)
      .sort((a, b) => (a.date < b.date ? -1 : 1));
  }
}
