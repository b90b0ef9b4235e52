import type { KinesisStreamEvent } from 'aws-lambda';
import {
  DEMO_DECLINES,
  demoDeclinesOn,
  feedHistory,
  HISTORY_BATCH_SIZE,
  HISTORY_SHARD_ID,
  HistoryIngestError,
  simulateHistory,
} from '../../cli/local/history';
import { simulatedFleet } from '../../cli/local/simulator';
import type { ReplayRecord } from '../../cli/local/stream-pump';
import { toStreamRecord } from '../../lambdas/handlers/aggregator/handler';

const DAY = 86_400_000;
const SOURCE = {
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
  region: 'us-east-1',
  invokeIdentityArn: 'r',
};

function records(n: number, fromMs: number): ReplayRecord[] {
  return Array.from({ length: n }, (_, i) => ({ partitionKey: 't', data: `{"n":${i}}`, sentAtMs: fromMs + i }));
}

describe('local history', () => {
  it('feeds batches of one minute at most, in order, from one shard, each processed at its last send time', async () => {
    const calls: Array<{ event: KinesisStreamEvent; nowMs: number }> = [];
    const day = [...records(HISTORY_BATCH_SIZE + 3, 1_000), ...records(2, 3_600_000)];
    const stats = await feedHistory(
      [day],
      async (event, nowMs) => {
        calls.push({ event, nowMs });
        return { batchItemFailures: [] };
      },
      SOURCE,
      2,
    );
    expect(stats).toEqual({ records: HISTORY_BATCH_SIZE + 5, invocations: 3, retriedRecords: 0 });
    expect(calls.map((c) => c.event.Records.length)).toEqual([HISTORY_BATCH_SIZE, 3, 2]);
    expect(calls.map((c) => c.nowMs)).toEqual([
      1_000 + HISTORY_BATCH_SIZE - 1,
      1_000 + HISTORY_BATCH_SIZE + 2,
      3_600_001,
    ]);
    const all = calls.flatMap((c) => c.event.Records.map(toStreamRecord));
    expect(new Set(all.map((r) => r.shardId))).toEqual(new Set([HISTORY_SHARD_ID]));
    const seqs = all.map((r) => BigInt(r.sequenceNumber));
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0n))).toBe(true);
    expect(Buffer.from(all[5]?.data ?? []).toString()).toBe('{"n":5}');
  });

  it('retries from the first failed record, as the event source mapping does, and stops when it keeps failing', async () => {
    const seen: number[] = [];
    let failOnce = true;
    const stats = await feedHistory(
      [records(10, 0)],
      async (event) => {
        seen.push(event.Records.length);
        const fourth = event.Records[3]?.kinesis.sequenceNumber;
        if (failOnce && fourth !== undefined) {
          failOnce = false;
          return { batchItemFailures: [{ itemIdentifier: fourth }] };
        }
        return { batchItemFailures: [] };
      },
      SOURCE,
      2,
    );
    expect(seen).toEqual([10, 7]);
    expect(stats.retriedRecords).toBe(7);
    const alwaysFails = feedHistory(
      [records(4, 0)],
      async (event) => ({
        batchItemFailures: [{ itemIdentifier: event.Records[1]?.kinesis.sequenceNumber ?? '' }],
      }),
      SOURCE,
      2,
    );
    await expect(alwaysFails).rejects.toThrow(HistoryIngestError);
    await expect(alwaysFails).rejects.toThrow('records still failing after 3 aggregator attempts: 1');
  });

  it('simulates the days before the demo day, oldest first, with the declining clients sliding', () => {
    const fleet = simulatedFleet(6, 4);
    const dayStartMs = Date.UTC(2026, 10, 20);
    const days = [...simulateHistory({ dayStartMs, days: 3, tenants: fleet, seed: 4, scale: 0.02 })];
    expect(days).toHaveLength(3);
    const firstSends = days.map((d) => Math.floor((d[0]?.sentAtMs ?? 0) / DAY) * DAY);
    expect(firstSends).toEqual([dayStartMs - 3 * DAY, dayStartMs - 2 * DAY, dayStartMs - DAY]);
    // Each plan names a different client, and each client is worse on the demo day than a week before.
    expect(new Set(DEMO_DECLINES.map((p) => p.rank)).size).toBe(DEMO_DECLINES.length);
    const level = (d: number, tenant: string) => demoDeclinesOn(fleet, d).find((x) => x.tenant === tenant)?.level ?? 0;
    for (const plan of DEMO_DECLINES) {
      const id = fleet[plan.rank]?.id ?? '';
      expect(level(0, id)).toBeGreaterThan(level(-8, id));
    }
    expect(demoDeclinesOn(simulatedFleet(2, 4), 0)).toEqual([]);
  });
});
