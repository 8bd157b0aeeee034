#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_clickhouse_chdb.sh
#	  The ClickHouse stage against a current ClickHouse engine: PostgreSQL
#	  15 -> wal2dbz-sink -> Kafka -> chdb (PyPI, a 2026 ClickHouse engine
#	  in-process) behind chdb_server.py, which speaks the HTTP interface.
#
# The Debian server of e2e_clickhouse.sh is 18.16, too old for the DDL
# current servers get; here it runs for real:
# 1. the tables get DateTime64(6, 'UTC') / DateTime64(3, 'UTC'), Date32,
#    Bool and UUID columns and ReplacingMergeTree(_version, is_deleted);
# 2. after a random mix of changes, TOAST values left unchanged (across
#    batches and in a key change), a truncate and a column added, the
#    tables equal the PostgreSQL ones row for row, and FINAL alone (no
#    WHERE is_deleted = 0) already hides deleted rows.
#
# Usage: test/sink/e2e_clickhouse_chdb.sh   (SINK=path, KEEP=1).  Needs
# what e2e_clickhouse.sh needs, except clickhouse-server, and python3 with
# chdb (pip install chdb); skipped without it.  Prints TAP.
#
# test/sink/e2e_clickhouse_chdb.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_clickhouse.sh"

if ! python3 -c 'import chdb' 2>/dev/null; then
	echo "1..0 # SKIP python3 module chdb not installed (pip install chdb)"
	exit 0
fi

PREFIX=app
SLOT=app_slot
CUSTOMERS=cdc.app_crm_customers
READINGS=cdc.app_telemetry_readings
TABLES=(crm.customers=$CUSTOMERS telemetry.readings=$READINGS)

e2e_init chdb
e2e_start_pg
e2e_start_kafka

# the current engine, behind its HTTP stand-in
bg_start "$WORK/chdb.out" python3 "$E2E_HERE/chdb_server.py" "$WORK/chdb" "$WORK/chdb.port"
for _ in $(seq 1 100); do
	[[ -s $WORK/chdb.port ]] && break
	sleep 0.2
done
[[ -s $WORK/chdb.port ]] || { diag "$WORK/chdb.out"; bail "chdb_server.py did not start"; }
CH_URL=http://127.0.0.1:$(cat "$WORK/chdb.port")
note "chdb $(ch_sql "SELECT version()") at $CH_URL"

{ echo "CREATE EXTENSION IF NOT EXISTS wal2dbz;"; python3 "$E2E_HERE/ch_load.py" schema; } |
	e2e_psql || bail "could not create the tables"
write_props "$WORK/sink.properties" "$PGDATABASE" $PREFIX $SLOT \
	"http.port=0" "skipped.operations=none" \
	"clickhouse.url=$CH_URL" "clickhouse.database=cdc" "clickhouse.batch.ms=300"
sink_start sink "$WORK/sink.properties"

# column type, from system.columns
coltype() {
	ch_sql "SELECT type FROM system.columns WHERE database = 'cdc' AND table = '$1' AND name = '$2' FORMAT TabSeparatedRaw"
}

# --- a first mix, then the DDL
python3 "$E2E_HERE/ch_load.py" ops 11 600 "$WORK/state.json" >"$WORK/ops1.sql"
e2e_psql -f "$WORK/ops1.sql" >/dev/null || bail "load 1 failed"
check 'ch_wait_equal 90 "${TABLES[@]}"' "the current engine catches up with the mix of changes" ||
	diag "$WORK/sink.err"
ENGINE=$(ch_sql "SELECT engine_full FROM system.tables WHERE database = 'cdc' AND name = 'app_crm_customers'")
check '[[ $ENGINE == "ReplacingMergeTree(_version, is_deleted) ORDER BY id"* ]]' \
	"ReplacingMergeTree(_version, is_deleted) ORDER BY id" || note "$ENGINE"
check '[[ $(coltype app_crm_customers created) == "Nullable(DateTime64(6, '"'"'UTC'"'"'))" &&
	$(coltype app_telemetry_readings ts) == "Nullable(DateTime64(3, '"'"'UTC'"'"'))" ]]' \
	"timestamptz: DateTime64(6, 'UTC'); timestamp(3): DateTime64(3, 'UTC')"
check '[[ $(coltype app_crm_customers birthday) == "Nullable(Date32)" &&
	$(coltype app_crm_customers active) == "Bool" &&
	$(coltype app_crm_customers ext_id) == "Nullable(UUID)" &&
	$(coltype app_crm_customers balance) == "Nullable(Decimal(12, 2))" &&
	$(coltype app_crm_customers tags) == "Array(Nullable(String))" ]]' \
	"date: Date32, boolean: Bool, uuid: UUID, numeric(12,2): Decimal(12, 2), text[]: Array(Nullable(String))"

# --- TOAST across batches and in a key change, a truncate, a column added
e2e_psql -c "INSERT INTO crm.customers (id, name, notes) VALUES (900001, 'toast', repeat('0123456789', 800))" ||
	bail "insert failed"
ch_wait_equal 30 "${TABLES[@]}"
e2e_psql -c "UPDATE crm.customers SET balance = 1.00 WHERE id = 900001" || bail "update failed"
ch_wait_equal 30 "${TABLES[@]}"
e2e_psql -c "UPDATE crm.customers SET id = 900002 WHERE id = 900001" || bail "key change failed"
check 'ch_wait_equal 30 "${TABLES[@]}" &&
	[[ $(ch_sql "SELECT length(notes) FROM $CUSTOMERS FINAL WHERE id = 900002") == 8000 ]]' \
	"an unchanged TOAST value survives a later batch and a key change"
e2e_psql -c "TRUNCATE telemetry.readings" || bail "truncate failed"
python3 -c 'import json, sys; p = sys.argv[1]; st = json.load(open(p)); st["readings"] = []; json.dump(st, open(p, "w"))' \
	"$WORK/state.json"
e2e_psql -c "ALTER TABLE crm.customers ADD COLUMN tier smallint" || bail "ALTER failed"
python3 "$E2E_HERE/ch_load.py" ops 12 400 tier "$WORK/state.json" >"$WORK/ops2.sql"
e2e_psql -f "$WORK/ops2.sql" >/dev/null || bail "load 2 failed"
check 'ch_wait_equal 60 "${TABLES[@]}"' "after a truncate and a column added" || diag "$WORK/sink.err"
python3 "$E2E_HERE/ch_compare.py" --tap "$n" "$CH_URL" "${TABLES[@]}" >"$WORK/compare.tap"
tap_merge "$WORK/compare.tap"
check '[[ $(coltype app_crm_customers tier) == "Nullable(Int16)" ]]' "the new column is Nullable(Int16)"

# --- FINAL alone hides deleted rows on servers with is_deleted
PG_COUNT=$(sql "SELECT count(*) FROM crm.customers")
check '[[ $(ch_sql "SELECT count() FROM $CUSTOMERS FINAL") == "$PG_COUNT" ]]' \
	"FINAL without a filter returns the live rows only ($PG_COUNT)"
check '[[ $(ch_sql "SELECT count() FROM $CUSTOMERS WHERE is_deleted = 1") -gt 0 ]]' \
	"deleted rows are kept, flagged"

sink_stop sink TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: exits 0" || diag "$WORK/sink.err"
check '! grep -q "error:" "$WORK/sink.err"' "no errors logged" || diag "$WORK/sink.err"

tap_end
