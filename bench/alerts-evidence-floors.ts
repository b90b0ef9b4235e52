/**
 * `npx tsx bench/alerts-evidence-floors.ts`: how many times `synthesis_success_rate-p2` (< 99.5%
 * over a 5-minute window, at least 50 syntheses) would fire on simulated clean days of the alert
 * benchmark's fleet at each bad-event floor, for the fleet and for all tenants together. Counted
 * straight from the simulator's synthesis events (an alarm episode starts when a window, slid
 * minute by minute, starts breaching). It chose the rule's floor of 8 (docs/alerting.md).
 * `SEEDS=31,32` picks the days.
 */
import { simulateDay, simulatedFleet } from '../cli/local/simulator';
import { BENCH_DAY } from './alerts-scenarios';

const MIN = 60_000;
const MINUTES = 1500;
const FLOORS = [5, 6, 7, 8, 9, 10, 12];

interface Series {
  readonly n: number[];
  readonly bad: number[];
}

/** Alarm episodes of one scope's series at one floor. */
function episodes(s: Series, floor: number): number {
  let count = 0;
  let inAlarm = false;
  for (let m = 4; m < MINUTES; m++) {
    let n = 0;
    let bad = 0;
    for (let j = m - 4; j <= m; j++) {
      n += s.n[j]!;
      bad += s.bad[j]!;
    }
    const breach = n >= 50 && bad >= floor && (n - bad) / n < 0.995;
    if (breach && !inAlarm) count++;
    inAlarm = breach;
  }
  return count;
}

function main(): void {
  const fleet = simulatedFleet(20, 42);
  const seeds = (process.env.SEEDS ?? '31,32,33,34,35').split(',').map(Number);
  const totals = { fleet: FLOORS.map(() => 0), tenants: FLOORS.map(() => 0) };
  for (const seed of seeds) {
    const per = new Map<string, Series>();
    const add = (scope: string, minute: number, ok: boolean) => {
      let s = per.get(scope);
      if (s === undefined) {
        s = { n: new Array<number>(MINUTES).fill(0), bad: new Array<number>(MINUTES).fill(0) };
        per.set(scope, s);
      }
      s.n[minute]!++;
      if (!ok) s.bad[minute]!++;
    };
    for (const r of simulateDay({ dayStartMs: BENCH_DAY, tenants: fleet, seed, badRecords: false })) {
      const e = JSON.parse(r.data) as { type: string; data: { ok?: boolean } };
      if (e.type !== 'voice.synthesis.completed') continue;
      const minute = Math.floor((r.sentAtMs - BENCH_DAY) / MIN);
      add('*', minute, e.data.ok === true);
      add(r.partitionKey, minute, e.data.ok === true);
    }
    for (const [scope, s] of per) {
      for (const [i, f] of FLOORS.entries()) totals[scope === '*' ? 'fleet' : 'tenants'][i]! += episodes(s, f);
    }
  }
  console.log(`clean days (seeds ${seeds.join(', ')}): synthesis_success_rate-p2 episodes by bad-event floor`);
  console.log('| floor | fleet | all tenants |\n|---|---|---|');
  for (const [i, f] of FLOORS.entries()) console.log(`| ${f} | ${totals.fleet[i]} | ${totals.tenants[i]} |`);
}

main();
