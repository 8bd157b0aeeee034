#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_reconnect.sh
#	  wal2dbz-sink keeps streaming through a PostgreSQL restart and a
#	  paused Kafka broker, and loses no committed row.
#
# The sink runs in the background while transactions insert, update and
# delete rows; PostgreSQL is restarted once and the broker paused once in
# between.  At the end the last record of every key in Kafka must equal the
# row in PostgreSQL (or be a delete for a deleted row).  Repeats are
# allowed (at least once: PostgreSQL 15 does not keep a logical slot's
# confirmed position across a restart), losses are not.  While PostgreSQL
# is down, /health/ready answers 503 with "source":"disconnected"; once
# the sink has caught up, 200 again.
#
# Usage: test/sink/e2e_reconnect.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_reconnect.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
LIB=$TOP/test/lib
PREFIX=rc
SLOT=rc_slot

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wal2dbz-rc.XXXXXX")
chmod 755 "$WORK"
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
	"$LIB/kafka.sh" resume "$WORK/kafka" >/dev/null 2>&1
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
eval "$("$LIB/pg.sh" start "$WORK/pg")" || bail "PostgreSQL did not start"
BOOTSTRAP=$("$LIB/kafka.sh" start "$WORK/kafka") || bail "Kafka did not start"
HTTP_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

sql() { psql -X -q -v ON_ERROR_STOP=1 -At -c "$1"; }
sql "CREATE TABLE public.t (id int PRIMARY KEY, v int NOT NULL)" || bail "no table"

cat >"$WORK/sink.properties" <<EOF
database.hostname=127.0.0.1
database.port=$PGPORT
database.user=$PGUSER
database.dbname=$PGDATABASE
topic.prefix=$PREFIX
slot.name=$SLOT
snapshot.mode=no_data
table.include.list=public.t
value.converter.schemas.enable=false
key.converter.schemas.enable=false
topic.creation.default.partitions=3
topic.creation.default.replication.factor=1
status.update.interval.ms=1000
http.port=$HTTP_PORT
kafka.bootstrap.servers=$BOOTSTRAP
EOF

start_sink() {
	env -u WAL2DBZ_PG_OWNER "$SINK" --config "$WORK/sink.properties" >>"$WORK/sink.out" 2>>"$WORK/sink.err" &
	SINK_PID=$!
}
confirmed() { sql "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$SLOT'" 2>/dev/null; }
lsn_ge() { [[ -n $1 && $(sql "SELECT '$1'::pg_lsn >= '$2'::pg_lsn") == t ]]; }

# the slot first, so that every change below is captured
start_sink
for _ in $(seq 1 100); do [[ -n $(confirmed) ]] && break; sleep 0.1; done
check '[[ -n $(confirmed) ]]' "the sink created its slot"

# a load with a PostgreSQL restart and a paused broker in the middle
load() {	# load FROM TO: insert, update every 3rd, delete every 7th
	sql "BEGIN;
		INSERT INTO t SELECT g, 0 FROM generate_series($1, $2) g;
		UPDATE t SET v = v + 1 WHERE id BETWEEN $1 AND $2 AND id % 3 = 0;
		DELETE FROM t WHERE id BETWEEN $1 AND $2 AND id % 7 = 0;
		COMMIT;" || bail "load failed"
}
for i in $(seq 0 9); do
	load $((i * 1000 + 1)) $((i * 1000 + 1000))
	case $i in
		3)
			"$LIB/pg.sh" stop "$WORK/pg" >/dev/null 2>&1 || bail "stop failed"
			for _ in $(seq 1 50); do
				ready_down=$(curl -s -w " %{http_code}" "http://127.0.0.1:$HTTP_PORT/health/ready")
				[[ $ready_down == *'"source":"disconnected"'*' 503' ]] && break
				sleep 0.2
			done
			"$LIB/pg.sh" restart "$WORK/pg" >/dev/null 2>&1 || bail "restart failed" ;;
		6) "$LIB/kafka.sh" pause "$WORK/kafka"; sleep 5; "$LIB/kafka.sh" resume "$WORK/kafka" ;;
	esac
done
sql "UPDATE t SET v = v + 10 WHERE id % 5 = 0" || bail "update failed"
END=$(sql "SELECT pg_current_wal_lsn()")

for _ in $(seq 1 1200); do
	C=$(confirmed)
	lsn_ge "$C" "$END" && break
	sleep 0.1
done
check 'lsn_ge "$C" "$END"' "the slot is confirmed up to $END after the restart (got ${C:-nothing})"
check 'grep -q "disconnected; waiting [0-9]* seconds to try again" "$WORK/sink.err"' \
	"the sink reported the lost connection and reconnected"
check 'grep -q "^wal2dbz_reconnects_total [1-9]" < <(curl -s "http://127.0.0.1:$HTTP_PORT/metrics")' \
	"/metrics counts the reconnect"
check '[[ $ready_down == *"\"source\":\"disconnected\""*" 503" ]]' \
	"/health/ready answered 503 while PostgreSQL was down: $ready_down"
ready_up=$(curl -s -w " %{http_code}" "http://127.0.0.1:$HTTP_PORT/health/ready")
check '[[ $ready_up == *"\"source\":\"streaming\""*" 200" ]]' \
	"/health/ready answers 200 after the reconnect: $ready_up"
kill -TERM "$SINK_PID"
wait "$SINK_PID"
rc=$?
SINK_PID=
check '[[ $rc -eq 0 ]]' "SIGTERM: exits 0" || diag "$WORK/sink.err"

# last record per key against the table
kcat -b "$BOOTSTRAP" -C -t "$PREFIX.public.t" -o beginning -e -J -q >"$WORK/kafka.jsonl" 2>/dev/null
sql "SELECT id, v FROM t ORDER BY id" >"$WORK/table.txt"
python3 - "$WORK/kafka.jsonl" "$WORK/table.txt" >"$WORK/compare.txt" <<'PY'
import json, sys
last = {}
count = 0
for line in open(sys.argv[1]):
    m = json.loads(line)
    count += 1
    key = json.loads(m["key"])["id"]
    # one key, one partition: offsets order the records of a key
    order = (m["partition"], m["offset"])
    value = None if m["payload"] is None else json.loads(m["payload"])
    if value is None:
        continue            # tombstone after a delete: the delete came first
    after = value["after"]
    if key not in last or last[key][0] < order:
        last[key] = (order, None if after is None else after["v"])
rows = {}
for line in open(sys.argv[2]):
    i, v = line.strip().split("|")
    rows[int(i)] = int(v)
missing = [i for i in rows if last.get(i, (None, None))[1] != rows[i]]
ghosts = [i for i in last if last[i][1] is not None and i not in rows]
print("records %d keys %d rows %d missing %d ghosts %d" % (count, len(last), len(rows), len(missing), len(ghosts)))
print("missing:", missing[:10])
print("ghosts:", ghosts[:10])
PY
cat "$WORK/compare.txt" | sed 's/^/# /'
check 'grep -q "missing 0 ghosts 0" "$WORK/compare.txt"' \
	"every committed row is in Kafka with its final value, every deleted row ends with a delete"

echo "1..$n"
[[ $failed -eq 0 ]]
