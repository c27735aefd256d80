#!/usr/bin/env bash
# Installs every Debian package corelog needs to build, test and run, and the
# npm client used by the tests. Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  librocksdb-dev prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libzstd-dev libsnappy-dev liblz4-dev zlib1g-dev libbz2-dev libjemalloc-dev
  kcat python3-confluent-kafka python3-kafka python3-pytest librdkafka-dev
  prometheus docker-compose curl nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node/npm may come from outside Debian's packages on some machines; keep those.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -d tests/clients/js/node_modules/kafkajs ]]; then
  echo "install-deps: installing kafkajs into tests/clients/js"
  (cd tests/clients/js && npm install --no-audit --no-fund --loglevel=error)
fi
