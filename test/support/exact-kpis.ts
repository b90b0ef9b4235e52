/**
 * An independent, exact reference computation of every built-in KPI over accepted events:
 * exact quantiles from sorted values, exact distinct counts from Sets. It shares no code with
 * the aggregates (only the contract's types), so comparing the pipeline's exports with it checks
 * the whole path. Quantile columns are exact here; compare them with 1% relative tolerance.
 *
 * Quantile rule (the same rank rule as DDSketch): the value at index floor(q * (n - 1)) of the
 * sorted values. Grouped distinct counts are not capped here (the pipeline caps at 16 groups).
 */
import type { AgentEvent } from '../../lambdas/core/events/contract';
import type { ExportRow } from '../../lambdas/core/export';

type Granularity = 'minute' | 'hour' | 'day';
const SIZE: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A rejected record, for `rejected_events`. */
export interface ExactRejection {
  readonly tenantId?: string;
  readonly reason: string;
  readonly timeMs: number;
}

/** Options of {@link exactKpis}. */
export interface ExactKpiOptions {
  readonly granularity: Granularity;
  /** Rejections to count (fleet row always; tenant row when tenantId is set), bucketed by timeMs. */
  readonly rejections?: readonly ExactRejection[];
}

class Acc {
  counts = new Map<string, number>();
  sums = new Map<string, { n: number; sum: number }>();
  rates = new Map<string, { n: number; hits: number }>();
  values = new Map<string, number[]>();
  sets = new Map<string, { n: number; set: Set<string> }>();
  nps = { n: 0, score: 0 };
  cm = { tp: 0, fp: 0, fn: 0, tn: 0 };

  inc(k: string): void {
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  add(k: string, v: number): void {
    const s = this.sums.get(k) ?? { n: 0, sum: 0 };
    s.n++;
    s.sum += v;
    this.sums.set(k, s);
  }
  rate(k: string, hit: boolean): void {
    const r = this.rates.get(k) ?? { n: 0, hits: 0 };
    r.n++;
    if (hit) r.hits++;
    this.rates.set(k, r);
  }
  q(k: string, v: number | undefined): void {
    if (v === undefined) return;
    const l = this.values.get(k) ?? [];
    l.push(v);
    this.values.set(k, l);
  }
  distinct(k: string, v: string): void {
    const s = this.sets.get(k) ?? { n: 0, set: new Set<string>() };
    s.n++;
    s.set.add(v);
    this.sets.set(k, s);
  }
}

/** The channels kept apart per KPI; any other lead channel (or none) is `_other`. */
const CHANNELS = new Set(['voice', 'chat', 'email', 'whatsapp', 'web']);
const channelOf = (c: string | undefined): string => (c !== undefined && CHANNELS.has(c) ? c : '_other');

function feed(a: Acc, e: AgentEvent): void {
  switch (e.type) {
    case 'agent.session.completed': {
      const d = e.data;
      a.inc('sessions');
      a.inc(`sessions:${channelOf(d.channel)}`);
      a.q('handle_time', d.handleTimeMs);
      a.rate('fcr_rate', d.resolved && d.firstContact);
      a.rate('resolution_rate', d.resolved);
      a.rate('escalation_rate', d.escalated);
      return;
    }
    case 'agent.turn.completed': {
      const d = e.data;
      a.inc('turns');
      a.q('response_latency', d.totalMs);
      a.q('stt_latency', d.sttMs);
      a.q('llm_latency', d.llmMs);
      a.q('tts_latency', d.ttsMs);
      a.rate('turn_error_rate', !d.ok);
      if (d.cacheHit !== undefined) a.rate('cache_hit_rate', d.cacheHit);
      return;
    }
    case 'voice.synthesis.completed': {
      const d = e.data;
      a.inc('syntheses');
      a.q('synthesis_latency', d.latencyMs);
      a.rate('synthesis_success_rate', d.ok);
      a.rate('synthesis_cache_hit_rate', d.cacheHit);
      if (d.qualityScore !== undefined) a.add('synthesis_quality', d.qualityScore);
      a.rate('synthesis_under_1s_share', d.latencyMs < 1000);
      a.rate('synthesis_over_2s_share', d.latencyMs > 2000);
      return;
    }
    case 'api.request.completed':
      a.inc('api_requests');
      a.q('api_latency', e.data.latencyMs);
      a.rate('api_error_rate', e.data.status >= 500);
      return;
    case 'healthcheck.completed':
      a.rate('availability', e.data.ok);
      return;
    case 'feedback.submitted':
      if (e.data.kind === 'csat') a.add('csat', e.data.score);
      else {
        a.nps.n++;
        if (e.data.score >= 9) a.nps.score++;
        else if (e.data.score <= 6) a.nps.score--;
      }
      return;
    case 'escalation.reviewed': {
      const { predicted: p, actual: t } = e.data;
      if (p && t) a.cm.tp++;
      else if (p) a.cm.fp++;
      else if (t) a.cm.fn++;
      else a.cm.tn++;
      return;
    }
    case 'user.active':
      a.distinct('active_users', e.data.userId);
      if (e.data.feature !== undefined) a.distinct(`feature_adoption:${e.data.feature}`, e.data.userId);
      return;
    case 'sales.stage.changed': {
      const ch = channelOf(e.data.channel);
      a.inc(`funnel_${e.data.stage}`);
      if (e.data.stage === 'lead' || e.data.stage === 'won') a.inc(`funnel_${e.data.stage}:${ch}`);
      if (e.data.stage === 'won' && e.data.valueUsd !== undefined) {
        a.add('won_value_usd', e.data.valueUsd);
        a.add(`won_value_usd:${ch}`, e.data.valueUsd);
      }
      return;
    }
    case 'revenue.recorded':
      a.add(`mrr_${e.data.kind}_usd`, e.data.mrrDeltaUsd);
      a.add('net_new_mrr_usd', e.data.mrrDeltaUsd);
      return;
    case 'support.ticket.updated':
      a.inc(e.data.status === 'opened' ? 'tickets_opened' : 'tickets_resolved');
      if (e.data.status === 'resolved') a.q('ticket_resolution_time', e.data.resolutionMs);
      return;
    default:
      return;
  }
}

/** Exact quantile: index floor(q * (n - 1)) of the sorted values. */
export function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

const SUM_KPIS_AS_MEAN = new Set(['synthesis_quality', 'csat']);

function rowsOf(a: Acc, tenant: string, granularity: Granularity, bucketStart: string): ExportRow[] {
  const rows: ExportRow[] = [];
  const base = { tenant, granularity, bucketStart };
  for (const [kpi, n] of a.counts) rows.push({ ...base, kpi, value: n, count: n });
  for (const [kpi, s] of a.sums) {
    rows.push({ ...base, kpi, value: SUM_KPIS_AS_MEAN.has(kpi) ? s.sum / s.n : s.sum, count: s.n });
  }
  for (const [kpi, r] of a.rates) rows.push({ ...base, kpi, value: r.hits / r.n, count: r.n });
  for (const [kpi, vs] of a.values) {
    const sorted = [...vs].sort((x, y) => x - y);
    rows.push({
      ...base,
      kpi,
      value: vs.reduce((x, y) => x + y, 0) / vs.length,
      count: vs.length,
      p50: exactQuantile(sorted, 0.5),
      p95: exactQuantile(sorted, 0.95),
      p99: exactQuantile(sorted, 0.99),
    });
  }
  for (const [kpi, s] of a.sets) rows.push({ ...base, kpi, value: s.set.size, count: s.n });
  if (a.nps.n > 0) rows.push({ ...base, kpi: 'nps', value: (100 * a.nps.score) / a.nps.n, count: a.nps.n });
  const { tp, fp, fn, tn } = a.cm;
  const total = tp + fp + fn + tn;
  if (total > 0) {
    const r = (x: number, y: number) => (y === 0 ? null : x / y);
    rows.push({ ...base, kpi: 'escalation_precision', value: r(tp, tp + fp), count: tp + fp });
    rows.push({ ...base, kpi: 'escalation_recall', value: r(tp, tp + fn), count: tp + fn });
    rows.push({ ...base, kpi: 'escalation_accuracy', value: (tp + tn) / total, count: total });
  }
  const stages = ['lead', 'contacted', 'qualified', 'proposal', 'won'];
  for (let i = 0; i + 1 < stages.length; i++) {
    const from = a.counts.get(`funnel_${stages[i]}`) ?? 0;
    const to = a.counts.get(`funnel_${stages[i + 1]}`) ?? 0;
    if (from === 0 && to === 0) continue;
    rows.push({
      ...base,
      kpi: `conversion_${stages[i]}_to_${stages[i + 1]}`,
      value: from === 0 ? null : to / from,
      count: from,
    });
  }
  return rows;
}

function isoBucket(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * Exact KPI rows for every (tenant and `*`, bucket) that has events, sorted by tenant, bucket
 * and KPI name.
 */
export function exactKpis(events: readonly AgentEvent[], opts: ExactKpiOptions): ExportRow[] {
  const size = SIZE[opts.granularity];
  const accs = new Map<string, Acc>();
  const acc = (tenant: string, start: number): Acc => {
    const key = `${tenant}|${start}`;
    let a = accs.get(key);
    if (a === undefined) {
      a = new Acc();
      accs.set(key, a);
    }
    return a;
  };
  for (const e of events) {
    const start = Math.floor(Date.parse(e.time) / size) * size;
    feed(acc(e.tenantid, start), e);
    feed(acc('*', start), e);
  }
  for (const r of opts.rejections ?? []) {
    const start = Math.floor(r.timeMs / size) * size;
    const targets = r.tenantId === undefined ? ['*'] : [r.tenantId, '*'];
    for (const t of targets) {
      const a = acc(t, start);
      a.inc('rejected_events');
      a.inc(`rejected_events:${r.reason}`);
    }
  }
  const rows: ExportRow[] = [];
  for (const [key, a] of accs) {
    const [tenant, start] = key.split('|') as [string, string];
    rows.push(...rowsOf(a, tenant, opts.granularity, isoBucket(Number(start))));
  }
  return rows.sort(
    (x, y) =>
      x.tenant.localeCompare(y.tenant) || x.bucketStart.localeCompare(y.bucketStart) || x.kpi.localeCompare(y.kpi),
  );
}
