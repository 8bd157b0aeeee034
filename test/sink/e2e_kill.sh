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
TABLES="public.ka,public.kb,public.kc"

e2e_init kill
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres

python3 "$E2E_HERE/lib_load.py" "$WORK" "$ROWS" "$CHUNKS" "$SEED" 0.015 >"$WORK/load.summary" ||
	bail "could not write the load"
note "$(cat "$WORK/load.summary")"
{ echo "CREATE EXTENSION IF NOT EXISTS wal2dbz;"; cat "$WORK/schema.sql"; } | e2e_psql >/dev/null ||
	bail "could not create the tables"

write_props "$WORK/sink.properties" postgres "$PREFIX" "$SLOT" \
	"table.include.list=$TABLES" \
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
for _ in $(seq 1 100); do [[ -n $(confirmed "$SLOT") ]] && break; sleep 0.1; done
check '[[ -n $(confirmed "$SLOT") ]]' "the sink created its slot" || bail "no slot"
sql "SELECT pg_create_logical_replication_slot('$REF', 'wal2dbz')" >/dev/null || bail "no reference slot"
t0=$(date +%s.%N)
chunks=()
for c in $(seq 1 $CHUNKS); do chunks+=("$WORK/chunk_$c.sql"); done
bg_start "$WORK/load.out" bash -c 'for f in "$@"; do psql -X -q -v ON_ERROR_STOP=1 -f "$f" || exit 1; done' _ \
	"${chunks[@]}"
LOAD_PID=$BG_PID

load_running() { kill -0 "$LOAD_PID" 2>/dev/null && [[ $(ps -o stat= -p "$LOAD_PID") != Z* ]]; }

: >"$WORK/runs.txt"
during=0
for k in $(seq 1 $KILLS); do
	# into chunk k + 1, then a random moment
	while load_running && (($(sql "SELECT step FROM public.kx" || echo 0) < k + 1)); do sleep 0.05; done
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

# the plugin's own stream, with each transaction's commit position
e2e_psql -At -F $'\t' -c "SELECT lsn, xid, data FROM pg_logical_slot_get_changes('$REF', '$END', NULL,
	'output.format', 'record', 'topic.prefix', '$PREFIX', 'table.include.list', '$TABLES',
	'value.converter.schemas.enable', 'false', 'key.converter.schemas.enable', 'false',
	'provide.transaction.metadata', 'true')" >"$WORK/reference.tsv" || bail "could not read the reference slot"
sql "SELECT pg_drop_replication_slot('$REF')" >/dev/null

dump_topics_tsv "$PREFIX" "$WORK/kafka.tsv"
for t in ka kb kc; do
	sql "SELECT row_to_json(t) FROM public.$t t" >"$WORK/$t.jsonl"
done
python3 "$E2E_HERE/lib_replay.py" --first $((n + 1)) --partitions 3 --kafka "$WORK/kafka.tsv" \
	--table "$PREFIX.public.ka=$WORK/ka.jsonl:id" \
	--table "$PREFIX.public.kb=$WORK/kb.jsonl:a,b" \
	--table "$PREFIX.public.kc=$WORK/kc.jsonl:id" \
	--reference "$WORK/reference.tsv" --runs "$WORK/runs.txt" >"$WORK/replay.tap" 2>&1
tap_merge "$WORK/replay.tap"
check '[[ -s $WORK/replay.tap ]] && ! grep -q "^Traceback" "$WORK/replay.tap"' "the replay ran"
tap_end
