#!/usr/bin/env bash
# Sink benchmark (not a test): wal2dbz-sink draining a slot into a local Kafka broker, next to
# pg_recvlogical draining a slot of the same plugin in framed mode into a file, in the same run
# (the ceiling for the sink: the same decoding, no Kafka). Prints a Markdown table.
#
# Workload (issue #2, as test/bench/decode.sh): ROWS rows of a mixed-type table inserted in one
# transaction, updates of a fifth and deletes of a tenth of them, then ROWS/100 single-row
# transactions. Every slot is created before the workload; the sinks' topics are created before
# it too (each sink first runs to an --endpos before the workload), so the timed runs only stream.
#
# Timed, after the workload has committed, in interleaved rounds after warm-up passes and one
# uncounted round. A long-running broker has its JIT warm; a fresh one is up to twice as slow at
# first and goes on compiling through several runs, on the same two cores as the sink, so every
# sink configuration first drains the workload from a slot of its own, pass after pass, until a
# pass leaves the broker's JIT compiling for less than 0.2 s (jstat; at most WARM_MAX passes,
# default 6; the log says how long it compiled in each pass). Then each slot is drained from its
# start to --endpos=<WAL position after the workload's last commit>. For the sink that is the
# time until every record is acknowledged by Kafka (acks=all, idempotent) and confirmed to
# PostgreSQL, i.e. from the last commit's arrival in the slot to the last Kafka acknowledgement,
# for a backlog of the whole workload; the process exits then. Configurations: value/key
# schemas on and off, times kafka.compression.type none, lz4 and zstd; pg_recvlogical with
# -o output.format=framed -o framed.batch.bytes=65536 and the same schemas setting (the sink
# gets framed.batch.bytes=65536 too). Peak RSS from /usr/bin/time (%M).
#
# Columns: median seconds; change events per second (ROWS + ROWS/5 + ROWS/10 + ROWS/100 events;
# Kafka also gets a tombstone per delete); median CPU seconds (user + system) of the sink or
# pg_recvlogical process itself, which tells the client's share from the server's and the
# broker's; median CPU seconds of PostgreSQL (the postmaster and its processes: the decoding
# walsender); median CPU seconds of the Kafka broker's JVM during the sink's run (on the same
# CPUs as everything else); peak RSS (largest of the rounds); bytes written (the file, or the topic's log
# segments on the broker's disk); the events/s ratio sink / pg_recvlogical for the same
# schemas setting.
#
# Usage: test/bench/sink.sh [ROWS] [ROUNDS]     (defaults 500000, issue #2's half a million, and 3; after make install)
# Environment: SINK (default sink/wal2dbz-sink, else the installed one), PARTITIONS (3),
# SCHEMAS ("false true") and COMPRESSIONS ("none lz4 zstd") to run a subset, WARM_MAX (6),
# JIT_QUIET (0.2 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
ROWS=${1:-500000}
ROUNDS=${2:-3}
WARM_MAX=${WARM_MAX:-6}
PARTITIONS=${PARTITIONS:-3}
BIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
[[ -x $SINK ]] || SINK=$(command -v wal2dbz-sink)
read -ra SCHEMAS <<< "${SCHEMAS:-false true}"
read -ra COMPRESSIONS <<< "${COMPRESSIONS:-none lz4 zstd}"

# shellcheck source=lib.sh
. test/bench/lib.sh
bench_services sinkbench "max_replication_slots = 200" "max_wal_senders = 100" \
  "max_wal_size = 4GB" "shared_buffers = 512MB"
say "PostgreSQL and Kafka up"

$PSQL -c "CREATE EXTENSION wal2dbz" >/dev/null
bench_events_table

props() {  # props SCHEMAS COMPRESSION ROUND [NAME]: a sink configuration, its prefix and slot
  local prefix="${4:-b}_${1}_${2}_$3"
  source_props "$DIR/$prefix.properties" "$prefix" "$prefix" snapshot.mode=no_data \
    "value.converter.schemas.enable=$1" "key.converter.schemas.enable=$1" \
    framed.batch.bytes=65536 http.port=0 "kafka.compression.type=$2"
  echo "$prefix"
}

# slots for every run, then a warm-up row, which creates every sink's topic
for ((r = 0; r <= ROUNDS; r++)); do
  for s in "${SCHEMAS[@]}"; do
    $PSQL -c "SELECT pg_create_logical_replication_slot('r_${s}_$r', 'wal2dbz')" >/dev/null
    for c in "${COMPRESSIONS[@]}"; do
      p=$(props "$s" "$c" "$r")
      $PSQL -c "SELECT pg_create_logical_replication_slot('$p', 'wal2dbz')" >/dev/null
    done
  done
done
# the warm-up passes' slots
for ((k = 1; k <= WARM_MAX; k++)); do
  for s in "${SCHEMAS[@]}"; do
    for c in "${COMPRESSIONS[@]}"; do
      p=$(props "$s" "$c" "$k" w)
      $PSQL -c "SELECT pg_create_logical_replication_slot('$p', 'wal2dbz')" >/dev/null
    done
  done
done
say "slots created"
$PSQL -c "INSERT INTO public.bench_events (event_uuid) VALUES (gen_random_uuid())" >/dev/null
WARM=$($PSQL -c "SELECT pg_current_wal_lsn()")
for ((r = 0; r <= ROUNDS; r++)); do
  for s in "${SCHEMAS[@]}"; do
    $PSQL -c "SELECT pg_replication_slot_advance('r_${s}_$r', '$WARM')" >/dev/null
    for c in "${COMPRESSIONS[@]}"; do
      "$SINK" --config "$DIR/b_${s}_${c}_$r.properties" --endpos="$WARM" 2>>"$DIR/warm.err" ||
        { cat "$DIR/warm.err" >&2; exit 1; }
    done
  done
done

say "topics created; workload: $ROWS rows"
t0=$(date +%s.%N)
bench_workload "$ROWS"
END=$($PSQL -c "SELECT pg_current_wal_lsn()")
$PSQL -c "VACUUM ANALYZE public.bench_events" -c CHECKPOINT   # no autovacuum during the runs
say "workload committed in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s, $(( $($PSQL -c "SELECT pg_wal_lsn_diff('$END', '$WARM')::bigint") / 1048576 )) MB of WAL; end $END" >&2
# change events (the warm-up row has id 1, the workload's rows 2 .. ROWS + 1)
UPDATES=$($PSQL -c "SELECT count(*) FROM generate_series(2, $ROWS + 1) i WHERE i % 5 = 0")
DELETES=$($PSQL -c "SELECT count(*) FROM generate_series(2, $ROWS + 1) i WHERE i % 10 = 0")
EVENTS=$((ROWS + UPDATES + DELETES + ROWS / 100))

warm_pass() {  # warm_pass K: every sink configuration drains the workload from its K-th warm-up slot
  local s c
  for s in "${SCHEMAS[@]}"; do
    for c in "${COMPRESSIONS[@]}"; do
      "$SINK" --config "$DIR/w_${s}_${c}_$1.properties" --endpos="$END" 2>>"$DIR/warm.err" ||
        { tail -5 "$DIR/warm.err" >&2; exit 1; }
    done
  done
}
bench_warm_jit "$WARM_MAX" warm_pass

declare -A secs rss bytes cpu bcpu pgcpu
for ((r = 0; r <= ROUNDS; r++)); do
  w=""; ((r > 0)) || w=warm_   # round 0 warms the broker's JIT and caches; not counted
  for s in "${SCHEMAS[@]}"; do
    p0=$(tree_cpu "$PM")
    timed "${w}recv_$s" "$BIN/pg_recvlogical" -d postgres --slot "r_${s}_$r" --start --no-loop \
      --endpos="$END" -o output.format=framed -o framed.batch.bytes=65536 \
      -o "value.converter.schemas.enable=$s" -o "key.converter.schemas.enable=$s" \
      -o "topic.prefix=b_${s}_$r" -f "$DIR/out" 2>>"$DIR/recv.err"
    pgcpu[${w}recv_$s]+="$(echo "$(tree_cpu "$PM") - $p0" | bc) "
    bytes[${w}recv_$s]=$(stat -c %s "$DIR/out")
    rm -f "$DIR/out"
    for c in "${COMPRESSIONS[@]}"; do
      p="b_${s}_${c}_$r"
      b0=$(proc_cpu "$KAFKA_PID")
      p0=$(tree_cpu "$PM")
      timed "${w}sink_${s}_$c" "$SINK" --config "$DIR/$p.properties" --endpos="$END" 2>>"$DIR/sink.err" ||
        { tail -5 "$DIR/sink.err" >&2; exit 1; }
      bcpu[${w}sink_${s}_$c]+="$(echo "$(proc_cpu "$KAFKA_PID") - $b0" | bc) "
      pgcpu[${w}sink_${s}_$c]+="$(echo "$(tree_cpu "$PM") - $p0" | bc) "
      got=$(topic_records "$p.public.bench_events")
      want=$((1 + EVENTS + DELETES))  # the warm-up row, the events, a tombstone per delete
      [[ $got -eq $want ]] || echo "# WARNING: $p.public.bench_events has $got records, expected $want" >&2
      bytes[${w}sink_${s}_$c]=$(cat "$DIR"/kafka/data/"$p".public.bench_events-*/*.log | wc -c)
    done
  done
  say "round $r done"
done

echo "| $ROWS rows + updates, deletes, $((ROWS / 100)) small transactions ($EVENTS events), $PARTITIONS partitions | seconds (median of $ROUNDS) | events/s | process CPU s | PostgreSQL CPU s | broker CPU s | peak RSS MB | MB written | sink ÷ pg_recvlogical events/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in "${SCHEMAS[@]}"; do
  base=$(echo "${secs[recv_$s]}" | median)
  printf "| pg_recvlogical → file, framed, schemas %s | %.2f | %.0f | %.2f | %.2f | – | %.1f | %.0f | (ceiling) |\n" "$s" \
    "$base" "$(echo "$EVENTS / $base" | bc -l)" "$(echo "${cpu[recv_$s]}" | median)" "$(echo "${pgcpu[recv_$s]}" | median)" \
    "$(echo "${rss[recv_$s]} / 1024" | bc -l)" "$(echo "${bytes[recv_$s]} / 1048576" | bc -l)"
  for c in "${COMPRESSIONS[@]}"; do
    k="sink_${s}_$c"
    m=$(echo "${secs[$k]}" | median)
    printf "| wal2dbz-sink → Kafka, schemas %s, compression %s | %.2f | %.0f | %.2f | %.2f | %.2f | %.1f | %.0f | %.2f |\n" "$s" "$c" \
      "$m" "$(echo "$EVENTS / $m" | bc -l)" "$(echo "${cpu[$k]}" | median)" "$(echo "${pgcpu[$k]}" | median)" "$(echo "${bcpu[$k]}" | median)" \
      "$(echo "${rss[$k]} / 1024" | bc -l)" \
      "$(echo "${bytes[$k]} / 1048576" | bc -l)" "$(echo "$base / $m" | bc -l)"
  done
done
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); Kafka $BOOTSTRAP on this machine" >&2
