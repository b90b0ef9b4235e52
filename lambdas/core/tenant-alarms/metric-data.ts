/**
 * KPI buckets as metric datapoints for the alarm evaluator: what the aggregator would publish to
 * CloudWatch for a tenant, read back from the KPI table instead (no per-tenant custom metric is
 * bought for alarms). Weights travel as sample counts, so `Average` of a rate over any window is
 * the event-weighted share and `SampleCount` the events, as in the metric contract.
 *
 * Pure: no SDK, no environment.
 */
import type { KpiSet } from '../aggregates';
import type { MetricDatum } from '../alarm-evaluator';
import type { KpiDefinition } from '../catalog';

/** Values read from a quantile sketch per bucket: evenly spaced ranks, 1% relative accuracy each. */
export const QUANTILE_POINTS = 100;

/**
 * The datapoints of one bucket for the given KPIs.
 * @param namespace the namespace the alarm definitions read
 * @param dimensions the dimensions the alarm definitions read
 */
export function bucketDatapoints(
  set: KpiSet,
  kpis: readonly KpiDefinition[],
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  bucketStartMs: number,
): MetricDatum[] {
  const out: MetricDatum[] = [];
  for (const def of kpis) {
    if (def.metric === undefined) continue;
    const v = set.value(def.name);
    if (v === undefined || v.value === null || v.count === 0) continue;
    const base = { namespace, name: def.metric.name, dimensions, timestampMs: bucketStartMs };
    switch (def.aggregation) {
      case 'count':
      case 'sum':
      case 'distinct':
        out.push({ ...base, values: [v.value] });
        break;
      case 'quantiles': {
        const k = Math.min(v.count, QUANTILE_POINTS);
        const values: number[] = [];
        for (let i = 0; i < k; i++) {
          const q = set.quantile(def.name, (i + 0.5) / k);
          if (q !== undefined) values.push(q);
        }
        if (values.length > 0) {
          out.push({ ...base, values, counts: values.map(() => v.count / values.length) });
        }
        break;
      }
      case 'rate': {
        const hits = v.value * v.count;
        out.push({ ...base, values: [1, 0], counts: [hits, v.count - hits] });
        break;
      }
      default:
        out.push({ ...base, values: [v.value], counts: [v.count] });
    }
  }
  return out;
}
