#!/usr/bin/env bash
# Side-by-side benchmark (not a test): the real Debezium PostgreSQL connector (3.6.3, in a Kafka
# Connect standalone worker, pgoutput, JsonConverter with schemas as Connect's default: on) and
# wal2dbz-sink (plugin wal2dbz, same schemas setting), both producing to the same local Kafka
# broker, in the same run, one after the other (never at the same time). Prints Markdown tables.
#
# Throughput (issue #2's workload, as test/bench/decode.sh): ROWS rows of the mixed-type table in
# one transaction, updates of a fifth, deletes of a tenth (delete + tombstone), then ROWS/100
# single-row transactions. Every pipeline has its own slot, created before the workload, so all
# read the same WAL as a backlog. Per pipeline and compression (COMPRESSIONS):
#   startup s    process start -> its walsender runs START_REPLICATION
#   stream s     START_REPLICATION -> the last record is in Kafka (end offset of the topic,
#                polled with kcat every ~50 ms; every record is acknowledged with acks=all)
#   events/s     Kafka records / stream s (tombstones count: they are records Debezium writes)
#   peak RSS     VmHWM of the process (/proc/PID/status; the sink: GNU time's maximum RSS)
#   CPU s        user+system of the process while streaming (START_REPLICATION -> last record),
#                and in () from process start (JVM and Connect start-up included)
#   PG CPU s     user+system of the whole PostgreSQL cluster over the run (postmaster and every
#                child, exited ones through the postmaster's cutime/cstime): walsender decoding
#                (the JSON is built there for wal2dbz), Debezium's JDBC queries, background work
# Latency: a fresh slot per pipeline, the pipeline streaming and warmed up (WARMUP s at the rate),
# then RATE single-row INSERT transactions per second for SECONDS s (pgbench --rate); latency =
# broker append time of the record (topics use LogAppendTime) - its commit time (source.ts_us).
# Debezium is run with its default poll.interval.ms (500) and with DBZ_FAST_POLL_MS (50).
#
# Producer settings, the same for both (Debezium's docs leave them to Kafka's producer tuning
# advice: larger batches, some linger, compression): batch.size=1048576 (librdkafka's default, the
# Java client's max.request.size; records with schemas are ~3 kB and there is one partition, so
# 128 kB batches cost the sink 3x its CPU), linger.ms=10, acks=all, idempotence on, 5 requests
# in flight (Connect's own default is 1), compression none or lz4. Debezium connector: max.batch.size=8192,
# max.queue.size=32768 (raised from 2048/8192 for throughput), snapshot.mode=no_data;
# JVM -Xms256m -Xmx2g as Kafka's connect-standalone.sh. wal2dbz-sink: its defaults otherwise.
#
# Usage: test/bench/debezium.sh [ROWS] [RATE] [SECONDS]    (defaults 200000, 2000, 30)
# env:   COMPRESSIONS ("none lz4"), BATCH_SIZE (1048576), LINGER_MS (10), WARMUP (5),
#        DBZ_FAST_POLL_MS (50), BENCH_KEEP=1 (keep the work dir), JAVA_HOME (see
#        test/debezium/jdk.sh), PG_BINDIR, WAL2DBZ_CACHE.  SECONDS=0 skips the latency part.
# Needs: make install (plugin + wal2dbz-sink), Java 17+, Maven or cached Debezium and Kafka jars,
# kcat, pgbench, GNU time. Run as root or as a user that can run test/lib/pg.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
ROWS=${1:-200000}
RATE=${2:-2000}
SECS=${3:-30}
COMPRESSIONS=${COMPRESSIONS:-none lz4}
WARMUP=${WARMUP:-5}
FAST_POLL=${DBZ_FAST_POLL_MS:-50}
BATCH=${BATCH_SIZE:-1048576}
LINGER=${LINGER_MS:-10}
BIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
export PG_BINDIR=$BIN TZ=UTC
CMDLINE="test/bench/debezium.sh $*"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
HZ=$(getconf CLK_TCK)

# shellcheck source=lib.sh
. test/bench/lib.sh
say() { echo "# $*" >&2; }
die() { echo "debezium.sh: $*" >&2; exit 1; }

for c in wal2dbz-sink kcat "$BIN/pgbench" /usr/bin/time python3; do
  command -v "$c" >/dev/null || die "$c not found"
done
dbzlib=$(test/debezium/fetch.sh) || die "no Debezium jars (test/debezium/fetch.sh)"
# shellcheck source=../debezium/jdk.sh
. test/debezium/jdk.sh
dbz_choose_jdk

DIR=$(mktemp -d /tmp/wal2dbz-dbzbench.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  test/lib/kafka.sh stop "$DIR/kafka" >/dev/null 2>&1 || true
  test/lib/pg.sh stop "$DIR/pg" >/dev/null 2>&1 || true
  if [[ -n ${BENCH_KEEP:-} ]]; then say "work dir kept: $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pgenv=$(test/lib/pg.sh start "$DIR/pg" "max_wal_size = 4GB" "shared_buffers = 512MB" \
  "autovacuum = off" "TimeZone = 'UTC'" 2>"$DIR/pg.sh.log") || { cat "$DIR/pg.sh.log" >&2; die "PostgreSQL did not start"; }
eval "$pgenv"
export PGDATABASE=bench
PM=$(head -1 "$DIR/pg/data/postmaster.pid")
BS=$(test/lib/kafka.sh start "$DIR/kafka" 2>"$DIR/kafka.sh.log") || { cat "$DIR/kafka.sh.log" >&2; die "Kafka did not start"; }
KLIB=${WAL2DBZ_CACHE:-$HOME/.cache/wal2dbz}/kafka-${KAFKA_VERSION:-4.1.1}/lib
# every topic created from now on stamps records with the broker's append time
java -Dlog4j2.configurationFile="$(dirname "$KLIB")/config/log4j2-tools.properties" -cp "$KLIB/*" \
  kafka.admin.ConfigCommand --bootstrap-server "$BS" --entity-type brokers --entity-default \
  --alter --add-config log.message.timestamp.type=LogAppendTime >"$DIR/config.log" 2>&1 \
  || { cat "$DIR/config.log" >&2; die "could not set log.message.timestamp.type"; }
PSQL="$BIN/psql -X -qAt -v ON_ERROR_STOP=1"
$PSQL -d postgres -c "CREATE DATABASE bench"
bench_events_table
$PSQL -c "CREATE PUBLICATION bench_pub FOR TABLE bench_events"

# ---- helpers -------------------------------------------------------------------------------
cpu_of() {   # CPU seconds (user+system) of PID so far; empty when gone
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  read -r -a f <<<"$s"
  echo "scale=2; (${f[11]} + ${f[12]}) / $HZ" | bc
}
hwm_of() {   # peak RSS of PID in MB
  awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || true
}
walsender_streaming() {   # true once a walsender of this cluster runs START_REPLICATION
  pgrep -P "$PM" -f 'walsender.*START_REPLICATION' >/dev/null
}
end_offset() {   # records in TOPIC (one partition); 0 when it does not exist yet
  { kcat -b "$BS" -Q -t "$1:0:-1" 2>/dev/null || true; } | awk '/offset/ { print $NF; f = 1 } END { if (!f) print 0 }'
}
now() { date +%s.%N; }

# Kafka Connect standalone worker running Debezium: start_debezium NAME TOPIC_PREFIX SLOT COMPRESSION [conn prop...]
start_debezium() {
  local name=$1 prefix=$2 slot=$3 comp=$4 d=$DIR/$1
  shift 4
  mkdir -p "$d"
  cat > "$d/worker.properties" <<EOF
bootstrap.servers=$BS
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.storage.file.filename=$d/offsets
offset.flush.interval.ms=10000
listeners=http://127.0.0.1:0
plugin.discovery=only_scan
producer.batch.size=$BATCH
producer.linger.ms=$LINGER
producer.compression.type=$comp
producer.acks=all
producer.enable.idempotence=true
producer.max.in.flight.requests.per.connection=5
EOF
  {
    echo "name=$name"
    echo "connector.class=io.debezium.connector.postgresql.PostgresConnector"
    echo "database.hostname=127.0.0.1"
    echo "database.port=$PGPORT"
    echo "database.user=$PGUSER"
    echo "database.password=unused"
    echo "database.dbname=bench"
    echo "topic.prefix=$prefix"
    echo "plugin.name=pgoutput"
    echo "slot.name=$slot"
    echo "publication.name=bench_pub"
    echo "publication.autocreate.mode=disabled"
    echo "snapshot.mode=no_data"
    echo "table.include.list=public.bench_events"
    echo "max.batch.size=8192"
    echo "max.queue.size=32768"
    printf '%s\n' "$@"
  } > "$d/connector.properties"
  "$DBZ_JAVA" -Xms256m -Xmx2g -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$TOP/test/debezium/log4j2.properties" -cp "$dbzlib/*" \
    org.apache.kafka.connect.cli.ConnectStandalone "$d/worker.properties" "$d/connector.properties" \
    > "$d/connect.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}

# wal2dbz-sink under GNU time: start_sink NAME TOPIC_PREFIX SLOT COMPRESSION [sink args...]
start_sink() {
  local name=$1 prefix=$2 slot=$3 comp=$4 d=$DIR/$1
  shift 4
  mkdir -p "$d"
  cat > "$d/connector.properties" <<EOF
name=$name
connector.class=io.debezium.connector.postgresql.PostgresConnector
plugin.name=wal2dbz
database.hostname=127.0.0.1
database.port=$PGPORT
database.user=$PGUSER
database.dbname=bench
topic.prefix=$prefix
slot.name=$slot
snapshot.mode=no_data
table.include.list=public.bench_events
http.port=0
kafka.bootstrap.servers=$BS
kafka.batch.size=$BATCH
kafka.linger.ms=$LINGER
kafka.compression.type=$comp
EOF
  /usr/bin/time -f '%e %U %S %M' -o "$d/time" \
    wal2dbz-sink --config "$d/connector.properties" "$@" > "$d/sink.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}

stop_pid() {  # SIGTERM to the pipeline (the sink, not GNU time around it), wait for PID
  local c
  [[ " ${PIDS[*]} " == *" $1 "* ]] || return 0
  c=$(pgrep -P "$1" || true)
  # shellcheck disable=SC2086  # c may be several pids
  kill ${c:-$1} 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}
forget() {   # PID has been waited for: never signal it again
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# ---- throughput ----------------------------------------------------------------------------
EXPECT=$((ROWS + ROWS / 5 + 2 * (ROWS / 10) + ROWS / 100))
for comp in $COMPRESSIONS; do
  $PSQL -c "SELECT pg_create_logical_replication_slot('dbz_$comp', 'pgoutput')" >/dev/null
  $PSQL -c "SELECT pg_create_logical_replication_slot('w2d_$comp', 'wal2dbz')" >/dev/null
done
say "workload: $ROWS rows, updates, deletes, $((ROWS / 100)) small transactions ($EXPECT Kafka records)"
t0=$(now)
bench_workload "$ROWS"
END=$($PSQL -c "SELECT pg_current_wal_lsn()")
$PSQL -c "CHECKPOINT"
say "workload written in $(echo "$(now) - $t0" | bc | xargs printf '%.1f') s, up to $END"

declare -A R   # results: R[label,field]
LABELS=()
run_throughput() {   # run_throughput dbz|w2d COMPRESSION
  local kind=$1 comp=$2 label topic pgb pga tl ts te cs ce n
  topic=${kind}_$comp.public.bench_events
  if [[ $kind == dbz ]]; then label="Debezium 3.6.3 (Connect), $comp"; else label="wal2dbz-sink, $comp"; fi
  LABELS+=("$label")
  pgb=$(tree_cpu "$PM")
  tl=$(now) ts='' cs=0
  if [[ $kind == dbz ]]; then
    start_debezium "tp_${kind}_$comp" "${kind}_$comp" "${kind}_$comp" "$comp"
  else
    start_sink "tp_${kind}_$comp" "${kind}_$comp" "${kind}_$comp" "$comp" --endpos="$END"
  fi
  local pid=$PID deadline
  deadline=$(echo "$tl + 1800" | bc)
  while :; do
    if [[ -z $ts ]] && walsender_streaming; then
      ts=$(now); [[ $kind == dbz ]] && cs=$(cpu_of "$pid")
    fi
    if [[ -n $ts ]]; then
      n=$(end_offset "$topic")
      if (( n >= EXPECT )); then te=$(now); break; fi
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      n=$(end_offset "$topic")
      if (( n >= EXPECT )) && [[ -n $ts ]]; then te=$(now); break; fi
      tail -n 20 "$DIR/tp_${kind}_$comp/"*.log >&2; die "$label exited early ($n records)"
    fi
    (( $(echo "$(now) > $deadline" | bc) )) && die "$label: no $EXPECT records after 30 minutes (have ${n:-0})"
    sleep 0.05
  done
  if [[ $kind == dbz ]]; then
    ce=$(cpu_of "$pid"); R[$label,rss]=$(hwm_of "$pid"); pga=$(tree_cpu "$PM")
    R[$label,cpu]=$(echo "$ce - $cs" | bc); R[$label,cputot]=$ce
    stop_pid "$pid"
  else
    wait "$pid" || { tail -n 20 "$DIR/tp_${kind}_$comp/sink.log" >&2; die "$label failed"; }
    forget "$pid"
    sleep 0.3   # the postmaster reaps the walsender
    pga=$(tree_cpu "$PM")
    read -r _ u s m < "$DIR/tp_${kind}_$comp/time"
    R[$label,rss]=$((m / 1024)); R[$label,cpu]=$(echo "$u + $s" | bc); R[$label,cputot]=${R[$label,cpu]}
  fi
  n=$(end_offset "$topic")
  (( n == EXPECT )) || say "warning: $label wrote $n records, expected $EXPECT"
  R[$label,n]=$n
  R[$label,startup]=$(echo "$ts - $tl" | bc)
  R[$label,secs]=$(echo "$te - $ts" | bc)
  R[$label,eps]=$(echo "$n / (${R[$label,secs]})" | bc)
  R[$label,pgcpu]=$(echo "$pga - $pgb" | bc)
  say "$label: $n records in ${R[$label,secs]} s, RSS ${R[$label,rss]} MB, CPU ${R[$label,cpu]} s, PG CPU ${R[$label,pgcpu]} s"
}
for comp in $COMPRESSIONS; do
  run_throughput dbz "$comp"
  run_throughput w2d "$comp"
done

# ---- latency at a steady rate --------------------------------------------------------------
LCOMP=${COMPRESSIONS%% *}
echo "INSERT INTO bench_events (event_uuid, user_id, created_ts, signal, amount, flag, name) VALUES (gen_random_uuid(), 1, now(), 0.5, 1.25, true, 'steady');" > "$DIR/steady.sql"
pgbench_rate() {   # pgbench_rate SECONDS -> prints the number of transactions done
  "$BIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" -d bench -f "$DIR/steady.sql" \
    -R "$RATE" -T "$1" -c 4 -j 2 2>/dev/null | awk '/actually processed/ { print $NF }' | cut -d/ -f1
}
declare -A L
LLABELS=()
run_latency() {   # run_latency LABEL dbz|w2d NAME [connector props...]
  local label=$1 kind=$2 name=$3 topic n1 n2 start_us i
  shift 3
  topic=$name.public.bench_events
  LLABELS+=("$label")
  $PSQL -c "SELECT pg_create_logical_replication_slot('$name', '$([[ $kind == dbz ]] && echo pgoutput || echo wal2dbz)')" >/dev/null
  if [[ $kind == dbz ]]; then start_debezium "lat_$name" "$name" "$name" "$LCOMP" "$@"
  else start_sink "lat_$name" "$name" "$name" "$LCOMP"; fi
  local pid=$PID
  for ((i = 0; i < 1200; i++)); do walsender_streaming && break; sleep 0.1; done
  walsender_streaming || die "$label did not start streaming"
  sleep 2
  n1=$(pgbench_rate "$WARMUP")
  sleep 2
  start_us=$(date +%s%6N)
  n2=$(pgbench_rate "$SECS")
  for ((i = 0; i < 1200; i++)); do (( $(end_offset "$topic") >= n1 + n2 )) && break; sleep 0.1; done
  stop_pid "$pid"
  kcat -b "$BS" -C -t "$topic" -e -q -f '%T\t%s\n' > "$DIR/lat_$name.tsv"
  read -r "L[$label,n]" "L[$label,p50]" "L[$label,p99]" "L[$label,max]" < <(python3 - "$DIR/lat_$name.tsv" "$start_us" <<'PY'
import re, sys
start = int(sys.argv[2])
ts = re.compile(r'"source":\{[^{}]*?"ts_us":(\d+)')
lat = []
for line in open(sys.argv[1], encoding="utf-8"):
    t, _, v = line.partition("\t")
    m = ts.search(v)
    if m and int(m.group(1)) >= start:
        lat.append(int(t) - int(m.group(1)) / 1000.0)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(len(lat), "%.0f" % q(0.50), "%.0f" % q(0.99), "%.0f" % lat[-1])
PY
  )
  L[$label,rate]=$((n2 / SECS))
  say "$label: ${L[$label,n]} records at ${L[$label,rate]}/s, p50 ${L[$label,p50]} ms, p99 ${L[$label,p99]} ms"
}
if (( SECS > 0 )); then
  run_latency "Debezium 3.6.3 (Connect), poll.interval.ms=500 (default)" dbz lat_dbz
  run_latency "Debezium 3.6.3 (Connect), poll.interval.ms=$FAST_POLL" dbz lat_dbzfast "poll.interval.ms=$FAST_POLL"
  run_latency "wal2dbz-sink" w2d lat_w2d
fi

# ---- report --------------------------------------------------------------------------------
echo "Command: \`$CMDLINE\` (COMPRESSIONS=\"$COMPRESSIONS\")"
echo "Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $($PSQL -c 'SHOW server_version' | cut -d' ' -f1), Kafka ${KAFKA_VERSION:-4.1.1} (local, 1 partition), Debezium $(basename "$(dirname "$dbzlib")" | sed 's/^debezium-//') on Java $DBZ_JAVA_VERSION, wal2dbz-sink $(wal2dbz-sink --version 2>/dev/null | head -1 || echo '?')"
echo
echo "Throughput: $ROWS rows in one transaction, $((ROWS / 5)) updates, $((ROWS / 10)) deletes (+ tombstones), $((ROWS / 100)) single-row transactions = $EXPECT Kafka records, schemas on, from a backlog"
echo
echo "| pipeline, compression | startup s | stream s | events/s | peak RSS MB | CPU s streaming (total) | PostgreSQL CPU s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for l in "${LABELS[@]}"; do
  printf "| %s | %.1f | %.2f | %d | %d | %.2f (%.2f) | %.2f |\n" "$l" "${R[$l,startup]}" "${R[$l,secs]}" \
    "${R[$l,eps]}" "${R[$l,rss]}" "${R[$l,cpu]}" "${R[$l,cputot]}" "${R[$l,pgcpu]}"
done
for comp in $COMPRESSIONS; do
  d="Debezium 3.6.3 (Connect), $comp" w="wal2dbz-sink, $comp"
  printf "| **wal2dbz ÷ Debezium, %s** | | %.2f× | **%.1f×** | **%.3f×** | %.3f× (%.3f×) | %.2f× |\n" "$comp" \
    "$(echo "${R[$w,secs]} / ${R[$d,secs]}" | bc -l)" "$(echo "${R[$w,eps]} / ${R[$d,eps]}" | bc -l)" \
    "$(echo "${R[$w,rss]} / ${R[$d,rss]}" | bc -l)" "$(echo "${R[$w,cpu]} / ${R[$d,cpu]}" | bc -l)" \
    "$(echo "${R[$w,cputot]} / ${R[$d,cputot]}" | bc -l)" "$(echo "${R[$w,pgcpu]} / ${R[$d,pgcpu]}" | bc -l)"
done
(( SECS > 0 )) || exit 0
echo
echo "Latency: $RATE single-row transactions/s for $SECS s (after ${WARMUP} s warm-up), compression $LCOMP; broker append time - commit time"
echo
echo "| pipeline | records | achieved rows/s | p50 ms | p99 ms | max ms |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for l in "${LLABELS[@]}"; do
  echo "| $l | ${L[$l,n]} | ${L[$l,rate]} | ${L[$l,p50]} | ${L[$l,p99]} | ${L[$l,max]} |"
done
