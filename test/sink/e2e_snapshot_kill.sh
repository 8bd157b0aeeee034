#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_snapshot_kill.sh
#	  A snapshot cut short never leaves a hole: wal2dbz-sink stopped by
#	  SIGTERM, cut off by a PostgreSQL restart, and killed by SIGKILL in
#	  the middle of its initial snapshot, while a writer keeps changing the
#	  tables, ends with every row in Kafka.
#
# 1. SIGTERM during the snapshot: exit 0; the state row still says
#    "running"; the slot is confirmed no further than its consistent point.
# 2. Restart: the snapshot is taken again (a fresh one: the slot exists);
#    PostgreSQL is restarted during it: the sink reconnects and takes it
#    again.
# 3. SIGKILL during that snapshot; restart: taken again, completes, streams.
# 4. The last record of every key is the row as the function encodes it,
#    and the records of every key chain (REPLICA IDENTITY FULL): nothing
#    lost; repeats only where a snapshot of an existing slot allows them.
#
# Usage: test/sink/e2e_snapshot_kill.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_snapshot_kill.sh
#
#-------------------------------------------------------------------------
set -uo pipefail
. "$(dirname "$0")/snapshot_lib.sh"

PREFIX=sk
SLOT=sk_slot
ROWS=${SNAPSHOT_KILL_ROWS:-150000}
snap_init snapshot-kill

psql <<SQL || bail "could not create the tables"
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.k1 (id int PRIMARY KEY, v int NOT NULL, note text);
CREATE TABLE public.k2 (id bigint PRIMARY KEY, doc jsonb);
ALTER TABLE public.k1 REPLICA IDENTITY FULL;
ALTER TABLE public.k2 REPLICA IDENTITY FULL;
INSERT INTO public.k1 SELECT g, g, md5(g::text) FROM generate_series(1, $ROWS) g;
INSERT INTO public.k2 SELECT g, jsonb_build_object('g', g) FROM generate_series(1, 20000) g;
ANALYZE;
SQL

cat >"$WORK/load.sql" <<SQL
UPDATE public.k1 SET v = v + 1, note = md5(random()::text) WHERE id = (random() * ($ROWS - 1))::int + 1;
DELETE FROM public.k1 WHERE id = (random() * ($ROWS - 1))::int + 1;
INSERT INTO public.k1 VALUES ((random() * ($ROWS - 1))::int + 1, 0, 'back') ON CONFLICT DO NOTHING;
INSERT INTO public.k2 VALUES (100000 + (random() * 1000000)::int, '{"new": true}') ON CONFLICT DO NOTHING;
UPDATE public.k2 SET doc = doc || '{"u": 1}' WHERE id = (random() * 19999)::int + 1;
SELECT pg_sleep(0.01);
SQL

# small chunks over two connections, so that the snapshot takes a while
write_props "$WORK/sink.properties" "$PREFIX" "$SLOT" \
	"table.include.list=public\\.k[0-9]" \
	"snapshot.max.threads=2" "snapshot.chunk.size=1000"

# wait_rows N SECONDS: until the running snapshot has produced N rows
wait_rows() {
	local i r
	for ((i = 0; i < $2 * 20; i++)); do
		r=$(metric wal2dbz_snapshot_rows)
		[[ -n $r && $r -ge $1 && $(metric wal2dbz_snapshot_running) == 1 ]] && return 0
		kill -0 "$SINK_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

writer_start 100000 "$WORK/load.sql"

# --- 1. SIGTERM in the middle
sink_bg "$WORK/sink.properties"
check 'wait_rows 20000 60' "the first snapshot is under way" || diag "$WORK/sink.err"
sink_stop TERM
C=$(state snapshot_lsn "$SLOT")
check '[[ $rc -eq 0 ]] && grep -q "stopped during the snapshot" "$WORK/sink.err"' \
	"SIGTERM during the snapshot: exit 0" || diag "$WORK/sink.err"
check '[[ $(state status "$SLOT") == running ]]' "the state row says the snapshot is still running"
check '[[ $(confirmed "$SLOT") == "$C" ]]' "the slot is confirmed no further than its consistent point $C"

# --- 2. again, with a PostgreSQL restart in the middle
sink_bg "$WORK/sink.properties"
check 'wait_rows 20000 60' "restart: the snapshot is taken again" || diag "$WORK/sink.err"
C2=$(state snapshot_lsn "$SLOT")
"$LIB/pg.sh" restart "$WORK/pg" 2>>"$WORK/pg.err" || bail "PostgreSQL did not restart"
check 'grep -q "disconnected; waiting" <(tail -5 "$WORK/sink.err")' \
	"PostgreSQL restarted during the snapshot: the sink waits to try again" || diag "$WORK/sink.err"
# the writer lost its connection too
writer_start 100000 "$WORK/load.sql"

# --- 3. SIGKILL during the third attempt
check 'wait_rows 20000 60' "after reconnecting, the snapshot is taken again" || diag "$WORK/sink.err"
C3=$(state snapshot_lsn "$SLOT")
sink_stop KILL
check '[[ $(state status "$SLOT") == running && $(confirmed "$SLOT") == "$C" ]]' \
	"SIGKILL during the snapshot: still running, the slot still at $C"
sink_bg "$WORK/sink.properties"
check 'sink_wait_streaming 120' "restart after SIGKILL: the snapshot completes, streaming" || diag "$WORK/sink.err"
check '[[ $(state status "$SLOT") == complete ]]' "the state row says complete"
kill -TERM -- "-$WRITER_PID" 2>/dev/null
wait "$WRITER_PID" 2>/dev/null
WRITER_PID=
END=$(sql "SELECT pg_current_wal_lsn()")
check 'wait_confirmed "$SLOT" "$END" 60' "streamed changes confirmed up to $END"
sink_stop TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: exit 0"

# --- 4. every row there, the records of every key chained
dump "$PREFIX" "$WORK/kafka.jsonl"
expected "$PREFIX" "$WORK/expected.tsv" public.k1 public.k2
C_DEC=$(sql "SELECT '$C'::pg_lsn - '0/0'")
C2_DEC=$(sql "SELECT '$C2'::pg_lsn - '0/0'")
C3_DEC=$(sql "SELECT '$C3'::pg_lsn - '0/0'")
verify final --runs 1 --partial "$C_DEC" --partial "$C2_DEC" --partial "$C3_DEC" \
	"$WORK/kafka.jsonl" "$WORK/expected.tsv"
check '! grep -q "error:" <(grep -v "could not read table\|could not receive\|terminating connection\|server closed\|could not connect\|disconnected" "$WORK/sink.err")' \
	"no errors logged apart from the restart" || diag "$WORK/sink.err"
finish
