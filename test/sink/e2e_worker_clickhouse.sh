#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_worker_clickhouse.sh
#	  Worker mode with the ClickHouse stage: two connectors of one worker,
#	  each landing its own database's topics in its own ClickHouse
#	  database, with its own consumer group.
#
# Connectors one and two (databases shop_one and shop_two, created over
# the REST API with clickhouse.url set) snapshot and stream their tables;
# ClickHouse must end up equal to PostgreSQL for both (ch_compare.py),
# through a pause and resume of one, and a restart of the worker.  Then
# one's stage stops on an incompatible type change: one goes FAILED with
# the stage's error as trace while two goes on, and once the column is
# converted, POST .../restart brings one back.
#
# Usage: test/sink/e2e_worker_clickhouse.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_worker_clickhouse.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_worker.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_clickhouse.sh"

e2e_init worker-ch
e2e_start_pg
e2e_start_kafka
ch_start
export PGDATABASE=postgres
REST_PORT=$(free_port)
API=http://127.0.0.1:$REST_PORT

for db in one two; do
	sql "CREATE DATABASE shop_$db" >/dev/null || bail "could not create database shop_$db"
	DB=shop_$db e2e_psql >/dev/null <<-SQL || bail "could not create the table in shop_$db"
	CREATE EXTENSION wal2dbz;
	CREATE TABLE public.items (id int PRIMARY KEY, name text, price numeric(10,2));
	INSERT INTO public.items SELECT g, '$db ' || g, g / 4.0 FROM generate_series(1, 200) g;
	SQL
	ch_sql "CREATE DATABASE ch_$db" || bail "could not create ClickHouse database ch_$db"
done

cat >"$WORK/worker.properties" <<EOF
rest.port=$REST_PORT
config.storage.file=$WORK/connectors.json
bootstrap.servers=$BOOTSTRAP
topic.creation.default.replication.factor=1
status.update.interval.ms=1000
clickhouse.url=$CH_URL
clickhouse.batch.ms=300
EOF

state() {
	api GET "/connectors/$1/status"
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["tasks"][0]["state"])' \
		"$WORK/resp.json" 2>/dev/null
}
wait_state() {
	local i
	for ((i = 0; i < $3 * 4; i++)); do
		[[ $(state "$1") == "$2" ]] && return 0
		sleep 0.25
	done
	return 1
}
# the ClickHouse table of connector NAME equals its PostgreSQL table
equal() {	# equal NAME SECONDS
	PGDATABASE=shop_$1 ch_wait_equal "$2" "public.items=ch_$1.$1_public_items"
}

worker_start || { diag "$WORK/worker.err"; bail "the worker did not serve its REST API"; }
for db in one two; do
	api PUT "/connectors/$db/config" "{
		\"connector.class\": \"io.debezium.connector.postgresql.PostgresConnector\",
		\"plugin.name\": \"wal2dbz\", \"database.hostname\": \"127.0.0.1\",
		\"database.port\": \"$PGPORT\", \"database.user\": \"$PGUSER\",
		\"database.dbname\": \"shop_$db\", \"topic.prefix\": \"$db\", \"slot.name\": \"${db}_slot\",
		\"clickhouse.database\": \"ch_$db\", \"clickhouse.group.id\": \"ch-$db\"}"
	check '[[ $CODE == 201 ]]' "connector $db with a ClickHouse stage is created" || diag "$WORK/resp.json"
done
check 'wait_state one RUNNING 30 && wait_state two RUNNING 30' "both are RUNNING" || diag "$WORK/worker.err"
check 'equal one 90 && equal two 90' "each database's snapshot lands in its own ClickHouse database" ||
	diag "$WORK/worker.err"

api PUT /connectors/two/pause
DB=shop_one sql "UPDATE items SET price = price + 1 WHERE id % 2 = 0; DELETE FROM items WHERE id > 190" >/dev/null
DB=shop_two sql "INSERT INTO items SELECT g, 'late ' || g, 1 FROM generate_series(201, 250) g" >/dev/null
check 'equal one 60' "one's changes land while two is paused" || diag "$WORK/worker.err"
check '[[ $(ch_sql "SELECT count() FROM ch_two.two_public_items FINAL WHERE is_deleted = 0") == 200 ]]' \
	"two's stage lands nothing new while two is paused"
api PUT /connectors/two/resume
check 'wait_state two RUNNING 30 && equal two 60' "after resume two's changes land" || diag "$WORK/worker.err"

sink_stop worker TERM
check '[[ $rc == 0 ]]' "the worker stops with status 0, both stages flushed" || diag "$WORK/worker.err"
DB=shop_one sql "INSERT INTO items VALUES (1000, 'while down', 9)" >/dev/null
DB=shop_two sql "DELETE FROM items WHERE id <= 10" >/dev/null
worker_start
check 'wait_state one RUNNING 30 && wait_state two RUNNING 30 && equal one 60 && equal two 60' \
	"after a restart of the worker both catch up" || diag "$WORK/worker.err"
check '! grep -q "error:" "$WORK/worker.err"' "no errors logged" || diag "$WORK/worker.err"

# one's stage meets a column type change it cannot follow (numeric to
# text in PostgreSQL, a Decimal column in ClickHouse): one goes FAILED
# with the stage's error as its trace, two goes on; once the column is
# converted in ClickHouse, a restart brings one back and its rows land
DB=shop_one sql "ALTER TABLE items ALTER COLUMN price TYPE text; INSERT INTO items VALUES (1001, 'text price', 'cheap')" >/dev/null
check 'wait_state one FAILED 60' "one goes FAILED when its ClickHouse stage stops on an incompatible type change" ||
	diag "$WORK/worker.err"
api GET /connectors/one/status
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["connector"]["state"]); print(d["tasks"][0].get("trace", ""))' \
	"$WORK/resp.json" >"$WORK/trace.txt" 2>/dev/null
check '[[ $(head -1 "$WORK/trace.txt") == FAILED ]] &&
	grep -q "column \"price\" of table ch_one.one_public_items is Nullable(Decimal(10, 2)), which cannot hold" "$WORK/trace.txt" &&
	grep -q "hint: Convert the column (ALTER TABLE \`ch_one\`.\`one_public_items\` MODIFY COLUMN \`price\` Nullable(String))" "$WORK/trace.txt" &&
	grep -qF "then restart the connector (POST /connectors/one/restart)." "$WORK/trace.txt"' \
	"its trace names the table, the column, the types and the fix (restart the connector)" || diag "$WORK/trace.txt"
DB=shop_two sql "INSERT INTO items VALUES (2001, 'two goes on', 1)" >/dev/null
check '[[ $(state two) == RUNNING ]] && equal two 60' "two keeps running, its rows landing" || diag "$WORK/worker.err"
ch_sql "ALTER TABLE ch_one.one_public_items MODIFY COLUMN price Nullable(String)" || bail "could not convert the column"
api POST /connectors/one/restart
check '[[ $CODE == 204 ]] && wait_state one RUNNING 30 && equal one 60' \
	"after the column is converted, POST .../restart brings one back RUNNING and its rows land" ||
	diag "$WORK/worker.err"
sink_stop worker TERM
check '[[ $rc == 0 ]]' "the worker stops with status 0" || diag "$WORK/worker.err"
tap_end
