#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_clickhouse.sh
#	  End-to-end test of the ClickHouse stage: PostgreSQL 15 -> wal2dbz-sink
#	  (source and ClickHouse stages in one process) -> Kafka -> Debian's
#	  ClickHouse 18.16, all on 127.0.0.1.
#
# 1. A random mix of inserts, updates (many leaving a TOASTed column
#    unchanged), deletes and primary key changes over a CRM table and a
#    telemetry table with most common column types: the ClickHouse tables
#    (SELECT ... FINAL WHERE is_deleted = 0) equal the PostgreSQL tables
#    row for row.
# 2. Unchanged TOAST values across batches (read back from ClickHouse),
#    and in a key change's insert (taken from the old key's row).
# 3. A truncate, then more changes: equal again.
# 4. A column added in PostgreSQL mid-stream: added in ClickHouse, equal.
# 5. The tables' DDL (ReplacingMergeTree ordered by the primary key,
#    comments recording the Connect types) and /metrics.
# 6. Events without schemas (value/key.converter.schemas.enable=false, as
#    Debezium can write them), from a second sink, into existing tables
#    (copies of the first ones): decoded by the column types and comments.
# 7. An incompatible type change stops the stage with an error naming the
#    table, the column and what to do; the source stage goes on; SIGTERM
#    then exits 1.
#
# Usage: test/sink/e2e_clickhouse.sh   (SINK=path, KEEP=1 keeps the work
# directory).  Needs the plugin installed, kcat, python3, Java 17 + Maven,
# clickhouse-server.  Prints TAP.
#
# test/sink/e2e_clickhouse.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_clickhouse.sh"

PREFIX=app
SLOT=app_slot
CUSTOMERS=cdc.app_crm_customers
READINGS=cdc.app_telemetry_readings
TABLES=(crm.customers=$CUSTOMERS telemetry.readings=$READINGS)

e2e_init clickhouse
e2e_start_pg
e2e_start_kafka
ch_start
HTTP_PORT=$(free_port)

{ echo "CREATE EXTENSION IF NOT EXISTS wal2dbz;"; python3 "$E2E_HERE/ch_load.py" schema; } |
	e2e_psql || bail "could not create the tables"

write_props "$WORK/sink.properties" "$PGDATABASE" $PREFIX $SLOT \
	"http.port=$HTTP_PORT" "skipped.operations=none" \
	"clickhouse.url=$CH_URL" "clickhouse.database=cdc" "clickhouse.batch.ms=300"
sink_start sink "$WORK/sink.properties"

# compare, printing TAP; counts the lines
compare() {
	python3 "$E2E_HERE/ch_compare.py" --tap "$n" "$CH_URL" "${TABLES[@]}" >"$WORK/compare.tap"
	tap_merge "$WORK/compare.tap"
}

# --- 1. the random mix
python3 "$E2E_HERE/ch_load.py" ops 1 1500 "$WORK/state.json" >"$WORK/ops1.sql"
e2e_psql -f "$WORK/ops1.sql" >/dev/null || bail "load 1 failed"
check 'ch_wait_equal 90 "${TABLES[@]}"' "ClickHouse catches up with the mix of changes" ||
	diag "$WORK/sink.err"
compare

# --- 2. TOAST: across batches, and in a key change
e2e_psql <<'SQL' || bail "TOAST setup failed"
INSERT INTO crm.customers (id, name, notes) VALUES (900001, 'toast', repeat('0123456789', 800));
SQL
ch_wait_equal 30 "${TABLES[@]}"
e2e_psql <<'SQL' || bail "TOAST updates failed"
UPDATE crm.customers SET balance = 1.00 WHERE id = 900001;
SQL
ch_wait_equal 30 "${TABLES[@]}"
e2e_psql -c "UPDATE crm.customers SET id = 900002 WHERE id = 900001" || bail "key change failed"
check 'ch_wait_equal 30 "${TABLES[@]}"' "an unchanged TOAST value survives a later batch and a key change"
check '[[ $(ch_sql "SELECT length(notes) FROM $CUSTOMERS FINAL WHERE id = 900002 AND is_deleted = 0") == 8000 ]]' \
	"the key change's row kept its 8000-byte TOAST value"
check '[[ $(ch_sql "SELECT count() FROM $CUSTOMERS FINAL WHERE id = 900001 AND is_deleted = 0") == 0 ]]' \
	"the old key is deleted"
check '[[ $(ch_sql "SELECT count() FROM $CUSTOMERS WHERE notes = '"'"'__debezium_unavailable_value'"'"'") == 0 ]]' \
	"no TOAST placeholder reached ClickHouse"

# --- 3. a truncate, then more changes
e2e_psql -c "TRUNCATE telemetry.readings" || bail "truncate failed"
# the truncate emptied readings: forget its keys in the load's state
python3 -c 'import json, sys; p = sys.argv[1]; st = json.load(open(p)); st["readings"] = []; json.dump(st, open(p, "w"))' \
	"$WORK/state.json"
python3 "$E2E_HERE/ch_load.py" ops 3 400 "$WORK/state.json" >"$WORK/ops3.sql"
e2e_psql -f "$WORK/ops3.sql" >/dev/null || bail "load 3 failed"
check 'ch_wait_equal 60 "${TABLES[@]}"' "after a truncate and more changes" || diag "$WORK/sink.err"
check 'grep -q "DELETE WHERE \`_version\` < " "$WORK/sink.err"' "the truncate was applied as ALTER TABLE ... DELETE"

# --- 4. a column added mid-stream
e2e_psql -c "ALTER TABLE crm.customers ADD COLUMN tier smallint" || bail "ALTER failed"
python3 "$E2E_HERE/ch_load.py" ops 4 500 tier "$WORK/state.json" >"$WORK/ops4.sql"
e2e_psql -f "$WORK/ops4.sql" >/dev/null || bail "load 4 failed"
check 'ch_wait_equal 60 "${TABLES[@]}"' "after a column was added" || diag "$WORK/sink.err"
check '[[ $(ch_sql "SELECT type FROM system.columns WHERE database = '"'"'cdc'"'"' AND table = '"'"'app_crm_customers'"'"' AND name = '"'"'tier'"'"'") == "Nullable(Int16)" ]]' \
	"the new column is Nullable(Int16)"
compare

# --- 5. DDL and metrics
ENGINE=$(ch_sql "SELECT engine_full FROM system.tables WHERE database = 'cdc' AND name = 'app_telemetry_readings'")
check '[[ $ENGINE == "ReplacingMergeTree(_version) ORDER BY (device_id, seq)"* ]]' \
	"readings: ReplacingMergeTree(_version) ORDER BY (device_id, seq)" || echo "# $ENGINE"
check '[[ $(ch_sql "SELECT comment FROM system.columns WHERE database = '"'"'cdc'"'"' AND table = '"'"'app_telemetry_readings'"'"' AND name = '"'"'ts'"'"'") == "wal2dbz: int64 io.debezium.time.Timestamp" ]]' \
	"column comments record the Connect type"
# the stage refreshes its consumer lag every 2 s: wait for a refresh after the last batch
for _ in $(seq 1 50); do
	curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics.txt"
	grep -q "^wal2dbz_clickhouse_consumer_lag{topic=\"$PREFIX.crm.customers\",partition=\"0\"} 0" "$WORK/metrics.txt" && break
	sleep 0.2
done
check 'grep -q "^wal2dbz_clickhouse_rows_inserted_total{table=\"$CUSTOMERS\"} [1-9]" "$WORK/metrics.txt" &&
	grep -q "^wal2dbz_clickhouse_batch_seconds_count [1-9]" "$WORK/metrics.txt" &&
	grep -q "^wal2dbz_clickhouse_consumer_lag{topic=\"$PREFIX.crm.customers\",partition=\"0\"} 0" "$WORK/metrics.txt" &&
	grep -q "^wal2dbz_clickhouse_lookups_total [1-9]" "$WORK/metrics.txt" &&
	grep -q "^wal2dbz_records_produced_total" "$WORK/metrics.txt"' \
	"/metrics: rows per table, batch latency, consumer lag, lookups, beside the source stage's" ||
	diag "$WORK/metrics.txt"
check '! grep -q "error:" "$WORK/sink.err"' "no errors so far" || diag "$WORK/sink.err"

# --- 6. events without schemas into existing tables
NOS_TABLES=(crm.customers=nos.nos_crm_customers telemetry.readings=nos.nos_telemetry_readings)
write_props "$WORK/nos.properties" "$PGDATABASE" nos nos_slot \
	"http.port=0" "skipped.operations=none" \
	"value.converter.schemas.enable=false" "key.converter.schemas.enable=false" \
	"clickhouse.url=$CH_URL" "clickhouse.database=nos" "clickhouse.batch.ms=300" \
	"clickhouse.group.id=nos"
sink_start nos "$WORK/nos.properties"
for _ in $(seq 1 100); do
	[[ -n $(slot_col nos_slot slot_name) ]] && break
	sleep 0.2
done
# the slot exists and nothing changes meanwhile: start from a copy
ch_sql "CREATE DATABASE nos"
for t in crm_customers telemetry_readings; do
	ch_sql "CREATE TABLE nos.nos_$t AS cdc.app_$t"
	ch_sql "INSERT INTO nos.nos_$t SELECT * FROM cdc.app_$t FINAL"
done
python3 "$E2E_HERE/ch_load.py" ops 5 500 tier "$WORK/state.json" >"$WORK/ops5.sql"
e2e_psql -f "$WORK/ops5.sql" >/dev/null || bail "load 5 failed"
check 'ch_wait_equal 60 "${NOS_TABLES[@]}" && ch_wait_equal 30 "${TABLES[@]}"' \
	"events without schemas land in existing tables; both copies equal PostgreSQL" || diag "$WORK/nos.err"
python3 "$E2E_HERE/ch_compare.py" --tap "$n" "$CH_URL" "${NOS_TABLES[@]}" >"$WORK/compare.tap"
tap_merge "$WORK/compare.tap"
sink_stop nos TERM
check '[[ $rc -eq 0 ]] && ! grep -q "error:" "$WORK/nos.err"' "the second sink stops cleanly" || diag "$WORK/nos.err"

# --- 7. an incompatible type change
e2e_psql <<'SQL' || bail "type change failed"
ALTER TABLE telemetry.readings ALTER COLUMN value TYPE text;
INSERT INTO telemetry.readings (device_id, seq, value) VALUES (9, 1, 'not a number');
SQL
for _ in $(seq 1 100); do
	grep -q "clickhouse stage stopped after an error" "$WORK/sink.err" && break
	sleep 0.2
done
check 'grep -q "error: clickhouse: column \"value\" of table cdc.app_telemetry_readings is Nullable(Float32), which cannot hold" "$WORK/sink.err" &&
	grep -q "hint: Convert the column (ALTER TABLE \`cdc\`.\`app_telemetry_readings\` MODIFY COLUMN \`value\` Nullable(String)).*then restart wal2dbz-sink\." "$WORK/sink.err"' \
	"an incompatible type change stops the stage, naming table, column and what to do" ||
	diag "$WORK/sink.err"
END=$(current_lsn)
e2e_psql -c "INSERT INTO crm.customers (id, name) VALUES (999999, 'after')" || bail "insert failed"
check 'wait_confirmed $SLOT $END 30' "the source stage goes on"
sink_stop sink TERM
check '[[ $rc -eq 1 ]]' "SIGTERM then exits 1 (the ClickHouse stage failed)"

tap_end
