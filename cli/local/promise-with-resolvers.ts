/**
 * aws-local-stepfunctions uses `Promise.withResolvers` (Node 22+). On Node 20, which this project
 * supports, the interpreter would otherwise never settle an execution. Imported for its effect by
 * the local runner and by the test setup.
 */
if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
