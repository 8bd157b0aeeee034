# shellcheck shell=bash
#-------------------------------------------------------------------------
#
# snapshot_lib.sh
#	  Helpers of the snapshot tests (e2e_snapshot*.sh).  Sourced, never run.
#
# Gives: TAP output (ok, not_ok, check, diag, bail, merge_checks, finish),
# a work directory with a cleanup trap, PostgreSQL and Kafka from test/lib,
# sink properties, a sink in the background (sink_bg / sink_stop /
# sink_wait_streaming), a concurrent writer (writer_start / writer_wait),
# Kafka dumps and the expected rows for snapshot_check.py.
#
# test/sink/snapshot_lib.sh
#
#-------------------------------------------------------------------------

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
LIB=$TOP/test/lib

n=0
failed=0
SINK_PID=
WRITER_PID=

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$1"; then ok "$2"; else not_ok "$2"; return 1; fi; }
diag() { sed 's/^/#   /' "$@" | tail -20; }
bail() { echo "Bail out! $*"; failed=$((failed + 1)); exit 1; }
finish() { echo "1..$n"; [[ $failed -eq 0 ]]; }

snap_cleanup() {
	trap - EXIT
	[[ -n $WRITER_PID ]] && kill -KILL -- "-$WRITER_PID" 2>/dev/null
	[[ -n $SINK_PID ]] && kill -KILL "$SINK_PID" 2>/dev/null
	"$LIB/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1
	"$LIB/pg.sh" stop "$WORK/pg" >/dev/null 2>&1
	if [[ $failed -ne 0 || -n ${KEEP:-} ]]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}

# snap_init NAME [postgresql.conf line...]: work directory, services
snap_init() {
	local name=$1 env
	shift
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/wal2dbz-$name.XXXXXX") || bail "no work directory"
	chmod 755 "$WORK"	# as root, PostgreSQL runs as "postgres" and must reach WORK/pg
	trap snap_cleanup EXIT
	[[ -x $SINK ]] || bail "no sink at $SINK (make -C sink)"
	command -v kcat >/dev/null || bail "kcat not found"
	env=$("$LIB/pg.sh" start "$WORK/pg" "$@" 2>"$WORK/pg.err") ||
		{ diag "$WORK/pg.err"; bail "PostgreSQL did not start"; }
	eval "$env"
	unset WAL2DBZ_PG_OWNER		# the sink would warn about it
	BOOTSTRAP=$("$LIB/kafka.sh" start "$WORK/kafka" 2>"$WORK/kafka.err") ||
		{ diag "$WORK/kafka.err"; bail "Kafka did not start"; }
	HTTP_PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
}

psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { psql -At -c "$1"; }

# write_props FILE PREFIX SLOT [property=value...]
write_props() {
	local file=$1 prefix=$2 slot=$3 line
	shift 3
	{
		echo "database.hostname=127.0.0.1"
		echo "database.port=$PGPORT"
		echo "database.user=$PGUSER"
		echo "database.dbname=$PGDATABASE"
		echo "topic.prefix=$prefix"
		echo "slot.name=$slot"
		echo "topic.creation.default.partitions=3"
		echo "topic.creation.default.replication.factor=1"
		echo "status.update.interval.ms=500"
		echo "http.port=$HTTP_PORT"
		echo "kafka.bootstrap.servers=$BOOTSTRAP"
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# sink_bg PROPS [option...]: start the sink in the background (log WORK/sink.err)
sink_bg() {
	local props=$1
	shift
	"$SINK" --config "$props" "$@" >>"$WORK/sink.out" 2>>"$WORK/sink.err" &
	SINK_PID=$!
}

# sink_stop SIGNAL: signal the sink and wait; rc is its exit status
sink_stop() {
	rc=
	[[ -n $SINK_PID ]] || return 0
	kill "-$1" "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	rc=$?
	SINK_PID=
}

# sink_wait SECONDS: wait for the sink to exit by itself; rc is its status
sink_wait() {
	local i
	rc=
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SINK_PID" 2>/dev/null; then
		rc=timeout
		sink_stop KILL
		rc=timeout
		return 1
	fi
	wait "$SINK_PID"
	rc=$?
	SINK_PID=
}

metric() { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null | sed -n "s/^$1 //p"; }

# sink_wait_streaming SECONDS: until /health/ready says the source streams
# (it is ready during a snapshot too)
sink_wait_streaming() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[[ $(curl -s "http://127.0.0.1:$HTTP_PORT/health/ready") == *'"source":"streaming"'* ]] && return 0
		kill -0 "$SINK_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

confirmed() { sql "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'"; }
lsn_ge() { [[ -n $1 && -n $2 && $(sql "SELECT '$1'::pg_lsn >= '$2'::pg_lsn") == t ]]; }

# wait_confirmed SLOT LSN SECONDS
wait_confirmed() {
	local i c
	for ((i = 0; i < $3 * 10; i++)); do
		c=$(confirmed "$1")
		lsn_ge "$c" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# state COLUMN SLOT: a column of the sink's state row
state() { sql "SELECT $1 FROM wal2dbz_sink.snapshot_state WHERE slot_name = '$2'"; }

# writer_start COUNT SQL-FILE: run the statements of SQL-FILE COUNT times
# in one psql session, in the background in its own process group
writer_start() {
	local count=$1 file=$2
	setsid bash -c '
		for ((i = 0; i < $1; i++)); do cat "$2"; done | psql -X -q -v ON_ERROR_STOP=1
	' _ "$count" "$file" >"$WORK/writer.out" 2>&1 &
	WRITER_PID=$!
}

writer_wait() {
	wait "$WRITER_PID"
	local r=$?
	WRITER_PID=
	return $r
}

# topics_of PREFIX
topics_of() {
	kcat -b "$BOOTSTRAP" -L -J 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin)["topics"]:
    if t["topic"].startswith(sys.argv[1] + "."):
        print(t["topic"])' "$1" | sort
}

# dump PREFIX OUT: every record of the prefix's topics, as kcat -J lines
dump() {
	local topic
	: >"$2"
	for topic in $(topics_of "$1"); do
		kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -J -q >>"$2" 2>>"$WORK/kcat.err"
	done
}

# expected PREFIX OUT TABLE...: the function's frames of each table now
expected() {
	local prefix=$1 out=$2 t
	shift 2
	: >"$out"
	for t in "$@"; do
		sql "SELECT '$prefix.$t', encode(f, 'hex') FROM wal2dbz.snapshot_frames('$t'::regclass,
			ARRAY['topic.prefix', '$prefix', 'schemas.enable', 'false']) f" |
			tr '|' '\t' >>"$out"
	done
}

# verify NAME ARGS...: run snapshot_check.py, its lines as TAP
verify() {
	local name=$1 line
	shift
	python3 "$HERE/snapshot_check.py" "$@" >"$WORK/$name.check" 2>&1
	while IFS= read -r line; do
		case $line in
			"ok	"*) ok "$name: ${line#ok	}" ;;
			"not ok	"*) not_ok "$name: ${line#not ok	}" ;;
			*) echo "$line" ;;
		esac
	done <"$WORK/$name.check"
}

# count_ops FILE TOPIC: the r records of TOPIC in a dump
count_ops() {
	python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["topic"] != sys.argv[2] or m.get("payload") is None:
        continue
    v = json.loads(m["payload"])
    v = v.get("payload", v) if "schema" in v else v
    if v["op"] == "r":
        n += 1
print(n)
PY
}
