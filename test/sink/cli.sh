#!/bin/sh
#-------------------------------------------------------------------------
#
# cli.sh
#	  Command-line and configuration tests of wal2dbz-sink, in TAP.
#
# Needs no server and no broker: every case either stops at the
# configuration, or points the sink at a closed port and expects the
# connection error that proves the configuration was accepted.
#
# Usage: SINK=path/to/wal2dbz-sink sh test/sink/cli.sh
#
# test/sink/cli.sh
#
#-------------------------------------------------------------------------

SINK=${SINK:-sink/wal2dbz-sink}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	if [ -s "$TMP/err" ]; then sed 's/^/#   stderr: /' "$TMP/err" | head -5; fi
}

# run the sink, keeping the exit code, stdout and stderr
run() {
	env -u WAL2DBZ_KAFKA_BOOTSTRAP_SERVERS "$SINK" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# expect: exit code $1, stderr matching the fixed string $2, test name $3
expect_fail() {
	if [ "$rc" -eq "$1" ] && grep -qF -- "$2" "$TMP/err"; then ok "$3"; else
		echo "#   rc=$rc, wanted $1 and stderr with: $2"; not_ok "$3"; fi
}

# a closed port on loopback for "accepted, then could not connect"
CLOSED_PORT=1

# a minimal valid configuration
base() {
	cat <<EOC
# a comment
database.hostname = 127.0.0.1
database.port = $CLOSED_PORT
database.user = nobody
database.dbname = nothing
topic.prefix = srv
kafka.bootstrap.servers = 127.0.0.1:$CLOSED_PORT
http.port = 0
snapshot.mode = no_data
EOC
}

# --help, --version, bad option (as program_help_ok & co.)
run --help
if [ "$rc" -eq 0 ] && [ -s "$TMP/out" ] && [ ! -s "$TMP/err" ]; then
	ok "--help exits 0 on stdout"; else not_ok "--help exits 0 on stdout"; fi
if awk 'length > 80 { bad = 1 } END { exit bad }' "$TMP/out"; then
	ok "--help lines are at most 80 columns"; else not_ok "--help lines are at most 80 columns"; fi
run --version
if [ "$rc" -eq 0 ] && grep -q '^wal2dbz-sink (wal2dbz) ' "$TMP/out" && [ ! -s "$TMP/err" ]; then
	ok "--version"; else not_ok "--version"; fi
run --not-a-valid-option
expect_fail 1 'Try "wal2dbz-sink --help"' "invalid option fails with a hint"
run
expect_fail 1 "no configuration file specified" "no --config"
run bogus --config x
expect_fail 1 'unrecognized command "bogus"' "unknown command"
run --config "$TMP/none.properties"
expect_fail 1 "could not open configuration file" "missing file"
base >"$TMP/a.properties"
run --config "$TMP/a.properties" --endpos=nonsense
expect_fail 1 'could not parse end position "nonsense"' "bad --endpos"

# properties file errors, each named with file:line
{ base; echo "this line has no equals sign"; } >"$TMP/b.properties"
run --config "$TMP/b.properties"
expect_fail 1 "b.properties:10: expected property=value" "line without = names file:line"

{ base; echo "tabel.include.list = public.t"; } >"$TMP/c.properties"
run --config "$TMP/c.properties"
expect_fail 1 'c.properties:10: unknown property "tabel.include.list"' "unknown property by name"
if grep -qF 'Did you mean "table.include.list"?' "$TMP/err"; then
	ok "unknown property: hint with the closest name"; else not_ok "unknown property: hint with the closest name"; fi

{ base; echo "clickhouse.urll = http://127.0.0.1:8123"; } >"$TMP/c2.properties"
run --config "$TMP/c2.properties"
expect_fail 1 'unknown property "clickhouse.urll"' "a misspelled clickhouse.* property is rejected by name"

base | grep -v topic.prefix >"$TMP/d.properties"
run --config "$TMP/d.properties"
expect_fail 1 'required property "topic.prefix" is not set' "topic.prefix required"

{ base; echo "tombstones.on.delete = maybe"; } >"$TMP/e.properties"
run --config "$TMP/e.properties"
expect_fail 1 'invalid value "maybe" for property "tombstones.on.delete": expected true or false' "bad boolean"

{ base; echo "plugin.name = pgoutput"; } >"$TMP/f.properties"
run --config "$TMP/f.properties"
expect_fail 1 'invalid value "pgoutput" for property "plugin.name": wal2dbz-sink decodes with the wal2dbz output plugin only' "plugin.name other than wal2dbz"

{ base; echo "decimal.handling.mode = exact"; } >"$TMP/g.properties"
run --config "$TMP/g.properties"
expect_fail 1 'expected one of precise,double,string' "bad enum lists the choices"

{ base; echo "kafka.no.such.thing = 1"; } >"$TMP/h.properties"
run --config "$TMP/h.properties"
expect_fail 1 'property "kafka.no.such.thing": No such configuration property' "kafka.* checked by librdkafka, by name"

{ base; echo "slot.name = Bad-Slot"; } >"$TMP/i.properties"
run --config "$TMP/i.properties"
expect_fail 1 'invalid value "Bad-Slot" for property "slot.name"' "bad slot name"

{ base; echo "topic.prefix = again"; } >"$TMP/j.properties"
run --config "$TMP/j.properties"
expect_fail 1 'property "topic.prefix" is set twice' "duplicate property"

base | sed 's/^http.port = 0/http.port = 70000/' >"$TMP/k.properties"
run --config "$TMP/k.properties"
expect_fail 1 'expected an integer between 0 and 65535' "integer range"

# heartbeats: checked by name like every property
{ base; echo "heartbeat.interval.ms = -5"; } >"$TMP/hb1.properties"
run --config "$TMP/hb1.properties"
expect_fail 1 'invalid value "-5" for property "heartbeat.interval.ms": expected an integer between 0 and' \
	"negative heartbeat.interval.ms is rejected by name"
{ base; echo "topic.heartbeat.prefix = beat!"; } >"$TMP/hb2.properties"
run --config "$TMP/hb2.properties"
expect_fail 1 'invalid value "beat!" for property "topic.heartbeat.prefix"' "bad topic.heartbeat.prefix"
{ base; echo "heartbeat.action.query = UPDATE hb SET ts = now()"; } >"$TMP/hb3.properties"
run --config "$TMP/hb3.properties"
expect_fail 1 '"heartbeat.action.query" has no effect while "heartbeat.interval.ms" is 0' \
	"an action query without heartbeats is accepted with a warning"

# check prints a FAIL line for a bad configuration
run check --config "$TMP/e.properties"
if [ "$rc" -eq 1 ] && grep -q '^FAIL configuration: .*e.properties is not valid; ' "$TMP/out"; then
	ok "check: FAIL line for a bad configuration"; else not_ok "check: FAIL line for a bad configuration"; fi

# check against a closed port: the FAIL line for Kafka says why, not only "no metadata"
run check --config "$TMP/a.properties"
if [ "$rc" -eq 1 ] && grep -q '^FAIL kafka: no metadata from 127.0.0.1:1 within [0-9]* ms: .*Connection refused' "$TMP/out"; then
	ok "check: the Kafka FAIL line gives the client's error"; else not_ok "check: the Kafka FAIL line gives the client's error"; fi

# a valid configuration gets as far as connecting
run --config "$TMP/a.properties"
expect_fail 1 "could not connect to the server" "valid properties file is accepted"
if grep -q "snapshot" "$TMP/err"; then not_ok "no_data: no snapshot warning"; else ok "no_data: no snapshot warning"; fi

base | grep -v snapshot.mode >"$TMP/l.properties"
run --config "$TMP/l.properties"
expect_fail 1 "could not connect to the server" "default snapshot.mode (initial) is accepted"

{ base | grep -v snapshot.mode; echo "snapshot.mode = custom"; } >"$TMP/l2.properties"
run --config "$TMP/l2.properties"
expect_fail 1 'snapshot.mode "custom" is not supported' "unsupported snapshot.mode"

{ base; echo "snapshot.select.statement.overrides = public.t1"
  echo "snapshot.select.statement.overrides.public.t1 = SELECT id, v FROM public.t1"; } >"$TMP/l3.properties"
run --config "$TMP/l3.properties"
expect_fail 1 'property "snapshot.select.statement.overrides.public.t1" is not supported in this form' \
	"snapshot.select.statement.overrides: only SELECT * ... WHERE"

{ base; echo "snapshot.select.statement.overrides = public.t1"
  echo "snapshot.select.statement.overrides.public.t1 = SELECT * FROM public.t1 WHERE deleted = false"
  echo "snapshot.max.threads = 4"; echo "snapshot.chunk.size = 5000"
  echo "snapshot.include.collection.list = public.t1"; } >"$TMP/l4.properties"
run --config "$TMP/l4.properties"
expect_fail 1 "could not connect to the server" "snapshot properties accepted"

{ base; echo "publication.name = dbz_publication"; } >"$TMP/m.properties"
run --config "$TMP/m.properties"
expect_fail 1 'property "publication.name" is ignored' "publication.name accepted with a note"

# Debezium properties: those at the default the sink follows are accepted,
# other values and unsupported record features are refused by name
{ base; echo "event.processing.failure.handling.mode = fail"; echo "errors.tolerance = none"
  echo "topic.naming.strategy = io.debezium.schema.DefaultTopicNamingStrategy"
  echo "schema.name.adjustment.mode = none"; echo "database.tcpKeepAlive = true"
  echo "schema.refresh.mode = columns_diff"
  echo "database.initial.statements = SET search_path = public;; SELECT 1"; } >"$TMP/d1.properties"
run --config "$TMP/d1.properties"
expect_fail 1 "could not connect to the server" "Debezium's defaults and no-op properties accepted"
if grep -qF 'property "schema.refresh.mode" has no effect in wal2dbz-sink' "$TMP/err"; then
	ok "a no-op property gets a note"; else not_ok "a no-op property gets a note"; fi

{ base; echo "event.processing.failure.handling.mode = skip"; } >"$TMP/d2.properties"
run --config "$TMP/d2.properties"
expect_fail 1 'property "event.processing.failure.handling.mode" can only be "fail" in wal2dbz-sink, not "skip"' \
	"a value other than the default the sink follows is refused"

{ base; echo "datatype.propagate.source.type = .+\\.VARCHAR"; echo "column.mask.with.10.chars = public.t.c"; } >"$TMP/d3.properties"
run --config "$TMP/d3.properties"
expect_fail 1 'property "datatype.propagate.source.type" is not supported by wal2dbz-sink: schemas carry no __debezium.source.column.* parameters' \
	"datatype.propagate.source.type is refused with what to do instead"
if ! grep -qF 'column.mask.with.10.chars' "$TMP/err"; then
	ok "column.mask.with.* is accepted (the plugin checks it)"; else not_ok "column.mask.with.* is accepted (the plugin checks it)"; fi

{ base; echo "transforms = route"
  echo "transforms.route.type = org.apache.kafka.connect.transforms.RegexRouter"; } >"$TMP/x1.properties"
run --config "$TMP/x1.properties"
expect_fail 1 'transform "route" of type "org.apache.kafka.connect.transforms.RegexRouter" is not supported' \
	"a transform wal2dbz does not implement is refused before connecting"
{ base; echo "transforms = unwrap"
  echo "transforms.unwrap.type = io.debezium.transforms.ExtractNewRecordState"; } >"$TMP/x4.properties"
run --config "$TMP/x4.properties"
expect_fail 1 "could not connect to the server" "the New Record State Extraction is accepted"
{ base; echo "transforms = unwrap"
  echo "transforms.unwrap.type = io.debezium.transforms.ExtractNewRecordState"
  echo "clickhouse.url = http://127.0.0.1:$CLOSED_PORT"; } >"$TMP/x5.properties"
run --config "$TMP/x5.properties"
expect_fail 1 'cannot be combined with the ClickHouse stage (clickhouse.url)' \
	"the New Record State Extraction is refused with the ClickHouse stage in the same process"
{ base; echo "transforms = outbox"; } >"$TMP/x2.properties"
run --config "$TMP/x2.properties"
expect_fail 1 'transform "outbox" has no "transforms.outbox.type"' "a transform needs its type"
{ base; echo "transforms = outbox"
  echo "transforms.outbox.type = io.debezium.transforms.outbox.EventRouter"; } >"$TMP/x3.properties"
run --config "$TMP/x3.properties"
expect_fail 1 "could not connect to the server" "the Outbox Event Router is accepted"

# Kafka Connect's topic creation (KIP-158): groups, patterns, topic configurations
{ base; echo "topic.creation.default.cleanup.policy = compact"
  echo "topic.creation.default.retention.ms = 604800000"
  echo "topic.creation.groups = big"
  echo "topic.creation.big.include = srv\\.public\\.big.*, srv\\.audit\\..*"
  echo "topic.creation.big.exclude = srv\\.public\\.bigtmp"
  echo "topic.creation.big.partitions = 12"
  echo "topic.creation.big.max.message.bytes = 10485760"
  echo "topic.creation.enable = true"; } >"$TMP/tc1.properties"
run --config "$TMP/tc1.properties"
expect_fail 1 "could not connect to the server" "topic.creation.* groups and topic configurations accepted"

{ base; echo "topic.creation.default.retension.ms = 1000"; } >"$TMP/tc2.properties"
run --config "$TMP/tc2.properties"
expect_fail 1 'property "topic.creation.default.retension.ms": "retension.ms" is not a Kafka topic configuration' \
	"a misspelled topic configuration is rejected by name"

{ base; echo "topic.creation.other.partitions = 3"; } >"$TMP/tc3.properties"
run --config "$TMP/tc3.properties"
expect_fail 1 'is for the topic creation group "other", which "topic.creation.groups" does not list' \
	"a group that topic.creation.groups does not list is rejected"

{ base; echo "topic.creation.groups = big"; } >"$TMP/tc4.properties"
run --config "$TMP/tc4.properties"
expect_fail 1 'topic creation group "big" has no "topic.creation.big.include"' "a group needs its include patterns"

{ base; echo "topic.creation.groups = big"; echo "topic.creation.big.include = srv.(big"; } >"$TMP/tc5.properties"
run --config "$TMP/tc5.properties"
expect_fail 1 'invalid pattern "srv.(big" in property "topic.creation.big.include"' "a bad topic pattern is rejected by name"

{ base; echo "topic.creation.groups = big"; echo "topic.creation.big.include = (?i)srv.*"; } >"$TMP/tc7.properties"
run --config "$TMP/tc7.properties"
expect_fail 1 'Java regular expression syntax that POSIX expressions do not have' \
	"Java-only pattern syntax is refused rather than misread"

{ base; echo "topic.creation.default.include = .*"; } >"$TMP/tc6.properties"
run --config "$TMP/tc6.properties"
expect_fail 1 'property "topic.creation.default.include" cannot be set' "the default group takes no patterns"

# Kafka Connect JSON
cat >"$TMP/n.json" <<EOC
{
  "name": "inventory-connector",
  "config": {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "tasks.max": "1",
    "database.hostname": "127.0.0.1",
    "database.port": $CLOSED_PORT,
    "database.user": "nobody",
    "database.dbname": "nothing",
    "topic.prefix": "srv",
    "plugin.name": "wal2dbz",
    "snapshot.mode": "no_data",
    "tombstones.on.delete": false,
    "kafka.bootstrap.servers": "127.0.0.1:$CLOSED_PORT",
    "http.port": "0"
  }
}
EOC
run --config "$TMP/n.json"
expect_fail 1 "could not connect to the server" "Kafka Connect JSON is accepted"

sed 's/"tasks.max": "1"/"tasks.max": "0"/' "$TMP/n.json" >"$TMP/o.json"
run --config "$TMP/o.json"
expect_fail 1 'o.json: config."tasks.max": invalid value "0" for property "tasks.max": expected an integer between 1 and' "JSON: error names the member"

printf '{"config": {"topic.prefix": ' >"$TMP/p.json"
run --config "$TMP/p.json"
expect_fail 1 'p.json:1: invalid JSON' "invalid JSON"

sed 's/"connector.class": "io.debezium.connector.postgresql.PostgresConnector"/"connector.class": "io.debezium.connector.mysql.MySqlConnector"/' "$TMP/n.json" >"$TMP/q.json"
run --config "$TMP/q.json"
expect_fail 1 'connector class "io.debezium.connector.mysql.MySqlConnector" is not supported' "other connector.class rejected"

# environment overrides
base | grep -v topic.prefix >"$TMP/r.properties"
WAL2DBZ_TOPIC_PREFIX=fromenv run --config "$TMP/r.properties"
expect_fail 1 "could not connect to the server" "WAL2DBZ_TOPIC_PREFIX supplies topic.prefix"
WAL2DBZ_TOMBSTONES_ON_DELETE=perhaps run --config "$TMP/a.properties"
expect_fail 1 'environment variable WAL2DBZ_TOMBSTONES_ON_DELETE: invalid value "perhaps"' "environment overrides the file, errors name the variable"
WAL2DBZ_KAFKA_NO_SUCH=1 run --config "$TMP/a.properties"
expect_fail 1 'environment variable WAL2DBZ_KAFKA_NO_SUCH: property "kafka.no.such"' "WAL2DBZ_KAFKA_* goes to librdkafka"
WAL2DBZ_TOPIC_CREATION_DEFAULT_CLEANUP_POLICY=compact WAL2DBZ_TOPIC_CREATION_DEFAULT_MAX_MESSAGE_BYTES=2097152 \
	run --config "$TMP/a.properties"
expect_fail 1 "could not connect to the server" "WAL2DBZ_TOPIC_CREATION_DEFAULT_* set topic configurations"
WAL2DBZ_TOPIC_CREATION_DEFAULT_RETENSION_MS=1 run --config "$TMP/a.properties"
expect_fail 1 'environment variable WAL2DBZ_TOPIC_CREATION_DEFAULT_RETENSION_MS: property "topic.creation.default.retension.ms": "retension.ms" is not a Kafka topic configuration' \
	"a misspelled topic configuration in the environment is refused by name"
WAL2DBZ_TOPIC_CREATION_GROUPS=big WAL2DBZ_TOPIC_CREATION_BIG_INCLUDE='srv[.]public[.]big.*' \
	WAL2DBZ_TOPIC_CREATION_BIG_PARTITIONS=0 run --config "$TMP/a.properties"
expect_fail 1 'invalid value "0" for property "topic.creation.big.partitions"' \
	"WAL2DBZ_TOPIC_CREATION_<GROUP>_* names a group of WAL2DBZ_TOPIC_CREATION_GROUPS"
WAL2DBZ_TOPIC_CREATION_GROUPS=big,big_x WAL2DBZ_TOPIC_CREATION_BIG_INCLUDE='srv[.]a' \
	WAL2DBZ_TOPIC_CREATION_BIG_X_INCLUDE='srv[.]b' WAL2DBZ_TOPIC_CREATION_BIG_X_PARTITIONS=0 \
	run --config "$TMP/a.properties"
expect_fail 1 'invalid value "0" for property "topic.creation.big_x.partitions"' \
	"a variable goes to the longest group its name starts with"

# worker mode: the worker file is checked before anything listens
printf 'rest.port=0\n' >"$TMP/w1.properties"
run worker --config "$TMP/w1.properties"
expect_fail 1 'invalid value "0" for property "rest.port"' "worker: rest.port is checked"
printf 'rest.port=18083\nbootstrap.servers=127.0.0.1:1\n' >"$TMP/w2.properties"
run worker --config "$TMP/w2.properties"
expect_fail 1 'required property "config.storage.file" is not set' "worker: config.storage.file is required"
printf 'config.storage.file=%s/store.json\nbootstrap.servers=127.0.0.1:1\ntombstones.on.delete=perhaps\n' "$TMP" >"$TMP/w3.properties"
run worker --config "$TMP/w3.properties"
expect_fail 1 'w3.properties:3: invalid value "perhaps" for property "tombstones.on.delete"' "worker: connector defaults are checked by name and line"
printf '{"connectors": ' >"$TMP/bad-store.json"
printf 'rest.port=18083\nconfig.storage.file=%s/bad-store.json\nbootstrap.servers=127.0.0.1:1\n' "$TMP" >"$TMP/w5.properties"
run worker --config "$TMP/w5.properties"
expect_fail 1 'could not read connector store' "worker: a damaged store is an error, not an empty worker"
{ base; echo "max.batch.size = 2048"; echo "publication.autocreate.mode = filtered"; } >"$TMP/w6.properties"
run --config "$TMP/w6.properties"
expect_fail 1 'property "max.batch.size" has no effect in wal2dbz-sink' "Debezium's tuning properties are accepted, with a note that they do nothing here"
expect_fail 1 'could not connect to the server' "... and the configuration is valid"
{ base; echo "publication.autocreate.mode = disabled"; } >"$TMP/p1.properties"
run --config "$TMP/p1.properties"
expect_fail 1 'property "publication.autocreate.mode" is "disabled": the wal2dbz plugin reads no publication' \
	"publication.autocreate.mode=disabled: accepted, saying that no publication is read"
{ base; echo "publication.autocreate.mode = some_tables"; } >"$TMP/p2.properties"
run --config "$TMP/p2.properties"
expect_fail 1 'invalid value "some_tables" for property "publication.autocreate.mode"' \
	"publication.autocreate.mode: an unknown mode is refused by name"
database_server_name() { base | sed 's/^topic.prefix = srv$/database.server.name = srv/'; }
database_server_name >"$TMP/w4.properties"
run --config "$TMP/w4.properties"
expect_fail 1 'property "database.server.name" is deprecated; use "topic.prefix"' "database.server.name: accepted as topic.prefix, with a warning"

# secrets never logged, even at debug level
{ base; echo "database.password = hunter2secret"; echo "kafka.sasl.password = kafkasecret42"; } >"$TMP/s.properties"
run -v -v --config "$TMP/s.properties"
if [ "$rc" -eq 1 ] && grep -qF "property database.password = ********" "$TMP/err" &&
	! grep -q "hunter2secret\|kafkasecret42" "$TMP/err"; then
	ok "passwords are masked in debug output"; else not_ok "passwords are masked in debug output"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
