#!/usr/bin/env bash
# Snapshot benchmark (not a test): wal2dbz-sink taking an initial snapshot of a mixed-type table
# into a local Kafka broker with snapshot.max.threads=1 and 2, next to
# `COPY (SELECT * FROM t) TO STDOUT` of the same table drained by psql to /dev/null, in the same
# run, in interleaved rounds (the ceiling: the same rows read and rendered as text by the server,
# no JSON, no Kafka), and next to kcat producing the same records again from a file with the
# producer settings and headers the sink uses (Kafka's ceiling: no PostgreSQL, no encoding).
# One more sink run per round leaves out Debezium's four context headers
# (extended.headers.enabled=false): their share of the cost. Prints a Markdown table.
#
# Table: ROWS rows (default 2 million) of bench_snap (bigint key, uuid, int, timestamptz, double,
# numeric(12,2), bool, text, jsonb), vacuumed and analyzed, in shared buffers once the first
# round has read it.
#
# Timed: the sink with snapshot.mode=initial_only, from its start to its exit, which comes after
# every record is acknowledged by Kafka (acks=all, idempotent) and the snapshot is recorded
# complete. That includes creating the slot with its exported snapshot, planning the key chunks
# and creating the topic. Each run has its own slot and topic prefix; the topic is checked to
# hold ROWS records.
#
# Columns: median seconds; rows per second; median CPU seconds (user + system) of the psql or
# sink process itself, of the whole PostgreSQL cluster (postmaster, its children, the reaped
# ones) and of the Kafka broker over the run; peak RSS of the psql or sink process (largest of
# the rounds); the rows/s ratio to COPY and, for 2 threads, to 1 thread: the median over the
# rounds of the ratio within each round (runs close in time share the load of other jobs; the
# thread counts alternate in running first after COPY). The CPU columns
# show where a run's time goes: the three processes share this machine's cores, so when their
# sum approaches cores x seconds the machine, not the sink, sets the pace.
#
# Usage: test/bench/snapshot.sh [ROWS] [ROUNDS]     (defaults 2000000 and 5; after make install)
# Environment: SINK (default sink/wal2dbz-sink, else the installed one), SCHEMAS (value/key
# converter schemas.enable, default false), CHUNK (snapshot.chunk.size, default: the sink's),
# PARTITIONS (3), THREADS ("1 2"), WARM_MAX (6 warm-up snapshots at most; they stop when one
# leaves the broker's JIT compiling for less than JIT_QUIET, 0.2 s, per jstat).
set -euo pipefail
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$(dirname "$0")/../.."
TOP=$PWD
ROWS=${1:-2000000}
ROUNDS=${2:-5}
PARTITIONS=${PARTITIONS:-3}
SCHEMAS=${SCHEMAS:-false}
CHUNK=${CHUNK:-}
read -r -a THREADS <<<"${THREADS:-1 2}"
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
[[ -x $SINK ]] || SINK=$(command -v wal2dbz-sink)

# shellcheck source=lib.sh
. test/bench/lib.sh
bench_services snapbench "max_replication_slots = 100" "max_wal_senders = 100" \
  "max_wal_size = 4GB" "shared_buffers = 1GB"
say "PostgreSQL and Kafka up; filling $ROWS rows"

$PSQL <<SQL >/dev/null
CREATE EXTENSION wal2dbz;
CREATE TABLE public.bench_snap (id bigint PRIMARY KEY, event_uuid uuid NOT NULL, user_id int,
  created_ts timestamptz, signal double precision, amount numeric(12,2), flag bool, name text,
  payload jsonb);
INSERT INTO public.bench_snap
SELECT i, md5(i::text)::uuid, i % 1000, '2024-01-01'::timestamptz + (i || ' s')::interval, i / 7.0,
       (i % 100000) / 100.0, i % 2 = 0, 'user_' || i,
       jsonb_build_object('k', i, 'tags', jsonb_build_array('a', 'b'))
FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE public.bench_snap;
SQL
say "table filled: $($PSQL -c "SELECT pg_size_pretty(pg_table_size('public.bench_snap'))")"

props() {  # props THREADS ROUND [line...]: a sink configuration; prints its prefix
  local prefix="s${1}_$2"
  source_props "$DIR/$prefix.properties" "$prefix" "$prefix" 'table.include.list=public\.bench_snap' \
    snapshot.mode=initial_only "snapshot.max.threads=$1" "${CHUNK:+snapshot.chunk.size=$CHUNK}" \
    "value.converter.schemas.enable=$SCHEMAS" "key.converter.schemas.enable=$SCHEMAS" http.port=0 \
    "${@:3}"
  echo "$prefix"
}

declare -A secs rss cpu pgcpu kcpu
timed_services() {  # timed_services KEY command...: timed, and the CPU seconds of PostgreSQL and Kafka
  local key=$1 pg0 k0
  pg0=$(tree_cpu "$PM")
  k0=$(tree_cpu "$KAFKA_PID")
  timed "$@"
  pgcpu[$key]+="$(echo "$(tree_cpu "$PM") - $pg0" | bc) "
  kcpu[$key]+="$(echo "$(tree_cpu "$KAFKA_PID") - $k0" | bc) "
}

# a first read puts the table in shared buffers for every timed run, and uncounted snapshots
# warm the broker's JIT (a long-running broker's is warm; a fresh one is up to twice as slow)
$PSQL -c "COPY (SELECT * FROM public.bench_snap) TO STDOUT" >/dev/null
"$SINK" --config "$DIR/$(props 1 0).properties" 2>>"$DIR/sink.err" || { tail -5 "$DIR/sink.err" >&2; exit 1; }
say "warm-up snapshot done"
# a broker a minute old goes on compiling for several more runs: more snapshots until it is quiet
warm_pass() {  # warm_pass K: one more uncounted snapshot, its own slot and topics
  "$SINK" --config "$DIR/$(props 1 "0w$1").properties" 2>>"$DIR/sink.err" ||
    { tail -5 "$DIR/sink.err" >&2; exit 1; }
}
bench_warm_jit "${WARM_MAX:-6}" warm_pass

# The other ceiling, Kafka's: the warm-up's records (key TAB value, one per line: the JSON has no
# raw tab or newline) produced again by kcat, with librdkafka configured as the sink configures it
# and the four Debezium context headers the sink adds to each record, into the warm-up's topic
# (its partitions, PARTITIONS). No PostgreSQL at all: what producing these records alone costs.
KCAT_TOPIC=s1_0.public.bench_snap
kcat -C -b "$BOOTSTRAP" -t "$KCAT_TOPIC" -e -q -f '%k\t%s\n' >"$DIR/records.tsv"
[[ $(wc -l <"$DIR/records.tsv") -eq $ROWS ]] || { echo "could not read back $KCAT_TOPIC" >&2; exit 1; }
KCAT=(kcat -P -b "$BOOTSTRAP" -t "$KCAT_TOPIC" -K $'\t' -X enable.idempotence=true -X acks=all
  -X partitioner=murmur2_random -X queue.buffering.max.kbytes=8192 -X compression.type=lz4
  -X linger.ms=20 -H __debezium.context.connectorLogicalName=s1_0
  -H __debezium.context.taskId=0 -H __debezium.context.connectorName=postgresql
  -H __debezium.context.runId=019ab0c2-5c1e-7a3b-9f00-000000000000)
for ((r = 1; r <= ROUNDS; r++)); do
  timed_services copy $PSQL -c "COPY (SELECT * FROM public.bench_snap) TO STDOUT" -o /dev/null
  timed_services kcat "${KCAT[@]}" <"$DIR/records.tsv"
  # the thread counts in turn first, so that neither always runs right after COPY
  order=("${THREADS[@]}")
  ((r % 2 == 0)) && order=($(printf '%s\n' "${THREADS[@]}" | tac))
  for t in "${order[@]}"; do
    p=$(props "$t" "$r")
    timed_services "sink_$t" "$SINK" --config "$DIR/$p.properties" 2>>"$DIR/sink.err" ||
      { tail -5 "$DIR/sink.err" >&2; exit 1; }
    got=$(topic_records "$p.public.bench_snap")
    [[ $got -eq $ROWS ]] || echo "# WARNING: $p.public.bench_snap has $got records, expected $ROWS" >&2
  done
  # what Debezium's context headers cost: the same with them off
  p=$(props 1 "${r}h" extended.headers.enabled=false)
  timed_services nohdr "$SINK" --config "$DIR/$p.properties" 2>>"$DIR/sink.err" ||
    { tail -5 "$DIR/sink.err" >&2; exit 1; }
  say "round $r done: copy ${secs[copy]}; kcat ${secs[kcat]}; no headers ${secs[nohdr]}; $(for t in "${THREADS[@]}"; do echo -n "$t thread(s) ${secs[sink_$t]}; "; done)"
done

nth() { echo "$1" | tr -s ' ' '\n' | grep . | sed -n "${2}p"; }
# ratios of runs of the same round (close in time, so under similar load from other jobs), median
# over the rounds: run A's rows/s over run B's = B's seconds over A's
round_ratio() {  # round_ratio KEY_A KEY_B
  local r out=
  for ((r = 1; r <= ROUNDS; r++)); do
    out+="$(echo "$(nth "${secs[$2]}" "$r") / $(nth "${secs[$1]}" "$r")" | bc -l) "
  done
  echo "$out" | median
}
base=$(echo "${secs[copy]}" | median)
one=
echo "| $ROWS rows, mixed types, schemas $SCHEMAS, $PARTITIONS partitions | seconds (median of $ROUNDS) | rows/s | process CPU s | PostgreSQL CPU s | Kafka CPU s | peak RSS MB | ÷ COPY rows/s (median per round) | ÷ 1 thread rows/s (median per round) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf "| COPY (SELECT * FROM t) TO STDOUT, psql → /dev/null | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f | (ceiling) | |\n" \
  "$base" "$(echo "$ROWS / $base" | bc -l)" "$(echo "${cpu[copy]}" | median)" \
  "$(echo "${pgcpu[copy]}" | median)" "$(echo "${kcpu[copy]}" | median)" \
  "$(echo "${rss[copy]} / 1024" | bc -l)"
m=$(echo "${secs[kcat]}" | median)
printf "| the same records produced by kcat (librdkafka as the sink sets it, with the 4 context headers), no PostgreSQL | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f | %.2f | |\n" \
  "$m" "$(echo "$ROWS / $m" | bc -l)" "$(echo "${cpu[kcat]}" | median)" \
  "$(echo "${pgcpu[kcat]}" | median)" "$(echo "${kcpu[kcat]}" | median)" \
  "$(echo "${rss[kcat]} / 1024" | bc -l)" "$(round_ratio kcat copy)"
for t in "${THREADS[@]}"; do
  m=$(echo "${secs[sink_$t]}" | median)
  vs_one=
  if [[ -z $one ]]; then one=$t; else vs_one=$(printf '%.2f' "$(round_ratio "sink_$t" "sink_$one")"); fi
  printf "| wal2dbz-sink snapshot → Kafka, snapshot.max.threads=%s | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f | %.2f | %s |\n" "$t" \
    "$m" "$(echo "$ROWS / $m" | bc -l)" "$(echo "${cpu[sink_$t]}" | median)" \
    "$(echo "${pgcpu[sink_$t]}" | median)" "$(echo "${kcpu[sink_$t]}" | median)" \
    "$(echo "${rss[sink_$t]} / 1024" | bc -l)" "$(round_ratio "sink_$t" copy)" \
    "$vs_one"
done
m=$(echo "${secs[nohdr]}" | median)
printf "| wal2dbz-sink snapshot → Kafka, snapshot.max.threads=1, extended.headers.enabled=false | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f | %.2f | |\n" \
  "$m" "$(echo "$ROWS / $m" | bc -l)" "$(echo "${cpu[nohdr]}" | median)" \
  "$(echo "${pgcpu[nohdr]}" | median)" "$(echo "${kcpu[nohdr]}" | median)" \
  "$(echo "${rss[nohdr]} / 1024" | bc -l)" "$(round_ratio nohdr copy)"
echo "# load average at start $LOAD0"  >&2
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL and Kafka $BOOTSTRAP on this machine" >&2
