#!/usr/bin/env bash
# The benchmark suite in one command: builds corelogd, the mock cluster and
# the bench tools (Release, in build-bench/), then runs bench/e2e_bench, which
# interleaves raw disk, corelogd and librdkafka's mock cluster and ends with
# the WAL microbenchmark and a summary of ratios (see README, "Benchmarks").
#
#   bash bench/run.sh             # ~10 minutes
#   bash bench/run.sh --quick     # ~2 minutes, for development
#   bash bench/run.sh --rss-soak  # 10 minutes, 1,000 partitions, RSS every 10 s
# Further flags go to e2e_bench (see the top of bench/e2e_bench.cc).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CORELOG_BENCH_BUILD:-build-bench}

bash scripts/install-deps.sh >/dev/null
# perf counts the broker's fdatasync calls when its /metrics lacks the WAL
# group-commit histogram; only the benchmark needs it.
if ! command -v perf >/dev/null; then
  sudo_cmd=()
  [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends linux-perf
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target corelogd mock_broker loadgen raw_sync wal_bench e2e_bench
exec "$build/bench/e2e_bench" --bin="$build" "$@"
