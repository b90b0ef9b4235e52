/**
 * The `experiments[]` section of the configuration: what is being tested, on whom, with which
 * split and which KPIs. Kept beside the experiment code; the configuration schema includes it.
 */
import { z } from 'zod';
import { BUILT_IN_KPIS } from '../catalog/builtin';
import { KPI } from '../catalog/names';
import type { KpiAggregation } from '../catalog/types';
import { EXPERIMENT_ID_PATTERN, VARIANT_ID_PATTERN } from '../events/contract';

/** The fleet as an experiment's scope: every tenant's events. */
export const FLEET_SCOPE = '*';
/** Default significance level. */
export const DEFAULT_ALPHA = 0.05;

/**
 * KPI aggregations an experiment can test, and the test each gets. Counts, sums and distinct
 * counts are totals that follow the traffic split, not a per-unit outcome; NPS items keep no
 * promoter/detractor split per variant that a test could use.
 */
export const TESTABLE_AGGREGATIONS: Readonly<Partial<Record<KpiAggregation, 'proportion' | 'mean' | 'distribution'>>> =
  {
    rate: 'proportion',
    precision: 'proportion',
    recall: 'proportion',
    accuracy: 'proportion',
    conversion: 'proportion',
    mean: 'mean',
    quantiles: 'distribution',
  };

const isoInstant = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp with zone' });

const variantSchema = z.strictObject({
  id: z.string().regex(VARIANT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,31}$ (the contract\'s "variant")'),
  /** Planned share of units; shares are normalized, so 50/50 and 0.5/0.5 mean the same. */
  allocation: z.number().positive('must be > 0 (a planned share of units)'),
});

/** One experiment as configured. */
export const experimentSchema = z
  .strictObject({
    id: z.string().regex(EXPERIMENT_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,62}$ (the contract\'s "experiment")'),
    /** Human title for reports and dashboards. */
    title: z.string().min(1).optional(),
    /** A configured tenant, or `*` (the default) for an experiment across the fleet. */
    tenant: z.string().min(1).default(FLEET_SCOPE),
    variants: z.array(variantSchema).min(2, 'needs at least two variants (a control and a treatment)'),
    control: z.string().min(1),
    primaryKpi: z.string().min(1),
    secondaryKpis: z.array(z.string().min(1)).default([]),
    /** Count KPI with one event per randomized unit; its count per variant feeds the SRM check. */
    unitKpi: z.string().min(1).default(KPI.sessions),
    start: isoInstant,
    end: isoInstant.optional(),
    alpha: z.number().gt(0, 'must be > 0').max(0.5, 'must be <= 0.5').default(DEFAULT_ALPHA),
  })
  .superRefine((e, ctx) => {
    const ids = new Set<string>();
    e.variants.forEach((v, i) => {
      if (ids.has(v.id)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `duplicates "${v.id}"` });
      ids.add(v.id);
    });
    if (!ids.has(e.control)) {
      ctx.addIssue({ code: 'custom', path: ['control'], message: `names "${e.control}", which is not in variants` });
    }
    if (e.end !== undefined && Date.parse(e.end) <= Date.parse(e.start)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    }
    e.secondaryKpis.forEach((k, i) => {
      if (k === e.primaryKpi || e.secondaryKpis.indexOf(k) < i) {
        ctx.addIssue({ code: 'custom', path: ['secondaryKpis', i], message: `repeats "${k}"` });
      }
    });
  });

/** One validated experiment, defaults filled in. */
export type ExperimentConfig = z.output<typeof experimentSchema>;

/**
 * Cross-section rules: unique ids, a configured tenant, and KPIs that exist (built-in or
 * `customKpis`) and can be tested. Run by the configuration schema's refinement.
 */
export function checkExperiments(
  c: {
    experiments: readonly ExperimentConfig[];
    tenants: ReadonlyArray<{ id: string }>;
    customKpis: ReadonlyArray<{ name: string; aggregation: string }>;
  },
  ctx: z.RefinementCtx,
): void {
  const aggregationOf = new Map<string, string>(BUILT_IN_KPIS.map((k) => [k.name, k.aggregation]));
  for (const k of c.customKpis) aggregationOf.set(k.name, k.aggregation);
  const tenants = new Set(c.tenants.map((t) => t.id));
  const seen = new Set<string>();
  c.experiments.forEach((e, i) => {
    const at = ['experiments', i];
    if (seen.has(e.id))
      ctx.addIssue({ code: 'custom', path: [...at, 'id'], message: `duplicates experiment "${e.id}"` });
    seen.add(e.id);
    if (e.tenant !== FLEET_SCOPE && !tenants.has(e.tenant)) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'tenant'],
        message: `names tenant "${e.tenant}", which is not in tenants (use "*" for the fleet)`,
      });
    }
    const kpiIssue = (kpi: string): string | undefined => {
      const aggregation = aggregationOf.get(kpi);
      if (aggregation === undefined) return `names KPI "${kpi}", which is neither a built-in KPI nor in customKpis`;
      if (TESTABLE_AGGREGATIONS[aggregation as KpiAggregation] === undefined) {
        return `names KPI "${kpi}", a ${aggregation} KPI: an experiment tests rate, mean and quantile KPIs (totals follow the split, not the change)`;
      }
      return undefined;
    };
    const primary = kpiIssue(e.primaryKpi);
    if (primary !== undefined) ctx.addIssue({ code: 'custom', path: [...at, 'primaryKpi'], message: primary });
    e.secondaryKpis.forEach((k, j) => {
      const issue = kpiIssue(k);
      if (issue !== undefined) ctx.addIssue({ code: 'custom', path: [...at, 'secondaryKpis', j], message: issue });
    });
    if (aggregationOf.get(e.unitKpi) !== 'count') {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'unitKpi'],
        message: `names "${e.unitKpi}", which is not a count KPI (one event per randomized unit)`,
      });
    }
  });
}
