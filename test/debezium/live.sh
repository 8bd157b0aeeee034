#!/usr/bin/env bash
# Live side-by-side test: the real Debezium connector and wal2dbz watch ONE database at the same
# time, and their streamed records must be the same. Where fidelity.sh compares wal2dbz with the
# recorded captures, this shows that those recordings still are what Debezium does on this
# machine, today: each run also compares the live Debezium output with its recording.
#
# usage: live.sh [RUN ...]      runs: ops (schemas on), ops-noschema (schemas off); default both
# env:   LIVE_WORK=DIR      work in DIR and keep it (per run: dbz.jsonl = live Debezium,
#                           actual.jsonl = wal2dbz, *.diff, dbz/runner.log); default a temp dir
#        LIVE_IDLE_MS       Debezium stops after this long without a record (default 5000)
#        JAVA_HOME, DEBEZIUM_VERSION, WAL2DBZ_CACHE   as for capture.sh / fetch.sh / jdk.sh
#        PG_BINDIR          as for test/lib/pg.sh
#
# Per run NAME (SQL captures/ops.sql, properties captures/NAME.props, as the recording):
#   fresh database "inventory"; part 1 of ops.sql (before "-- @@STREAM@@");
#   capture.sh starts Debezium (pgoutput, snapshot.mode=initial, output to a live file) while a
#   wal2dbz slot is created; once Debezium streams ("Processing messages"), part 2; Debezium
#   stops when idle; the wal2dbz slot is drained by wal2dbz_capture.py (framed output,
#   topic.prefix=dbserver1, source.version=<Debezium's version>, NAME.props).
#   Test 1: wal2dbz = live Debezium, streamed records (Debezium's snapshot "r" records dropped),
#           compared by compare.py after the masking and known-difference normalisation of
#           fidelity.sh (its prep.py and known_differences are taken from fidelity.sh itself,
#           so the two tests cannot drift apart).
#   Test 2: live Debezium = recorded capture captures/NAME.jsonl, every record (snapshot too),
#           headers included (compare.py --headers; runId, timestamps, LSNs, txIds masked).
# Output: TAP. Every test is a SKIP (not a failure) when no Java able to run DbzRunner.java (a
# JDK: the source launcher needs jdk.compiler) or no Debezium jars (fetch.sh: cache or Maven
# Central) are available. About 1 minute for both runs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
caps=$here/captures
pgsh=$here/../lib/pg.sh
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
export PG_BINDIR
export PSQL=$PG_BINDIR/psql
export TZ=UTC                      # the recordings were made with server and JVM time zone UTC
idle_ms=${LIVE_IDLE_MS:-5000}

runs=("$@")
[[ ${#runs[@]} -gt 0 ]] || runs=(ops ops-noschema)
echo "1..$((2 * ${#runs[@]}))"

skip_all() {
  local t=0 name
  for name in "${runs[@]}"; do
    echo "ok $((t + 1)) - $name: wal2dbz = live Debezium # SKIP $1"
    echo "ok $((t + 2)) - $name: live Debezium = recorded capture # SKIP $1"
    t=$((t + 2))
  done
  exit 0
}

# Java that can run a single-file source program (a JRE has no jdk.compiler).
# shellcheck source=jdk.sh
. "$here/jdk.sh"
dbz_choose_jdk 2>/dev/null || skip_all "no Java (jdk.sh found none)"
grep -q '^jdk\.compiler' < <("$DBZ_JAVA" --list-modules 2>/dev/null) \
  || skip_all "$DBZ_JAVA ($DBZ_JAVA_VERSION) is a JRE: DbzRunner.java needs a JDK (jdk.compiler)"
# Debezium jars: the cache (test/setup.sh fills /var/cache/wal2dbz), else Maven Central.
fetch_log=$(mktemp /tmp/wal2dbz-live-fetch.XXXXXX)
if ! lib=$("$here/fetch.sh" 2>"$fetch_log"); then
  why=$(tail -n1 "$fetch_log"); rm -f "$fetch_log"
  skip_all "no Debezium jars (${why:-fetch.sh failed})"
fi
rm -f "$fetch_log"
dbz_version=$(basename "$(dirname "$lib")"); dbz_version=${dbz_version#debezium-}
echo "# Debezium $dbz_version, Java $DBZ_JAVA_VERSION ($JAVA_HOME)"

# fidelity.sh's normalisation, taken from it: prep.py (snapshot strip, now() masks) and the
# KNOWN_* option sets with known_differences NAME.
fid=$here/fidelity.sh
prep_src=$(awk '/^cat > "\$work\/prep.py" <<.PY.$/{f=1; next} /^PY$/{f=0} f' "$fid")
known_src=$(awk '/^KNOWN_[A-Z_]*=/{print} /^known_differences\(\) *\{/{f=1} f{print} f&&/^}/{exit}' "$fid")
if [[ -z $prep_src || $known_src != *"known_differences()"* ]]; then
  echo "Bail out! cannot find prep.py / known_differences in $fid (its layout changed?)"
  exit 1
fi
eval "$known_src"

if [[ -n ${LIVE_WORK:-} ]]; then
  mkdir -p "$LIVE_WORK"; work=$(cd "$LIVE_WORK" && pwd); keep=1
else
  work=$(mktemp -d /tmp/wal2dbz-live.XXXXXX); keep=
fi
chmod 755 "$work"     # the cluster owner ("postgres" when run as root) must reach $work/pg
cap_pid=
cleanup() {
  if [[ -n $cap_pid ]]; then   # capture.sh and the JVM it started
    kill $(pgrep -P "$cap_pid") "$cap_pid" 2>/dev/null || true
    wait "$cap_pid" 2>/dev/null || true
  fi
  "$pgsh" stop "$work/pg" >/dev/null 2>&1 || true
  [[ -n $keep ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
printf '%s\n' "$prep_src" > "$work/prep.py"

pgenv=$("$pgsh" start "$work/pg" "TimeZone = 'UTC'" "log_timezone = 'UTC'" 2>"$work/pg.sh.log") \
  || { sed 's/^/# /' "$work/pg.sh.log"; echo "Bail out! could not start PostgreSQL"; exit 1; }
eval "$pgenv"
psqlq() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }

t=0 failed=0
for name in "${runs[@]}"; do
  w=$work/$name
  rm -rf "$w"; mkdir -p "$w/dbz"
  sql=$caps/${name%%-*}.sql
  props=()
  if [[ -f $caps/$name.props ]]; then
    while IFS= read -r p || [[ -n $p ]]; do [[ -n $p ]] && props+=("$p"); done < "$caps/$name.props"
  fi
  awk '/^-- @@STREAM@@/{exit} {print}' "$sql" > "$w/pre.sql"
  awk 'f{print} /^-- @@STREAM@@/{f=1}' "$sql" > "$w/post.sql"
  why=
  {
    psqlq -d postgres -c "DROP DATABASE IF EXISTS inventory" -c "CREATE DATABASE inventory" &&
    psqlq -d inventory -f "$w/pre.sql"
  } > "$w/sql.log" 2>&1 || why="part 1 failed (see $w/sql.log): $(grep -m1 ERROR "$w/sql.log" || true)"

  if [[ -z $why ]]; then
    # Debezium (its own slot dbz_ref and publication dbz_publication, as for the recordings) ...
    DBZ_WORKDIR=$w/dbz DBZ_IDLE_MS=$idle_ms PGUSER=$PGUSER \
      "$here/capture.sh" "$w/dbz.jsonl" 127.0.0.1 "$PGPORT" inventory "${props[@]}" \
      > "$w/capture.log" 2>&1 &
    cap_pid=$!
    # ... and, meanwhile, the wal2dbz slot
    psqlq -d inventory -c "SELECT 'init' FROM pg_create_logical_replication_slot('live', 'wal2dbz')" \
      >> "$w/sql.log" 2>&1 || why="could not create the wal2dbz slot: $(tail -n1 "$w/sql.log")"
    i=0
    until grep -q 'Processing messages' "$w/dbz/runner.log" 2>/dev/null; do
      if ! kill -0 "$cap_pid" 2>/dev/null || (( ++i > 1200 )); then
        why="Debezium did not start streaming: $(grep -m3 -E 'ERROR|Exception' "$w/dbz/runner.log" "$w/capture.log" 2>/dev/null | tr '\n' ' ')"
        break
      fi
      sleep 0.1
    done
    if [[ -z $why ]]; then
      sleep 1   # as run-captures.sh
      psqlq -d inventory -f "$w/post.sql" >> "$w/sql.log" 2>&1 \
        || why="part 2 failed (see $w/sql.log): $(grep -m1 ERROR "$w/sql.log" || true)"
    fi
    if ! wait "$cap_pid"; then
      [[ -n $why ]] || why="capture.sh failed: $(tail -n3 "$w/capture.log" | tr '\n' ' ')"
    fi
    cap_pid=
  fi
  if [[ -z $why ]]; then
    python3 "$here/wal2dbz_capture.py" "$w/actual.jsonl" inventory live \
      topic.prefix=dbserver1 source.version="$dbz_version" "${props[@]}" 2> "$w/wal2dbz.log" \
      || why="wal2dbz_capture.py failed: $(tail -n3 "$w/wal2dbz.log")"
  fi
  psqlq -d inventory -c "SELECT pg_drop_replication_slot('live')" >/dev/null 2>&1 || true

  # 1: wal2dbz = live Debezium (streamed records)
  if [[ -z $why ]]; then
    nsnap=$(python3 "$work/prep.py" strip "$w/dbz.jsonl" "$w/expected.jsonl" 2>&1) \
      || why="cannot strip the snapshot: $nsnap"
  fi
  if [[ -z $why ]]; then
    python3 "$work/prep.py" mask "$w/expected.jsonl"
    python3 "$work/prep.py" mask "$w/actual.jsonl"
    # shellcheck disable=SC2046
    if python3 "$here/compare.py" "$w/expected.jsonl" "$w/actual.jsonl" --max 5 \
         $(known_differences "$name") > "$w/wal2dbz.diff" 2>&1; then
      echo "ok $((t + 1)) - $name: wal2dbz = live Debezium ($(wc -l < "$w/actual.jsonl") streamed records)"
    else
      echo "not ok $((t + 1)) - $name: wal2dbz = live Debezium"; failed=$((failed + 1))
      echo "# $nsnap snapshot records dropped; $(wc -l < "$w/expected.jsonl") from Debezium, $(wc -l < "$w/actual.jsonl") from wal2dbz"
      sed 's/^/# /' "$w/wal2dbz.diff"
    fi
  else
    echo "not ok $((t + 1)) - $name: wal2dbz = live Debezium"; failed=$((failed + 1))
    printf '%s\n' "$why" | sed 's/^/# /'
  fi

  # 2: live Debezium = recorded capture (all records, headers too)
  if [[ -z $why ]]; then
    cp "$caps/$name.jsonl" "$w/recorded.jsonl"
    cp "$w/dbz.jsonl" "$w/live.jsonl"
    python3 "$work/prep.py" mask "$w/recorded.jsonl"
    python3 "$work/prep.py" mask "$w/live.jsonl"
    # shellcheck disable=SC2046
    if python3 "$here/compare.py" "$w/recorded.jsonl" "$w/live.jsonl" --headers --max 5 \
         $(known_differences "$name") > "$w/recorded.diff" 2>&1; then
      echo "ok $((t + 2)) - $name: live Debezium = recorded capture ($(wc -l < "$w/live.jsonl") records)"
    else
      echo "not ok $((t + 2)) - $name: live Debezium = recorded capture captures/$name.jsonl"
      failed=$((failed + 1))
      echo "# $(wc -l < "$w/recorded.jsonl") recorded, $(wc -l < "$w/live.jsonl") live"
      sed 's/^/# /' "$w/recorded.diff"
    fi
  else
    echo "not ok $((t + 2)) - $name: live Debezium = recorded capture (no live output)"
    failed=$((failed + 1))
  fi
  t=$((t + 2))
done
echo "# $((t - failed)) of $t passed${keep:+ (work dir $work)}"
[[ $failed -eq 0 ]]
