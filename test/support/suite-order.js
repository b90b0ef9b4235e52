/**
 * Jest's test order: the longest suites first, so that no long suite starts last and runs alone
 * on one core while the other waits (jest runs two workers on the CI machine's two cores).
 *
 * Jest's own order uses the durations it cached on earlier runs of the same checkout; a fresh clone
 * (CI) has none and falls back to file size, which put the 200-tenant paging suite (a short file,
 * one of the longest runs) after 60 other suites and the load test after 80. Without durations for
 * every suite, this order ranks by what a suite starts: the whole local pipeline (minutes), then the
 * other end-to-end, integration, load and fuzz suites (local servers, many iterations), then the
 * CDK synth suites, then unit tests; file size breaks ties.
 */
const { readFileSync } = require('node:fs');
const { sep } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const DIRECTORIES = ['e2e', 'integration', 'load', 'fuzz', 'infra', 'unit'];

/** Lower runs earlier. */
function rank(path) {
  const text = readFileSync(path, 'utf8');
  // In process, or as `kpi local` in a child process.
  if (/runLocalPipeline\(/.test(text) || (/bin\/kpi\.js/.test(text) && /^\s*'local',$/m.test(text))) return 0;
  const dir = DIRECTORIES.findIndex((d) => path.includes(`${sep}test${sep}${d}${sep}`));
  return 1 + (dir < 0 ? DIRECTORIES.length : dir);
}

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    if (tests.every((t) => this.time(t) !== undefined)) return super.sort(tests);
    const keyed = tests.map((test) => ({ test, rank: rank(test.path), size: readFileSync(test.path).length }));
    keyed.sort((a, b) => a.rank - b.rank || b.size - a.size);
    return keyed.map((k) => k.test);
  }
}

module.exports = SlowFirstSequencer;
