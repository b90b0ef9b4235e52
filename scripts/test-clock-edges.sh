#!/usr/bin/env bash
# Runs the jest suites with `Date` starting 1 s before a minute, an hour, a UTC day and a month
# boundary (one run each), to prove that no test depends on the time of day it runs at.
# Usage: npm run test:clock-edges [-- <jest args, e.g. a test path>]
set -euo pipefail
cd "$(dirname "$0")/.."
for instant in 2026-12-01T19:31:59Z 2026-12-01T19:59:59Z 2026-12-01T23:59:59Z 2026-11-30T23:59:59Z; do
  echo "== KPI_TEST_CLOCK=$instant"
  KPI_TEST_CLOCK="$instant" npx jest "$@"
done
