# shellcheck shell=bash
#-------------------------------------------------------------------------
#
# lib_e2e.sh
#	  Shared helpers of the end-to-end tests of wal2dbz-sink that stress
#	  durability (e2e_kill.sh, e2e_broker_stop.sh, e2e_idle_slot.sh,
#	  e2e_two_databases.sh).  Sourced, never run.
#
# Gives: TAP output (ok, not_ok, check, diag, bail, tap_merge, tap_end),
# a work directory with a cleanup trap that stops everything the test
# started (sinks, background loads, the broker, PostgreSQL), the services
# of test/lib, sink properties, sinks started and stopped by name, slot
# positions and LSN arithmetic, a dump of a prefix's topics, and the
# durability load of lib_load.py with its replay against Kafka (load_*).
#
# Usage, from a test:
#	. "$(dirname "$0")/lib_e2e.sh"
#	e2e_init kill                 # WORK=/tmp/wal2dbz-kill.XXXXXX, trap
#	e2e_start_pg [conf line...]   # exports PGHOST, PGPORT, PGUSER, ...
#	e2e_start_kafka               # BOOTSTRAP=127.0.0.1:port
#
# Environment: SINK (default sink/wal2dbz-sink of this tree, else the
# installed wal2dbz-sink), KEEP=1 keeps the work directory.
#
# test/sink/lib_e2e.sh
#
#-------------------------------------------------------------------------

E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_HERE/../.." && pwd)
E2E_LIB=$E2E_TOP/test/lib
SINK=${SINK:-$E2E_TOP/sink/wal2dbz-sink}
if [[ ! -x $SINK ]] && command -v wal2dbz-sink >/dev/null; then
	SINK=$(command -v wal2dbz-sink)
fi

n=0
failed=0
WORK=
E2E_PG=0
E2E_KAFKA=0
declare -A SINK_PIDS=()		# sink name -> pid of a running sink
declare -a BG_PIDS=()		# process groups of background loads

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$1"; then ok "$2"; else not_ok "$2"; return 1; fi; }
diag() { sed 's/^/#   /' "$@" | tail -20; }
note() { echo "# $*"; }
# a "not ok" line first, so that runners that only count ok/not ok lines
# (test/run-all.sh) see the failure
bail() { not_ok "$*"; echo "Bail out! $*"; exit 1; }

# Print the TAP lines of a helper (numbered from n + 1) and count them.
tap_merge() {
	local file=$1 line
	while IFS= read -r line; do
		echo "$line"
		case $line in
			"ok "*) n=$((n + 1)) ;;
			"not ok "*) n=$((n + 1)); failed=$((failed + 1)) ;;
		esac
	done <"$file"
}

tap_end() {
	echo "1..$n"
	[[ $failed -eq 0 ]]
}

e2e_cleanup() {
	local name pid
	trap - EXIT INT TERM
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL -- "-$pid" 2>/dev/null
	done
	for name in "${!SINK_PIDS[@]}"; do
		kill -KILL "${SINK_PIDS[$name]}" 2>/dev/null
	done
	if [[ $E2E_KAFKA -eq 1 ]]; then
		"$E2E_LIB/kafka.sh" resume "$WORK/kafka" >/dev/null 2>&1
		"$E2E_LIB/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1
	fi
	[[ $E2E_PG -eq 1 ]] && "$E2E_LIB/pg.sh" stop "$WORK/pg" >/dev/null 2>&1
	if [[ -n $WORK ]]; then
		if [[ $failed -ne 0 || -n ${KEEP:-} ]]; then
			echo "# work directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}

# e2e_init NAME: work directory and cleanup trap.
e2e_init() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/wal2dbz-$1.XXXXXX") || bail "no work directory"
	chmod 755 "$WORK"	# as root, PostgreSQL runs as "postgres" and must reach WORK/pg
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	[[ -x $SINK ]] || bail "no sink at $SINK (make -C sink)"
	command -v kcat >/dev/null || bail "kcat not found"
}

# e2e_start_pg [postgresql.conf line...]
# shellcheck disable=SC2120
e2e_start_pg() {
	local env
	E2E_PG=1
	env=$("$E2E_LIB/pg.sh" start "$WORK/pg" "$@" 2>"$WORK/pg.start.err") ||
		{ diag "$WORK/pg.start.err"; bail "PostgreSQL did not start"; }
	eval "$env"
	unset WAL2DBZ_PG_OWNER	# a pg.sh variable the sink would warn about
}

e2e_start_kafka() {
	E2E_KAFKA=1
	BOOTSTRAP=$("$E2E_LIB/kafka.sh" start "$WORK/kafka" 2>"$WORK/kafka.start.err") ||
		{ diag "$WORK/kafka.start.err"; bail "Kafka did not start"; }
}

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# psql to database ${DB:-$PGDATABASE}; sql "statement" prints unaligned rows
e2e_psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "${DB:-$PGDATABASE}" "$@"; }
sql() { e2e_psql -At -c "$1"; }

# write_props FILE DBNAME PREFIX SLOT [property=value...]
write_props() {
	local file=$1 db=$2 prefix=$3 slot=$4 line
	shift 4
	{
		echo "database.hostname=127.0.0.1"
		echo "database.port=$PGPORT"
		echo "database.user=$PGUSER"
		echo "database.dbname=$db"
		echo "topic.prefix=$prefix"
		echo "slot.name=$slot"
		echo "snapshot.mode=no_data"
		echo "topic.creation.default.partitions=3"
		echo "topic.creation.default.replication.factor=1"
		echo "status.update.interval.ms=1000"
		echo "kafka.bootstrap.servers=$BOOTSTRAP"
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# sink_start NAME PROPS [VAR=value...] [-- sink option...]: in the
# background, stderr to WORK/NAME.err
sink_start() {
	local name=$1 props=$2
	local -a envs=() opts=()
	shift 2
	while [[ $# -gt 0 && $1 != -- ]]; do envs+=("$1"); shift; done
	[[ ${1:-} == -- ]] && shift
	opts=("$@")
	env "${envs[@]}" "$SINK" --config "$props" "${opts[@]}" \
		>>"$WORK/$name.out" 2>>"$WORK/$name.err" &
	SINK_PIDS[$name]=$!
}

# sink_stop NAME SIGNAL: signal it and wait; sets rc to its exit status
sink_stop() {
	local name=$1 sig=$2 pid=${SINK_PIDS[$1]:-}
	rc=
	[[ -n $pid ]] || return 0
	kill "-$sig" "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null	# no "Killed" line from the shell
	rc=$?
	unset "SINK_PIDS[$name]"
}

# sink_running NAME: is it still alive?  If not, reap it and set rc.
# shellcheck disable=SC2034
sink_running() {
	local name=$1 pid=${SINK_PIDS[$1]:-}
	[[ -n $pid ]] || return 1
	if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]; then
		return 0
	fi
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	unset "SINK_PIDS[$name]"
	return 1
}

# sink_wait NAME SECONDS: wait for it to exit by itself (SIGKILL after
# SECONDS); sets rc (137 if it had to be killed)
sink_wait() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		sink_running "$1" || return 0
		sleep 0.2
	done
	sink_stop "$1" KILL
}

# bg_start FILE command...: a background job in its own process group
# (killed as a group by the cleanup); its pid in BG_PID
bg_start() {
	local out=$1
	shift
	setsid "$@" >"$out" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# slot_col SLOT COLUMN [DB]: a column of pg_replication_slots
slot_col() {
	DB=${3:-$PGDATABASE} sql "SELECT $2 FROM pg_replication_slots WHERE slot_name = '$1'" 2>/dev/null
}
confirmed() { slot_col "$1" confirmed_flush_lsn; }

# wait_inactive SLOT SECONDS: until no walsender holds the slot (the one of
# a killed sink ends when it notices the closed connection), or there is
# no such slot
wait_inactive() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ $(slot_col "$1" active) != t ]] && return 0	# f, or no such slot
		sleep 0.1
	done
	return 1
}
# wait_active SLOT SECONDS: until a walsender streams from the slot: a sink
# just started has created its slot by then, so what is written from then
# on is in it (written before, it is not, and never reaches Kafka)
wait_active() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ $(slot_col "$1" active) == t ]] && return 0
		sleep 0.1
	done
	return 1
}
current_lsn() { sql "SELECT pg_current_wal_lsn()"; }
lsn_ge() { [[ -n $1 && -n $2 && $(sql "SELECT '$1'::pg_lsn >= '$2'::pg_lsn") == t ]]; }
lsn_diff() { sql "SELECT pg_wal_lsn_diff('$1', '$2')::bigint"; }

# wait_confirmed SLOT LSN SECONDS: until the slot is confirmed up to LSN;
# leaves the last value in C
wait_confirmed() {
	local slot=$1 lsn=$2 i
	for ((i = 0; i < $3 * 5; i++)); do
		C=$(confirmed "$slot")
		lsn_ge "$C" "$lsn" && return 0
		sleep 0.2
	done
	return 1
}

# topics_of PREFIX: the topics whose name starts with PREFIX.
topics_of() {
	kcat -b "$BOOTSTRAP" -L -J 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin)["topics"]:
    if t["topic"].startswith(sys.argv[1] + "."):
        print(t["topic"])' "$1"
}

# dump_topics PREFIX OUT: every record of PREFIX.* as kcat -J lines
dump_topics() {
	local topic
	: >"$2"
	for topic in $(topics_of "$1"); do
		kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -J -q >>"$2" 2>>"$WORK/kcat.err"
	done
}

# dump_topics_tsv PREFIX OUT: every record of PREFIX.* as "topic TAB
# partition TAB offset TAB key TAB value" lines, NULL for a null key or
# value (JSON text has no raw tab or newline); much smaller than -J
dump_topics_tsv() {
	local topic
	: >"$2"
	for topic in $(topics_of "$1"); do
		kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -q -Z \
			-f '%t\t%p\t%o\t%k\t%s\n' >>"$2" 2>>"$WORK/kcat.err"
	done
}

# end_offsets PREFIX: "topic partition end-offset" lines
end_offsets() {
	local topic p
	local -a args=()
	for topic in $(topics_of "$1"); do
		for p in $(kcat -b "$BOOTSTRAP" -L -t "$topic" 2>/dev/null |
			sed -n 's/^ *partition \([0-9]*\),.*/\1/p'); do
			args+=(-t "$topic:$p:-1")
		done
	done
	[[ ${#args[@]} -gt 0 ]] || return 0
	kcat -b "$BOOTSTRAP" -Q "${args[@]}" 2>/dev/null |
		sed -n 's/^\([^ ]*\) \[\([0-9]*\)\] offset \([0-9-]*\).*/\1 \2 \3/p'
}

# --- the durability load (e2e_kill.sh, e2e_broker_stop.sh) -------------
# lib_load.py's tables: public.ka (key id), kb (key a, b), kc (key id,
# REPLICA IDENTITY FULL); public.kx holds the load's current step.
LOAD_TABLES="public.ka,public.kb,public.kc"

# load_prepare ROWS CHUNKS SEED PAUSE: write the load into WORK (chunk_N.sql)
# and create its tables
load_prepare() {
	LOAD_CHUNKS=$2
	python3 "$E2E_HERE/lib_load.py" "$WORK" "$1" "$2" "$3" "$4" >"$WORK/load.summary" ||
		bail "could not write the load"
	note "$(cat "$WORK/load.summary")"
	{ echo "CREATE EXTENSION IF NOT EXISTS wal2dbz;"; cat "$WORK/schema.sql"; } | e2e_psql >/dev/null ||
		bail "could not create the tables"
}

# load_start SLOT REF: once the sink just started has created SLOT, create
# the reference slot REF and run the chunks in the background, one psql
# after the other (LOAD_PID); t0 is when the load started
# shellcheck disable=SC2016,SC2034
load_start() {
	local slot=$1 ref=$2 c
	local -a chunks=()
	for _ in $(seq 1 100); do [[ -n $(confirmed "$slot") ]] && break; sleep 0.1; done
	check '[[ -n $(confirmed "$slot") ]]' "the sink created its slot" || bail "no slot"
	sql "SELECT pg_create_logical_replication_slot('$ref', 'wal2dbz')" >/dev/null || bail "no reference slot"
	t0=$(date +%s.%N)
	for c in $(seq 1 "$LOAD_CHUNKS"); do chunks+=("$WORK/chunk_$c.sql"); done
	bg_start "$WORK/load.out" bash -c 'for f in "$@"; do psql -X -q -v ON_ERROR_STOP=1 -f "$f" || exit 1; done' _ \
		"${chunks[@]}"
	LOAD_PID=$BG_PID
}
load_running() { kill -0 "$LOAD_PID" 2>/dev/null && [[ $(ps -o stat= -p "$LOAD_PID") != Z* ]]; }
load_step() { sql "SELECT step FROM public.kx" || echo 0; }

# load_replay PREFIX REF END: the plugin's own stream of REF up to END (each
# change event with its transaction's commit position), every record of
# PREFIX.* in Kafka and the tables' final rows, compared by lib_replay.py
# (WORK/runs.txt: each process's confirmed position and end offsets)
load_replay() {
	local prefix=$1 ref=$2 end=$3 t
	e2e_psql -At -F $'\t' -c "SELECT lsn, xid, data FROM pg_logical_slot_get_changes('$ref', '$end', NULL,
		'output.format', 'record', 'topic.prefix', '$prefix', 'table.include.list', '$LOAD_TABLES',
		'value.converter.schemas.enable', 'false', 'key.converter.schemas.enable', 'false',
		'provide.transaction.metadata', 'true')" >"$WORK/reference.tsv" || bail "could not read the reference slot"
	sql "SELECT pg_drop_replication_slot('$ref')" >/dev/null
	# the load's topics only: a test may add its own beside them
	dump_topics_tsv "$prefix" "$WORK/kafka.all.tsv"
	grep -E "^$prefix\.public\.k[abc]"$'\t' "$WORK/kafka.all.tsv" >"$WORK/kafka.tsv"
	for t in ka kb kc; do
		sql "SELECT row_to_json(t) FROM public.$t t" >"$WORK/$t.jsonl"
	done
	python3 "$E2E_HERE/lib_replay.py" --first $((n + 1)) --partitions 3 --kafka "$WORK/kafka.tsv" \
		--table "$prefix.public.ka=$WORK/ka.jsonl:id" \
		--table "$prefix.public.kb=$WORK/kb.jsonl:a,b" \
		--table "$prefix.public.kc=$WORK/kc.jsonl:id" \
		--reference "$WORK/reference.tsv" --runs "$WORK/runs.txt" >"$WORK/replay.tap" 2>&1
	tap_merge "$WORK/replay.tap"
	check '[[ -s $WORK/replay.tap ]] && ! grep -q "^Traceback" "$WORK/replay.tap"' "the replay ran"
}
