/**
 * Configuration defaults that the built-in catalog entries carry: report targets and health-score
 * targets. The configuration schema takes its defaults from here, so a target is written once, in
 * its KPI's entry.
 */

import { InvalidCatalogEntryError } from './builders';
import { BUILT_IN_KPIS } from './builtin';
import type { BuiltInKpiName } from './names';
import type { ReportTarget } from './types';

/** The default `reports.targets`: every built-in KPI's report target, catalog order. */
export function builtInReportTargets(): Record<string, ReportTarget> {
  const out: Record<string, ReportTarget> = {};
  for (const k of BUILT_IN_KPIS) if (k.report?.target !== undefined) out[k.name] = { ...k.report.target };
  return out;
}

/**
 * The health-score target of a built-in KPI.
 * @throws InvalidCatalogEntryError when the entry carries none
 */
export function builtInHealthTarget(name: BuiltInKpiName): number {
  const target = BUILT_IN_KPIS.find((k) => k.name === name)?.healthTarget;
  if (target === undefined) throw new InvalidCatalogEntryError(name, 'health', 'is not set: the health score reads it');
  return target;
}
