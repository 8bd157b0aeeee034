#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_basic.sh
#	  End-to-end test of wal2dbz-sink against a real PostgreSQL 15 and a
#	  real Kafka broker (KRaft), both started on 127.0.0.1 by test/lib.
#
# 1. "check" passes on a prepared cluster.
# 2. On an idle database the sink creates its slot, confirms a keepalive
#    position and exits 0 at --endpos.
# 3. Inserts, updates (one of them of a primary key) and deletes in two
#    captured tables and one excluded table, in small and large
#    transactions, then the sink runs to --endpos.
# 4. More changes, then the sink runs in the background with batched
#    frames (framed.batch.bytes, from the environment): /health/ready and
#    /metrics answer, the slot is confirmed up to the last commit, and
#    SIGTERM stops it with exit 0.
# 5. Kafka holds exactly the records the plugin's own "record" output shows
#    for the same changes (pg_logical_slot_peek_changes, taken before each
#    run): same topics, keys and values, none lost or repeated, each on
#    partition murmur2(key) % partitions, in PostgreSQL's order per key.
#
# Usage: test/sink/e2e_basic.sh   (SINK=path, KEEP=1 keeps the work directory)
# Needs: the plugin installed (make install), kcat, python3, Java 17 + Maven
# (test/lib/kafka.sh fetches the broker).  Prints TAP.
#
# test/sink/e2e_basic.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
LIB=$TOP/test/lib
PARTITIONS=3
PREFIX=e2e
SLOT=e2e_slot

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wal2dbz-e2e.XXXXXX")
chmod 755 "$WORK"		# as root, PostgreSQL runs as "postgres" and must reach WORK/pg
n=0
failed=0
SINK_PID=

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$1"; then ok "$2"; else not_ok "$2"; fi; }
diag() { sed 's/^/#   /' "$@" | tail -20; }
bail() { echo "Bail out! $*"; exit 1; }

cleanup() {
	if [[ -n $SINK_PID ]]; then kill -KILL "$SINK_PID" 2>/dev/null; fi
	"$LIB/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1
	"$LIB/pg.sh" stop "$WORK/pg" >/dev/null 2>&1
	if [[ $failed -ne 0 || -n ${KEEP:-} ]]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

[[ -x $SINK ]] || bail "no sink at $SINK (make -C sink)"
command -v kcat >/dev/null || bail "kcat not found"

# --- services
eval "$("$LIB/pg.sh" start "$WORK/pg")" || bail "PostgreSQL did not start"
BOOTSTRAP=$("$LIB/kafka.sh" start "$WORK/kafka") || bail "Kafka did not start"
HTTP_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { psql -At -c "$1"; }

psql <<'SQL' || bail "could not create the tables"
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.t1 (id int PRIMARY KEY, name text, price numeric(10,2));
CREATE TABLE public.t2 (a int, b text, c jsonb, d timestamptz, PRIMARY KEY (a, b));
CREATE TABLE public.t3 (id int PRIMARY KEY, note text);
SQL

cat >"$WORK/sink.properties" <<EOF
name=e2e-connector
database.hostname=127.0.0.1
database.port=$PGPORT
database.user=$PGUSER
database.dbname=$PGDATABASE
topic.prefix=$PREFIX
slot.name=$SLOT
snapshot.mode=no_data
table.include.list=public.t1,public.t2
topic.creation.default.partitions=$PARTITIONS
topic.creation.default.replication.factor=1
status.update.interval.ms=1000
http.port=$HTTP_PORT
kafka.bootstrap.servers=$BOOTSTRAP
EOF

# the plugin's own view of what the slot holds, before the sink consumes it
peek() {
	sql "SELECT data FROM pg_logical_slot_peek_changes('$SLOT', NULL, NULL,
		'output.format', 'record', 'topic.prefix', '$PREFIX',
		'table.include.list', 'public.t1,public.t2')" >>"$WORK/expected.jsonl"
}

run_sink() {	# run the sink to --endpos=$1 under a timeout; sets rc
	env -u WAL2DBZ_PG_OWNER timeout 120 "$SINK" --config "$WORK/sink.properties" \
		--endpos="$1" >>"$WORK/sink.out" 2>>"$WORK/sink.err"
	rc=$?
}

confirmed() { sql "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$SLOT'"; }
lsn_ge() { [[ $(sql "SELECT '$1'::pg_lsn >= '$2'::pg_lsn") == t ]]; }

# --- 1. check
env -u WAL2DBZ_PG_OWNER "$SINK" check --config "$WORK/sink.properties" >"$WORK/check.out" 2>&1
rc=$?
check '[[ $rc -eq 0 ]] && ! grep -q "^FAIL" "$WORK/check.out"' "check passes" || diag "$WORK/check.out"
check 'grep -q "^OK kafka: " "$WORK/check.out" && grep -q "^OK slot: \"$SLOT\" does not exist yet" "$WORK/check.out"' \
	"check reaches Kafka and reports the missing slot"
check 'grep -q "^OK plugin options: the plugin accepts" "$WORK/check.out"' \
	"check has the plugin check the options it will be sent"

# --- 2. idle database: slot created, keepalive confirmed, exit at --endpos
END0=$(sql "SELECT pg_current_wal_lsn()")
run_sink "$END0"
check '[[ $rc -eq 0 ]]' "idle database: exits 0 at --endpos $END0" || diag "$WORK/sink.err"
check 'grep -q "created replication slot \"$SLOT\"" "$WORK/sink.err"' "the sink created its slot"
check '[[ $(sql "SELECT plugin FROM pg_replication_slots WHERE slot_name = '"'$SLOT'"'") == wal2dbz ]]' \
	"the slot uses the wal2dbz plugin"

# --- 3. changes in two captured tables and an excluded one
psql <<'SQL' || bail "DML failed"
INSERT INTO t1 VALUES (1, 'one', 1.50), (2, 'two', 2.00), (3, 'three "quoted" ☃', NULL);
INSERT INTO t2 VALUES (1, 'x', '{"k": [1, 2]}', '2026-01-02 03:04:05+00');
INSERT INTO t3 VALUES (1, 'excluded');
BEGIN;
UPDATE t1 SET name = 'ONE', price = price * 2 WHERE id = 1;
INSERT INTO t2 VALUES (2, 'y', NULL, NULL);
DELETE FROM t1 WHERE id = 2;
COMMIT;
UPDATE t1 SET id = 30 WHERE id = 3;
INSERT INTO t1 SELECT g, 'bulk ' || g, g / 7.0 FROM generate_series(100, 599) g;
UPDATE t2 SET c = '{"k": "changed"}' WHERE a = 1;
DELETE FROM t2 WHERE a = 2;
UPDATE t3 SET note = 'still excluded';
SQL
for i in $(seq 1 30); do echo "UPDATE t1 SET price = $i WHERE id = 100 + $i % 5;"; done | psql || bail "DML failed"
peek
END1=$(sql "SELECT pg_current_wal_lsn()")
run_sink "$END1"
check '[[ $rc -eq 0 ]]' "after changes: exits 0 at --endpos $END1" || diag "$WORK/sink.err"
C1=$(confirmed)
LEFT=$(sql "SELECT count(*) FROM pg_logical_slot_peek_changes('$SLOT', NULL, NULL,
	'output.format', 'record', 'topic.prefix', '$PREFIX')")
check '[[ $LEFT -eq 0 ]]' "the slot is confirmed past every change ($C1)"

# --- 4. more changes; the sink in the background; /health, /metrics, SIGTERM
psql <<'SQL' || bail "DML failed"
INSERT INTO t1 VALUES (4, 'four', 4.00);
UPDATE t1 SET name = 'again' WHERE id BETWEEN 100 AND 149;
DELETE FROM t1 WHERE id BETWEEN 150 AND 159;
INSERT INTO t2 VALUES (3, 'z', '[]', now());
SQL
peek
END2=$(sql "SELECT pg_current_wal_lsn()")
# this run asks the plugin for batched frames (several per message)
env -u WAL2DBZ_PG_OWNER WAL2DBZ_FRAMED_BATCH_BYTES=65536 "$SINK" --config "$WORK/sink.properties" \
	>>"$WORK/sink.out" 2>>"$WORK/sink.err" &
SINK_PID=$!
for _ in $(seq 1 600); do
	C2=$(confirmed)
	lsn_ge "$C2" "$END2" && break
	sleep 0.1
done
check 'lsn_ge "$C2" "$END2"' "running sink confirms the slot up to $END2 (got $C2)"
check '[[ $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$HTTP_PORT/health/ready") == 200 ]]' \
	"/health/ready is 200 while streaming"
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics.txt"
check 'grep -q "^wal2dbz_records_produced_total{topic=\"$PREFIX.public.t1\"} [1-9]" "$WORK/metrics.txt" &&
	grep -q "^wal2dbz_records_in_flight 0" "$WORK/metrics.txt" &&
	grep -q "^wal2dbz_confirmed_lsn [1-9]" "$WORK/metrics.txt"' \
	"/metrics in Prometheus text format" || diag "$WORK/metrics.txt"
kill -TERM "$SINK_PID"
wait "$SINK_PID"
rc=$?
SINK_PID=
check '[[ $rc -eq 0 ]]' "SIGTERM: exits 0" || diag "$WORK/sink.err"
check '! grep -q "error:" "$WORK/sink.err"' "no errors logged" || diag "$WORK/sink.err"

# --- 5. Kafka against the plugin's record output
for topic in $(kcat -b "$BOOTSTRAP" -L -J | python3 -c '
import json, sys
for t in json.load(sys.stdin)["topics"]:
    if t["topic"].startswith(sys.argv[1] + "."):
        print(t["topic"])' "$PREFIX"); do
	kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -J -q >>"$WORK/kafka.jsonl" 2>>"$WORK/kcat.err"
done
check '[[ $(kcat -b "$BOOTSTRAP" -L -t "$PREFIX.public.t1" | grep -c "partition [0-9]*,") -eq $PARTITIONS ]]' \
	"topics created with $PARTITIONS partitions"
python3 "$HERE/e2e_compare.py" $((n + 1)) "$PARTITIONS" "$WORK/expected.jsonl" "$WORK/kafka.jsonl" \
	"$PREFIX" >"$WORK/compare.tap"
cat "$WORK/compare.tap"
n=$(cat "$WORK/kafka.jsonl.tapcount" 2>/dev/null || echo "$n")
failed=$((failed + $(grep -c '^not ok' "$WORK/compare.tap")))
check '! grep -q "\"topic\":\"$PREFIX.public.t3\"" "$WORK/kafka.jsonl"' "the excluded table t3 has no records"

echo "1..$n"
[[ $failed -eq 0 ]]
