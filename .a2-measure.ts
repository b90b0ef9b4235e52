import { simulatedFleet, simulateDay } from './cli/local/simulator';
const MIN = 60_000;
const day = Date.UTC(2026, 10, 22);
const fleet = simulatedFleet(20, 42);
const seeds = (process.env.SEEDS ?? '31,32,33,34,35').split(',').map(Number);
const floors = [5, 6, 7, 8, 9, 10, 12];
const fires: Record<string, number[]> = { fleet: floors.map(() => 0), tenants: floors.map(() => 0) };
let maxBad = 0;
for (const seed of seeds) {
  const recs = simulateDay({ dayStartMs: day, tenants: fleet, seed, badRecords: false });
  // per minute per scope: n, bad
  const per = new Map<string, { n: number[]; bad: number[] }>();
  const add = (k: string, m: number, ok: boolean) => {
    let e = per.get(k);
    if (!e) { e = { n: new Array(1500).fill(0), bad: new Array(1500).fill(0) }; per.set(k, e); }
    e.n[m]++; if (!ok) e.bad[m]++;
  };
  for (const r of recs) {
    const e = JSON.parse(r.data);
    if (e.type !== 'voice.synthesis.completed') continue;
    const m = Math.floor((r.sentAtMs - day) / MIN);
    add('*', m, e.data.ok === true); add(r.partitionKey, m, e.data.ok === true);
  }
  for (const [k, e] of per) {
    // each 5-min window evaluated each minute; count distinct "episodes" (entering breach)
    floors.forEach((f, fi) => {
      let inAlarm = false;
      for (let m = 4; m < 1500; m++) {
        let n = 0, bad = 0;
        for (let j = m - 4; j <= m; j++) { n += e.n[j]; bad += e.bad[j]; }
        const breach = n >= 50 && bad >= f && (n - bad) / n < 0.995;
        if (breach && !inAlarm) fires[k === '*' ? 'fleet' : 'tenants'][fi]++;
        inAlarm = breach;
        if (fi === 0 && k === '*') maxBad = Math.max(maxBad, bad);
      }
    });
  }
}
console.log(`seeds ${seeds.join(',')}; fleet max failures in a 5-min window: ${maxBad}`);
console.log('floor  fleet-alarms tenant-alarms (over all seeds)');
floors.forEach((f, i) => console.log(f, fires.fleet[i], fires.tenants[i]));
