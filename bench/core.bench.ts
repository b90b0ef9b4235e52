/**
 * Core decode and aggregate: the aggregator's per-record work, over the same 1,000,000
 * synthetic records (base64, as Lambda receives Kinesis data):
 *
 * - decode only: base64 -> bytes -> JSON.parse (the floor any consumer pays);
 * - decode + validate + aggregate: base64 -> decodeEvent (size check, JSON.parse, schema,
 *   tenant, time) -> KpiSet.observe into one set per (tenant, minute), as the aggregator does.
 *
 * Goal: the second runs at >= 0.5x the first. `BENCH_RECORDS=200000 npm run bench -- core` for
 * a quick run (figures in BENCHMARKS.md come from the full million).
 */

import { SeededRandom } from '../cli/local/simulator';
import { KpiSet } from '../lambdas/core/aggregates';
import { KpiCatalog } from '../lambdas/core/catalog';
import { decodeEvent } from '../lambdas/core/events/decode';
import { bucketStart } from '../lambdas/core/time/buckets';
import type { BenchResult } from './run';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const TENANTS = 100;
const START_MS = Date.UTC(2026, 10, 22, 8, 0, 0);
const SPAN_MS = 60 * 60_000;

/** Deterministic PRNG (mulberry32) so every run measures the same records. */
function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/**
 * The records' base64 text in one off-heap buffer. A million live strings would make every
 * garbage collection mark 400 MB, punishing whichever pass allocates more; a Lambda holds one
 * batch, not a million records. Both passes pay the same `text(i)` to get a record's string.
 */
class RecordPool {
  private constructor(
    private readonly bytes: Buffer,
    private readonly offsets: Uint32Array,
  ) {}

  /** Builds the pool record by record, so a million strings never live at once. */
  static build(n: number, make: (i: number) => string): RecordPool {
    const offsets = new Uint32Array(n + 1);
    let bytes = Buffer.allocUnsafe(n * 400);
    for (let i = 0; i < n; i++) {
      const text = make(i);
      const at = offsets[i]!;
      if (at + text.length > bytes.length) {
        const grown = Buffer.allocUnsafe(Math.max(bytes.length * 2, at + text.length));
        bytes.copy(grown, 0, 0, at);
        bytes = grown;
      }
      bytes.write(text, at, 'latin1');
      offsets[i + 1] = at + text.length;
    }
    return new RecordPool(bytes.subarray(0, offsets[n]), offsets);
  }

  get length(): number {
    return this.offsets.length - 1;
  }

  /** Record `i` as Lambda hands it over: a base64 string. */
  text(i: number): string {
    return this.bytes.toString('latin1', this.offsets[i], this.offsets[i + 1]);
  }

  /** Average decoded record size. */
  averageBytes(): number {
    return Math.round((this.bytes.length * 0.75) / this.length);
  }
}

/** A realistic mix: turns and syntheses dominate, as in a voice fleet. */
export function makeRecords(n: number): RecordPool {
  const rnd = prng(42);
  return RecordPool.build(n, (i) => {
    const r = rnd();
    const tenant = `tenant-${String(Math.floor(rnd() ** 2 * TENANTS)).padStart(3, '0')}`;
    // Records arrive roughly in event-time order (a few seconds of jitter), as on a real stream.
    const time = new Date(START_MS + Math.floor((i / n) * (SPAN_MS - 10_000) + rnd() * 10_000)).toISOString();
    const latency = Math.round(Math.exp(6 + rnd() * 2));
    let type: string;
    let data: Record<string, unknown>;
    if (r < 0.35) {
      type = 'agent.turn.completed';
      data = {
        sessionId: `s-${i >> 3}`,
        totalMs: latency,
        sttMs: 120,
        llmMs: latency >> 1,
        ttsMs: 200,
        cacheHit: rnd() < 0.5,
        ok: rnd() > 0.01,
      };
    } else if (r < 0.6) {
      type = 'voice.synthesis.completed';
      data = { latencyMs: latency, ok: rnd() > 0.003, cacheHit: rnd() < 0.45, qualityScore: 0.9 + rnd() / 10 };
    } else if (r < 0.75) {
      type = 'api.request.completed';
      data = { route: '/v1/calls', method: 'POST', status: rnd() < 0.01 ? 503 : 200, latencyMs: latency >> 2 };
    } else if (r < 0.85) {
      type = 'user.active';
      data = { userId: `u-${Math.floor(rnd() * 50_000)}`, feature: ['search', 'voice', 'reports'][i % 3] };
    } else if (r < 0.93) {
      type = 'agent.session.completed';
      data = {
        sessionId: `s-${i}`,
        channel: 'voice',
        handleTimeMs: latency * 60,
        resolved: rnd() < 0.8,
        firstContact: rnd() < 0.7,
        escalated: rnd() < 0.1,
      };
    } else if (r < 0.97) {
      type = 'healthcheck.completed';
      data = { target: 'voice-gateway', ok: rnd() > 0.001, latencyMs: 30 };
    } else {
      type = 'feedback.submitted';
      data = { kind: 'nps', score: Math.floor(rnd() * 11), sessionId: `s-${i}` };
    }
    const event = {
      specversion: '1.0',
      id: `evt-${i}`,
      source: '/voice-gateway/eu-1',
      type,
      time,
      tenantid: tenant,
      data,
    };
    return Buffer.from(JSON.stringify(event)).toString('base64');
  });
}

/** Wall and CPU seconds of `fn` (CPU: this process, all threads, so GC work counts too). */
function timed(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

/** Rounds the two passes are interleaved in, so both see the same machine load. */
const ROUNDS = 10;

/** The benchmark. */
export async function run(): Promise<BenchResult[]> {
  const records = makeRecords(RECORDS);
  const avgBytes = records.averageBytes();
  const catalog = KpiCatalog.builtIn();
  const nowMs = START_MS + SPAN_MS;

  let sink = 0;
  const decodeOnly = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const parsed = JSON.parse(Buffer.from(records.text(i), 'base64').toString('utf8')) as { id: string };
      sink += parsed.id.length;
    }
  };
  // One KpiSet per (tenant, minute), as the aggregator keeps per batch before writing; one
  // decode context for the whole run, as a handler builds it once per batch.
  const ctx = { nowMs, catalog };
  const sets = new Map<string, Map<number, KpiSet>>();
  let rejected = 0;
  const full = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const result = decodeEvent(Buffer.from(records.text(i), 'base64'), ctx);
      if (!result.ok) {
        rejected++;
        continue;
      }
      let byMinute = sets.get(result.event.tenantid);
      if (byMinute === undefined) {
        byMinute = new Map();
        sets.set(result.event.tenantid, byMinute);
      }
      const minute = bucketStart(result.eventTimeMs, 'minute');
      let set = byMinute.get(minute);
      if (set === undefined) {
        set = new KpiSet(catalog);
        byMinute.set(minute, set);
      }
      set.observe(result.event);
    }
  };

  // Warm-up on a slice so both are measured JIT-compiled; the slice is then aggregated again, so
  // the warm-up sets are dropped.
  const warm = Math.min(50_000, records.length);
  decodeOnly(0, warm);
  full(0, warm);
  sets.clear();

  const d = { wall: 0, cpu: 0 };
  const f = { wall: 0, cpu: 0 };
  const step = Math.ceil(records.length / ROUNDS);
  for (let from = 0; from < records.length; from += step) {
    const to = Math.min(records.length, from + step);
    const a = timed(() => decodeOnly(from, to));
    const b = timed(() => full(from, to));
    d.wall += a.wall;
    d.cpu += a.cpu;
    f.wall += b.wall;
    f.cpu += b.cpu;
  }
  let itemBytes = 0;
  let setCount = 0;
  for (const byMinute of sets.values()) {
    for (const s of byMinute.values()) {
      itemBytes = Math.max(itemBytes, s.serialize().length);
      setCount++;
    }
  }
  if (rejected > 0 || sink === 0) throw new Error(`synthetic records must all be accepted (${rejected} rejected)`);

  const n = records.length;
  return [
    {
      name: 'decode only (base64 + JSON.parse)',
      value: n / d.cpu,
      unit: 'events/cpu-s',
      note: `${n.toLocaleString('en-US')} records, ~${avgBytes} B each; wall: ${Math.round(n / d.wall).toLocaleString('en-US')}/s`,
    },
    {
      name: 'decode + validate + aggregate',
      value: n / f.cpu,
      unit: 'events/cpu-s',
      note: `${setCount} KpiSets (tenant x minute); wall: ${Math.round(n / f.wall).toLocaleString('en-US')}/s`,
    },
    {
      name: 'ratio',
      value: d.cpu / f.cpu,
      unit: 'x',
      note: `goal >= 0.5; by wall time ${(d.wall / f.wall).toFixed(3)}`,
    },
    { name: 'largest serialized KpiSet', value: itemBytes, unit: 'bytes' },
    { name: 'peak RSS', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB' },
  ];
}
