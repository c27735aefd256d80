#!/usr/bin/env bash
# Longer crash-recovery stress: runs the kill -9 cycle test of
# tests/integration/test_crash.py many times, each with a new random seed and
# more kills per run, and stops at the first failure, printing its seed
# (rerun one with CRASH_SEED=<seed>).
#
#   scripts/stress-crash.sh [runs] [kills-per-run]     (defaults: 10, 25)
#
# CORELOGD names the broker binary (default build/broker/corelogd).
set -euo pipefail

runs=${1:-10}
kills=${2:-25}
root=$(cd "$(dirname "$0")/.." && pwd)
export CORELOGD=${CORELOGD:-$root/build/broker/corelogd}
if [[ ! -x $CORELOGD ]]; then
  echo "stress-crash: no broker binary at $CORELOGD (set CORELOGD)" >&2
  exit 2
fi

for ((i = 1; i <= runs; i++)); do
  seed=$(( (RANDOM << 15) | RANDOM ))
  echo "== run $i/$runs: CRASH_SEED=$seed CRASH_CYCLES=$kills"
  if ! CRASH_SEED=$seed CRASH_CYCLES=$kills /usr/bin/python3 -m pytest \
      "$root/tests/integration/test_crash.py" -q -s -p no:cacheprovider \
      -k test_acked_records_survive_kill_9_cycles 2>&1 | grep -E "^(sent|crash test seed|FAILED|E )|passed|failed"; then
    echo "stress-crash: run $i failed; repeat it with CRASH_SEED=$seed CRASH_CYCLES=$kills" >&2
    exit 1
  fi
done
echo "stress-crash: $runs runs of $kills kills passed"
