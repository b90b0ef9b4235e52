/**
 * Reads an experiment's items over a range of UTC days through the KPI store port and merges
 * them per variant: the input of {@link analyzeExperiment}.
 */
import { KpiSet } from '../aggregates';
import { itemId, type KpiItemAddress, type KpiStore, kpiItemKey, UNKNOWN_ASSIGNMENT } from '../aggregation';
import type { KpiCatalog } from '../catalog';
import { bucketStart } from '../time/buckets';
import { analyzeExperiment, type ExperimentResult, experimentStatus } from './analyze';
import type { ExperimentConfig } from './config';
import { EXPERIMENT_SET_OPTIONS } from './routing';

const DAY_MS = 86_400_000;

/** An experiment's data over the days read. */
export interface ExperimentData {
  /** Per variant, the merge of its day items (variants without items are absent). */
  readonly sets: Map<string, KpiSet>;
  /** Events that named this experiment with a variant it does not have. */
  readonly unknownVariantEvents: number;
  /** Per variant, per UTC day (epoch ms), the day's set: for daily charts. */
  readonly days: ReadonlyArray<{ readonly dayMs: number; readonly variant: string; readonly set: KpiSet }>;
}

/**
 * The experiment's day items in [fromMs, toMs) (whole UTC days), merged per variant.
 * @throws KpiStoreError when the items cannot be read
 */
export async function readExperiment(
  store: Pick<KpiStore, 'read'>,
  catalog: KpiCatalog,
  exp: ExperimentConfig,
  fromMs: number,
  toMs: number,
): Promise<ExperimentData> {
  const addresses: KpiItemAddress[] = [];
  for (let day = bucketStart(fromMs, 'day'); day < toMs; day += DAY_MS) {
    for (const variant of [...exp.variants.map((v) => v.id), UNKNOWN_ASSIGNMENT]) {
      addresses.push({
        tenant: exp.tenant,
        granularity: 'day',
        bucketStartMs: day,
        experiment: { id: exp.id, variant },
      });
    }
  }
  const stored = addresses.length === 0 ? new Map() : await store.read(addresses);
  const sets = new Map<string, KpiSet>();
  const days: Array<{ dayMs: number; variant: string; set: KpiSet }> = [];
  let unknownVariantEvents = 0;
  for (const a of addresses) {
    const item = stored.get(itemId(kpiItemKey(a)));
    if (item === undefined) continue;
    const variant = a.experiment!.variant;
    if (variant === UNKNOWN_ASSIGNMENT) {
      unknownVariantEvents += item.set.eventCount();
      continue;
    }
    days.push({ dayMs: a.bucketStartMs, variant, set: item.set });
    let set = sets.get(variant);
    if (set === undefined) {
      set = new KpiSet(catalog, EXPERIMENT_SET_OPTIONS);
      sets.set(variant, set);
    }
    set.mergeFrom(item.set);
  }
  return { sets, unknownVariantEvents, days };
}

/**
 * Every configured experiment that has started by `nowMs`, analysed over [fromMs, toMs).
 * @throws KpiStoreError when the items cannot be read
 */
export async function analyzeConfiguredExperiments(
  store: Pick<KpiStore, 'read'>,
  catalog: KpiCatalog,
  experiments: readonly ExperimentConfig[],
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<ExperimentResult[]> {
  const out: ExperimentResult[] = [];
  for (const exp of experiments) {
    if (experimentStatus(exp, nowMs) === 'scheduled') continue;
    const data = await readExperiment(store, catalog, exp, Math.max(fromMs, Date.parse(exp.start)), toMs);
    out.push(analyzeExperiment(exp, catalog, data.sets, nowMs));
  }
  return out;
}
