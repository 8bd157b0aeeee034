#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_broker_stop.sh
#	  The Kafka broker stopped for 20 seconds during a load: wal2dbz-sink
#	  loses no committed row.
#
# The sink streams a load (lib_load.py, 100,000 rows in ~10,000
# transactions, stretched over ~70 s) while the broker is stopped twice
# (test/lib/kafka.sh stop: a clean shutdown, not a pause) and started
# again on the same port and data (kafka.sh restart):
#   1. for 20 seconds, with librdkafka's default message.timeout.ms (300 s);
#   2. for 12 seconds, with kafka.message.timeout.ms=5000 (given as the
#      environment variable WAL2DBZ_KAFKA_MESSAGE_TIMEOUT_MS).
# The sink may wait for the broker or stop with a clear error and be
# started again (as a supervisor would, once the broker is back); the test
# finds out which and checks that behaviour: waiting, it must still run,
# have said that the brokers are down, show records in flight and catch
# up by itself; stopping, it must exit non-zero with an error that names
# Kafka.  Either way the slot's confirmed position must not move while
# the broker is away (nothing is acknowledged), must reach the end of the
# load afterwards, and lib_replay.py must find every committed row in
# Kafka with its final value, every change event of the plugin's own
# stream (a second slot) in order per key, and repeats only from a
# restarted process's unacknowledged window.
#
# Also, in the first outage: /health/ready answers 503 with "kafka":"down"
# while /health/live answers 200, and /health/ready is 200 again once the
# sink has caught up; and rows of a table the sink has not produced to
# before (public.kd) arrive while the broker is away: a waiting sink keeps
# trying to create its topic until the broker is back (never for a
# shorter time than the outage), then creates it with the configured
# three partitions and delivers every row.
#
# Usage: test/sink/e2e_broker_stop.sh   (SINK=path, KEEP=1, SEED=n,
#        OUTAGE=seconds, default 20)
# Prints TAP.
#
# test/sink/e2e_broker_stop.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

PREFIX=bs
SLOT=bs_slot
REF=bs_ref
ROWS=100000
CHUNKS=6
OUTAGE=${OUTAGE:-20}
SEED=${SEED:-$RANDOM}
KD_ROWS=30

e2e_init broker-stop
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres
HTTP_PORT=$(free_port)
load_prepare "$ROWS" "$CHUNKS" "$SEED" 0.2
sql "CREATE TABLE public.kd (id int PRIMARY KEY, v text)" >/dev/null || bail "could not create public.kd"

write_props "$WORK/sink.properties" postgres "$PREFIX" "$SLOT" \
	"table.include.list=$LOAD_TABLES,public.kd" \
	"value.converter.schemas.enable=false" \
	"key.converter.schemas.enable=false" \
	"http.port=$HTTP_PORT"

runs=0
start_sink() {	# start_sink [VAR=value...]
	runs=$((runs + 1))
	echo "--- run $runs" >>"$WORK/sink.err"
	sink_start sink "$WORK/sink.properties" "$@"
}
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)"; }
sleep_until() {	# sleep_until EPOCH_SECONDS
	local d
	d=$(echo "$1 - $(date +%s.%N)" | bc)
	[[ $d == -* ]] || sleep "$d"
}

# health CODE|BODY PATH: the status code, or the body, of /health/...
health() {
	if [[ $1 == CODE ]]; then
		curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$HTTP_PORT$2"
	else
		curl -s "http://127.0.0.1:$HTTP_PORT$2"
	fi
}
# wait_ready SECONDS: until /health/ready answers 200
wait_ready() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[[ $(health CODE /health/ready) == 200 ]] && return 0
		sleep 0.2
	done
	return 1
}

start_sink
load_start "$SLOT" "$REF"
check 'wait_ready 30' "/health/ready answers 200 while streaming: $(health BODY /health/ready)"

# outage PHASE STEP SECONDS [VAR=value...]: at chunk STEP of the load, stop
# the broker for SECONDS, start it again, then check what the sink did
# (restarting it with the VARs if it stopped); sets behaviour
: >"$WORK/runs.txt"
outage() {
	local phase=$1 step=$2 len=$3 in_load t_stop c1 c2 ready ready_after live secs i
	while load_running && (($(load_step) < step)); do sleep 0.1; done
	load_running && in_load=1 || in_load=0
	"$E2E_LIB/kafka.sh" stop "$WORK/kafka" 2>>"$WORK/kafka.ctl.err"
	t_stop=$(date +%s.%N)
	note "$phase: broker stopped at $(elapsed) s"
	# rows for a topic that does not exist yet, in the first outage
	if [[ $step -eq 2 ]]; then
		sql "INSERT INTO public.kd SELECT g, 'row ' || g FROM generate_series(1, $KD_ROWS) g" >/dev/null
	fi
	sleep 3
	c1=$(confirmed "$SLOT")
	curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >"$WORK/metrics.$phase" 2>/dev/null
	# readiness: records acknowledged just before the stop may show Kafka
	# as up for a moment; a probe finds it down within seconds
	for ((i = 0; i < (len - 4) * 5; i++)); do
		ready=$(health CODE /health/ready)
		[[ $ready == 503 ]] || ! sink_running sink && break
		sleep 0.2
	done
	ready_after=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t_stop" | bc)")
	health BODY /health/ready >"$WORK/ready.$phase"
	live=$(health CODE /health/live)
	sleep_until "$(echo "$t_stop + $len - 1" | bc)"
	c2=$(confirmed "$SLOT")
	sleep_until "$(echo "$t_stop + $len" | bc)"
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $t_stop" | bc)")
	"$E2E_LIB/kafka.sh" restart "$WORK/kafka" >/dev/null 2>>"$WORK/kafka.ctl.err" ||
		bail "the broker did not start again"
	note "$phase: broker back at $(elapsed) s"
	# (on a busy machine the load may end before the broker is back)
	check '[[ $in_load -eq 1 ]]' "$phase: the broker was stopped while the load ran, for $secs s"
	check '[[ -n $c1 && $c1 == "$c2" ]]' \
		"$phase: nothing was confirmed while the broker was away ($c1 .. $c2)"

	if sink_running sink; then
		behaviour=waited
		note "$phase: the sink waited for the broker"
		check 'grep -q "all Kafka brokers are down" "$WORK/sink.err"' \
			"$phase: the sink waited and said that the brokers were down" || diag "$WORK/sink.err"
		check 'grep -q "^wal2dbz_records_in_flight [1-9]" "$WORK/metrics.$phase"' \
			"$phase: /metrics showed records in flight during the outage" || diag "$WORK/metrics.$phase"
		check '[[ $ready == 503 ]] && grep -q "\"kafka\":\"down\"" "$WORK/ready.$phase"' \
			"$phase: /health/ready answered 503 $ready_after s into the outage: $(cat "$WORK/ready.$phase")"
		check '[[ $live == 200 ]]' "$phase: /health/live answered 200 during the outage ($live)"
	else
		behaviour=exited
		note "$phase: the sink exited with status $rc during the outage:"
		sed -n "/^--- run $runs\$/,\$p" "$WORK/sink.err" | grep "error:" | head -3 | sed 's/^/#   /'
		check '[[ $rc -ne 0 ]]' "$phase: the sink stopped with a non-zero status ($rc)"
		check 'grep -q "error: .*Kafka" < <(sed -n "/^--- run $runs\$/,\$p" "$WORK/sink.err")' \
			"$phase: ... and an error that names Kafka" || diag "$WORK/sink.err"
		end_run
		wait_inactive "$SLOT" 10
		start_sink "${@:4}"
	fi
	wait_confirmed "$SLOT" "$(current_lsn)" 60
	check '[[ $behaviour == exited ]] || sink_running sink' \
		"$phase: the sink caught up with the load after the broker came back ($(elapsed) s)" ||
		diag "$WORK/sink.err"
	check 'wait_ready 30' "$phase: /health/ready answers 200 again: $(health BODY /health/ready)"
}

# the end of a sink process: its confirmed position and the offsets so far
end_run() {
	echo "run $runs $(confirmed "$SLOT")" >>"$WORK/runs.txt"
	end_offsets "$PREFIX" | sed "s/^/hw $runs /" >>"$WORK/runs.txt"
}

# 1: librdkafka's default message.timeout.ms (300 s) outlasts the outage
outage "default timeouts" 2 "$OUTAGE"
behaviour_a=$behaviour
if [[ $behaviour_a == waited ]]; then
	check 'grep -q "topic \"$PREFIX.public.kd\": .*may be down, trying again" "$WORK/sink.err"' \
		"a new topic met the outage: the sink kept trying to create it" || diag "$WORK/sink.err"
fi
kd_parts=$(kcat -b "$BOOTSTRAP" -L -t "$PREFIX.public.kd" 2>/dev/null | grep -c "^ *partition ")
kd_records=$(kcat -b "$BOOTSTRAP" -C -t "$PREFIX.public.kd" -o beginning -e -q 2>/dev/null | grep -c '"op":"c"')
check '[[ $kd_parts -eq 3 && $kd_records -ge $KD_ROWS ]]' \
	"public.kd, first seen during the outage: its topic has 3 partitions ($kd_parts) and all $KD_ROWS rows ($kd_records)"

# 2: with kafka.message.timeout.ms (here from the environment) shorter
# than the outage, the records time out while the broker is away.  The new
# process first produces to every topic, so that the outage meets the
# stream and not the creation of a topic.
sink_stop sink TERM
check '[[ $rc -eq 0 ]]' "SIGTERM between the outages: exits 0" || diag "$WORK/sink.err"
end_run
wait_inactive "$SLOT" 10
start_sink WAL2DBZ_KAFKA_MESSAGE_TIMEOUT_MS=5000
for _ in $(seq 1 150); do
	[[ $(curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
		grep -c "^wal2dbz_records_produced_total{topic=\"$PREFIX\.public\.k[abc]\"} [1-9]") -eq 3 ]] && break
	sleep 0.1
done
outage "message.timeout.ms=5000" 3 12 WAL2DBZ_KAFKA_MESSAGE_TIMEOUT_MS=5000
behaviour_b=$behaviour

wait "$LOAD_PID"
load_rc=$?
check '[[ $load_rc -eq 0 ]]' "the load ran ($(elapsed) s)" || diag "$WORK/load.out"
END=$(current_lsn)
wait_confirmed "$SLOT" "$END" 120
check 'lsn_ge "$C" "$END"' "the slot is confirmed up to the end of the load, $END, at $(elapsed) s (got ${C:-nothing})"
sink_stop sink TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: exits 0" || diag "$WORK/sink.err"

load_replay "$PREFIX" "$REF" "$END"
note "the sink $behaviour_a with default timeouts, $behaviour_b with message.timeout.ms=5000; $(grep -c 'error:' "$WORK/sink.err") error line(s), $(grep -c 'warning:' "$WORK/sink.err") warning(s)"
tap_end
