/** The alarm stage: the synthesized alarms evaluated over the captured EMF metrics, as CloudWatch would. */
import {
  type AlarmDefinitions,
  type AlarmStateTransition,
  alarmsFromTemplate,
  evaluateAlarms,
  parseEmfLines,
} from '../../lambdas/core/alarm-evaluator';
import { type SynthesizedTemplates, withLocalReferences } from '../synth';

/** The outcome of evaluating the synthesized alarms. */
export interface LocalAlarmResult {
  readonly alarmsEvaluated: number;
  readonly datapoints: number;
  /** Every state change, in time order. */
  readonly transitions: readonly AlarmStateTransition[];
}

/** How long after the range the alarms keep being evaluated, so episodes at its end can resolve. */
export const ALARM_TAIL_MS = 30 * 60_000;

/** The CloudWatch alarms of the synthesized templates, as the evaluator reads them. */
export function templateAlarms(templates: SynthesizedTemplates): AlarmDefinitions {
  const parts = Object.values(templates).map((t) => alarmsFromTemplate(withLocalReferences(t)));
  return {
    metricAlarms: parts.flatMap((p) => p.metricAlarms),
    composites: parts.flatMap((p) => p.composites),
    anomalyDetectors: parts.flatMap((p) => p.anomalyDetectors),
  };
}

/**
 * Evaluates every alarm of the synthesized templates, minute by minute, over the EMF documents the
 * aggregator published, following CloudWatch's semantics (the project's evaluator). Per-tenant
 * rules are not here: the local run and the alert benchmark run them through the real
 * tenant-alarms handler over the KPI items (./tenant-alarms.ts, bench/alerts-tenant-evaluation.ts).
 */
export function evaluateLocalAlarms(
  templates: SynthesizedTemplates,
  emfDocuments: readonly string[],
  fromMs: number,
  toMs: number,
): LocalAlarmResult {
  const definitions = templateAlarms(templates);
  // Metrics before the range are history (sampled, denser minutes): no alarm looks back at them.
  const data = parseEmfLines(emfDocuments).filter((d) => d.timestampMs >= fromMs);
  const { transitions } = evaluateAlarms(definitions, data, { fromMs, toMs: toMs + ALARM_TAIL_MS });
  return {
    alarmsEvaluated: definitions.metricAlarms.length + definitions.composites.length,
    datapoints: data.length,
    transitions,
  };
}
