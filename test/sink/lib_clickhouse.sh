# shellcheck shell=bash
#-------------------------------------------------------------------------
#
# lib_clickhouse.sh
#	  Helpers of the ClickHouse stage's end-to-end tests (e2e_clickhouse*.sh),
#	  on top of lib_e2e.sh.  Sourced, never run.
#
# Gives: ch_start (Debian's clickhouse-server from test/lib/clickhouse.sh;
# sets CH_URL), ch_sql, ch_wait_equal (until the ClickHouse tables equal
# the PostgreSQL ones, by ch_compare.py), metric, and a cleanup trap that
# stops ClickHouse, then does what lib_e2e.sh's does.
#
# test/sink/lib_clickhouse.sh
#
#-------------------------------------------------------------------------

CH_STARTED=0

ch_cleanup() {
	[[ $CH_STARTED -eq 1 ]] && "$E2E_LIB/clickhouse.sh" stop "$WORK/ch" >/dev/null 2>&1
	e2e_cleanup
}

# ch_start: a throwaway server; CH_URL=http://127.0.0.1:port
ch_start() {
	command -v clickhouse-server >/dev/null || [[ -x /usr/sbin/clickhouse-server ]] ||
		bail "clickhouse-server not found"
	CH_STARTED=1
	trap ch_cleanup EXIT
	CH_URL=$("$E2E_LIB/clickhouse.sh" start "$WORK/ch" 2>"$WORK/ch.start.err") ||
		{ diag "$WORK/ch.start.err"; bail "ClickHouse did not start"; }
}

# ch_sql "statement": its TabSeparated result
ch_sql() { curl -sS "$CH_URL/" --data-binary "$1"; }

# ch_wait_equal SECONDS PG_TABLE=DB.TABLE...: poll until equal
ch_wait_equal() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs; i++)); do
		python3 "$E2E_HERE/ch_compare.py" --quiet "$CH_URL" "$@" && return 0
		sleep 1
	done
	return 1
}

# metric PORT NAME_REGEX: the value of the first matching /metrics line
metric() {
	curl -s "http://127.0.0.1:$1/metrics" | awk -v re="^$2" '$0 ~ re { print $NF; exit }'
}

# stage_props FILE NAME: the properties of a ClickHouse stage running alone
# as member NAME of group $GROUP, consuming $TOPIC into database cdc, with
# /metrics on $PORT
stage_props() {
	cat >"$1" <<EOF
name=$2
kafka.bootstrap.servers=$BOOTSTRAP
kafka.session.timeout.ms=6000
kafka.heartbeat.interval.ms=1000
clickhouse.url=$CH_URL
clickhouse.database=cdc
clickhouse.topics=$TOPIC
clickhouse.group.id=$GROUP
clickhouse.batch.ms=300
http.port=$PORT
EOF
}
