#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_two_databases.sh
#	  Two databases of one server, one wal2dbz-sink each: every row lands
#	  in its own database's topics with its own source.db.
#
# shop_one and shop_two have tables of the same names (public.items,
# public.orders, sales.items; shop_two also public.only_two).  Sink "one"
# (topic.prefix one, schemas on, table.include.list by name) and sink
# "two" (topic.prefix two, schemas off, table.include.list as a regular
# expression) run side by side to --endpos, after transactions that were
# committed concurrently in both databases: inserts, updates, deletes,
# a primary key update, a large transaction.  For each sink, Kafka must
# hold exactly what its slot's plugin output shows ("record" format, peeked
# before the run; e2e_compare.py: topics, keys, values, partitions, order
# per key), and every record must name its own database in source.db and
# its own prefix in source.name.
#
# Usage: test/sink/e2e_two_databases.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_two_databases.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

e2e_init two-db
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres

for db in shop_one shop_two; do
	sql "CREATE DATABASE $db" >/dev/null || bail "could not create database $db"
done
for db in shop_one shop_two; do
	DB=$db e2e_psql >/dev/null <<-'SQL' || bail "could not create the tables in $db"
	CREATE EXTENSION wal2dbz;
	CREATE SCHEMA sales;
	CREATE TABLE public.items (id int PRIMARY KEY, name text, price numeric(10,2));
	CREATE TABLE public.orders (a int, b text, c jsonb, d timestamptz, PRIMARY KEY (a, b));
	CREATE TABLE sales.items (id int PRIMARY KEY, qty int NOT NULL);
	SQL
done
DB=shop_two sql "CREATE TABLE public.only_two (id int PRIMARY KEY, note text)" >/dev/null

INCLUDE_ONE="public.items,public.orders,sales.items"
INCLUDE_TWO='public\..*,sales.items'
write_props "$WORK/one.properties" shop_one one one_slot \
	"table.include.list=$INCLUDE_ONE" "http.port=0"
write_props "$WORK/two.properties" shop_two two two_slot \
	"table.include.list=$INCLUDE_TWO" "http.port=0" \
	"value.converter.schemas.enable=false" "key.converter.schemas.enable=false"

# both sinks at once to --endpos=$1; sets rc_one, rc_two
run_both() {
	wait_inactive one_slot 10
	wait_inactive two_slot 10
	sink_start one "$WORK/one.properties" -- --endpos="$1"
	sink_start two "$WORK/two.properties" -- --endpos="$1"
	sink_wait one 120
	rc_one=$rc
	sink_wait two 120
	rc_two=$rc
}

# slots first (each sink creates its own, exits at once)
run_both "$(current_lsn)"
check '[[ $rc_one -eq 0 && $rc_two -eq 0 ]]' "both sinks created their slots and exited 0" ||
	diag "$WORK/one.err" "$WORK/two.err"
check '[[ $(slot_col one_slot database) == shop_one && $(slot_col two_slot database) == shop_two ]]' \
	"each slot belongs to its own database"

# the same statements in both databases, concurrently, then a few of each
changes() {	# changes DB TAG
	DB=$1 e2e_psql <<-SQL
	INSERT INTO public.items VALUES (1, '$2 one', 1.50), (2, '$2 two', 2.00), (3, '$2 three', NULL);
	INSERT INTO public.orders VALUES (1, 'x', '{"db": "$2"}', '2026-01-02 03:04:05+00');
	BEGIN;
	UPDATE public.items SET price = 9.99, name = name || ' updated' WHERE id = 1;
	DELETE FROM public.items WHERE id = 2;
	INSERT INTO sales.items VALUES (1, 10), (2, 20);
	COMMIT;
	UPDATE public.items SET id = 30 WHERE id = 3;
	INSERT INTO public.items SELECT g, '$2 bulk ' || g, g / 7.0 FROM generate_series(100, 2099) g;
	UPDATE sales.items SET qty = qty + 1;
	DELETE FROM public.orders;
	SELECT pg_sleep(0.2);
	INSERT INTO public.items SELECT g, '$2 late ' || g, 0 FROM generate_series(5000, 5099) g;
	SQL
}
changes shop_one one >"$WORK/changes_one.out" 2>&1 &
ONE_PID=$!
changes shop_two two >"$WORK/changes_two.out" 2>&1
rc_two=$?
wait "$ONE_PID"
rc_one=$?
DB=shop_two sql "INSERT INTO public.only_two SELECT g, 'two only' FROM generate_series(1, 50) g" >/dev/null
DB=shop_one sql "DELETE FROM sales.items WHERE id = 2" >/dev/null
check '[[ $rc_one -eq 0 && $rc_two -eq 0 ]]' "the same changes committed concurrently in both databases" ||
	diag "$WORK/changes_one.out" "$WORK/changes_two.out"

# what each slot holds, in the plugin's own words
DB=shop_one sql "SELECT data FROM pg_logical_slot_peek_changes('one_slot', NULL, NULL,
	'output.format', 'record', 'topic.prefix', 'one', 'table.include.list', '$INCLUDE_ONE')" \
	>"$WORK/expected_one.jsonl" || bail "could not peek one_slot"
DB=shop_two sql "SELECT data FROM pg_logical_slot_peek_changes('two_slot', NULL, NULL,
	'output.format', 'record', 'topic.prefix', 'two', 'table.include.list', '$INCLUDE_TWO',
	'value.converter.schemas.enable', 'false', 'key.converter.schemas.enable', 'false')" \
	>"$WORK/expected_two.jsonl" || bail "could not peek two_slot"
note "the slots hold $(wc -l <"$WORK/expected_one.jsonl") and $(wc -l <"$WORK/expected_two.jsonl") records"

END=$(current_lsn)
run_both "$END"
check '[[ $rc_one -eq 0 && $rc_two -eq 0 ]]' "both sinks ran side by side to --endpos $END and exited 0" ||
	diag "$WORK/one.err" "$WORK/two.err"
check '! grep -q "error:" "$WORK/one.err" "$WORK/two.err"' "no errors logged" ||
	diag "$WORK/one.err" "$WORK/two.err"
check 'lsn_ge "$(confirmed one_slot)" "$END" && lsn_ge "$(confirmed two_slot)" "$END"' \
	"both slots confirmed up to $END"

for p in one two; do
	dump_topics "$p" "$WORK/kafka_$p.jsonl"
	python3 "$E2E_HERE/e2e_compare.py" $((n + 1)) 3 "$WORK/expected_$p.jsonl" "$WORK/kafka_$p.jsonl" \
		"$p" >"$WORK/compare_$p.tap" 2>&1
	tap_merge "$WORK/compare_$p.tap"
done

python3 - "$WORK/kafka_one.jsonl" "$WORK/kafka_two.jsonl" >"$WORK/source.txt" <<'PY'
import json, sys
bad, counts = [], []
for path, prefix, db in ((sys.argv[1], "one", "shop_one"), (sys.argv[2], "two", "shop_two")):
    n = 0
    for line in open(path):
        m = json.loads(line)
        if m["payload"] is None:
            continue
        v = json.loads(m["payload"])
        v = v.get("payload", v) if "schema" in v else v
        src = v["source"]
        n += 1
        if src["db"] != db or src["name"] != prefix or not m["topic"].startswith(prefix + "."):
            bad.append("%s offset %d: db %s name %s" % (m["topic"], m["offset"], src["db"], src["name"]))
    counts.append("%s: %d events" % (prefix, n))
print("; ".join(counts))
print("bad %d" % len(bad))
for b in bad[:5]:
    print(b)
PY
note "$(head -1 "$WORK/source.txt")"
check 'grep -q "^bad 0$" "$WORK/source.txt"' \
	"every event names its own database in source.db and its prefix in source.name" ||
	diag "$WORK/source.txt"
check '[[ -z $(topics_of one | grep only_two) && -n $(topics_of two | grep "^two.public.only_two$") ]]' \
	"shop_two's own table has a topic under two only"
tap_end
