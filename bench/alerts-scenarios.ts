/**
 * The labelled scenarios of `npm run bench -- alerts`: simulated traffic of one fleet of 20
 * tenants (a few busy, many very quiet: simulatedFleet's long tail) with one known problem each,
 * or none (clean days). Problems the simulator cannot inject itself are small rewrites of its
 * records (health checks failing, CSAT falling, a tenant going silent, a slow rise of 5xx).
 */
import { SeededRandom, type SimulatedRecord, type SimulatedTenant, simulateDay } from '../cli/local/simulator';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** The simulated day every scenario runs on (a Sunday, as in the demo). */
export const BENCH_DAY = Date.UTC(2026, 10, 22);

/** The problem a scenario injects, as an on-call engineer would label it afterwards. */
export interface LabelledProblem {
  /** Tenant id, or `*` for a fleet-wide problem. */
  readonly tenant: string;
  readonly startMs: number;
  readonly endMs: number;
  /** The severity the problem deserves: the 5-minute first-page target applies to P1. */
  readonly expected: 'P1' | 'P2' | 'P3';
}

/** One scenario: its traffic, the range the alarms watch, and its problem (none on a clean day). */
export interface AlertScenario {
  readonly name: string;
  readonly description: string;
  readonly records: readonly SimulatedRecord[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly problem?: LabelledProblem;
}

interface CloudEvent {
  type: string;
  time: string;
  tenantid: string;
  data: Record<string, unknown>;
}

/** Rewrites the events of `tenant` (every tenant for `*`) in [fromMs, toMs); `undefined` drops the record. */
function rewrite(
  records: readonly SimulatedRecord[],
  tenant: string,
  fromMs: number,
  toMs: number,
  change: (e: CloudEvent) => CloudEvent | undefined,
): SimulatedRecord[] {
  const out: SimulatedRecord[] = [];
  for (const r of records) {
    if (r.sentAtMs < fromMs || r.sentAtMs >= toMs || (tenant !== '*' && r.partitionKey !== tenant)) {
      out.push(r);
      continue;
    }
    const changed = change(JSON.parse(r.data) as CloudEvent);
    if (changed !== undefined) out.push({ ...r, data: JSON.stringify(changed) });
  }
  return out;
}

/**
 * Builds every scenario over `fleet` (20 tenants: the first two enterprise and busy, the tail quiet).
 * @param seedOffset added to every traffic seed: another sample of the same traffic and problems
 * (`ALERT_SEEDS`), since one sample's time to first page swings by minutes on the counts of rare
 * events in the first minutes. @default 0 (the samples the tables in BENCHMARKS.md use)
 */
export function alertScenarios(fleet: readonly SimulatedTenant[], seedOffset = 0): AlertScenario[] {
  const busy = fleet[0]!;
  const second = fleet[1]!;
  const quiet = fleet[15]!;
  const quietErrors = fleet[12]!;
  const at = (h: number, m = 0) => BENCH_DAY + h * HOUR + m * MIN;
  // Problem scenarios watch 08:00-12:00 with the problem at 10:00: two hours of clean traffic
  // before it (every alarm window except the daily burn rates is full by then).
  const morning = (seed: number, incident?: Parameters<typeof simulateDay>[0]['incident']) =>
    simulateDay({
      dayStartMs: at(8),
      minutes: 240,
      tenants: fleet,
      seed: seed + seedOffset,
      badRecords: false,
      ...(incident === undefined ? {} : { incident }),
    });
  const rnd = new SeededRandom(11 + seedOffset);
  const scenarios: AlertScenario[] = [];

  scenarios.push({
    name: 'latency spike',
    description: `${busy.id} (busiest, enterprise): turns ~6.5 s median for 20 min, no extra 5xx`,
    records: morning(21, {
      tenant: busy.id,
      startMs: at(10),
      durationMs: 20 * MIN,
      responseMedianMs: 6500,
      apiErrorRate: 0.0001,
    }),
    fromMs: at(8),
    toMs: at(12),
    problem: { tenant: busy.id, startMs: at(10), endMs: at(10, 20), expected: 'P1' },
  });
  scenarios.push({
    name: 'error burst',
    description: `${second.id} (second busiest, enterprise): 8% API 5xx for 20 min, latency normal`,
    records: morning(22, {
      tenant: second.id,
      startMs: at(10),
      durationMs: 20 * MIN,
      responseMedianMs: 900,
      apiErrorRate: 0.08,
    }),
    fromMs: at(8),
    toMs: at(12),
    problem: { tenant: second.id, startMs: at(10), endMs: at(10, 20), expected: 'P1' },
  });
  scenarios.push({
    name: 'error burst, quiet tenant',
    description: `${quietErrors.id} (standard, ~${quietErrors.peakSessionsPerMinute} sessions/min at peak): 30% API 5xx for 30 min`,
    records: morning(23, {
      tenant: quietErrors.id,
      startMs: at(10),
      durationMs: 30 * MIN,
      responseMedianMs: 900,
      apiErrorRate: 0.3,
    }),
    fromMs: at(8),
    toMs: at(12),
    problem: { tenant: quietErrors.id, startMs: at(10), endMs: at(10, 30), expected: 'P2' },
  });
  scenarios.push({
    name: 'availability drop, quiet tenant',
    description: `${quiet.id} (standard, health check every 5 min): every health check fails for 30 min`,
    records: rewrite(morning(24), quiet.id, at(10), at(10, 30), (e) =>
      e.type === 'healthcheck.completed' ? { ...e, data: { ...e.data, ok: false } } : e,
    ),
    fromMs: at(8),
    toMs: at(12),
    problem: { tenant: quiet.id, startMs: at(10), endMs: at(10, 30), expected: 'P1' },
  });
  scenarios.push({
    name: 'slow SLO burn',
    description: 'fleet-wide: 0.8% extra API 5xx (8x the 0.1% error budget) from 02:00 to 10:00',
    records: rewrite(
      simulateDay({ dayStartMs: at(0), minutes: 720, tenants: fleet, seed: 25 + seedOffset, badRecords: false }),
      '*',
      at(2),
      at(10),
      (e) => (e.type === 'api.request.completed' && rnd.chance(0.008) ? { ...e, data: { ...e.data, status: 503 } } : e),
    ),
    fromMs: at(0),
    toMs: at(12),
    problem: { tenant: '*', startMs: at(2), endMs: at(10), expected: 'P1' },
  });
  scenarios.push({
    name: 'CSAT drop',
    description: `${busy.id}: every CSAT answer 1-2 of 5 from 09:00 to 12:00 (business ladder)`,
    records: rewrite(
      simulateDay({ dayStartMs: at(6), minutes: 480, tenants: fleet, seed: 26 + seedOffset, badRecords: false }),
      busy.id,
      at(9),
      at(12),
      (e) =>
        e.type === 'feedback.submitted' && e.data.kind === 'csat'
          ? { ...e, data: { ...e.data, score: rnd.chance(0.5) ? 1 : 2 } }
          : e,
    ),
    fromMs: at(6),
    toMs: at(14),
    problem: { tenant: busy.id, startMs: at(9), endMs: at(12), expected: 'P2' },
  });
  scenarios.push({
    name: 'tenant went silent',
    description: `${busy.id}: sends nothing at all from 10:00 (its gateway stopped)`,
    records: rewrite(morning(27), busy.id, at(10), at(12), () => undefined),
    fromMs: at(8),
    toMs: at(12),
    problem: { tenant: busy.id, startMs: at(10), endMs: at(12), expected: 'P2' },
  });
  // One clean day keeps a full run near 3 minutes on 2 shared cores (a day is ~45 s of it).
  for (const seed of [31]) {
    scenarios.push({
      name: `clean day (seed ${seed + seedOffset})`,
      description: '20 tenants, 24 h, no problem',
      records: simulateDay({ dayStartMs: at(0), tenants: fleet, seed: seed + seedOffset, badRecords: false }),
      fromMs: at(0),
      toMs: at(24),
    });
  }
  return scenarios;
}
