/** Jest runs TypeScript through SWC (transpile only; `npm run typecheck` type-checks). */

/**
 * `KPI_TEST_CLOCK=<ISO instant> npx jest` runs the suite with `Date` starting at that instant
 * (and running on from it), to prove that no test depends on the time of day it runs at:
 * `npm run test:clock-edges` runs it 1 s before a minute, hour, UTC day and month boundary.
 * Only `Date` is replaced; timers, `performance` and the local servers keep the real clock.
 */
const clock = process.env.KPI_TEST_CLOCK;
const fakeClock =
  clock === undefined
    ? undefined
    : {
        enableGlobally: true,
        advanceTimers: true,
        now: Date.parse(clock),
        doNotFake: [
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
        ],
      };
if (fakeClock !== undefined && Number.isNaN(fakeClock.now)) {
  throw new Error(`KPI_TEST_CLOCK must be an ISO 8601 instant such as 2026-12-31T23:59:59Z, not "${clock}"`);
}

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  setupFiles: ['<rootDir>/test/support/polyfills.ts'],
  testTimeout: 60000,
  // Three workers on two cores: the suites that run the local pipeline spend much of their time
  // waiting on child processes (DynamoDB Local's JVM, the synthesis child, `kpi local`), so a third
  // worker fills the idle core. Whole suite, shared 2-core machine, fresh cache: 2 workers 605 s
  // (776 s CPU, load 3.6-6.7), 3 workers 467 s (882 s CPU, load 2.0-5.2). The slowest hook (the
  // demo's 240 s) took 141 s with three.
  maxWorkers: 3,
  testSequencer: '<rootDir>/test/support/suite-order.js',
  // A worker that has finished exits by itself once its event loop is empty; Jest then waits this
  // long before killing it and printing "A worker process has failed to exit gracefully". No suite
  // leaves a handle open (each run alone shows none), but a worker's exit still has to free its
  // heap (about 100 MB of V8 pages, one munmap each), which on 2 busy cores (two workers,
  // DynamoDB Local's JVMs) took 400-700 ms against Jest's default of 500 ms. A worker held open by
  // a real leak never exits, so it is still reported, 5 s later.
  workerGracefulExitTimeout: 5000,
  ...(fakeClock === undefined ? {} : { fakeTimers: fakeClock }),
};
