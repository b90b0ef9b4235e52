import type { PipelineConfig } from '../config/schema';
import { CUSTOM_EVENT_PREFIX } from '../events/contract';
import { InvalidCustomKpiError, KpiCatalog } from './catalog';
import type { CustomKpiSpec } from './types';

/**
 * The KPI catalog of a configuration: the built-in KPIs plus its custom KPIs. The one place a
 * configuration becomes a catalog, for the CDK app, every handler and the CLI.
 * @throws InvalidCustomKpiError when a custom KPI cannot be used
 */
export function catalogFor(config: Pick<PipelineConfig, 'customKpis'>): KpiCatalog {
  return KpiCatalog.create(customKpiSpecs(config));
}

/**
 * The configuration's custom KPIs as catalog specs. The schema already checks the `custom.`
 * prefix; this narrows the string type to the catalog's template literal type.
 */
function customKpiSpecs(config: Pick<PipelineConfig, 'customKpis'>): CustomKpiSpec[] {
  return config.customKpis.map((k, i) => {
    const { eventType } = k;
    if (!isCustomEventType(eventType)) {
      throw new InvalidCustomKpiError(`customKpis[${i}].eventType`, `must start with "${CUSTOM_EVENT_PREFIX}"`);
    }
    return { ...k, eventType };
  });
}

function isCustomEventType(type: string): type is `custom.${string}` {
  return type.startsWith(CUSTOM_EVENT_PREFIX);
}
