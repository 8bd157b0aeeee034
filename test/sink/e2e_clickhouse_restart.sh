#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_clickhouse_restart.sh
#	  The ClickHouse stage loses nothing when ClickHouse goes away or the
#	  stage is killed, and scales out as a consumer group.
#
# One wal2dbz-sink runs the source stage only (PostgreSQL -> Kafka); the
# ClickHouse stage runs alone (only kafka.* and clickhouse.* configured)
# in member A, later also in member B of the same group.  During a steady
# load of about a minute:
#   - ClickHouse (Debian's 18.16) is killed, and started again 20 seconds
#     later: A keeps its batch, retries, commits nothing meanwhile;
#   - B joins the group and takes some partitions;
#   - A is killed with SIGKILL and started again.
# REPLICA IDENTITY DEFAULT: key changes with unchanged TOAST values take
# them from the old key's row, which another member may write later.
# Afterwards the ClickHouse tables equal the PostgreSQL tables row for row
# (SELECT ... FINAL WHERE is_deleted = 0): nothing lost, repeats collapsed.
#
# Usage: test/sink/e2e_clickhouse_restart.sh   (SINK=path, KEEP=1).  Needs
# what e2e_clickhouse.sh needs.  Prints TAP.
#
# test/sink/e2e_clickhouse_restart.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_clickhouse.sh"

PREFIX=app
SLOT=app_slot
TABLES=(crm.customers=cdc.app_crm_customers telemetry.readings=cdc.app_telemetry_readings)
CHUNKS=90			# load chunks, about 0.6 s each
OPS=40				# operations per chunk

e2e_init chrestart
e2e_start_pg
e2e_start_kafka
ch_start
PORT_A=$(free_port)
PORT_B=$(free_port)

# REPLICA IDENTITY DEFAULT: a key change's insert carries no unchanged
# TOAST values; they are read back from the old key's row, which another
# member may not have written yet (the stage then waits for it)
{ echo "CREATE EXTENSION IF NOT EXISTS wal2dbz;"; python3 "$E2E_HERE/ch_load.py" schema; } |
	e2e_psql || bail "could not create the tables"
for ((i = 1; i <= CHUNKS; i++)); do
	python3 "$E2E_HERE/ch_load.py" ops "$i" $OPS "$WORK/state.json" >"$WORK/chunk_$i.sql"
done

# the source stage alone
write_props "$WORK/source.properties" "$PGDATABASE" $PREFIX $SLOT \
	"http.port=0" "skipped.operations=none"
# the ClickHouse stage alone: no database.* property
ch_props() {
	cat >"$1" <<EOF
name=ch-$2
kafka.bootstrap.servers=$BOOTSTRAP
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=1000
clickhouse.url=$CH_URL
clickhouse.database=cdc
clickhouse.topics=$PREFIX.crm.customers,$PREFIX.telemetry.readings
clickhouse.group.id=e2e-restart
clickhouse.batch.ms=500
clickhouse.batch.rows=2000
http.port=$3
EOF
}
ch_props "$WORK/a.properties" a "$PORT_A"
ch_props "$WORK/b.properties" b "$PORT_B"

sink_start source "$WORK/source.properties"
wait_active $SLOT 60 || bail "the source sink never streamed from its slot"
sink_start a "$WORK/a.properties"

# the load, in the background: one chunk every ~0.6 s
load() {
	local i
	for ((i = 1; i <= CHUNKS; i++)); do
		e2e_psql -f "$WORK/chunk_$i.sql" >/dev/null || { echo "chunk $i failed"; exit 1; }
		echo "$i" >"$WORK/progress"
		sleep 0.5
	done
}
echo 0 >"$WORK/progress"
bg_start "$WORK/load.out" bash -c "$(declare -f load e2e_psql); WORK=$WORK CHUNKS=$CHUNKS DB=${DB:-} PGDATABASE=$PGDATABASE; load"
LOAD_PID=$BG_PID
progress() { cat "$WORK/progress"; }
wait_progress() { while [[ $(progress) -lt $1 ]] && kill -0 "$LOAD_PID" 2>/dev/null; do sleep 0.2; done; }

# --- ClickHouse away for 20 seconds
wait_progress 8
# killed rather than shut down: 18.16 takes long to stop, and a crash is
# the harder case
kill -KILL "$(cat "$WORK/ch/clickhouse.pid")"
note "ClickHouse killed at chunk $(progress)"
sleep 10
check '[[ $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT_A/health/ready") == 503 ]]' \
	"/health/ready of the ClickHouse stage is 503 while ClickHouse is away"
LAG_DOWN=$(curl -s "http://127.0.0.1:$PORT_A/metrics" | awk '/^wal2dbz_clickhouse_consumer_lag/ { s += $NF } END { print s + 0 }')
sleep 10
"$E2E_LIB/clickhouse.sh" restart "$WORK/ch" >/dev/null 2>"$WORK/ch.restart.err" || bail "ClickHouse did not restart"
note "ClickHouse back at chunk $(progress)"
check 'grep -q "trying again in" "$WORK/a.err"' "the stage kept its batch and retried" || diag "$WORK/a.err"
check '[[ $LAG_DOWN -gt 0 ]]' "offsets were not committed while ClickHouse was away (lag $LAG_DOWN)"

# --- a second member joins; the first is killed and comes back
wait_progress $((CHUNKS * 5 / 9))
sink_start b "$WORK/b.properties"
note "member B started at chunk $(progress)"
wait_progress $((CHUNKS * 3 / 4))
sink_stop a KILL
note "member A killed at chunk $(progress)"
sleep 2
sink_start a "$WORK/a.properties"

wait "$LOAD_PID"
LOAD_RC=$?
check '[[ $LOAD_RC -eq 0 && $(progress) -eq $CHUNKS ]]' "the load ran to the end ($CHUNKS chunks of $OPS changes)" ||
	diag "$WORK/load.out"
check 'ch_wait_equal 120 "${TABLES[@]}"' "ClickHouse equals PostgreSQL: nothing lost" ||
	{ diag "$WORK/a.err"; diag "$WORK/b.err"; }
python3 "$E2E_HERE/ch_compare.py" --tap "$n" "$CH_URL" "${TABLES[@]}" >"$WORK/compare.tap"
tap_merge "$WORK/compare.tap"
check 'grep -q "assigned [1-9][0-9]* partition(s)" "$WORK/b.err"' "member B took partitions in the group" ||
	diag "$WORK/b.err"
check '[[ $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT_B/health/ready") == 200 ]]' \
	"/health/ready of a running ClickHouse stage is 200"

sink_stop b TERM
check '[[ $rc -eq 0 ]]' "member B: SIGTERM exits 0" || diag "$WORK/b.err"
sink_stop a TERM
check '[[ $rc -eq 0 ]]' "member A: SIGTERM exits 0" || diag "$WORK/a.err"
sink_stop source TERM
check '! grep -q "error:" "$WORK/a.err" "$WORK/b.err"' "no errors logged by the ClickHouse stage" ||
	{ diag "$WORK/a.err"; diag "$WORK/b.err"; }

tap_end
