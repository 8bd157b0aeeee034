#!/usr/bin/env bash
# Self-test of the service scripts beside this file: starts Kafka, PostgreSQL and ClickHouse in a
# temporary directory, does one real operation on each (Kafka: produce and consume a message on an
# auto-created topic with kcat, then restart and pause/resume; PostgreSQL: a query and a logical
# slot; ClickHouse: create/insert/select over HTTP), stops them and exits 0 on success.
# Start-up times go to stderr.
#
# Usage: selftest.sh            (KEEP=1 keeps the temporary directory)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wal2dbz-selftest.XXXXXX")
chmod 755 "$WORK"   # as root, PostgreSQL runs as "postgres" and must reach WORK/pg

say() { echo "selftest: $*" >&2; }
now() { date +%s.%N; }
took() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

cleanup() {
  local rc=$?
  "$HERE/kafka.sh" stop "$WORK/kafka" 2>/dev/null || true
  "$HERE/pg.sh" stop "$WORK/pg" 2>/dev/null || true
  "$HERE/clickhouse.sh" stop "$WORK/ch" 2>/dev/null || true
  if [[ $rc -ne 0 ]]; then
    say "FAILED (rc=$rc); logs kept in $WORK"
  elif [[ -n ${KEEP:-} ]]; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

check() {  # check WHAT EXPECTED ACTUAL
  if [[ $2 != "$3" ]]; then say "$1: expected '$2', got '$3'"; exit 1; fi
}

"$HERE/kafka.sh" fetch

# --- Kafka
t=$(now)
bootstrap=$("$HERE/kafka.sh" start "$WORK/kafka")
say "kafka start: $(took "$t") s ($bootstrap)"
check "bootstrap file" "$bootstrap" "$(cat "$WORK/kafka/bootstrap")"
echo "hello-kafka" | kcat -b "$bootstrap" -P -t selftest -k k1
got=$(kcat -b "$bootstrap" -C -t selftest -o beginning -c 1 -e -q -f '%k=%s\n')
check "kafka consume" "k1=hello-kafka" "$got"
t=$(now)
check "kafka restart address" "$bootstrap" "$("$HERE/kafka.sh" restart "$WORK/kafka")"
say "kafka restart: $(took "$t") s"
got=$(kcat -b "$bootstrap" -C -t selftest -o beginning -c 1 -e -q -f '%k=%s\n')
check "kafka consume after restart" "k1=hello-kafka" "$got"
"$HERE/kafka.sh" pause "$WORK/kafka"
if kcat -b "$bootstrap" -L -m 2 >/dev/null 2>&1; then say "paused broker still answers"; exit 1; fi
"$HERE/kafka.sh" resume "$WORK/kafka"
kcat -b "$bootstrap" -L -m 10 >/dev/null

# --- PostgreSQL
t=$(now)
pgenv=$("$HERE/pg.sh" start "$WORK/pg")
say "postgres start: $(took "$t") s"
eval "$pgenv"
check "PGPORT" "$(cat "$WORK/pg/port")" "$PGPORT"
check "psql" "logical|wal2dbz" "$(psql -X -Atc "SELECT current_setting('wal_level'), current_user")"
check "psql (superuser)" "t" "$(psql -X -U "$WAL2DBZ_PG_OWNER" -Atc "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")"
case ",$(psql -X -Atc 'SHOW output_plugin_libraries' | tr -d ' ')," in
  *,wal2dbz,*) ;;
  *) say "output_plugin_libraries lacks wal2dbz"; exit 1 ;;
esac
psql -X -Atqc "SELECT pg_create_logical_replication_slot('selftest', 'test_decoding')" >/dev/null
"$HERE/pg.sh" restart "$WORK/pg"
check "pg.sh psql after restart" "1" "$("$HERE/pg.sh" psql "$WORK/pg" -Atc "SELECT count(*) FROM pg_replication_slots")"

# --- ClickHouse
t=$(now)
churl=$("$HERE/clickhouse.sh" start "$WORK/ch")
say "clickhouse start: $(took "$t") s ($churl)"
ch() { curl -sS --fail-with-body --data-binary @- "$churl/?${1:-}"; }
echo "CREATE TABLE t (id UInt64, v String, ver UInt64) ENGINE = ReplacingMergeTree(ver) ORDER BY id" | ch
printf '{"id":1,"v":"a","ver":1}\n{"id":1,"v":"b","ver":2}\n' | ch "query=INSERT%20INTO%20t%20FORMAT%20JSONEachRow"
check "clickhouse select" "1	b" "$(echo "SELECT id, v FROM t FINAL" | ch)"

# --- stop
pids="$(cat "$WORK/kafka/kafka.pid") $(cat "$WORK/ch/clickhouse.pid") $(head -n 1 "$WORK/pg/data/postmaster.pid")"
t=$(now)
"$HERE/kafka.sh" stop "$WORK/kafka"
"$HERE/pg.sh" stop "$WORK/pg"
"$HERE/clickhouse.sh" stop "$WORK/ch"
say "stop all: $(took "$t") s"
for f in "$WORK/kafka/kafka.pid" "$WORK/ch/clickhouse.pid" "$WORK/pg/data/postmaster.pid"; do
  [[ ! -e $f ]] || { say "$f still there after stop"; exit 1; }
done
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then say "process $pid still running after stop"; exit 1; fi
done
say "OK"
