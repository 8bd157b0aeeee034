#!/usr/bin/env bash
# ClickHouse stage benchmark (not a test): Kafka -> ClickHouse throughput next to ClickHouse's own
# ingestion of the same rows, and end-to-end latency from a PostgreSQL commit to the row being
# visible in ClickHouse. Prints Markdown tables. Services: PostgreSQL 15, Kafka, and Debian's
# ClickHouse 18.16 (test/lib/*.sh), all on 127.0.0.1.
#
# 1. Throughput. Workload (issue #2, as test/bench/decode.sh and sink.sh): ROWS rows of a mixed-type
#    table inserted in one transaction, updates of a fifth and deletes of a tenth of them, then
#    ROWS/100 single-row transactions. The source stage puts them into Kafka first (one topic,
#    PARTITIONS partitions, JSON with schemas), untimed. Then, in ROUNDS interleaved rounds:
#    - the ClickHouse stage alone (kafka.* and clickhouse.* only), a new consumer group and a new
#      target database each run, timed from the process's start (group join and table creation
#      included) until its /metrics counts every change event as inserted, i.e. accepted by
#      ClickHouse (polled every 50 ms); with clickhouse.compression gzip (the default) and none;
#    - kcat reading the topic to /dev/null (the Kafka side alone);
#    - ClickHouse's own ingestion of the same rows (the ceiling of the ClickHouse side): the rows
#      the stage wrote, dumped as JSONEachRow (from a copy whose merges were stopped, so none
#      collapsed), posted with curl over HTTP in requests of clickhouse.batch.rows rows into an empty table
#      of the same engine and columns, and the same file through clickhouse-client (native protocol;
#      the client parses the JSON).
#    After the run, each stage's table is checked: SELECT ... FINAL WHERE is_deleted = 0 must have
#    PostgreSQL's row count.
# 2. Latency. One wal2dbz-sink process with both stages (the usual deployment). pgbench commits
#    LAT_RATE rows/s for LAT_SECONDS seconds: transactions of LAT_TX_ROWS rows at LAT_RATE/LAT_TX_ROWS
#    transactions per second (pgbench --rate: a Poisson schedule with that mean), one client, into a
#    mixed-type table with a bigserial id. PostgreSQL runs with track_commit_timestamp = on; each
#    row's commit time is pg_xact_commit_timestamp(xmin), afterwards. test/bench/ch_poll.py polls the
#    ClickHouse table every LAT_POLL_MS ms for ids it has not seen and notes when a poll first
#    returns each one. Latency = that poll's receive time - the commit time, same clock; it
#    overstates the truth by at most one poll interval plus one query's duration (printed). Beside
#    it, the source stage's share: commit -> the record's timestamp in Kafka (the broker's append
#    time, set with kafka.admin.ConfigCommand from the cached Kafka jars). Runs once for each
#    clickhouse.batch.ms in LAT_BATCH_MS.
#
# Usage: test/bench/clickhouse.sh [ROWS] [ROUNDS]    (defaults 200000 and 3; after make install)
# Environment: SINK (default sink/wal2dbz-sink), PARTITIONS (3), BATCH_ROWS (the stage's default,
# 100000), LAT_RATE (5000), LAT_TX_ROWS (20), LAT_SECONDS (30), LAT_POLL_MS (20),
# LAT_BATCH_MS ("1000 200"), SKIP_THROUGHPUT=1, SKIP_LATENCY=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
ROWS=${1:-200000}
ROUNDS=${2:-3}
PARTITIONS=${PARTITIONS:-3}
BATCH_ROWS=${BATCH_ROWS:-100000}
LAT_RATE=${LAT_RATE:-5000}
LAT_TX_ROWS=${LAT_TX_ROWS:-20}
LAT_SECONDS=${LAT_SECONDS:-30}
LAT_POLL_MS=${LAT_POLL_MS:-20}
LAT_BATCH_MS=${LAT_BATCH_MS:-1000 200}
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
[[ -x $SINK ]] || SINK=$(command -v wal2dbz-sink)
BIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

# shellcheck source=lib.sh
. test/bench/lib.sh
bench_services chbench "max_wal_size = 4GB" "shared_buffers = 512MB" "track_commit_timestamp = on"
KLIB=${WAL2DBZ_CACHE:-$HOME/.cache/wal2dbz}/kafka-${KAFKA_VERSION:-4.1.1}/lib
unset WAL2DBZ_CACHE  # the sink would take it for a property
CH=$(test/lib/clickhouse.sh start "$DIR/ch" 2>/dev/null)
CH_TCP=$(cat "$DIR/ch/tcp_port")
ch() { curl -sS --fail-with-body "$CH/" --data-binary "$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
say "PostgreSQL, Kafka and ClickHouse $(ch 'SELECT version()') up; load average $(cut -d' ' -f1-3 /proc/loadavg)"
$PSQL -c "CREATE EXTENSION wal2dbz" >/dev/null

# the source stage's settings of every run, beside source_props's
SOURCE=(snapshot.mode=no_data framed.batch.bytes=65536 kafka.compression.type=lz4 kafka.linger.ms=5)

metric_sum() {  # metric_sum PORT NAME: the sum of a metric's samples
  { curl -s "http://127.0.0.1:$1/metrics" || true; } | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { print s + 0 }'
}

declare -A secs rss cpu steady srvcpu
# CPU seconds (user + system) a process has used so far: the ClickHouse server's and the Kafka
# broker's, read around each timed run, because on a shared machine wall time depends on what
# else runs, while CPU seconds say what each part costs
services_cpu() { echo "$(proc_cpu "$(cat "$DIR/ch/clickhouse.pid")") $(proc_cpu "$KAFKA_PID")"; }
note_services() {  # note_services KEY BEFORE: adds "clickhouse+broker" CPU seconds since BEFORE
  local c0 k0 c1 k1
  read -r c0 k0 <<< "$2"
  read -r c1 k1 < <(services_cpu)
  srvcpu[$1]+="$(echo "$c1 - $c0" | bc)/$(echo "$k1 - $k0" | bc) "
}
median_pair() {  # median of "a/b" pairs, each part on its own
  local all a b
  all=$(cat)
  a=$(echo "$all" | tr ' ' '\n' | grep . | cut -d/ -f1 | tr '\n' ' ' | median)
  b=$(echo "$all" | tr ' ' '\n' | grep . | cut -d/ -f2 | tr '\n' ' ' | median)
  printf "%.2f / %.2f" "$a" "$b"
}
note_time() { secs[$1]+="$2 "; }

throughput() {
  bench_events_table
  $PSQL -c "SELECT pg_create_logical_replication_slot('b', 'wal2dbz')" >/dev/null
  source_props "$DIR/source.properties" b b "${SOURCE[@]}" "http.port=0"
  bench_workload "$ROWS"
  local end
  end=$($PSQL -c "SELECT pg_current_wal_lsn()")
  "$SINK" --config "$DIR/source.properties" --endpos="$end" 2>"$DIR/source.err" ||
    { tail -5 "$DIR/source.err" >&2; exit 1; }
  local topic=b.public.bench_events updates deletes events live
  updates=$($PSQL -c "SELECT count(*) FROM generate_series(1, $ROWS) i WHERE i % 5 = 0")
  deletes=$($PSQL -c "SELECT count(*) FROM generate_series(1, $ROWS) i WHERE i % 10 = 0")
  events=$((ROWS + updates + deletes + ROWS / 100))
  live=$($PSQL -c "SELECT count(*) FROM public.bench_events")
  say "$events change events in Kafka ($topic, $PARTITIONS partitions); PostgreSQL has $live rows"

  stage_run() {  # stage_run KEY DATABASE [extra property lines...]: time the stage alone
    local key=$1 db=$2 port start end n
    shift 2
    port=$(free_port)
    cat > "$DIR/stage.properties" <<EOF
name=chbench
kafka.bootstrap.servers=$BOOTSTRAP
clickhouse.url=$CH
clickhouse.database=$db
clickhouse.topics=$topic
clickhouse.group.id=$db
clickhouse.batch.rows=$BATCH_ROWS
http.port=$port
EOF
    printf '%s\n' "$@" >> "$DIR/stage.properties"
    local before
    before=$(services_cpu)
    start=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$DIR/time.out" "$SINK" --config "$DIR/stage.properties" \
      2>>"$DIR/stage.err" &
    local timer=$! pid=
    while [[ -z $pid ]] && kill -0 "$timer" 2>/dev/null; do pid=$(pgrep -P "$timer" || true); done
    PIDS+=("$pid")
    n=0
    local first_n=0 first_t=
    while (( n < events )); do
      sleep 0.05
      kill -0 "$pid" 2>/dev/null || { tail -5 "$DIR/stage.err" >&2; exit 1; }
      n=$(metric_sum "$port" wal2dbz_clickhouse_rows_inserted_total)
      [[ -z $first_t && $n -gt 0 ]] && { first_t=$(date +%s.%N); first_n=$n; }
    done
    end=$(date +%s.%N)
    [[ -n $key ]] && note_services "$key" "$before"
    kill -TERM "$pid"
    wait "$timer" || { tail -5 "$DIR/stage.err" >&2; exit 1; }
    [[ -z $key ]] && return 0
    note_time "$key" "$(echo "$end - $start" | bc)"
    # the rate after the first batch: without the group join, table creation, first fetch
    [[ $first_n -lt $events ]] && steady[$key]+="$(echo "($events - $first_n) / ($end - $first_t)" | bc -l) "
    local m u s
    read -r m u s < <(tail -1 "$DIR/time.out")
    cpu[$key]+="$(echo "$u + $s" | bc) "
    [[ -z ${rss[$key]:-} || $m -gt ${rss[$key]} ]] && rss[$key]=$m
    [[ $n -eq $events ]] || say "WARNING: $key inserted $n rows, expected $events"
    local got
    got=$(ch "SELECT count() FROM $db.b_public_bench_events FINAL WHERE is_deleted = 0")
    [[ $got -eq $live ]] || say "WARNING: $db has $got live rows, PostgreSQL $live"
    return 0
  }

  reference() {  # reference KEY command...: time a reference run, with its CPU and the services'
    local key=$1 before start end
    shift
    before=$(services_cpu)
    start=$(date +%s.%N)
    /usr/bin/time -f '%U %S' -o "$DIR/time.out" "$@" > /dev/null
    end=$(date +%s.%N)
    note_time "$key" "$(echo "$end - $start" | bc)"
    note_services "$key" "$before"
    cpu[$key]+="$(awk '{ print $1 + $2 }' "$DIR/time.out") "
  }

  # the rows as the stage writes them, from a copy without merges (nothing collapsed): the ceiling's input
  stage_run "" bench_shape
  ch "CREATE DATABASE bench_dump" >/dev/null
  ch "CREATE TABLE bench_dump.b_public_bench_events AS bench_shape.b_public_bench_events" >/dev/null
  ch "SYSTEM STOP MERGES bench_dump.b_public_bench_events" >/dev/null
  stage_run "" bench_dump
  ch "SELECT * FROM bench_dump.b_public_bench_events FORMAT JSONEachRow" > "$DIR/rows.json"
  ch "SYSTEM START MERGES bench_dump.b_public_bench_events" >/dev/null
  local dumped
  dumped=$(wc -l < "$DIR/rows.json")
  [[ $dumped -eq $events ]] || say "WARNING: the dump has $dumped rows, expected $events"
  split -l "$BATCH_ROWS" -d -a 4 "$DIR/rows.json" "$DIR/rows.part."
  say "ceiling input: $dumped rows, $(( $(stat -c %s "$DIR/rows.json") / 1048576 )) MB of JSONEachRow"

  local r start end
  for ((r = 1; r <= ROUNDS; r++)); do
    stage_run stage_gzip "bench_gzip_$r" "clickhouse.compression=gzip"
    stage_run stage_none "bench_none_$r" "clickhouse.compression=none"

    reference kcat kcat -C -b "$BOOTSTRAP" -t "$topic" -o beginning -e -q -f '%k%s\n'

    ch "CREATE DATABASE ceil_http_$r" >/dev/null
    ch "CREATE TABLE ceil_http_$r.t AS bench_shape.b_public_bench_events" >/dev/null
    local args=() f
    for f in "$DIR"/rows.part.*; do
      args+=(--data-binary "@$f" "$CH/?query=INSERT%20INTO%20ceil_http_$r.t%20FORMAT%20JSONEachRow" --next)
    done
    unset 'args[${#args[@]}-1]'
    reference http curl -sS --fail-with-body "${args[@]}"

    ch "CREATE DATABASE ceil_client_$r" >/dev/null
    ch "CREATE TABLE ceil_client_$r.t AS bench_shape.b_public_bench_events" >/dev/null
    reference client clickhouse-client --host 127.0.0.1 --port "$CH_TCP" \
      --query "INSERT INTO ceil_client_$r.t FORMAT JSONEachRow" < "$DIR/rows.json"
    [[ $(ch "SELECT count() FROM ceil_client_$r.t") -eq $dumped ]] || say "WARNING: clickhouse-client inserted a different count"
    say "round $r done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done

  local http_s m k label
  http_s=$(echo "${secs[http]}" | median)
  echo
  echo "| $ROWS rows + updates, deletes, $((ROWS / 100)) small transactions: $events change events, $PARTITIONS partitions | seconds | rows/s | rows/s after the first batch | rows/s × HTTP ceiling | process CPU s | ClickHouse / Kafka CPU s | peak RSS MB |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for k in stage_gzip stage_none kcat http client; do
    case $k in
      stage_*) label="wal2dbz-sink ClickHouse stage alone, clickhouse.compression=${k#stage_}" ;;
      kcat) label="kcat reading the topic to /dev/null (the Kafka side alone)" ;;
      http) label="curl: the same rows as JSONEachRow over HTTP, $BATCH_ROWS-row requests (the ClickHouse side alone)" ;;
      client) label="clickhouse-client: the same JSONEachRow file, native protocol" ;;
    esac
    m=$(echo "${secs[$k]}" | median)
    printf "| %s | %.2f | %.0f | %s | %.2f | %.2f | %s | %s |\n" "$label" "$m" "$(echo "$events / $m" | bc -l)" \
      "$([[ -n ${steady[$k]:-} ]] && printf %.0f "$(echo "${steady[$k]}" | median)")" "$(echo "$http_s / $m" | bc -l)" \
      "$(echo "${cpu[$k]}" | median)" "$(echo "${srvcpu[$k]}" | median_pair)" \
      "$([[ -n ${rss[$k]:-} ]] && printf %.0f "$(echo "${rss[$k]} / 1024" | bc -l)")"
  done
  echo "(medians of $ROUNDS round(s); seconds from the start of the process, group join and table creation included, until ClickHouse accepted the last row)"
}

latency() {
  $PSQL <<SQL >/dev/null
CREATE TABLE public.lat_events (id bigserial PRIMARY KEY, event_uuid uuid NOT NULL, user_id int,
  created_ts timestamptz NOT NULL DEFAULT clock_timestamp(), signal double precision,
  amount numeric(12,2), flag bool, name text);
SQL
  cat > "$DIR/lat.pgbench" <<SQL
INSERT INTO public.lat_events (event_uuid, user_id, signal, amount, flag, name)
SELECT gen_random_uuid(), i, random(), (random() * 1000)::numeric(12,2), i % 2 = 0, 'row ' || i
FROM generate_series(1, $LAT_TX_ROWS) i;
SQL
  # topics created from now on stamp records with the broker's append time: commit -> in Kafka,
  # the source stage's share of the latency
  local stamp="broker append time"
  java -Dlog4j2.configurationFile="$(dirname "$KLIB")/config/log4j2-tools.properties" -cp "$KLIB/*" \
    kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" --entity-type brokers --entity-default \
    --alter --add-config log.message.timestamp.type=LogAppendTime > "$DIR/config.log" 2>&1 ||
    { stamp="producer create time"; say "could not set LogAppendTime; commit -> Kafka uses the producer's create time"; }
  local bms tps=$((LAT_RATE / LAT_TX_ROWS))
  echo
  echo "| end-to-end, $LAT_RATE rows/s for $LAT_SECONDS s ($tps transactions/s of $LAT_TX_ROWS rows), $PARTITIONS partitions | rows | achieved rows/s | p50 ms | p90 ms | p99 ms | max ms | commit → Kafka ($stamp) p50 / p99 ms | poll interval, median query ms |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for bms in $LAT_BATCH_MS; do
    local slot="lat_$bms" port pid start_id last_id
    port=$(free_port)
    $PSQL -c "SELECT pg_create_logical_replication_slot('$slot', 'wal2dbz')" >/dev/null
    source_props "$DIR/lat.properties" "$slot" "$slot" "${SOURCE[@]}" "http.port=$port" \
      "table.include.list=public\\.lat_events" \
      "clickhouse.url=$CH" "clickhouse.database=$slot" "clickhouse.group.id=$slot" \
      "clickhouse.batch.ms=$bms"
    "$SINK" --config "$DIR/lat.properties" 2>"$DIR/lat_$bms.err" &
    pid=$!
    PIDS+=("$pid")
    # a first row creates the topic and the table; measure after it arrived
    start_id=$($PSQL -c "INSERT INTO public.lat_events (event_uuid) VALUES (gen_random_uuid()) RETURNING id")
    local t
    for ((t = 0; t < 600; t++)); do
      [[ $(curl -s "$CH/" --data-binary "SELECT count() FROM $slot.${slot}_public_lat_events WHERE id = $start_id" 2>/dev/null) == 1 ]] && break
      sleep 0.1
    done
    rm -f "$DIR/stop"
    python3 test/bench/ch_poll.py "$CH" "$slot.${slot}_public_lat_events" "$(echo "$LAT_POLL_MS / 1000" | bc -l)" \
      "$DIR/stop" "$start_id" > "$DIR/seen_$bms.txt" 2> "$DIR/poll_$bms.err" &
    local poller=$!
    PIDS+=("$poller")
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN/pgbench" -n -c 1 -j 1 -R "$tps" -T "$LAT_SECONDS" -f "$DIR/lat.pgbench" postgres > "$DIR/pgbench_$bms.out" 2>&1 ||
      { cat "$DIR/pgbench_$bms.out" >&2; exit 1; }
    t1=$(date +%s.%N)
    last_id=$($PSQL -c "SELECT max(id) FROM public.lat_events")
    echo "$last_id" > "$DIR/stop"
    wait "$poller"
    kill -TERM "$pid"
    wait "$pid" || true
    $PSQL -c "COPY (SELECT id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) FROM public.lat_events WHERE id > $start_id) TO STDOUT" > "$DIR/commits_$bms.txt"
    kcat -C -b "$BOOTSTRAP" -t "$slot.public.lat_events" -o beginning -e -q -f '%T\t%k\n' > "$DIR/kafka_$bms.tsv"
    python3 - "$DIR/commits_$bms.txt" "$DIR/seen_$bms.txt" "$(echo "$t1 - $t0" | bc)" "$bms" "$LAT_POLL_MS" "$(cat "$DIR/poll_$bms.err")" "$DIR/kafka_$bms.tsv" <<'PY'
import sys
commits = {}
for line in open(sys.argv[1]):
    i, t = line.split()
    commits[int(i)] = float(t)
seen = {}
for line in open(sys.argv[2]):
    i, got, sent = line.split()
    seen[int(i)] = float(got)
lat = sorted(1000 * (seen[i] - t) for i, t in commits.items() if i in seen)
missing = len(commits) - len(lat)
def pct(p, xs=lat): return xs[min(len(xs) - 1, int(len(xs) * p))]
import json
kafka = []
for line in open(sys.argv[7]):
    ts, key = line.rstrip("\n").split("\t", 1)
    k = json.loads(key)
    i = int(k.get("payload", k)["id"])
    if i in commits:
        kafka.append(int(ts) - 1000 * commits[i])
kafka.sort()
to_kafka = f"{pct(0.5, kafka):.0f} / {pct(0.99, kafka):.0f}" if kafka else "?"
secs = float(sys.argv[3])
poll = sys.argv[6].split("query median ")[1].split(" ms")[0] if "query median" in sys.argv[6] else "?"
print(f"| wal2dbz-sink (both stages), clickhouse.batch.ms={sys.argv[4]} | {len(commits)} | {len(commits) / secs:.0f} | "
      f"{pct(0.5):.0f} | {pct(0.9):.0f} | {pct(0.99):.0f} | {lat[-1]:.0f} | {to_kafka} | {sys.argv[5]} ms, {poll} ms |")
if missing:
    print(f"# WARNING: {missing} committed rows never seen in ClickHouse", file=sys.stderr)
PY
    say "latency run batch.ms=$bms: $(grep -h 'polls' "$DIR/poll_$bms.err"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
}

[[ -n ${SKIP_THROUGHPUT:-} ]] || throughput
[[ -n ${SKIP_LATENCY:-} ]] || latency
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); ClickHouse $(ch 'SELECT version()'), Kafka $BOOTSTRAP, all on this machine" >&2
