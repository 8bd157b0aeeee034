#!/bin/sh
#-------------------------------------------------------------------------
#
# cli_clickhouse.sh
#	  Configuration tests of wal2dbz-sink's ClickHouse stage, in TAP.
#
# Needs no server and no broker: every case stops at the configuration,
# or at a closed port.
#
# Usage: SINK=path/to/wal2dbz-sink sh test/sink/cli_clickhouse.sh
#
# test/sink/cli_clickhouse.sh
#
#-------------------------------------------------------------------------

SINK=${SINK:-sink/wal2dbz-sink}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	if [ -s "$TMP/err" ]; then sed 's/^/#   stderr: /' "$TMP/err" | head -5; fi
}
run() { "$SINK" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
# expect: exit code $1, stderr matching the fixed string $2, test name $3
expect() {
	if [ "$rc" -eq "$1" ] && grep -qF -- "$2" "$TMP/err"; then ok "$3"; else
		echo "#   rc=$rc, wanted $1 and stderr with: $2"; not_ok "$3"; fi
}

# the ClickHouse stage alone: Kafka and ClickHouse only, closed ports
alone() {
	cat <<EOC
kafka.bootstrap.servers = 127.0.0.1:1
clickhouse.url = http://127.0.0.1:1
clickhouse.topics = srv.public.t
clickhouse.password = s3cret-pw
http.port = 0
EOC
}

alone >"$TMP/a.properties"
run check --config "$TMP/a.properties"
if [ "$rc" -eq 1 ] && grep -q '^OK source stage: not configured' "$TMP/out" &&
	grep -q '^FAIL clickhouse: http://127.0.0.1:1: ' "$TMP/out"; then
	ok "alone: no topic.prefix needed; check reports the unreachable server"
else not_ok "alone: no topic.prefix needed; check reports the unreachable server"; fi
if ! grep -q 's3cret-pw' "$TMP/out" "$TMP/err"; then ok "the password is never shown"; else
	not_ok "the password is never shown"; fi

{ alone; echo "clickhouse.topics.regex = ^srv\\..*"; } >"$TMP/b.properties"
run --config "$TMP/b.properties"
expect 1 'properties "clickhouse.topics" and "clickhouse.topics.regex" are both set' "topics and a pattern: refused"

alone | grep -v clickhouse.topics >"$TMP/c.properties"
run --config "$TMP/c.properties"
expect 1 'set "clickhouse.topics" or "clickhouse.topics.regex"' "no topics, no topic.prefix: refused"

{ alone; echo 'clickhouse.table.name.format = ${source.tabel}'; } >"$TMP/d.properties"
run --config "$TMP/d.properties"
expect 1 'unknown placeholder in "${source.tabel}"' "an unknown placeholder in a name format"

{ alone | grep -v clickhouse.url; echo "clickhouse.url = 127.0.0.1:8123"; } >"$TMP/e.properties"
run --config "$TMP/e.properties"
expect 1 'expected http://host:port or https://host:port' "clickhouse.url without a scheme"

{ alone; echo "clickhouse.batch.rows = 0"; } >"$TMP/f.properties"
run --config "$TMP/f.properties"
expect 1 'invalid value "0" for property "clickhouse.batch.rows"' "clickhouse.batch.rows range"

{ alone; echo "clickhouse.datetime.fallback = text"; } >"$TMP/g.properties"
run --config "$TMP/g.properties"
expect 1 'expected one of datetime,string' "clickhouse.datetime.fallback choices"

run --config "$TMP/a.properties" --endpos 0/1
expect 1 '--endpos needs the source stage' "--endpos needs the source stage"

{ alone; echo "kafka.enable.auto.commit = true"; } >"$TMP/h.properties"
run -v check --config "$TMP/h.properties"
expect 1 'kafka.enable.auto.commit is ignored by the ClickHouse stage' "auto commit cannot be switched on"

echo "1..$n"
[ "$failed" -eq 0 ]
