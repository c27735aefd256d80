#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests
# under ASan+UBSan, then runs every test (unit and integration with real
# clients) on the normal build. Ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

if [[ ${CORELOG_SKIP_SANITIZE:-0} != 1 ]]; then
  echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  bash scripts/build.sh build-asan -DCORELOG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit --output-on-failure -j2 \
    --timeout 600 | tail -n 8
fi

echo "== all tests"
bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j2 --timeout 900
