import {
  MAX_BYTES_PER_CALL,
  type OutgoingRecord,
  type PutResultEntry,
  partitionKeyOf,
  sendRecords,
  splitIntoBatches,
} from '../../cli/kinesis-send';

const rec = (i: number, bytes = 100): OutgoingRecord => ({
  partitionKey: `t${i % 3}`,
  data: Buffer.alloc(bytes, i % 250),
});
const noSleep = async () => {};

describe('kpi send batching and retries', () => {
  it('splits into PutRecords calls of at most 500 records and 5 MiB, keeping order', () => {
    const many = Array.from({ length: 1201 }, (_, i) => rec(i));
    const batches = splitIntoBatches(many);
    expect(batches.map((b) => b.length)).toEqual([500, 500, 201]);
    expect(batches.flat()).toEqual(many);

    const big = Array.from({ length: 12 }, (_, i) => rec(i, 900 * 1024));
    const bigBatches = splitIntoBatches(big);
    for (const b of bigBatches) {
      expect(b.reduce((a, r) => a + r.data.byteLength + r.partitionKey.length, 0)).toBeLessThanOrEqual(
        MAX_BYTES_PER_CALL,
      );
    }
    expect(bigBatches.map((b) => b.length)).toEqual([5, 5, 2]);
  });

  it('retries only the records a call reports as failed, until all are delivered', async () => {
    const records = Array.from({ length: 700 }, (_, i) => rec(i));
    const seenCalls: number[] = [];
    const delivered: OutgoingRecord[] = [];
    let call = 0;
    const put = async (batch: readonly OutgoingRecord[]): Promise<PutResultEntry[]> => {
      call++;
      seenCalls.push(batch.length);
      // Throttle every 3rd record on the first two calls of each batch.
      return batch.map((r, i) => {
        if (call <= 2 && i % 3 === 0)
          return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' };
        delivered.push(r);
        return {};
      });
    };
    const result = await sendRecords(records, put, { sleep: noSleep });
    expect(result.delivered).toBe(700);
    expect(result.undelivered).toEqual([]);
    // First batch 500 -> 167 failed retried -> 56 failed retried, ok; second batch 200 at once.
    expect(seenCalls).toEqual([500, 167, 56, 200]);
    expect(result.retried).toBe(167 + 56);
    // Every record arrives exactly once.
    expect(new Set(delivered).size).toBe(700);
    expect(delivered).toHaveLength(700);
  });

  it('gives up after maxAttempts and reports each undelivered record with its reason', async () => {
    const records = Array.from({ length: 10 }, (_, i) => rec(i));
    const put = async (batch: readonly OutgoingRecord[]): Promise<PutResultEntry[]> =>
      batch.map((r) => (r.partitionKey === 't1' ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : {}));
    const sleeps: number[] = [];
    const result = await sendRecords(records, put, {
      maxAttempts: 4,
      baseDelayMs: 100,
      random: () => 1,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(result.delivered).toBe(7);
    expect(result.undelivered).toHaveLength(3);
    expect(result.undelivered[0]!.reason).toBe('InternalFailure: boom');
    expect(result.calls).toBe(4);
    // Exponential backoff: 100, 200, 400 ms (jitter at its maximum).
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('retries the whole batch when the call itself fails', async () => {
    let calls = 0;
    const put = async (batch: readonly OutgoingRecord[]): Promise<PutResultEntry[]> => {
      calls++;
      if (calls === 1) throw new Error('socket hang up');
      return batch.map(() => ({}));
    };
    const result = await sendRecords([rec(1), rec(2)], put, { sleep: noSleep });
    expect(result).toMatchObject({ delivered: 2, calls: 2, retried: 2 });
  });

  it('does not send records over 1 MiB and says why', async () => {
    const put = jest.fn(async (batch: readonly OutgoingRecord[]) => batch.map(() => ({})));
    const result = await sendRecords([rec(1, 1024 * 1024 + 1), rec(2)], put, { sleep: noSleep });
    expect(result.delivered).toBe(1);
    expect(result.undelivered[0]!.reason).toContain('at most 1 MiB');
    expect(put).toHaveBeenCalledTimes(1);
  });

  it('keys each event by its tenant id, with a stand-in key for lines without one', () => {
    expect(partitionKeyOf('{"tenantid":"acme-voice","type":"x"}')).toBe('acme-voice');
    expect(partitionKeyOf('not json')).toBe('unkeyed');
    expect(partitionKeyOf('{"type":"x"}')).toBe('unkeyed');
  });
});
