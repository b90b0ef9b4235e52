/**
 * The contract bounds every number, so the largest events it accepts, many times over, still give
 * finite KPIs everywhere a user reads them: the export format, its CSV parser and the EMF metrics
 * the alarms evaluate.
 */

import { CapturedMetrics } from '../../cli/local/handlers';
import { EmfKpiMetrics } from '../../lambdas/adapters/metrics-emf';
import { KpiSet } from '../../lambdas/core/aggregates';
import { parseEmfLines } from '../../lambdas/core/alarm-evaluator';
import { KpiCatalog } from '../../lambdas/core/catalog';
import type { AgentEvent } from '../../lambdas/core/events/contract';
import { decodeEvent, MAX_ABS_USD, MAX_DURATION_MS } from '../../lambdas/core/events/decode';
import { exportRows, parseCsv, toCsv } from '../../lambdas/core/export';
import { DEFAULT_EVENT_TIME_MS, encodeEvent, makeEvent } from '../support/events';

const catalog = KpiCatalog.builtIn();
const MAX = MAX_DURATION_MS;

/** Every built-in type with each of its numbers at the contract's bound. */
function eventsAtTheBounds(): AgentEvent[] {
  return [
    makeEvent('agent.session.completed', { data: { handleTimeMs: MAX } }),
    makeEvent('agent.turn.completed', { data: { totalMs: MAX, sttMs: MAX, llmMs: MAX, ttsMs: MAX } }),
    makeEvent('agent.turn.completed', { data: { totalMs: 0, sttMs: 0, llmMs: 0, ttsMs: 0 } }),
    makeEvent('voice.synthesis.completed', { data: { latencyMs: MAX, qualityScore: 1 } }),
    makeEvent('api.request.completed', { data: { latencyMs: MAX, status: 599 } }),
    makeEvent('healthcheck.completed', { data: { latencyMs: MAX } }),
    makeEvent('feedback.submitted', { data: { kind: 'nps', score: 10 } }),
    makeEvent('sales.stage.changed', { data: { stage: 'won', valueUsd: MAX_ABS_USD } }),
    makeEvent('revenue.recorded', { data: { kind: 'new', mrrDeltaUsd: MAX_ABS_USD } }),
    makeEvent('revenue.recorded', { data: { kind: 'churn', mrrDeltaUsd: -MAX_ABS_USD } }),
    makeEvent('support.ticket.updated', { data: { status: 'resolved', resolutionMs: MAX } }),
  ];
}

function decodedAtTheBounds(): AgentEvent[] {
  return eventsAtTheBounds().map((e) => {
    const r = decodeEvent(encodeEvent(e), { nowMs: DEFAULT_EVENT_TIME_MS, catalog });
    if (!r.ok) throw new Error(`the contract refuses its own bound: ${r.rejection.message}`);
    return r.event;
  });
}

/** A minute of 10,000 copies of each event at the bounds, merged 100 times into a day. */
function dayAtTheBounds(): KpiSet {
  const minute = new KpiSet(catalog);
  const events = decodedAtTheBounds();
  for (let i = 0; i < 10_000; i++) for (const e of events) minute.observe(e);
  const day = new KpiSet(catalog);
  for (let i = 0; i < 100; i++) day.mergeFrom(minute);
  return day;
}

describe('contract bounds: values stay finite', () => {
  const day = dayAtTheBounds();

  it('every exported value and quantile is finite, and the CSV parses back', () => {
    const rows = exportRows('acme', 'day', DEFAULT_EVENT_TIME_MS, day);
    expect(rows.map((r) => r.kpi)).toEqual(expect.arrayContaining(['won_value_usd', 'response_latency']));
    for (const r of rows) {
      for (const v of [r.value, r.p50, r.p95, r.p99])
        if (v !== undefined && v !== null) expect([r.kpi, Number.isFinite(v)]).toEqual([r.kpi, true]);
    }
    const parsed = parseCsv(toCsv(rows));
    expect(parsed).toHaveLength(rows.length);
    const won = parsed.find((r) => r.kpi === 'won_value_usd');
    expect(won?.value).toBe(MAX_ABS_USD * 1_000_000);
  });

  it('the EMF documents hold only finite numbers, which the alarm evaluator reads', () => {
    const metrics = new CapturedMetrics({
      namespace: 'AcmeAgents',
      serviceName: 'aggregator',
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    const sink = new EmfKpiMetrics({ metrics, catalog, perTenantAlarmTenants: ['acme'] });
    sink.publish([{ tenant: 'acme', bucketStartMs: DEFAULT_EVENT_TIME_MS, set: day }]);
    expect(metrics.documents.length).toBeGreaterThan(0);
    const datapoints = parseEmfLines(metrics.documents);
    expect(datapoints.length).toBeGreaterThan(0);
    expect(metrics.documents.join('\n')).not.toMatch(/null|Infinity|NaN/);
  });
});
