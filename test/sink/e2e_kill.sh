#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_kill.sh
#	  wal2dbz-sink killed with SIGKILL five times during a 200,000-row
#	  load loses no committed row.
#
# A load of 200,000 inserted rows (lib_load.py: inserts, updates, primary
# key updates, deletes and re-inserts over three tables, one with a
# composite key and one with REPLICA IDENTITY FULL, in ~20,000
# transactions of one row, of up to 200 rows, and one large one per
# sixth) runs against PostgreSQL while the sink streams it to Kafka.  At
# each sixth of the load the sink gets SIGKILL at a random moment and is
# started again at once, every other time with batched frames
# (framed.batch.bytes).  After the load the last sink runs until the slot
# is confirmed up to the end and stops on SIGTERM.
#
# Then lib_replay.py replays every topic key by key in offset order:
# every row of PostgreSQL must be in Kafka with its final value (the
# missing rows are counted and printed: 0), every deleted key must end
# with a delete and a tombstone, every change event of a second wal2dbz
# slot created before the load (the plugin's own "record" output) must be
# in Kafka in order per key, and every repeat must be a re-delivery by a
# later process of a transaction that committed after the position the
# slot had confirmed when the process before was killed.
#
# Usage: test/sink/e2e_kill.sh   (SINK=path, KEEP=1, SEED=n)
# Prints TAP.
#
# test/sink/e2e_kill.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

PREFIX=kl
SLOT=kl_slot
REF=kl_ref
ROWS=200000
CHUNKS=6
KILLS=5
SEED=${SEED:-$RANDOM}

e2e_init kill
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres
load_prepare "$ROWS" "$CHUNKS" "$SEED" 0.015

write_props "$WORK/sink.properties" postgres "$PREFIX" "$SLOT" \
	"table.include.list=$LOAD_TABLES" \
	"value.converter.schemas.enable=false" \
	"key.converter.schemas.enable=false" \
	"http.port=0"

runs=0
start_sink() {	# every other run asks for batched frames
	runs=$((runs + 1))
	echo "--- run $runs" >>"$WORK/sink.err"
	if ((runs % 2 == 0)); then
		sink_start sink "$WORK/sink.properties" WAL2DBZ_FRAMED_BATCH_BYTES=65536
	else
		sink_start sink "$WORK/sink.properties"
	fi
}

# the sink's slot first, then the reference slot, then the load
start_sink
load_start "$SLOT" "$REF"

: >"$WORK/runs.txt"
during=0
for k in $(seq 1 $KILLS); do
	# into chunk k + 1, then a random moment
	while load_running && (($(load_step) < k + 1)); do sleep 0.05; done
	sleep "0.$((RANDOM % 10))"
	load_running && during=$((during + 1))
	C=$(confirmed "$SLOT")
	inflight=$(lsn_diff "$(current_lsn)" "$C")
	if ! sink_running sink; then
		not_ok "sink run $runs died by itself before kill $k (exit $rc)"
		diag "$WORK/sink.err"
	fi
	sink_stop sink KILL
	echo "run $k $C" >>"$WORK/runs.txt"
	sleep 0.5	# let what the dead process had already sent land
	end_offsets "$PREFIX" | sed "s/^/hw $k /" >>"$WORK/runs.txt"
	note "kill $k at $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s: slot confirmed $C, $inflight bytes of WAL behind"
	# a new process on a slot still held by the old walsender would stop
	# ("replication slot ... is active"), as pg_recvlogical does
	wait_inactive "$SLOT" 10 || not_ok "the killed sink's walsender released the slot within 10 s"
	start_sink
done
wait "$LOAD_PID"
load_rc=$?
LOAD_SECONDS=$(echo "$(date +%s.%N) - $t0" | bc)
check '[[ $load_rc -eq 0 ]]' "the load ran (${LOAD_SECONDS%.*} s)" || diag "$WORK/load.out"
check '[[ $during -eq $KILLS ]]' "$during of $KILLS SIGKILLs came while the load was running"

END=$(current_lsn)
wait_confirmed "$SLOT" "$END" 120
CATCHUP=$(echo "$(date +%s.%N) - $t0 - $LOAD_SECONDS" | bc)
check 'lsn_ge "$C" "$END"' "after $KILLS restarts the slot is confirmed up to $END, $(printf '%.1f' "$CATCHUP") s after the load (got ${C:-nothing})"
check '[[ $(grep -c "streaming from replication slot" "$WORK/sink.err") -eq $((KILLS + 1)) ]]' \
	"every restart resumed streaming from the slot" || diag "$WORK/sink.err"
sink_stop sink TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: the last sink exits 0" || diag "$WORK/sink.err"
check '! grep -q "error:" "$WORK/sink.err"' "no errors logged" || grep "error:" "$WORK/sink.err" | diag

# the plugin's own stream against Kafka and the tables
load_replay "$PREFIX" "$REF" "$END"
tap_end
