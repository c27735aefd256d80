#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts corelogd in
# the foreground with its embedded defaults (Kafka on 127.0.0.1:9092, data
# under ./data). Extra arguments are passed to corelogd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
exec build/broker/corelogd --data-dir ./data "$@"
