#!/usr/bin/env bash
# Fetch the Debezium PostgreSQL connector + DebeziumEngine + Kafka Connect (JsonConverter) jars
# from Maven Central into  ${WAL2DBZ_CACHE:-$HOME/.cache/wal2dbz}/debezium-<version>/lib .
# Idempotent: does nothing when that lib dir is already complete. Prints the lib dir on stdout.
#
#   DEBEZIUM_VERSION   (default 3.6.3.Final: newest 3.x whose debezium-embedded is on Central
#                       as of this writing; 3.7.x connector jars exist but debezium-embedded
#                       3.7.0/3.7.1 and debezium-build-parent 3.7.1 do not resolve)
#   WAL2DBZ_CACHE      cache root (default ~/.cache/wal2dbz)
#   FORCE=1            re-fetch even if complete
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ver=${DEBEZIUM_VERSION:-3.6.3.Final}
cache=${WAL2DBZ_CACHE:-$HOME/.cache/wal2dbz}
dest="$cache/debezium-$ver"
lib="$dest/lib"
if [[ -f "$dest/.complete" && -z "${FORCE:-}" ]] && ls "$lib"/debezium-connector-postgres-*.jar >/dev/null 2>&1; then
    echo "$lib"
    exit 0
fi
command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
mkdir -p "$dest"
rm -rf "$lib.tmp" && mkdir -p "$lib.tmp"
# the pom is copied so that mvn never writes into the source tree
cp "$here/pom.xml" "$dest/pom.xml"
echo "fetch.sh: resolving Debezium $ver into $lib (log: $dest/mvn.log)" >&2
if ! mvn -B -f "$dest/pom.xml" -Ddebezium.version="$ver" -Ddbz.lib.dir="$lib.tmp" \
        dependency:copy-dependencies >"$dest/mvn.log" 2>&1; then
    grep -E 'ERROR' "$dest/mvn.log" | head -5 >&2
    echo "fetch.sh: mvn failed (see $dest/mvn.log)" >&2
    exit 1
fi
for want in debezium-embedded debezium-connector-postgres connect-json connect-runtime kafka-clients postgresql slf4j-api; do
    ls "$lib.tmp"/"$want"-[0-9]*.jar >/dev/null 2>&1 || { echo "fetch.sh: $want jar missing" >&2; exit 1; }
done
rm -rf "$lib" && mv "$lib.tmp" "$lib"
date -u +%FT%TZ > "$dest/.complete"
echo "$lib"
