/** Fault injectors shared by the aggregator's fault tests. */
import { type DynamoDBClient, ProvisionedThroughputExceededException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { KpiItemWrite, KpiStore, KpiWriteOutcome } from '../../lambdas/core/aggregation';

/** A store that throws after writing only the first half of an invocation's items, `crashes` times. */
export function crashingHalfway(inner: KpiStore, crashes: number): KpiStore & { crashed: number } {
  return {
    crashed: 0,
    read: (a) => inner.read(a),
    readLedgers: (h) => inner.readLedgers(h),
    addToLedger: (h, t, c) => inner.addToLedger(h, t, c),
    openPeriods: () => inner.openPeriods(),
    closePeriod: (p) => inner.closePeriod(p),
    readSources: (t, g, f, to) => inner.readSources(t, g, f, to),
    putRollup: (a, s, e) => inner.putRollup(a, s, e),
    async write(writes: readonly KpiItemWrite[]): Promise<KpiWriteOutcome[]> {
      if (this.crashed >= crashes || writes.length < 2) return inner.write(writes);
      this.crashed++;
      await inner.write(writes.slice(0, Math.floor(writes.length / 2)));
      throw new Error('Runtime exited: the function was killed half-way through its writes');
    },
  };
}

/** Makes every `nth` PutItem call of `ddb` fail with throttling before it reaches the table. */
export function throttleEvery(ddb: DynamoDBClient, nth: number): { throttled: number; restore(): void } {
  const original = ddb.send.bind(ddb);
  let calls = 0;
  const state = { throttled: 0, restore: () => jest.restoreAllMocks() };
  jest.spyOn(ddb, 'send').mockImplementation(((command: unknown) => {
    if (command instanceof PutItemCommand && ++calls % nth === 0) {
      state.throttled++;
      return Promise.reject(
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds capacity', $metadata: {} }),
      );
    }
    return original(command as never);
  }) as typeof ddb.send);
  return state;
}
