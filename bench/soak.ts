/**
 * `npm run soak`: the load-with-faults run at full size (1,000,000 events from 200 tenants by
 * default) through kinesalite, the real aggregator handler, DynamoDB Local and the fauxqs S3
 * quarantine. Prints progress, then the figures, and exits non-zero when the exported KPIs differ
 * from the exact computation or the quarantine does not hold exactly the bad records.
 *
 * Options: `--events N`, `--tenants N`, `--seed N`, `--shards N`, `--batch-size N`,
 * `--span-hours N`, `--no-faults`, `--json` (print the result as JSON only).
 */
import { DEFAULT_FAULTS, type FaultRates, type LoadRunResult, runLoad } from '../test/support/load-run';

interface SoakArgs {
  events: number;
  tenants: number;
  seed: number;
  shards: number;
  batchSize: number;
  spanHours: number;
  faults: boolean;
  json: boolean;
}

/** A command-line value that is not a positive integer. */
class SoakArgumentError extends Error {
  constructor(flag: string, value: string | undefined) {
    super(`${flag} needs a positive number, got ${value === undefined ? 'nothing' : `"${value}"`}`);
    this.name = 'SoakArgumentError';
  }
}

function parseArgs(argv: readonly string[]): SoakArgs {
  const args: SoakArgs = {
    events: 1_000_000,
    tenants: 200,
    seed: 1,
    shards: 4,
    // The event source mapping's BatchSize; larger batches touch fewer items per record.
    batchSize: 1000,
    spanHours: 6,
    faults: true,
    json: false,
  };
  const numeric: Record<string, keyof SoakArgs> = {
    '--events': 'events',
    '--tenants': 'tenants',
    '--seed': 'seed',
    '--shards': 'shards',
    '--batch-size': 'batchSize',
    '--span-hours': 'spanHours',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--no-faults') args.faults = false;
    else if (flag === '--json') args.json = true;
    else {
      const key = numeric[flag];
      const value = argv[i + 1];
      const n = Number(value);
      if (key === undefined || !Number.isFinite(n) || n <= 0) throw new SoakArgumentError(flag, value);
      Object.assign(args, { [key]: n });
      i++;
    }
  }
  return args;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

function summary(r: LoadRunResult): string {
  const c = r.counters;
  return [
    `events           ${r.events} from ${r.tenants} tenants (${r.goodRecords} good, ${r.badRecords} bad)`,
    `put              ${(r.putMs / 1000).toFixed(1)} s (${Math.round(r.events / (r.putMs / 1000))} records/s into kinesalite)`,
    `consume          ${(r.consumeMs / 1000).toFixed(1)} s, ${Math.round(r.eventsPerSecond)} events/s through the handler`,
    `peak RSS         ${mb(r.peakRssConsumeBytes)} up to the end of consumption, ${mb(r.peakRssBytes)} with the exact comparison (this process: handler, kinesalite, harness); heap after ${mb(r.heapUsedAfterBytes)}`,
    `invocations      ${c.invocations}`,
    `faults           ${c.throttledRequests} throttled requests, ${c.outages} write outages, ${c.crashes} crashes, ${c.duplicateDeliveries} duplicate deliveries,`,
    `                 ${c.quarantineErrors} quarantine errors, ${c.quarantineOutages} quarantine outages, ${c.partialFailures} partial failures, ${c.bisections} bisections`,
    `redelivered      ${c.redeliveredRecords} records`,
    `KPI rows         ${r.comparison.rows} compared, ${r.comparison.mismatchCount} mismatches`,
    `quarantine       ${r.quarantine.found} objects for ${r.quarantine.expected} bad records: ${r.quarantine.missing} missing, ${r.quarantine.unexpected} unexpected, ${r.quarantine.wrongReason} wrong reason`,
    `                 ${JSON.stringify(r.quarantine.byReason)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const noFaults: FaultRates = {
    throttle: 0,
    outage: 0,
    crash: 0,
    duplicate: 0,
    quarantineError: 0,
    quarantineOutage: 0,
    bisect: 0,
  };
  const started = Date.now();
  const result = await runLoad({
    events: args.events,
    tenants: args.tenants,
    seed: args.seed,
    shards: args.shards,
    batchSize: args.batchSize,
    spanMs: args.spanHours * 3_600_000,
    faults: args.faults ? DEFAULT_FAULTS : noFaults,
    // The soak is a measurement, not a test: it runs at the current time.
    nowMs: started,
    log: args.json ? undefined : (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
  });
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(summary(result));
    for (const m of result.comparison.mismatches.slice(0, 20)) console.log(`  mismatch: ${m}`);
  }
  const q = result.quarantine;
  const ok = result.comparison.mismatchCount === 0 && q.missing === 0 && q.unexpected === 0 && q.wrongReason === 0;
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  process.exitCode = 2;
});
