import { simulatedFleet, simulateDay } from './cli/local/simulator';
const MIN = 60_000; const day = Date.UTC(2026, 10, 22);
const fleet = simulatedFleet(20, 42);
const recs = simulateDay({ dayStartMs: day, tenants: fleet, seed: 31, badRecords: false });
const per = new Map<string, number[]>();
for (const r of recs) { const e = JSON.parse(r.data); if (e.type !== 'voice.synthesis.completed') continue;
  const m = Math.floor((r.sentAtMs - day) / MIN);
  for (const k of ['*', r.partitionKey]) { if (!per.has(k)) per.set(k, new Array(1440).fill(0)); per.get(k)![m]++; } }
for (const k of ['*', fleet[0]!.id, fleet[1]!.id]) { const a = per.get(k)!; const w: number[] = [];
  for (let h = 0; h < 24; h += 2) { let s = 0; for (let j = h * 60 + 600 / 10; j < h * 60 + 65; j++) s += a[j] ?? 0; w.push(s); }
  console.log(k, 'syntheses per 5 min at 01:00,03:00,...:', w.join(' ')); }
