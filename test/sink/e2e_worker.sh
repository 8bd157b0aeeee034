#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_worker.sh
#	  Worker mode: connectors managed over Kafka Connect's REST API with
#	  curl alone, as scripts written for Kafka Connect do.
#
# One worker (wal2dbz-sink worker) runs connectors for databases shop_a
# and shop_b, created with PUT /connectors/<name>/config and Debezium
# PostgreSQL connector configurations (plugin.name=wal2dbz; b still says
# database.server.name).  Rows written in both arrive in Kafka; pausing b
# stops its rows and not a's, resuming it brings the missing ones; b
# breaks (its walsender is terminated and its role may no longer log in)
# and goes FAILED with the error as trace while a keeps running; b is
# restarted, fails again when its slot is dropped under it, is restarted
# again, then deleted (its slot dropped, slot.drop.on.stop); the
# worker is stopped and started again and a is RUNNING again with no row
# lost.  a's password comes from a file through Kafka's FileConfigProvider
# (${file:path:key}), and a's role must give it.  The validate endpoint
# reports errors per property, GET .../config masks database.password,
# errors have Kafka Connect's shape, GET /metrics labels every series
# with its connector, a connector whose host never answers is deleted at
# once (and with database.connectTimeout fails naming it), SIGTERM does
# not wait for a connection attempt, and one
# configuration gives the same topics, keys and values over the REST API
# as in a properties file run by the single sink.
#
# Usage: test/sink/e2e_worker.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_worker.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_worker.sh"

e2e_init worker
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres
REST_PORT=$(free_port)
API=http://127.0.0.1:$REST_PORT

for db in shop_a shop_b shop_c; do
	sql "CREATE DATABASE $db" >/dev/null || bail "could not create database $db"
	DB=$db e2e_psql >/dev/null <<-'SQL' || bail "could not create the tables in $db"
	CREATE EXTENSION wal2dbz;
	CREATE TABLE public.items (id int PRIMARY KEY, name text);
	CREATE TABLE public.prices (id int PRIMARY KEY, price numeric(10,2), at timestamptz);
	SQL
done
# b's own role, so that it alone can be locked out; a's own role, which
# must give its password (from a file, through a config provider)
sql "CREATE ROLE conn_b LOGIN REPLICATION SUPERUSER" >/dev/null || bail "could not create role conn_b"
sql "CREATE ROLE conn_a LOGIN REPLICATION SUPERUSER PASSWORD 'pw-from-file-$$'" >/dev/null ||
	bail "could not create role conn_a"
if ! { echo "host all conn_a 127.0.0.1/32 scram-sha-256"; cat "$WORK/pg/data/pg_hba.conf"; } >"$WORK/hba.tmp" ||
	! cat "$WORK/hba.tmp" >"$WORK/pg/data/pg_hba.conf" || ! sql "SELECT pg_reload_conf()" >/dev/null; then
	bail "could not require a password of conn_a"
fi
echo "a.password=pw-from-file-$$" >"$WORK/secrets.properties"
check '! psql -X -w -h 127.0.0.1 -U conn_a -d shop_a -c "SELECT 1" >/dev/null 2>&1 &&
	[[ $(PGPASSWORD=pw-from-file-$$ psql -X -w -h 127.0.0.1 -U conn_a -d shop_a -At -c "SELECT 1" 2>/dev/null) == 1 ]]' \
	"conn_a logs in with its password only"
A_PW="\${file:$WORK/secrets.properties:a.password}"
DB=shop_a sql "INSERT INTO items SELECT g, 'before ' || g FROM generate_series(1, 3) g" >/dev/null

cat >"$WORK/worker.properties" <<EOF
rest.port=$REST_PORT
rest.advertised.host.name=127.0.0.1
config.storage.file=$WORK/connectors.json
bootstrap.servers=$BOOTSTRAP
topic.creation.default.replication.factor=1
status.update.interval.ms=1000
config.providers=file
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
EOF

# jget EXPR: a Python expression on d, the last response's JSON
jget() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$WORK/resp.json" "$1" 2>/dev/null
}
# state NAME: the connector's state and its task's, "RUNNING/RUNNING"
state() {
	api GET "/connectors/$1/status"
	jget 'd["connector"]["state"] + "/" + "/".join(t["state"] for t in d["tasks"])'
}
# wait_state NAME STATE SECONDS
wait_state() {
	local i
	for ((i = 0; i < $3 * 4; i++)); do
		[[ $(state "$1") == "$2/$2" ]] && return 0
		sleep 0.25
	done
	return 1
}
# count TOPIC: records in the topic
count() {
	kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q 2>/dev/null | grep -c .
}
# wait_count TOPIC N SECONDS: until the topic has N records; leaves it in CNT
wait_count() {
	local i
	for ((i = 0; i < $3 * 2; i++)); do
		CNT=$(count "$1")
		[[ $CNT -ge $2 ]] && return 0
		sleep 0.5
	done
	return 1
}

# a Debezium PostgreSQL connector configuration: connector DB PREFIX SLOT [k v...]
connector() {
	python3 - "$@" <<-PY
	import json, sys
	a = sys.argv[1:]
	c = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
	     "tasks.max": "1", "plugin.name": "wal2dbz",
	     "database.hostname": "127.0.0.1", "database.port": "$PGPORT",
	     "database.user": "$PGUSER", "database.password": "secret-" + a[0],
	     "database.dbname": a[0], "topic.prefix": a[1], "slot.name": a[2],
	     "snapshot.mode": "initial", "table.include.list": "public.items,public.prices"}
	for k, v in zip(a[3::2], a[4::2]):
	    if v == "-":
	        c.pop(k, None)
	    else:
	        c[k] = v
	print(json.dumps(c))
	PY
}

worker_start || { diag "$WORK/worker.err"; bail "the worker did not serve its REST API"; }
api GET /
check '[[ $CODE == 200 && -n $(jget "d[\"version\"]") && $(jget "\"commit\" in d and \"kafka_cluster_id\" in d") == True ]]' \
	"GET / gives the version, commit and kafka_cluster_id" || diag "$WORK/resp.json"
api GET /health
check '[[ $CODE == 200 && $(jget "d[\"status\"]") == healthy ]]' "GET /health is healthy"
api GET /connector-plugins
check '[[ $(jget "[(p[\"class\"], p[\"type\"]) for p in d] == [(\"io.debezium.connector.postgresql.PostgresConnector\", \"source\")]") == True ]]' \
	"GET /connector-plugins lists the PostgreSQL connector as a source" || diag "$WORK/resp.json"
api GET /connector-plugins/PostgresConnector/config
check '[[ $CODE == 200 && $(jget "[c[\"required\"] for c in d if c[\"name\"] == \"topic.prefix\"] == [True] and any(c[\"name\"] == \"database.password\" and c[\"type\"] == \"PASSWORD\" for c in d)") == True ]]' \
	"GET /connector-plugins/PostgresConnector/config lists the properties (topic.prefix required, database.password a PASSWORD)" ||
	diag "$WORK/resp.json"

# validate: one error per broken property, in Kafka Connect's ConfigInfos
BROKEN=$(connector shop_a a a_slot database.port notaport slot.name Bad-Slot plugin.name pgoutput \
	tombstones.on.delete maybe topic.prefix - tabel.include.list x)
api PUT /connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate "$BROKEN"
jget 'json.dumps({c["value"]["name"]: c["value"]["errors"] for c in d["configs"] if c["value"]["errors"]}, indent=1)' >"$WORK/validate.txt"
check '[[ $CODE == 200 && $(jget "d[\"name\"]") == io.debezium.connector.postgresql.PostgresConnector && $(jget "d[\"error_count\"]") -ge 6 ]]' \
	"validate answers 200 with the errors counted" || diag "$WORK/resp.json"
check '[[ $(jget "sorted(c[\"value\"][\"name\"] for c in d[\"configs\"] if c[\"value\"][\"errors\"]) == [\"database.port\", \"plugin.name\", \"slot.name\", \"tabel.include.list\", \"tombstones.on.delete\", \"topic.prefix\"]") == True ]]' \
	"validate files each error under its property: database.port, plugin.name, slot.name, the unknown tabel.include.list, tombstones.on.delete, the missing topic.prefix" ||
	diag "$WORK/validate.txt"
check 'grep -q "Did you mean \\\\\"table.include.list\\\\\"" "$WORK/validate.txt" && grep -q "decoderbufs or pgoutput" "$WORK/validate.txt"' \
	"validate says what to do: the property meant, the plugin to use" || diag "$WORK/validate.txt"
check '[[ $(jget "[c[\"value\"][\"value\"] for c in d[\"configs\"] if c[\"value\"][\"name\"] == \"database.password\"][0]") == "[hidden]" ]]' \
	"validate masks database.password"
api PUT /connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate "$(connector shop_a a a_slot)"
check '[[ $CODE == 200 && $(jget "d[\"error_count\"]") == 0 ]]' "validate finds no error in a good configuration" ||
	diag "$WORK/resp.json"

# refused configurations: 400 naming the problem; nothing created
api PUT /connectors/x/config "$(connector shop_a x x_slot connector.class io.confluent.connect.jdbc.JdbcSourceConnector)"
check '[[ $CODE == 400 && $(jget "d[\"error_code\"]") == 400 && $(jget "d[\"message\"]") == *io.confluent.connect.jdbc.JdbcSourceConnector* ]]' \
	"a connector of another class is refused (400) naming the class" || diag "$WORK/resp.json"
api PUT /connectors/x/config "$(connector shop_a x x_slot plugin.name pgoutput)"
check '[[ $CODE == 400 && $(jget "d[\"message\"]") == *plugin.name*wal2dbz* ]]' \
	"plugin.name pgoutput is refused (400) with what to set instead" || diag "$WORK/resp.json"
api GET /connectors/x/status
check '[[ $CODE == 404 && $(jget "d[\"error_code\"]") == 404 && $(jget "d[\"message\"]") == "Connector x not found" ]]' \
	"an unknown connector is 404 with Kafka Connect's error body" || diag "$WORK/resp.json"

# two connectors, two databases
api PUT /connectors/x/config "$(connector shop_a x x_slot database.password "\${file:$WORK/secrets.properties:no.such.key}")"
check '[[ $CODE == 400 && $(jget "d[\"message\"]") == *"\"database.password\": could not resolve"*"no such key in the file"* ]]' \
	"a config provider's variable that cannot be resolved is refused (400) naming the property" || diag "$WORK/resp.json"
A_CONFIG=$(connector shop_a a a_slot database.user conn_a database.password "$A_PW")
api PUT /connectors/a/config "$A_CONFIG"
CODE_A=$CODE
api PUT /connectors/b/config "$(connector shop_b b b_slot topic.prefix - database.server.name b \
	database.user conn_b snapshot.mode no_data slot.drop.on.stop true tasks.max 3)"
check '[[ $CODE_A == 201 && $CODE == 201 && $(jget "(d[\"name\"], d[\"type\"], d[\"tasks\"]) == (\"b\", \"source\", [{\"connector\": \"b\", \"task\": 0}])") == True ]]' \
	"PUT /connectors/{a,b}/config creates both (201, name, type, one task even with tasks.max 3)" || diag "$WORK/resp.json" "$WORK/worker.err"
api PUT /connectors/a/config "$A_CONFIG"
check '[[ $CODE == 200 ]]' "PUT of an existing connector's configuration answers 200"
api POST /connectors "{\"name\": \"a\", \"config\": $A_CONFIG}"
check '[[ $CODE == 409 ]]' "POST /connectors of an existing name answers 409"
check 'wait_state a RUNNING 30 && wait_state b RUNNING 30' "both connectors and their tasks are RUNNING" ||
	{ cat "$WORK/resp.json"; echo; diag "$WORK/worker.err"; }
check 'grep -q "database.server.name.*deprecated" "$WORK/worker.err"' \
	"database.server.name is accepted with a deprecation warning"
api GET /connectors
check '[[ $(jget "d == [\"a\", \"b\"]") == True ]]' "GET /connectors lists a and b"
api GET "/connectors?expand=status&expand=info"
check '[[ $(jget "sorted(d) == [\"a\", \"b\"] and d[\"a\"][\"status\"][\"connector\"][\"worker_id\"] == \"127.0.0.1:$REST_PORT\" and d[\"b\"][\"info\"][\"config\"][\"slot.name\"] == \"b_slot\"") == True ]]' \
	"?expand=status&expand=info gives both, with worker_id host:port" || diag "$WORK/resp.json"
api GET /connectors/b/config
check '[[ $(jget "d[\"database.password\"]") == "[hidden]" ]] && ! grep -q secret- "$WORK/resp.json" "$WORK/worker.err"' \
	"GET .../config masks database.password, and the log never shows it" || diag "$WORK/resp.json"
api GET /connectors/a/config
check '[[ $(jget "d[\"database.password\"]") == "$A_PW" ]] && ! grep -q "pw-from-file" "$WORK/connectors.json" "$WORK/resp.json" "$WORK/worker.err"' \
	"a's password, read from a file through the file config provider, is stored and shown as its variable only" ||
	diag "$WORK/resp.json"
api GET /connectors/a/tasks
check '[[ $(jget "d[0][\"id\"] == {\"connector\": \"a\", \"task\": 0}") == True ]]' "GET .../tasks has task a-0"
api GET /connectors/a/tasks/0/status
check '[[ $(jget "d[\"id\"]") == 0 && $(jget "d[\"state\"]") == RUNNING ]]' "GET .../tasks/0/status is RUNNING"

ins() { DB=shop_$1 sql "INSERT INTO items SELECT g, '$1 ' || g FROM generate_series($2, $3) g" >/dev/null; }
ins a 4 8
ins b 1 5
check 'wait_count a.public.items 8 30 && wait_count b.public.items 5 30' \
	"rows written in both databases arrive: a's snapshot and changes, b's changes" ||
	{ note "count $CNT"; diag "$WORK/worker.err"; }

# /metrics on the REST port: every connector's series, labelled
# produced CONNECTOR TOPIC: its records acknowledged by Kafka, from /metrics
produced() {
	curl -s "$API/metrics" | awk -v s="wal2dbz_records_produced_total{connector=\"$1\",topic=\"$2\"}" \
		'$1 == s { print $2; found = 1 } END { if (!found) print 0 }'
}
curl -s -D "$WORK/metrics.head" "$API/metrics" >"$WORK/metrics.txt"
check 'grep -qi "^content-type: text/plain; version=0.0.4" "$WORK/metrics.head" &&
	grep -qx "wal2dbz_connector_state{connector=\"a\",state=\"RUNNING\"} 1" "$WORK/metrics.txt" &&
	grep -qx "wal2dbz_connector_state{connector=\"b\",state=\"RUNNING\"} 1" "$WORK/metrics.txt" &&
	grep -qx "wal2dbz_streaming{connector=\"a\"} 1" "$WORK/metrics.txt" &&
	grep -qx "wal2dbz_streaming{connector=\"b\"} 1" "$WORK/metrics.txt" &&
	[[ $(produced a a.public.items) -ge 8 && $(produced b b.public.items) -ge 5 ]]' \
	"GET /metrics serves each connector's series labelled connector=\"name\", with its state and its records" ||
	diag "$WORK/metrics.txt"
check '[[ -z $(grep "^# TYPE" "$WORK/metrics.txt" | sort | uniq -d) && -z $(grep -v "^#" "$WORK/metrics.txt" | grep -v "{connector=\"[ab]\"") ]]' \
	"/metrics names each metric family once, and every series has its connector" ||
	diag "$WORK/metrics.txt"

api PUT /connectors/b/pause
check '[[ $CODE == 202 ]] && wait_state b PAUSED 30' "pause b: 202, then PAUSED" || diag "$WORK/worker.err"
check 'wait_inactive b_slot 10 && [[ $(slot_col b_slot active) == f ]]' "a paused connector leaves its slot, not reading it"
ins a 9 12
ins b 6 9
check 'wait_count a.public.items 12 30' "a's rows keep arriving while b is paused"
check '[[ $(produced a a.public.items) -ge 12 ]] && grep -qx "wal2dbz_connector_state{connector=\"b\",state=\"PAUSED\"} 1" <(curl -s "$API/metrics")' \
	"/metrics: a's count grows with its rows; b is PAUSED" || { note "a: $(produced a a.public.items)"; curl -s "$API/metrics" | grep connector_state; }
sleep 1
check '[[ $(count b.public.items) == 5 ]]' "b's rows do not arrive while it is paused"
api PUT /connectors/b/resume
check '[[ $CODE == 202 ]] && wait_state b RUNNING 30 && wait_count b.public.items 9 30' \
	"resume b: 202, RUNNING, and the rows written meanwhile arrive" || diag "$WORK/worker.err"

# break b: its connection goes and its role can no longer log in
sql "ALTER ROLE conn_b NOLOGIN" >/dev/null
DB=shop_b sql "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'b_slot'" >/dev/null
check 'wait_state b FAILED 40' "b goes FAILED when it cannot reconnect" || diag "$WORK/worker.err"
api GET /connectors/b/status
check '[[ $(jget "d[\"tasks\"][0][\"trace\"]") == *"not permitted to log in"* ]]' \
	"the FAILED task's trace has the error" || diag "$WORK/resp.json"
ins a 13 14
check '[[ $(state a) == RUNNING/RUNNING ]] && wait_count a.public.items 14 30' "a keeps running while b has failed"
sql "ALTER ROLE conn_b LOGIN" >/dev/null
api POST "/connectors/b/restart?includeTasks=true&onlyFailed=true"
check '[[ $CODE == 202 && $(jget "d[\"tasks\"][0][\"state\"]") == RESTARTING ]]' \
	"restart?includeTasks=true&onlyFailed=true answers 202, RESTARTING" || diag "$WORK/resp.json"
ins b 10 11
check 'wait_state b RUNNING 30 && wait_count b.public.items 11 30' "after the restart b is RUNNING and its rows arrive" ||
	diag "$WORK/worker.err"

# break b again: its slot is dropped under it
# (until the drop wins the race with b's reconnect, however slow the machine)
for ((i = 0; i < 100; i++)); do
	sql "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
		WHERE slot_name = 'b_slot' AND active_pid IS NOT NULL" >/dev/null
	sql "SELECT pg_drop_replication_slot('b_slot')" >/dev/null 2>&1 && break
	sleep 0.1
done
check 'wait_state b FAILED 30' "b goes FAILED when its slot is dropped under it" || diag "$WORK/worker.err"
api GET /connectors/b/status
check '[[ $(jget "d[\"connector\"][\"trace\"]") == *"replication slot \"b_slot\" was dropped while in use"* ]]' \
	"the trace says the slot was dropped" || diag "$WORK/resp.json"
api POST /connectors/b/tasks/0/restart
check '[[ $CODE == 204 ]] && wait_state b RUNNING 30 && [[ -n $(slot_col b_slot slot_name) ]]' \
	"POST .../tasks/0/restart: 204, RUNNING again on a new slot" || diag "$WORK/worker.err"
api POST /connectors/b/tasks/1/restart
check '[[ $CODE == 404 ]]' "a task other than 0 is 404"

api PATCH /connectors/b/config '{"status.update.interval.ms": "2000", "table.include.list": null}'
check '[[ $CODE == 200 && $(jget "d[\"config\"][\"status.update.interval.ms\"] == \"2000\" and \"table.include.list\" not in d[\"config\"] and d[\"config\"][\"database.password\"] == \"[hidden]\"") == True ]]' \
	"PATCH .../config merges, a null removing a property" || diag "$WORK/resp.json"
check 'wait_state b RUNNING 30' "b runs again with its patched configuration"

api DELETE /connectors/b
check '[[ $CODE == 204 ]]' "DELETE b answers 204"
api GET /connectors/b
check '[[ $CODE == 404 && $(slot_col b_slot slot_name) == "" ]]' \
	"b is gone, and its slot dropped (slot.drop.on.stop)"

# a host that takes the connection and never answers (a listener that
# accepts nothing): a connector stuck connecting is deleted at once, and
# with database.connectTimeout it fails in time, naming the timeout
bg_start "$WORK/hole.port" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(3600)'
for ((i = 0; i < 50; i++)); do [[ -s $WORK/hole.port ]] && break; sleep 0.1; done
HOLE_PORT=$(cat "$WORK/hole.port")
api PUT /connectors/hole/config "$(connector shop_c hole hole_slot database.port "$HOLE_PORT")"
sleep 2
check '[[ $CODE == 201 && $(state hole) == UNASSIGNED/UNASSIGNED ]]' \
	"a connector whose host never answers stays UNASSIGNED while it connects" || diag "$WORK/resp.json"
T0=$(date +%s%N)
CODE=$(curl -s -m 30 -o "$WORK/resp.json" -w '%{http_code}' -X DELETE "$API/connectors/hole")
T1=$(date +%s%N)
note "DELETE of the connector stuck connecting took $(((T1 - T0) / 1000000)) ms"
check '[[ $CODE == 204 && $(((T1 - T0) / 1000000)) -lt 3000 ]]' \
	"DELETE of a connector stuck connecting answers 204 within 3 s (default connect timeout 10 s)" ||
	diag "$WORK/worker.err"
api PUT /connectors/hole/config "$(connector shop_c hole hole_slot database.port "$HOLE_PORT" database.connectTimeout 2)"
check 'wait_state hole FAILED 20' "with database.connectTimeout=2 it goes FAILED" || diag "$WORK/worker.err"
api GET /connectors/hole/status
check '[[ $(jget "d[\"tasks\"][0][\"trace\"]") == *"port $HOLE_PORT: no answer within 2 s (\"database.connectTimeout\")"* ]]' \
	"its trace names the host, the port and the timeout" || diag "$WORK/resp.json"
api DELETE /connectors/hole

# the worker restarts: a is RUNNING again, no row lost
sink_stop worker TERM
check '[[ $rc == 0 ]]' "the worker stops on SIGTERM with status 0" || diag "$WORK/worker.err"
ins a 15 20
worker_start
api GET /connectors
check '[[ $(jget "d == [\"a\"]") == True ]] && wait_state a RUNNING 30' "after a restart the worker runs a again" ||
	diag "$WORK/worker.err"
check 'wait_count a.public.items 20 30' "rows written while the worker was down arrive"
kcat -b "$BOOTSTRAP" -C -t a.public.items -o beginning -e -q -f '%k\n' 2>/dev/null | sort -u >"$WORK/a_keys.txt"
check '[[ $(wc -l <"$WORK/a_keys.txt") == 20 ]]' "a's topic has every one of its 20 rows"
api GET /connectors/a/offsets
check '[[ $(jget "d[\"offsets\"][0][\"partition\"][\"server\"]") == a && $(jget "d[\"offsets\"][0][\"offset\"][\"lsn\"] > 0") == True ]]' \
	"GET .../offsets gives the slot's position for server a" || diag "$WORK/resp.json"

# one configuration, two ways: a properties file and the REST API, each
# over its own slot created at the same point, give the same records
# (apart from the envelope's time of decoding)
DB=shop_c sql "SELECT pg_create_logical_replication_slot('cmp_file', 'wal2dbz'), pg_create_logical_replication_slot('cmp_rest', 'wal2dbz')" >/dev/null
DB=shop_c e2e_psql >/dev/null <<-'SQL'
INSERT INTO items SELECT g, 'c ' || g FROM generate_series(1, 50) g;
INSERT INTO prices VALUES (1, 9.99, '2026-01-02 03:04:05+00'), (2, NULL, NULL);
BEGIN;
UPDATE items SET name = name || ' updated' WHERE id % 3 = 0;
DELETE FROM items WHERE id % 7 = 0;
UPDATE prices SET price = 1.25 WHERE id = 2;
COMMIT;
UPDATE items SET id = 1000 WHERE id = 1;
SQL
END=$(DB=shop_c current_lsn)
CMP=$(connector shop_c cmp cmp_rest snapshot.mode no_data)
python3 - "$CMP" "$BOOTSTRAP" >"$WORK/cmp.properties" <<'PY'
import json, sys
c = json.loads(sys.argv[1])
c["slot.name"] = "cmp_file"
for k, v in c.items():
    print("%s=%s" % (k, v))
print("kafka.bootstrap.servers=" + sys.argv[2])
print("topic.creation.default.replication.factor=1")
print("http.port=0")
PY
sink_start cmp "$WORK/cmp.properties" -- --endpos="$END"
sink_wait cmp 60
check '[[ $rc == 0 ]]' "the properties file runs to --endpos" || diag "$WORK/cmp.err"
api PUT /connectors/cmp/config "$CMP"
check '[[ $CODE == 201 ]] && DB=shop_c wait_confirmed cmp_rest "$END" 60' \
	"the same configuration over the REST API streams to the same point" || diag "$WORK/worker.err"
dump_topics_tsv cmp "$WORK/cmp.tsv"
python3 - "$WORK/cmp.tsv" >"$WORK/cmp.txt" <<'PY'
import collections, json, sys
parts = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, p, o, k, v = line.rstrip("\n").split("\t")
    # the envelope's ts_ms, ts_us and ts_ns are the time of decoding
    if v != "NULL":
        v = json.loads(v)
        env = v["payload"] if "schema" in v else v
        for f in ("ts_ms", "ts_us", "ts_ns"):
            env.pop(f, None)
    parts[(t, p)].append((int(o), k, v))
bad, total = [], 0
for (t, p), recs in sorted(parts.items()):
    recs.sort()
    half = len(recs) // 2
    total += half
    if len(recs) % 2 or [r[1:] for r in recs[:half]] != [r[1:] for r in recs[half:]]:
        bad.append("%s[%s]: %d records" % (t, p, len(recs)))
print("topics %s" % " ".join(sorted({t for t, _ in parts})))
print("records %d" % total)
print("bad %d %s" % (len(bad), "; ".join(bad[:3])))
PY
note "$(head -2 "$WORK/cmp.txt" | tr '\n' ' ')"
check 'grep -q "^topics cmp.public.items cmp.public.prices$" "$WORK/cmp.txt" && grep -q "^bad 0 $" "$WORK/cmp.txt" && [[ $(sed -n "s/^records //p" "$WORK/cmp.txt") -ge 60 ]]' \
	"the REST API and the properties file give the same topics, partitions, keys and values in the same order" ||
	diag "$WORK/cmp.txt"

check '! grep -q "secret-\|pw-from-file" "$WORK/worker.err" && [[ $(stat -c %a "$WORK/connectors.json") == 600 ]]' \
	"no password in the log; the store is readable by its owner only"
# SIGTERM with a connector stuck connecting: the worker does not wait for it
api PUT /connectors/hole/config "$(connector shop_c hole hole_slot database.port "$HOLE_PORT" database.connectTimeout 60)"
sleep 2
T0=$(date +%s%N)
kill -TERM "${SINK_PIDS[worker]}"
sink_wait worker 20
T1=$(date +%s%N)
note "SIGTERM to exit with a connector stuck connecting: $(((T1 - T0) / 1000000)) ms"
check '[[ $rc == 0 && $(((T1 - T0) / 1000000)) -lt 5000 ]]' \
	"the worker stops cleanly again, within 5 s though a connector is stuck connecting (timeout 60 s)" ||
	diag "$WORK/worker.err"
tap_end
