#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_idle_slot.sh
#	  An idle database's slot does not hold WAL while another database
#	  on the same server writes 200 MB of it.
#
# Two databases on one server, each with its own wal2dbz-sink and slot.
# Database idle_a has a few captured rows at the start, then:
#   1. is idle while busy_b writes ~100 MB of WAL (large transactions on
#      a table busy_b's sink does not capture, with some captured rows);
#   2. changes only a table outside its table.include.list while busy_b
#      writes another ~100 MB.
# After each phase idle_a's slot must have its confirmed_flush_lsn at the
# end of the phase's WAL, and its restart_lsn past it once a running-
# transactions record follows (CHECKPOINTs hurry that along): the sink
# confirms the keepalive positions of a database that sends it nothing.
# With max_wal_size = 64MB, pg_wal must then have dropped every segment of
# phase 1 and hold less than 3/4 of the WAL written (64 to 112 MB seen).  Both sinks still deliver
# afterwards, each database's rows to its own topics with its own
# source.db.
#
# Usage: test/sink/e2e_idle_slot.sh   (SINK=path, KEEP=1, MB=size of a
#        phase, default 100)
# Prints TAP.
#
# test/sink/e2e_idle_slot.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

MB=${MB:-100}
e2e_init idle-slot
e2e_start_pg "max_wal_size = 64MB" "min_wal_size = 32MB"
e2e_start_kafka
export PGDATABASE=postgres

for db in idle_a busy_b; do
	sql "CREATE DATABASE $db" >/dev/null || bail "could not create database $db"
done
for db in idle_a busy_b; do
	DB=$db e2e_psql >/dev/null <<-'SQL' || bail "could not create the tables in $db"
	CREATE EXTENSION wal2dbz;
	CREATE TABLE public.t (id int PRIMARY KEY, v text);
	CREATE TABLE public.noise (id bigserial PRIMARY KEY, pad text);
	SQL
done
write_props "$WORK/a.properties" idle_a ia ia_slot "table.include.list=public.t" "http.port=0"
write_props "$WORK/b.properties" busy_b ib ib_slot "table.include.list=public.t" "http.port=0"
sink_start a "$WORK/a.properties"
sink_start b "$WORK/b.properties"
for _ in $(seq 1 100); do
	[[ -n $(confirmed ia_slot) && -n $(confirmed ib_slot) ]] && break
	sleep 0.1
done
check '[[ -n $(confirmed ia_slot) && -n $(confirmed ib_slot) ]]' "each sink created its slot" ||
	bail "no slots"

DB=idle_a sql "INSERT INTO public.t SELECT g, 'a' || g FROM generate_series(1, 100) g" >/dev/null
DB=busy_b sql "INSERT INTO public.t SELECT g, 'b' || g FROM generate_series(1, 100) g" >/dev/null
LSN=$(current_lsn)
wait_confirmed ia_slot "$LSN" 60 && wait_confirmed ib_slot "$LSN" 60
check 'lsn_ge "$C" "$LSN"' "both sinks delivered their first rows"
START=$(current_lsn)

# busy WAL: MB transactions of ~1 MB on busy_b.noise, with 10 captured rows each
write_busy() {	# write_busy FIRST_ID
	local i
	for ((i = 0; i < MB; i++)); do
		echo "BEGIN;"
		echo "INSERT INTO public.noise (pad) SELECT repeat(md5(g::text), 31) FROM generate_series(1, 1000) g;"
		echo "INSERT INTO public.t SELECT g, 'busy' FROM generate_series($1 + $i * 10, $1 + $i * 10 + 9) g;"
		echo "COMMIT;"
	done | DB=busy_b e2e_psql
}

# phase PHASE_NAME: after the busy writes, idle_a's slot catches up.  Its
# restart_lsn moves at a running-transactions record decoded after the
# position it confirmed (the bgwriter logs one every 15 s of activity, a
# checkpoint logs one): CHECKPOINT now and then to be quicker about it.
phase() {
	local name=$1 end t t_conf t_restart restart lag i
	end=$(current_lsn)
	t=$(date +%s.%N)
	wait_confirmed ia_slot "$end" 60
	t_conf=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)")
	lag=$(lsn_diff "$(current_lsn)" "$C")
	for ((i = 0; i < 150; i++)); do
		((i % 10 == 0)) && sql "CHECKPOINT" >/dev/null
		restart=$(slot_col ia_slot restart_lsn)
		lsn_ge "$restart" "$end" && break
		sleep 0.2
	done
	t_restart=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)")
	note "$name: busy_b wrote $(($(lsn_diff "$end" "$PHASE_START") / 1048576)) MB of WAL in $PHASE_SECONDS s;" \
		"idle_a's slot confirmed $C after $t_conf s ($lag bytes behind), restart_lsn $restart after $t_restart s"
	check 'lsn_ge "$C" "$end"' "$name: idle_a's confirmed_flush_lsn reached the end of busy_b's WAL ($end)"
	check 'lsn_ge "$restart" "$end"' "$name: idle_a's restart_lsn moved past it too: the slot holds none of it"
	check 'wait_confirmed ib_slot "$end" 60' "$name: busy_b's slot is confirmed up to it"
}

PHASE_START=$(current_lsn)
t0=$(date +%s.%N)
write_busy 1000 >/dev/null || bail "busy load failed"
PHASE_SECONDS=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
phase "1 (idle_a idle)"

# phase 2: idle_a commits changes of an excluded table meanwhile
PHASE_START=$(current_lsn)
t0=$(date +%s.%N)
bg_start "$WORK/a_noise.out" bash -c 'for i in $(seq 1 200); do
	echo "INSERT INTO public.noise (pad) VALUES ('\''excluded $i'\'');"
	echo "SELECT pg_sleep(0.02);"
done | psql -X -q -v ON_ERROR_STOP=1 -d idle_a >/dev/null'
A_PID=$BG_PID
write_busy 100000 >/dev/null || bail "busy load failed"
wait "$A_PID"
check '[[ $? -eq 0 ]]' "idle_a committed 200 transactions on its excluded table meanwhile" ||
	diag "$WORK/a_noise.out"
PHASE_SECONDS=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")
phase "2 (idle_a changes only an excluded table)"

# pg_wal: once busy_b's slot is past the busy WAL too, a checkpoint drops it
END=$(current_lsn)
for ((i = 0; i < 150; i++)); do
	((i % 10 == 0)) && sql "CHECKPOINT" >/dev/null
	lsn_ge "$(slot_col ib_slot restart_lsn)" "$END" && lsn_ge "$(slot_col ia_slot restart_lsn)" "$END" && break
	sleep 0.2
done
sql "CHECKPOINT" >/dev/null
WAL_BYTES=$(sql "SELECT sum(size) FROM pg_ls_waldir()")
OLDEST=$(sql "SELECT min(name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}\$'")
FIRST=$(sql "SELECT pg_walfile_name('$PHASE_START')")
WRITTEN=$(lsn_diff "$(current_lsn)" "$START")
note "pg_wal: $((WAL_BYTES / 1048576)) MB in $(sql "SELECT count(*) FROM pg_ls_waldir()") files after $((WRITTEN / 1048576)) MB of WAL;" \
	"oldest segment $OLDEST, phase 2 began in $FIRST; restart_lsn idle_a $(slot_col ia_slot restart_lsn), busy_b $(slot_col ib_slot restart_lsn)"
# a slot that held the WAL would keep all of it; without, a checkpoint
# leaves max_wal_size and what the last checkpoint still needs
check '[[ $WAL_BYTES -lt $((WRITTEN * 3 / 4)) ]]' \
	"pg_wal holds $((WAL_BYTES / 1048576)) MB, less than 3/4 of the $((WRITTEN / 1048576)) MB written"
check '[[ $OLDEST > $FIRST ]]' "no segment of phase 1 or of the beginning of phase 2 is left (oldest $OLDEST)"
check '[[ $(slot_col ia_slot wal_status) == reserved ]]' "idle_a's slot is still in good health (wal_status reserved)"

# both sinks still deliver, each database to its own topics
DB=idle_a sql "INSERT INTO public.t VALUES (1000000, 'after')" >/dev/null
LSN=$(current_lsn)
wait_confirmed ia_slot "$LSN" 60
check 'lsn_ge "$C" "$LSN"' "idle_a's sink delivers a row written after the busy phases"
sink_stop a TERM
check '[[ $rc -eq 0 ]]' "idle_a's sink: SIGTERM, exit 0" || diag "$WORK/a.err"
sink_stop b TERM
check '[[ $rc -eq 0 ]]' "busy_b's sink: SIGTERM, exit 0" || diag "$WORK/b.err"
check '! grep -q "error:" "$WORK/a.err" "$WORK/b.err"' "no errors logged" || diag "$WORK/a.err" "$WORK/b.err"

dump_topics ia "$WORK/a.jsonl"
dump_topics ib "$WORK/b.jsonl"
python3 - "$WORK/a.jsonl" "$WORK/b.jsonl" "$MB" >"$WORK/dbs.txt" <<'PY'
import json, sys
def load(path):
    out = []
    for line in open(path):
        m = json.loads(line)
        out.append((m["topic"], json.loads(m["payload"])["payload"]["source"]))
    return out
a, b, mb = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
ok_a = len(a) == 101 and all(t == "ia.public.t" and s["db"] == "idle_a" and s["name"] == "ia" for t, s in a)
ok_b = len(b) == 100 + 2 * mb * 10 and all(t == "ib.public.t" and s["db"] == "busy_b" and s["name"] == "ib" for t, s in b)
print("a %d b %d" % (len(a), len(b)), "ok" if ok_a and ok_b else "bad")
PY
check 'grep -q " ok$" "$WORK/dbs.txt"' \
	"Kafka: idle_a's 101 rows on ia.public.t and busy_b's $((100 + 2 * MB * 10)) on ib.public.t, each with its source.db" ||
	diag "$WORK/dbs.txt"
tap_end
