#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_clickhouse_truncate.sh
#	  A truncate stays applied across a restart of the ClickHouse stage
#	  (and in members of the group that never see the truncate record).
#
# A truncate record sits on one partition of the table's topic; the rows
# it removed sit on all of them.  A stage restarted (or a member that owns
# other partitions) after the truncate was applied and committed can read
# older rows of the other partitions later, and must drop them.
#
# 1. Rows 1..300, TRUNCATE, rows 1..40 again and 1001..1100, all in
#    Kafka (3 partitions) before the ClickHouse stage starts; it runs
#    alone, catches up, equals PostgreSQL, stops.
# 2. The group's offsets are put where a member killed mid-way can leave
#    them: the truncate's partition committed past the truncate, the
#    other partitions back at 0, before rows the truncate removed.
# 3. The stage starts again and reads those partitions again: ClickHouse
#    still equals PostgreSQL (the old rows are dropped, by the truncate
#    recorded in cdc._wal2dbz_truncates).
#
# Usage: test/sink/e2e_clickhouse_truncate.sh   (SINK=path, KEEP=1).
# Needs what e2e_clickhouse.sh needs.  Prints TAP.
#
# test/sink/e2e_clickhouse_truncate.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_clickhouse.sh"

PREFIX=app
SLOT=app_slot
TOPIC=$PREFIX.public.items
GROUP=e2e-truncate
TABLES=(public.items=cdc.app_public_items)

e2e_init chtruncate
e2e_start_pg
e2e_start_kafka
ch_start
PORT=$(free_port)

e2e_psql -c "CREATE TABLE public.items (id int PRIMARY KEY, name text, qty int)" ||
	bail "could not create the table"
write_props "$WORK/source.properties" "$PGDATABASE" $PREFIX $SLOT \
	"http.port=0" "skipped.operations=none"
stage_props "$WORK/stage.properties" ch-truncate
sink_start source "$WORK/source.properties"
wait_active $SLOT 60 || bail "the source sink never streamed from its slot"

# --- 1. everything in Kafka first, then the stage
e2e_psql <<'SQL' >/dev/null || bail "the changes failed"
INSERT INTO public.items SELECT i, 'before ' || i, i FROM generate_series(1, 300) i;
UPDATE public.items SET qty = qty + 1 WHERE id % 3 = 0;
TRUNCATE public.items;
INSERT INTO public.items SELECT i, 'after ' || i, i FROM generate_series(1, 40) i;
INSERT INTO public.items SELECT i, 'after ' || i, i FROM generate_series(1001, 1100) i;
SQL
check 'wait_confirmed $SLOT "$(current_lsn)" 60' "the changes are in Kafka" || diag "$WORK/source.err"
sink_start stage "$WORK/stage.properties"
check 'ch_wait_equal 90 "${TABLES[@]}"' "the stage catches up: ClickHouse equals PostgreSQL" ||
	diag "$WORK/stage.err"
sink_stop stage TERM
check '[[ $rc -eq 0 ]]' "SIGTERM exits 0" || diag "$WORK/stage.err"
check '[[ $(ch_sql "SELECT max(_version) > 0 FROM cdc._wal2dbz_truncates WHERE table = '"'"'app_public_items'"'"'") == 1 ]]' \
	"the truncate is recorded in cdc._wal2dbz_truncates"

# --- 2. the offsets of a member stopped mid-way
kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -o beginning -e -q -f '%p %o %s\n' >"$WORK/records.txt" 2>/dev/null
TRUNC_PART=$(awk '/"op":"t"/ { print $1; exit }' "$WORK/records.txt")
REWIND=()
for p in 0 1 2; do [[ $p != "$TRUNC_PART" ]] && REWIND+=("$p=0"); done
OLD=$(awk -v t="$TRUNC_PART" '$1 != t && /"before /' "$WORK/records.txt" | wc -l)
note "truncate on partition $TRUNC_PART; rewinding ${REWIND[*]} ($OLD records of rows the truncate removed)"
check '[[ -n $TRUNC_PART && $OLD -gt 0 ]] && python3 "$E2E_HERE/ch_commit.py" "$BOOTSTRAP" $GROUP "$TOPIC" "${REWIND[@]}" 2>"$WORK/commit.err"' \
	"the group's other partitions are rewound before the truncate" || diag "$WORK/commit.err"

# --- 3. started again: the old rows are read again and dropped
sink_start stage "$WORK/stage.properties"
caught_up() {
	local consumed lag
	consumed=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^wal2dbz_clickhouse_records_consumed_total/ { print $NF }')
	lag=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^wal2dbz_clickhouse_consumer_lag/ { s += $NF; n++ } END { print n ? s : -1 }')
	[[ ${consumed:-0} -ge $OLD && $lag -eq 0 ]]
}
for _ in $(seq 1 300); do caught_up && break; sleep 0.3; done
check 'caught_up' "the restarted stage read the rewound partitions again and committed" ||
	{ curl -s "http://127.0.0.1:$PORT/metrics" | grep clickhouse >"$WORK/metrics.txt"; diag "$WORK/metrics.txt"; }
check 'ch_wait_equal 10 "${TABLES[@]}"' "ClickHouse still equals PostgreSQL: no truncated row came back" ||
	{ ch_sql "SELECT id, name FROM cdc.app_public_items FINAL WHERE is_deleted = 0 AND name LIKE 'before%' LIMIT 5" >"$WORK/back.txt"; diag "$WORK/back.txt"; }
python3 "$E2E_HERE/ch_compare.py" --tap "$n" "$CH_URL" "${TABLES[@]}" >"$WORK/compare.tap"
tap_merge "$WORK/compare.tap"
sink_stop stage TERM
check '[[ $rc -eq 0 ]] && ! grep -q "error:" "$WORK/stage.err"' "the stage stops cleanly, no errors logged" ||
	diag "$WORK/stage.err"
sink_stop source TERM

tap_end
