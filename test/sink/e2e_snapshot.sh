#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_snapshot.sh
#	  Initial snapshots of wal2dbz-sink against a real PostgreSQL 15 and a
#	  real Kafka broker (test/lib), through snapshot.mode's lifecycle.
#
# 1. initial, first start, a writer busy before, during and after: rows
#    present before the slot's consistent point arrive exactly once as "r"
#    records (primary-key, composite-key, keyless, one-row tables; an empty
#    table gives nothing), streamed changes follow with nothing missed or
#    doubled (every key's records chain, REPLICA IDENTITY FULL), the last
#    record of every key is the row as the plugin's own function encodes it,
#    markers first/last/per table; the slot is never confirmed beyond the
#    consistent point before the snapshot is acknowledged; /metrics shows
#    the snapshot; the state row says complete.
# 2. initial, restart: no second snapshot, streaming resumes.
# 3. A table added to table.include.list: its existing rows are snapshotted
#    at the next start (only it), then its changes stream.
# 4. always: every start snapshots again (at least once), final state holds.
# 5. when_needed: after the slot was dropped, a new slot and a new snapshot;
#    after the slot was invalidated (max_slot_wal_keep_size), initial
#    refuses it and when_needed recreates it and snapshots.
# 6. initial_only: a snapshot through a temporary slot, exit 0, no slot left;
#    snapshot.include.collection.list and snapshot.select.statement.overrides;
#    database.initial.statements on the snapshot's connections, a failing
#    one stopping the sink.
# 0 and 7. "check" reports what snapshots need: the extension (installed, of
#    the sink's version, callable by the role) and the state table
#    (creatable, then readable and writable by the role).
#
# Usage: test/sink/e2e_snapshot.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_snapshot.sh
#
#-------------------------------------------------------------------------
set -uo pipefail
. "$(dirname "$0")/snapshot_lib.sh"

PREFIX=sn
SLOT=sn_slot
# a small logical_decoding_work_mem: the big transaction below spills
snap_init snapshot "logical_decoding_work_mem = 64kB"

# --- 0. check, before the extension exists
# run_check NAME PROPS: "check" into WORK/check-NAME.out; rc is its exit status
run_check() { "$SINK" check --config "$2" >"$WORK/check-$1.out" 2>&1; rc=$?; }
write_props "$WORK/check.properties" "$PREFIX" "$SLOT"
run_check none "$WORK/check.properties"
check '[[ $rc -eq 1 ]] && grep -q "^FAIL extension: wal2dbz is available but not installed in \"$PGDATABASE\"; run CREATE EXTENSION wal2dbz" "$WORK/check-none.out"' \
	"check: FAIL without the extension, with the command to run" || diag "$WORK/check-none.out"
check 'grep -q "^OK snapshot state: schema wal2dbz_sink and table wal2dbz_sink.snapshot_state do not exist yet; they are created on the first start" "$WORK/check-none.out"' \
	"check: the state table does not exist yet and the role may create it" || diag "$WORK/check-none.out"
write_props "$WORK/check-nodata.properties" "$PREFIX" "$SLOT" "snapshot.mode=no_data"
run_check nodata "$WORK/check-nodata.properties"
check '[[ $rc -eq 0 ]] && grep -q "^WARN extension: " "$WORK/check-nodata.out" && ! grep -q "snapshot state" "$WORK/check-nodata.out"' \
	"check: with snapshot.mode=no_data neither is required" || diag "$WORK/check-nodata.out"

psql <<'SQL' || bail "could not create the tables"
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.s1 (id int PRIMARY KEY, v int NOT NULL, note text, amount numeric(12,2),
                        at timestamptz, tags text[]);
CREATE TABLE public.s2 (a int, b text, doc jsonb, PRIMARY KEY (a, b));
CREATE TABLE public.s3 (v text, n int);                 -- no primary key
CREATE TABLE public.s4 (id int PRIMARY KEY, v text);    -- one row
CREATE TABLE public.s5 (id int PRIMARY KEY);            -- empty
CREATE TABLE public.other (id int PRIMARY KEY, v int);  -- not captured at first
ALTER TABLE public.s1 REPLICA IDENTITY FULL;
ALTER TABLE public.s2 REPLICA IDENTITY FULL;
ALTER TABLE public.s3 REPLICA IDENTITY FULL;
ALTER TABLE public.other REPLICA IDENTITY FULL;
INSERT INTO public.s1 SELECT g, g, 'row ' || g, g / 7.0, '2026-01-01'::timestamptz + g * interval '1 min',
                             ARRAY['t' || g % 5] FROM generate_series(1, 20000) g;
INSERT INTO public.s2 SELECT g % 50, 'k' || g, jsonb_build_object('g', g) FROM generate_series(1, 3000) g;
INSERT INTO public.s3 SELECT 'v' || g, g FROM generate_series(1, 5000) g;
INSERT INTO public.s4 VALUES (1, 'only');
INSERT INTO public.other SELECT g, g FROM generate_series(1, 700) g;
ANALYZE;
SQL

# the writer: inserts, updates, deletes and re-inserts, one big transaction
cat >"$WORK/load.sql" <<'SQL'
BEGIN;
INSERT INTO public.s1 SELECT 100000 + (random() * 1000000)::int, 1, 'new', 1.5, now(), '{n}' ON CONFLICT DO NOTHING;
UPDATE public.s1 SET v = v + 1, note = md5(random()::text) WHERE id = (random() * 19999)::int + 1;
COMMIT;
DELETE FROM public.s1 WHERE id = (random() * 19999)::int + 1;
INSERT INTO public.s1 SELECT (random() * 19999)::int + 1, 0, 'back', NULL, NULL, NULL ON CONFLICT DO NOTHING;
UPDATE public.s2 SET doc = doc || '{"u": 1}' WHERE a = (random() * 49)::int AND b = 'k' || (random() * 2999 + 1)::int;
INSERT INTO public.s3 VALUES (md5(random()::text), -1);
UPDATE public.other SET v = v + 1 WHERE id = (random() * 699)::int + 1;
SELECT pg_sleep(0.005);
SQL

write_props "$WORK/initial.properties" "$PREFIX" "$SLOT" \
	"table.include.list=public\\.s[0-9]" \
	"snapshot.max.threads=2" "snapshot.chunk.size=1500" \
	"key.converter.schemas.enable=false" "value.converter.schemas.enable=false"

# --- 1. first start, with the writer busy
writer_start 1000 "$WORK/load.sql"
sleep 1
sink_bg "$WORK/initial.properties" -v   # -v: the chunk plan in the log
sleep 0.5
psql -c "UPDATE public.s1 SET v = v + 1000 WHERE id BETWEEN 5000 AND 8000" || bail "big transaction failed"
check 'sink_wait_streaming 60' "initial: snapshot taken, streaming" || diag "$WORK/sink.err"
C=$(state snapshot_lsn "$SLOT")
check '[[ $(state status "$SLOT") == complete && -n $C ]]' "initial: the state row says complete, snapshot at $C"
check 'grep -q "created replication slot \"$SLOT\" at $C with an exported snapshot" "$WORK/sink.err"' \
	"initial: the slot was created with an exported snapshot at the same point"
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics1.txt"
check 'grep -q "^wal2dbz_snapshot_running 0$" "$WORK/metrics1.txt" &&
	grep -q "^wal2dbz_snapshot_tables 4$" "$WORK/metrics1.txt" &&
	grep -q "^wal2dbz_snapshot_tables_done 4$" "$WORK/metrics1.txt"' \
	"initial: /metrics shows a finished snapshot of 4 tables" || diag "$WORK/metrics1.txt"
check 'grep -q "snapshot complete: [0-9]* records of 4 table(s)" "$WORK/sink.err" &&
	grep -q "snapshot: [0-9]* of about [0-9]* rows" "$WORK/sink.err"' "initial: progress in the log"
check 'grep -q "table \"public.s1\", about [0-9]* rows in 1[0-9] chunk(s) by primary key, at its histogram.s bounds" "$WORK/sink.err" &&
	grep -q "table \"public.s2\", about [0-9]* rows in [2-9] chunk(s) by primary key, at row_number() bounds" "$WORK/sink.err"' \
	"initial: s1 (one int key, analyzed) cut at its histogram's bounds, s2 (two-column key) by row_number()" ||
	{ grep "chunk(s)" "$WORK/sink.err" >"$WORK/chunks.txt"; diag "$WORK/chunks.txt"; }
writer_wait || { diag "$WORK/writer.out"; bail "the writer failed"; }
END=$(sql "SELECT pg_current_wal_lsn()")
check 'wait_confirmed "$SLOT" "$END" 60' "initial: streamed changes confirmed up to $END"
sink_stop TERM
check '[[ $rc -eq 0 ]]' "initial: SIGTERM, exit 0"
dump "$PREFIX" "$WORK/kafka1.jsonl"
expected "$PREFIX" "$WORK/expected1.tsv" public.s1 public.s2 public.s3 public.s4 public.s5
verify initial --strict --runs 1 --nokey "$PREFIX.public.s3" "$WORK/kafka1.jsonl" "$WORK/expected1.tsv"
check '! grep -q "public.s5\|public.other\|wal2dbz_sink" < <(topics_of "$PREFIX")' \
	"initial: no topic for the empty table, the excluded table or the sink's state"
R1=$(count_ops "$WORK/kafka1.jsonl" "$PREFIX.public.s1")
RALL=0
for t in s1 s2 s3 s4; do RALL=$((RALL + $(count_ops "$WORK/kafka1.jsonl" "$PREFIX.public.$t"))); done
check '[[ $(sed -n "s/^wal2dbz_snapshot_rows //p" "$WORK/metrics1.txt") -eq $RALL ]]' \
	"initial: /metrics counts the $RALL r records in Kafka"

# --- 2. restart in initial mode: streams on, no snapshot
psql -c "UPDATE public.s1 SET v = -1 WHERE id = 42; INSERT INTO public.s3 VALUES ('after restart', 2)"
END=$(sql "SELECT pg_current_wal_lsn()")
sink_bg "$WORK/initial.properties" --endpos="$END"
sink_wait 60
check '[[ $rc -eq 0 && $(grep -c "snapshot complete" "$WORK/sink.err") -eq 1 ]]' \
	"restart (initial): exits 0 at --endpos, no snapshot" || diag "$WORK/sink.err"
dump "$PREFIX" "$WORK/kafka2.jsonl"
check '[[ $(count_ops "$WORK/kafka2.jsonl" "$PREFIX.public.s1") -eq $R1 ]]' "restart (initial): no new r records"
expected "$PREFIX" "$WORK/expected2.tsv" public.s1 public.s2 public.s3 public.s4
verify restart --strict --runs 1 --nokey "$PREFIX.public.s3" "$WORK/kafka2.jsonl" "$WORK/expected2.tsv"

# --- 3. a table added to table.include.list: its rows are snapshotted
write_props "$WORK/added.properties" "$PREFIX" "$SLOT" \
	"table.include.list=public\\.s[0-9],public\\.other" \
	"snapshot.max.threads=2" "snapshot.chunk.size=1500" \
	"key.converter.schemas.enable=false" "value.converter.schemas.enable=false"
psql -c "UPDATE public.other SET v = 0 WHERE id <= 10"
sink_bg "$WORK/added.properties"
check 'sink_wait_streaming 60' "added table: streaming" || diag "$WORK/sink.err"
check 'grep -q "snapshot of newly captured tables of 1 table(s)" "$WORK/sink.err"' \
	"added table: a snapshot of only the newly captured table"
psql -c "UPDATE public.other SET v = 1 WHERE id <= 5; DELETE FROM public.other WHERE id = 700"
END=$(sql "SELECT pg_current_wal_lsn()")
check 'wait_confirmed "$SLOT" "$END" 60' "added table: its changes confirmed"
sink_stop TERM
dump "$PREFIX" "$WORK/kafka3.jsonl"
check '[[ $(count_ops "$WORK/kafka3.jsonl" "$PREFIX.public.other") -eq 700 &&
	$(count_ops "$WORK/kafka3.jsonl" "$PREFIX.public.s1") -eq $R1 ]]' \
	"added table: its 700 rows as r records, none again for the others"
expected "$PREFIX" "$WORK/expected3.tsv" public.s1 public.s2 public.s3 public.s4 public.other
verify added --runs 2 --nokey "$PREFIX.public.s3" "$WORK/kafka3.jsonl" "$WORK/expected3.tsv"

# --- 4. always: a snapshot at every start
write_props "$WORK/always.properties" "$PREFIX" "$SLOT" \
	"table.include.list=public\\.s[0-9],public\\.other" "snapshot.mode=always" \
	"snapshot.chunk.size=1500" \
	"key.converter.schemas.enable=false" "value.converter.schemas.enable=false"
psql -c "UPDATE public.s1 SET v = v + 1 WHERE id BETWEEN 1 AND 100; DELETE FROM public.s2 WHERE a = 3"
END=$(sql "SELECT pg_current_wal_lsn()")
sink_bg "$WORK/always.properties" --endpos="$END"
sink_wait 90
check '[[ $rc -eq 0 ]]' "always: exits 0 at --endpos" || diag "$WORK/sink.err"
dump "$PREFIX" "$WORK/kafka4.jsonl"
S1_ROWS=$(sql "SELECT count(*) FROM public.s1")
check '[[ $(count_ops "$WORK/kafka4.jsonl" "$PREFIX.public.s1") -eq $((R1 + S1_ROWS)) ]]' \
	"always: every row of s1 again as an r record"
expected "$PREFIX" "$WORK/expected4.tsv" public.s1 public.s2 public.s3 public.s4 public.other
verify always --runs 3 --nokey "$PREFIX.public.s3" "$WORK/kafka4.jsonl" "$WORK/expected4.tsv"

# --- 5. when_needed: the slot is gone, so a new slot and a new snapshot
write_props "$WORK/needed.properties" "$PREFIX" "$SLOT" \
	"table.include.list=public\\.s[0-9],public\\.other" "snapshot.mode=when_needed" \
	"key.converter.schemas.enable=false" "value.converter.schemas.enable=false"
END=$(sql "SELECT pg_current_wal_lsn()")
sink_bg "$WORK/needed.properties" --endpos="$END"
sink_wait 60
check '[[ $rc -eq 0 ]] && [[ $(grep -c "snapshot complete" "$WORK/sink.err") -eq 3 ]]' \
	"when_needed: no snapshot while the slot is there" || diag "$WORK/sink.err"
sql "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
psql -c "UPDATE public.s1 SET note = 'while the slot was gone' WHERE id = 7"
END=$(sql "SELECT pg_current_wal_lsn()")
sink_bg "$WORK/needed.properties" --endpos="$END"
sink_wait 60
check '[[ $rc -eq 0 ]] && grep -q "created replication slot \"$SLOT\" at .* with an exported snapshot" <(tail -20 "$WORK/sink.err")' \
	"when_needed: after the slot was dropped, a new slot with an exported snapshot" || diag "$WORK/sink.err"
dump "$PREFIX" "$WORK/kafka5.jsonl"
check '[[ $(count_ops "$WORK/kafka5.jsonl" "$PREFIX.public.s1") -eq $((R1 + 2 * S1_ROWS)) ]]' \
	"when_needed: every row of s1 again as an r record"
expected "$PREFIX" "$WORK/expected5.tsv" public.s1 public.s2 public.s3 public.s4 public.other
verify when_needed --runs 4 --nokey "$PREFIX.public.s3" "$WORK/kafka5.jsonl" "$WORK/expected5.tsv"

# the slot invalidated: its WAL removed past max_slot_wal_keep_size
psql -c "ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'" -c "SELECT pg_reload_conf()" >/dev/null
psql -c "UPDATE public.s1 SET note = 'while the slot was lost' WHERE id = 8"
psql -c "CREATE TABLE public.junk AS SELECT g, md5(g::text) AS m FROM generate_series(1, 600000) g" -c "CHECKPOINT"
check '[[ $(sql "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '"'$SLOT'"'") == lost ]]' \
	"the slot is invalidated (wal_status lost)"
sink_bg "$WORK/initial.properties"
sink_wait 30
check '[[ $rc -eq 1 ]] && grep -q "replication slot \"$SLOT\" has been invalidated" "$WORK/sink.err" &&
	grep -q "when_needed" <(tail -3 "$WORK/sink.err")' "initial: an invalidated slot is an error naming when_needed"
sed -i '/error:.*has been invalidated/d' "$WORK/sink.err"
END=$(sql "SELECT pg_current_wal_lsn()")
sink_bg "$WORK/needed.properties" --endpos="$END"
sink_wait 60
check '[[ $rc -eq 0 ]] && grep -q "has been invalidated (its WAL was removed); recreating it" "$WORK/sink.err"' \
	"when_needed: an invalidated slot is recreated, with a new snapshot" || diag "$WORK/sink.err"
psql -c "ALTER SYSTEM RESET max_slot_wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null
dump "$PREFIX" "$WORK/kafka5b.jsonl"
check '[[ $(count_ops "$WORK/kafka5b.jsonl" "$PREFIX.public.s1") -eq $((R1 + 3 * S1_ROWS)) ]]' \
	"when_needed: every row of s1 again as an r record"
expected "$PREFIX" "$WORK/expected5b.tsv" public.s1 public.s2 public.s3 public.s4 public.other
verify when_needed_lost --runs 5 --nokey "$PREFIX.public.s3" "$WORK/kafka5b.jsonl" "$WORK/expected5b.tsv"

# --- 6. initial_only: snapshot, exit 0, nothing left holding WAL
write_props "$WORK/only.properties" ionly ionly_slot \
	"table.include.list=public\\.s4,public\\.other" "snapshot.mode=initial_only" \
	"snapshot.include.collection.list=public\\.oth.*" \
	"snapshot.select.statement.overrides=public.other" \
	"snapshot.select.statement.overrides.public.other=SELECT * FROM public.other WHERE id % 2 = 0"
sink_bg "$WORK/only.properties"
sink_wait 60
check '[[ $rc -eq 0 ]] && grep -q "stopped after the snapshot (snapshot.mode initial_only)" "$WORK/sink.err"' \
	"initial_only: exits 0 after the snapshot" || diag "$WORK/sink.err"
check '[[ -z $(confirmed ionly_slot) && $(state status ionly_slot) == complete ]]' \
	"initial_only: its temporary slot is gone, the snapshot recorded"
dump ionly "$WORK/kafka6.jsonl"
check '[[ $(count_ops "$WORK/kafka6.jsonl" ionly.public.other) -eq $(sql "SELECT count(*) FROM public.other WHERE id % 2 = 0") ]]' \
	"initial_only: the rows the SELECT override selects"
check '! grep -q public.s4 < <(topics_of ionly)' "initial_only: nothing of a table left out by snapshot.include.collection.list"
sink_bg "$WORK/only.properties"
sink_wait 60
check '[[ $rc -eq 0 ]] && grep -q "the snapshot was completed before" "$WORK/sink.err"' \
	"initial_only: a second start has nothing to do"

# --- 6a. table order: Debezium's, by table.include.list's items, then by name
write_props "$WORK/order.properties" iorder iorder_slot \
	"table.include.list=public\\.s4,public\\.oth.*,public\\.s2" "snapshot.mode=initial_only" \
	"value.converter.schemas.enable=false"
sink_bg "$WORK/order.properties"
sink_wait 60
dump iorder "$WORK/kafka6a.jsonl"
# source.snapshot: "first" on the first record, "last" on the last one
snapshot_marks() {
	python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    v = json.loads(m["payload"]) if m.get("payload") else None
    if v and v["source"]["snapshot"] in ("first", "last"):
        print(v["source"]["snapshot"], v["source"]["table"])
PY
}
check '[[ $rc -eq 0 && "$(snapshot_marks "$WORK/kafka6a.jsonl" | sort | tr "\n" " ")" == "first s4 last s2 " ]]' \
	"snapshot order: the tables as table.include.list lists them (s4, other, s2), not by name" ||
	snapshot_marks "$WORK/kafka6a.jsonl" | diag /dev/stdin

# --- 6b. database.initial.statements: on each connection but the replication one
psql -c "CREATE TABLE public.init_log (setting text, pid int)" >/dev/null
write_props "$WORK/init.properties" iinit iinit_slot \
	"table.include.list=public\\.other" "snapshot.mode=initial_only" \
	"database.initial.statements=SET application_name = 'init;;stmt'; INSERT INTO public.init_log SELECT current_setting('application_name'), pg_backend_pid()"
sink_bg "$WORK/init.properties"
sink_wait 60
check '[[ $rc -eq 0 && $(sql "SELECT count(*) FROM public.init_log") -ge 1 ]]' \
	"initial statements ran on the snapshot's connections ($(sql "SELECT count(*) FROM public.init_log") rows)" || diag "$WORK/sink.err"
check '[[ $(sql "SELECT min(setting) || count(DISTINCT setting) FROM public.init_log") == "init;stmt1" ]]' \
	"statements split at ';', ';;' a semicolon inside one"
dump iinit "$WORK/kafka6b.jsonl"
check '[[ $(count_ops "$WORK/kafka6b.jsonl" iinit.public.other) -eq $(sql "SELECT count(*) FROM public.other") ]]' \
	"and the snapshot read every row"
write_props "$WORK/init-bad.properties" ibad ibad_slot \
	"table.include.list=public\\.other" "snapshot.mode=initial_only" \
	"database.initial.statements=SET search_path = public; SELECT no_such_function()"
lines=$(wc -l <"$WORK/sink.err")
sink_bg "$WORK/init-bad.properties"
sink_wait 60
check '[[ $rc -ne 0 ]] && grep -q "error: database.initial.statements: statement 2 failed: function no_such_function() does not exist" "$WORK/sink.err"' \
	"a failing initial statement stops the sink, naming it" || diag "$WORK/sink.err"
# its errors were expected: moved out of sink.err, which must hold none at the end
tail -n +$((lines + 1)) "$WORK/sink.err" >"$WORK/init-bad.err"
sed -i "$((lines + 1)),\$d" "$WORK/sink.err"

# --- 7. check, with the extension and the state table
run_check ready "$WORK/check.properties"
check '[[ $rc -eq 0 ]] && grep -q "^OK extension: wal2dbz [0-9.]* is installed in \"$PGDATABASE\" and its library matches" "$WORK/check-ready.out" &&
	grep -q "^OK snapshot state: table wal2dbz_sink.snapshot_state exists and role \"$PGUSER\" may read and write it" "$WORK/check-ready.out"' \
	"check: OK for the extension and the state table" || diag "$WORK/check-ready.out"
psql -c "CREATE ROLE snapcheck LOGIN REPLICATION" >/dev/null
PGUSER=snapcheck write_props "$WORK/check-role.properties" "$PREFIX" "$SLOT"
run_check role "$WORK/check-role.properties"
check '[[ $rc -eq 1 ]] && grep -q "^FAIL extension: role \"snapcheck\" may not call wal2dbz.snapshot_frames(.*GRANT USAGE ON SCHEMA wal2dbz" "$WORK/check-role.out" &&
	grep -q "^FAIL snapshot state: role \"snapcheck\" may not read and write table wal2dbz_sink.snapshot_state; GRANT " "$WORK/check-role.out"' \
	"check: FAIL for a role that may not call the function nor write the state" || diag "$WORK/check-role.out"
psql -c "GRANT USAGE ON SCHEMA wal2dbz, wal2dbz_sink TO snapcheck" \
	-c "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA wal2dbz TO snapcheck" \
	-c "GRANT SELECT, INSERT, UPDATE ON wal2dbz_sink.snapshot_state TO snapcheck" >/dev/null
run_check granted "$WORK/check-role.properties"
check '! grep -q "^FAIL extension\|^FAIL snapshot state" "$WORK/check-granted.out" && grep -q "^OK snapshot state: table" "$WORK/check-granted.out"' \
	"check: OK once the role has the privileges it names" || diag "$WORK/check-granted.out"
# a database whose extension is of another version than the sink
psql -c "UPDATE pg_extension SET extversion = '0.0.1' WHERE extname = 'wal2dbz'" >/dev/null
run_check version "$WORK/check.properties"
psql -c "UPDATE pg_extension SET extversion = default_version FROM pg_available_extensions a WHERE extname = 'wal2dbz' AND a.name = extname" >/dev/null
check '[[ $rc -eq 1 ]] && grep -q "^FAIL extension: wal2dbz 0.0.1 is installed in \"$PGDATABASE\", this sink is [0-9.]*; .*ALTER EXTENSION wal2dbz UPDATE" "$WORK/check-version.out"' \
	"check: FAIL when the extension's version is not the sink's" || diag "$WORK/check-version.out"

check '! grep -q "error:" "$WORK/sink.err"' "no errors logged" || diag "$WORK/sink.err"
finish
