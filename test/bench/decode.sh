#!/usr/bin/env bash
# Decoding benchmark (not a test): the same WAL decoded by wal2dbz in its output modes and by the
# reference decoders (pgoutput, wal2json format 1 and 2, decoderbufs, test_decoding), each slot
# drained by pg_recvlogical into a file, in the same run, in interleaved rounds. Prints a Markdown
# table of median wall seconds and median CPU seconds of the walsender (the decoding itself, less
# sensitive to other load on the machine than wall time), output size, and ratios to pgoutput and
# to wal2json format 2.
#
# Workload (issue #2): ROWS rows of a mixed-type table inserted in one transaction, updates of a
# fifth and deletes of a tenth of them, then ROWS/100 single-row transactions.
#
# Usage: test/bench/decode.sh [ROWS] [ROUNDS]       (defaults 500000 and 3; run after make install)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-500000}
ROUNDS=${2:-3}
BIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

DECODERS=(
  "pgoutput|pgoutput|-o proto_version=1 -o publication_names=bench_pub"
  "wal2json format 2|wal2json|-o format-version=2"
  "wal2json format 1|wal2json|-o format-version=1"
  "decoderbufs|decoderbufs|"
  "test_decoding|test_decoding|"
  "wal2dbz, schemas off|wal2dbz|-o schemas.enable=false -o topic.prefix=bench"
  "wal2dbz, schemas on|wal2dbz|-o topic.prefix=bench"
  "wal2dbz framed, schemas off|wal2dbz|-o output.format=framed -o schemas.enable=false -o topic.prefix=bench -o framed.batch.bytes=65536"
  "wal2dbz framed, schemas on|wal2dbz|-o output.format=framed -o topic.prefix=bench -o framed.batch.bytes=65536"
)

# shellcheck source=lib.sh
. test/bench/lib.sh
DIR=$(mktemp -d /tmp/wal2dbz-bench.XXXXXX)
chmod 755 "$DIR"
trap 'test/lib/pg.sh stop "$DIR/pg" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
eval "$(test/lib/pg.sh start "$DIR/pg" "max_replication_slots = 100" "max_wal_size = 4GB" \
  "shared_buffers = 512MB")"
export PGDATABASE=postgres
PSQL="psql -X -qAt"

bench_events_table
$PSQL -c "CREATE PUBLICATION bench_pub FOR TABLE bench_events" >/dev/null
for ((r = 1; r <= ROUNDS; r++)); do
  for i in "${!DECODERS[@]}"; do
    IFS='|' read -r label plugin opts <<<"${DECODERS[$i]}"
    $PSQL -c "SELECT pg_create_logical_replication_slot('b_${i}_$r', '$plugin')" >/dev/null
  done
done

echo "# workload: $ROWS rows" >&2
bench_workload "$ROWS"
END=$($PSQL -c "SELECT pg_current_wal_lsn()")

# CPU seconds (user + system) a process has used so far, from /proc.
cpu_secs() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null
}

declare -A secs cpus bytes
for ((r = 1; r <= ROUNDS; r++)); do
  for i in "${!DECODERS[@]}"; do
    IFS='|' read -r label plugin opts <<<"${DECODERS[$i]}"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$BIN/pg_recvlogical" -d postgres --slot "b_${i}_$r" --start --no-loop --endpos="$END" \
      $opts -f "$DIR/out" 2>/dev/null &
    recv=$!
    # follow the walsender serving this slot until it is done
    wpid="" cpu=0
    while kill -0 "$recv" 2>/dev/null; do
      [[ -n $wpid ]] || wpid=$($PSQL -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'b_${i}_$r'")
      [[ -n $wpid ]] && cpu=$(cpu_secs "$wpid" || echo "$cpu")
      sleep 0.02
    done
    wait "$recv" || true
    end=$(date +%s.%N)
    secs[$i]+="$(echo "$end - $start" | bc) "
    cpus[$i]+="$cpu "
    bytes[$i]=$(stat -c %s "$DIR/out")
    rm -f "$DIR/out"
    $PSQL -c "SELECT pg_drop_replication_slot('b_${i}_$r')" >/dev/null
  done
  echo "# round $r done" >&2
done

declare -A med medcpu
for i in "${!DECODERS[@]}"; do
  med[$i]=$(echo "${secs[$i]}" | median)
  medcpu[$i]=$(echo "${cpus[$i]}" | median)
done

echo "| decoder ($ROWS rows + updates, deletes, $((ROWS / 100)) small transactions) | wall s | walsender CPU s | output MB | wall × pgoutput | CPU × pgoutput | wall × wal2json 2 | CPU × wal2json 2 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for i in "${!DECODERS[@]}"; do
  IFS='|' read -r label plugin opts <<<"${DECODERS[$i]}"
  printf "| %s | %.2f | %.2f | %d | %.2f | %.2f | %.2f | %.2f |\n" "$label" "${med[$i]}" "${medcpu[$i]}" \
    $((bytes[$i] / 1048576)) \
    "$(echo "${med[$i]} / ${med[0]}" | bc -l)" "$(echo "${medcpu[$i]} / ${medcpu[0]}" | bc -l)" \
    "$(echo "${med[$i]} / ${med[1]}" | bc -l)" "$(echo "${medcpu[$i]} / ${medcpu[1]}" | bc -l)"
done
