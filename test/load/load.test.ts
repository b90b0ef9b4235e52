/**
 * The 50,000-event version of the soak (`npm run soak` runs 1,000,000): events from 20 tenants,
 * 2% of them bad, through kinesalite, the real aggregator handler, DynamoDB Local and the S3
 * quarantine, with throttling, write outages, crashes after partial writes, duplicate deliveries
 * and bisected batches. Nothing may be lost or counted twice: the exported KPIs equal the exact
 * computation and the quarantine holds exactly the bad records.
 */
import { type LoadRunResult, type LoadStandIns, runLoad, startLoadStandIns } from '../support/load-run';

/** The run takes one to three minutes on two busy cores; the figures go to BENCHMARKS.md. */
const RUN_TIMEOUT_MS = 300_000;

describe('50,000 events with faults', () => {
  let standIns: LoadStandIns & { stop(): Promise<void> };
  let result: LoadRunResult;

  beforeAll(async () => {
    standIns = await startLoadStandIns();
    result = await runLoad({
      events: 50_000,
      tenants: 20,
      badShare: 0.02,
      seed: 42,
      shards: 4,
      batchSize: 500,
      spanMs: 30 * 60_000,
      // A fixed processing time: the run's buckets never depend on when the suite runs.
      nowMs: Date.UTC(2026, 10, 22, 12, 0, 0),
      // Higher than the soak's rates so that every fault kind surely happens in a short run.
      faults: {
        throttle: 0.05,
        outage: 0.05,
        crash: 0.08,
        duplicate: 0.1,
        quarantineError: 0.05,
        quarantineOutage: 0.03,
      },
      standIns,
    });
    // The figures of the run, for BENCHMARKS.md and for anyone reading the test log.
    console.log(JSON.stringify({ ...result, comparison: { ...result.comparison, mismatches: undefined } }));
  }, RUN_TIMEOUT_MS);

  afterAll(async () => {
    await standIns?.stop();
  });

  it('injected every kind of fault', () => {
    const c = result.counters;
    expect(c.throttledRequests).toBeGreaterThan(0);
    expect(c.outages).toBeGreaterThan(0);
    expect(c.crashes).toBeGreaterThan(0);
    expect(c.duplicateDeliveries).toBeGreaterThan(0);
    expect(c.partialFailures).toBeGreaterThan(0);
    expect(c.quarantineErrors).toBeGreaterThan(0);
    expect(c.redeliveredRecords).toBeGreaterThan(0);
  });

  it('exports KPIs equal to the exact computation over the accepted events, at every granularity', () => {
    expect(result.comparison.rows).toBeGreaterThan(1_000);
    expect(result.comparison.mismatches).toEqual([]);
    expect(result.comparison.mismatchCount).toBe(0);
  });

  it('quarantines exactly the bad records, once each, with the right reason and tenant', () => {
    const q = result.quarantine;
    expect(result.badRecords).toBeGreaterThan(500);
    expect({ missing: q.missing, unexpected: q.unexpected, wrongReason: q.wrongReason }).toEqual({
      missing: 0,
      unexpected: 0,
      wrongReason: 0,
    });
    expect(q.found).toBe(q.expected);
    expect(Object.keys(q.byReason).sort()).toEqual(
      ['bad_tenant', 'future', 'invalid_json', 'late', 'schema', 'too_large', 'unknown_type'].sort(),
    );
  });
});
