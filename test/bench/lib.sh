# shellcheck shell=bash
# Helpers the benchmarks share (test/bench/*.sh); sourced, never run, from the repository's top
# directory after `set -euo pipefail`.
#
# Gives: bench_services (a work directory $DIR with PostgreSQL and a Kafka broker, stopped and
# removed at exit), source_props (a sink's properties file), say (a line on stderr with the
# seconds since the services were up), median, proc_cpu and tree_cpu (CPU seconds of a process,
# alone or with its children), jit_seconds and bench_warm_jit (warming the broker's JIT until it
# is quiet), topic_records (a topic's record count), timed (seconds, CPU seconds and peak RSS of
# a run), and issue #2's workload (bench_events_table, bench_workload),
# which decode.sh, sink.sh, clickhouse.sh and debezium.sh measure alike.

PSQL="psql -X -qAt -v ON_ERROR_STOP=1"
HZ=$(getconf CLK_TCK)
T0=$(date +%s)
PIDS=()   # background processes the benchmark started; killed at exit

say() { echo "# [$(( $(date +%s) - T0 )) s] $*" >&2; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# bench_services NAME [PG_SETTING...]: a work directory DIR=/tmp/wal2dbz-NAME.XXXXXX, PostgreSQL
# started in it with the settings (its environment exported, PGDATABASE=postgres, PM the
# postmaster's pid) and a Kafka broker (BOOTSTRAP, KAFKA_PID). At exit bench_cleanup stops PIDS,
# the services (a ClickHouse server in $DIR/ch too) and removes DIR unless KEEP is set.
bench_services() {
  local name=$1
  shift
  DIR=$(mktemp -d "/tmp/wal2dbz-$name.XXXXXX")
  chmod 755 "$DIR"
  trap bench_cleanup EXIT
  eval "$(test/lib/pg.sh start "$DIR/pg" "$@" 2>/dev/null)"
  unset WAL2DBZ_PG_OWNER
  export PGDATABASE=postgres
  PM=$(head -1 "$DIR/pg/data/postmaster.pid")
  BOOTSTRAP=$(test/lib/kafka.sh start "$DIR/kafka" 2>/dev/null)
  KAFKA_PID=$(cat "$DIR/kafka/kafka.pid")
  T0=$(date +%s)
}

bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ ! -d $DIR/ch ]] || test/lib/clickhouse.sh stop "$DIR/ch" >/dev/null 2>&1 || true
  test/lib/kafka.sh stop "$DIR/kafka" >/dev/null 2>&1 || true
  test/lib/pg.sh stop "$DIR/pg" >/dev/null 2>&1 || true
  [[ -n ${KEEP:-} ]] || rm -rf "$DIR"
}

# source_props FILE PREFIX SLOT [line...]: a sink's properties in FILE: this run's PostgreSQL and
# Kafka, topic prefix and slot, topics of PARTITIONS partitions, then the lines
source_props() {
  local f=$1 prefix=$2 slot=$3
  shift 3
  cat > "$f" <<EOF
database.hostname=127.0.0.1
database.port=$PGPORT
database.user=$PGUSER
database.dbname=postgres
topic.prefix=$prefix
slot.name=$slot
topic.creation.default.partitions=$PARTITIONS
topic.creation.default.replication.factor=1
kafka.bootstrap.servers=$BOOTSTRAP
EOF
  printf '%s\n' "$@" >> "$f"
}

proc_cpu() {  # proc_cpu PID: CPU seconds (user + system) of the process itself so far
  awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

tree_cpu() {  # tree_cpu PID: CPU seconds of PID, its reaped children and its live children
  python3 - "$1" "$HZ" <<'PY'
import os, sys
top, hz = sys.argv[1], int(sys.argv[2])
def fields(pid):
    with open("/proc/%s/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()
f = fields(top)
t = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            g = fields(p)
        except OSError:
            continue
        if g[1] == top:
            t += int(g[11]) + int(g[12])
print("%.2f" % (t / hz))
PY
}

# jit_seconds: seconds the broker's JIT compilers have spent so far (jstat, from the JDK), or
# nothing when jstat cannot tell. A broker a minute old goes on compiling through the first few
# runs (up to 2 CPU seconds of compiler threads in a 6 s run, measured per thread), on the same
# cores as what is measured; a long-running broker does not.
jit_seconds() {
  jstat -compiler "$KAFKA_PID" 2>/dev/null | awk 'NR == 2 { print $4 }'
}

# bench_warm_jit MAX COMMAND...: runs COMMAND (given the pass number as its last argument) up to
# MAX times, until a pass leaves the broker's JIT compiling for less than JIT_QUIET seconds
# (default 0.2); says how long the JIT compiled in each pass.
bench_warm_jit() {
  local max=$1 k j0 j1 d
  shift
  for ((k = 1; k <= max; k++)); do
    j0=$(jit_seconds)
    "$@" "$k"
    j1=$(jit_seconds)
    if [[ -z $j0 || -z $j1 ]]; then
      say "warm-up pass $k (no jstat: the broker's JIT compile time is unknown)"
      return 0
    fi
    d=$(printf "%.2f" "$(echo "$j1 - $j0" | bc)")
    say "warm-up pass $k: the broker's JIT compiled for $d s"
    (( $(echo "$d < ${JIT_QUIET:-0.2}" | bc) )) && return 0
  done
  say "the broker's JIT still compiling after $max warm-up passes"
}

topic_records() {  # topic_records TOPIC: the sum of its PARTITIONS partitions' end offsets
  local args=() p
  for ((p = 0; p < PARTITIONS; p++)); do args+=(-t "$1:$p:-1"); done
  kcat -b "$BOOTSTRAP" -Q "${args[@]}" 2>/dev/null | awk '/offset/ { s += $NF } END { print s + 0 }'
}

# timed KEY command...: appends the run's seconds to secs[KEY] and its CPU seconds (user +
# system) to cpu[KEY], keeps the largest peak RSS (kB) in rss[KEY]; the caller declares them
timed() {
  local key=$1 start end m u sy
  shift
  start=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$DIR/time.out" "$@"
  end=$(date +%s.%N)
  secs[$key]+="$(echo "$end - $start" | bc) "
  read -r m u sy < <(tail -1 "$DIR/time.out")
  cpu[$key]+="$(echo "$u + $sy" | bc) "
  [[ -z ${rss[$key]:-} || $m -gt ${rss[$key]} ]] && rss[$key]=$m
  return 0
}

bench_events_table() {  # issue #2's mixed-type table, public.bench_events
  $PSQL <<SQL >/dev/null
CREATE TABLE public.bench_events (id bigserial PRIMARY KEY, event_uuid uuid NOT NULL, user_id int,
  created_ts timestamptz, signal double precision, amount numeric(12,2), flag bool, name text,
  payload jsonb);
SQL
}

# bench_workload ROWS: issue #2's workload on public.bench_events: ROWS rows in one transaction,
# updates of a fifth and deletes of a tenth of them, then ROWS/100 single-row transactions
bench_workload() {
  local rows=$1 i
  $PSQL <<SQL >/dev/null
INSERT INTO public.bench_events (event_uuid, user_id, created_ts, signal, amount, flag, name, payload)
SELECT md5(i::text)::uuid, i % 1000, '2024-01-01'::timestamptz + (i || ' s')::interval, i / 7.0,
       (i % 100000) / 100.0, i % 2 = 0, 'user_' || i,
       jsonb_build_object('k', i, 'tags', jsonb_build_array('a', 'b'))
FROM generate_series(1, $rows) i;
UPDATE public.bench_events SET amount = amount + 1 WHERE id % 5 = 0;
DELETE FROM public.bench_events WHERE id % 10 = 0;
SQL
  for ((i = 1; i <= rows / 100; i++)); do
    echo "INSERT INTO public.bench_events (event_uuid, user_id, created_ts, signal, amount, flag, name) VALUES (gen_random_uuid(), $i, now(), 0.5, 1.25, true, 'small');"
  done | $PSQL >/dev/null
}
