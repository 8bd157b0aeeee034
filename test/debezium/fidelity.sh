#!/usr/bin/env bash
# Fidelity test: wal2dbz's Kafka records against the real Debezium 3.6.3 captures in captures/.
#
# usage: fidelity.sh [CAPTURE_NAME ...]        (default: every captures/*.jsonl)
# env:   FIDELITY_WORK=DIR  work in DIR and keep it (cluster stopped; NAME.expected.jsonl,
#                           NAME.actual.jsonl, NAME.diff per capture); default a temp dir, removed
#        FIDELITY_MAX=N     differing records shown per capture (default 5)
#        FIDELITY_SOURCE_VERSION  source.version passed to the plugin (default 3.6.3.Final, the
#                           Debezium version of the captures; the plugin's default is its own)
#        FIDELITY_HEADERS=1 also compare Kafka headers (compare.py --headers; runId is ignored);
#                           the outbox* captures always compare them
#        PG_BINDIR          as for test/lib/pg.sh (default /usr/lib/postgresql/15/bin)
#
# For every capture NAME (SQL captures/<NAME up to the first '-'>.sql, properties NAME.props):
# fresh database "inventory"; part 1 of the SQL (before "-- @@STREAM@@"); the publication
# Debezium would have created; a wal2dbz slot; part 2; the slot drained in framed format with
# topic.prefix=dbserver1, source.version=3.6.3.Final plus NAME.props (wal2dbz_capture.py); the capture's streamed records
# (its leading snapshot "r" records dropped) compared with compare.py (no headers), after
# masking the now()-derived values below and normalising the known differences listed below
# (KNOWN_*, per capture in known_differences). Captures with a property the plugin does not have are
# skipped. Output: TAP. Runs as root (cluster owned by "postgres") or as an unprivileged user.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
caps=$here/captures
pgsh=$here/../lib/pg.sh
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
export PG_BINDIR
export PSQL=$PG_BINDIR/psql
max=${FIDELITY_MAX:-5}
source_version=${FIDELITY_SOURCE_VERSION:-3.6.3.Final}

# Debezium properties the plugin takes as options (plugin/options.c); anything else in a
# capture's .props (e.g. value.converter.replace.null.with.default, include.schema.comments)
# makes that capture a SKIP.
SUPPORTED=" topic.prefix key.converter.schemas.enable value.converter.schemas.enable
 decimal.handling.mode time.precision.mode binary.handling.mode interval.handling.mode
 hstore.handling.mode skipped.operations provide.transaction.metadata include.unknown.datatypes
 tombstones.on.delete unavailable.value.placeholder table.include.list table.exclude.list
 schema.include.list schema.exclude.list column.include.list column.exclude.list
 value.converter.replace.null.with.default include.schema.comments publication.autocreate.mode message.key.columns column.propagate.source.type "

# Known, documented differences: the top-level README, "Where we differ from Debezium, on purpose".
# compare.py normalises them away on BOTH sides, only in the records that contain them (the column
# is removed from payload before/after and from the value schema; see compare.py); every other
# record, and everything else in those records, is still compared byte for byte.
# Columns are SCHEMA.TABLE.COLUMN of captures/types.sql.
#
# name columns (t_char.nm): Debezium 3.6.3 streams them as null (its pgoutput-path bug; the snapshot
# and include.unknown.datatypes=true have the value); wal2dbz writes the value.
KNOWN_NAME="--drop public.t_char.nm"
# int2vector / oidvector (t_misc.i2v, t_misc.ov): Debezium gives an array schema and the value []
# (data lost); wal2dbz does not copy that loss (its README: left out like other unknown types).
KNOWN_VECTOR="--drop public.t_misc.i2v --drop public.t_misc.ov"
# multidimensional arrays (t_array.a2 int[][]): Debezium writes [null,null] for {{1,2},{3,4}};
# wal2dbz writes nested arrays.
KNOWN_MULTIDIM="--drop public.t_array.a2"
# geometric types other than point under include.unknown.datatypes=true (t_geo box, circle, line,
# lseg, path, polygon): Debezium's bytes are pgjdbc's toString ("(1.0,1.0),(0.0,0.0)"), wal2dbz's
# PostgreSQL's output text ("(1,1),(0,0)").
KNOWN_GEO_UNKNOWN="--drop public.t_geo.bx --drop public.t_geo.c --drop public.t_geo.l --drop public.t_geo.ls --drop public.t_geo.pa --drop public.t_geo.pg"
# transaction END records (provide.transaction.metadata=true): Debezium counts each transactional
# logical-decoding message under a data_collection named
# "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@<hash>",
# a random Java identity hash that also decides the HashMap order of all entries: the entries are
# compared as a multiset with the hash masked.
KNOWN_TX_MESSAGES="--unordered-message-collections"
# table.expand.json.payload, an array of objects of different shapes: Debezium merges the element
# structs over a HashSet of schemas, whose order follows Java identity hash codes (it changes from
# run to run); wal2dbz merges in order of appearance. The merged fields (and the elements' members)
# are compared sorted by name.
KNOWN_MERGED_STRUCTS="--unordered-merged-structs"

# known_differences NAME: the compare.py options for capture NAME (word-split on purpose).
# The New Record State Extraction's captures add run-dependent envelope fields to rows and headers
# (LSNs, times, transaction ids): masked like the envelope's own.
UNWRAP_MASKS="--mask __lsn --mask __source_ts_ms --mask cdc_ts_ms --mask __id --mask-header h_source_lsn --mask-header h_ts_ms --mask-header __transaction_id"

known_differences() {
  case $1 in
    unwrap*txmeta*) echo "$UNWRAP_MASKS $KNOWN_TX_MESSAGES" ;;
    unwrap*) echo "$UNWRAP_MASKS" ;;
    types-unknown) echo "$KNOWN_VECTOR $KNOWN_MULTIDIM $KNOWN_GEO_UNKNOWN" ;;  # name is right there
    types | types-*) echo "$KNOWN_NAME $KNOWN_VECTOR $KNOWN_MULTIDIM" ;;
    ops-txmeta*) echo "$KNOWN_TX_MESSAGES" ;;
    outbox-expand*) echo "$KNOWN_MERGED_STRUCTS" ;;
    *) ;;
  esac
}

# compare_headers NAME: --headers for the outbox captures (the router's id and placed headers
# are the point there) or with FIDELITY_HEADERS=1
compare_headers() {
  case $1 in
    outbox*|unwrap*) echo --headers ;;
    *) echo ${FIDELITY_HEADERS:+--headers} ;;
  esac
}

# Snapshot ("r") records: wal2dbz's (wal2dbz_snapshot.py: wal2dbz.snapshot_frames() over the
# tables the sink would read, in its order) against the capture's leading "r" records, except:
# PARENT_TOPICS: Debezium's snapshot also reads partitioned parents, so every row of a partitioned
# table comes twice, on the parent's topic and on its leaf's, while streaming (Debezium's too)
# uses only leaf topics and wal2dbz reads only leaves (README, "Where we differ from Debezium, on
# purpose"): the expected side leaves out the records of the parents' topics ($parents, from
# pg_class relkind 'p', topic names sanitised as Debezium does). The name column (KNOWN_NAME) is
# compared there: Debezium's snapshot has the value, as wal2dbz. The other column differences are
# the same as in streaming.
# source.txId of snapshot records: Debezium's snapshot transaction calls pg_current_xact_id() and
# writes that xid; wal2dbz-sink's snapshot transactions take none (an xid would make every
# CREATE_REPLICATION_SLOT on the server wait for the whole snapshot; sink/README.md) and write
# null. compare.py's default masks hide every txId number but not a null, so the expected side's
# number becomes null and wal2dbz's null is still checked.
KNOWN_SNAPSHOT_TXID="--null-snapshot-txid"
# BC and infinite dates (t_date.d) in snapshot records: Debezium's snapshot reads them through
# JDBC (java.sql.Date: Julian calendar, other sentinels for infinity) and contradicts its own
# streaming of the same values (README, "Where we differ from Debezium, on purpose"); wal2dbz
# writes what Debezium streams. compare.py maps the snapshot path's days of the captured values
# to the streaming path's (SNAPSHOT_DATES there), so the column is still compared.
KNOWN_SNAPSHOT_DATES="--snapshot-dates public.t_date.d"

# known_snapshot_differences NAME: the compare.py options for the snapshot records of capture NAME.
known_snapshot_differences() {
  case $1 in
    unwrap*) echo "$KNOWN_SNAPSHOT_TXID $UNWRAP_MASKS" ;;
    types-unknown) echo "$KNOWN_SNAPSHOT_TXID $KNOWN_SNAPSHOT_DATES $KNOWN_VECTOR $KNOWN_MULTIDIM $KNOWN_GEO_UNKNOWN" ;;
    types | types-*) echo "$KNOWN_SNAPSHOT_TXID $KNOWN_SNAPSHOT_DATES $KNOWN_VECTOR $KNOWN_MULTIDIM" ;;
    outbox-expand*) echo "$KNOWN_SNAPSHOT_TXID $KNOWN_MERGED_STRUCTS" ;;
    *) echo "$KNOWN_SNAPSHOT_TXID" ;;
  esac
}

if [[ -n ${FIDELITY_WORK:-} ]]; then
  mkdir -p "$FIDELITY_WORK"; work=$(cd "$FIDELITY_WORK" && pwd); keep=1
else
  work=$(mktemp -d /tmp/wal2dbz-fidelity.XXXXXX); keep=
fi
chmod 755 "$work"     # the cluster owner ("postgres" when run as root) must reach $work/pg

cleanup() {
  "$pgsh" stop "$work/pg" >/dev/null 2>&1 || true
  [[ -n $keep ]] || rm -rf "$work"
}
trap cleanup EXIT

eval "$("$pgsh" start "$work/pg" "TimeZone = 'UTC'" "log_timezone = 'UTC'" 2>"$work/pg.sh.log")" \
  || { cat "$work/pg.sh.log" >&2; echo "Bail out! could not start PostgreSQL"; exit 1; }
psqlq() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }

# prep.py: "strip IN OUT" drops the leading snapshot records; "mask FILE" rewrites FILE in place.
cat > "$work/prep.py" <<'PY'
import json, os, re, sys

def op_of(v):
    if v is None:
        return None                          # tombstone
    j = json.loads(v)
    if isinstance(j, dict) and set(j) == {"schema", "payload"}:
        j = j["payload"]                     # schemas enabled
    return j.get("op") if isinstance(j, dict) else None

# Values that must differ between the Debezium run and this one, because PostgreSQL computed them
# from the clock (or randomly) when the row was written: t_defaults.ts_nn/ts_null (DEFAULT now()),
# tsp (DEFAULT CURRENT_TIMESTAMP), d_cur (DEFAULT current_date), u_gen (DEFAULT gen_random_uuid()),
# t_notnull.dflt_ts (DEFAULT now()). Only the clock/random values are masked; the deterministic
# ones of the same columns (null, Debezium's 1970 / 0 / zero-UUID defaults and fallbacks, the
# explicit 2021-01-01) stay compared. A timestamp is clock-derived if its year is >= 2024.
NOWISH = [(re.compile(p), r) for p, r in [
    (r'("(?:ts_nn|ts_null|dflt_ts)":)"20(?:2[4-9]|[3-9]\d)-[^"]*"', r'\1"#"'),
    (r'("tsp":)1[7-9]\d{11}(?:\d{3})?(?=[,}])', r'\1"#"'),   # ms (connect) or us since 1970, >= 2023-11
    (r'("d_cur":)(?:19[7-9]\d\d|2\d{4})(?=[,}])', r'\1"#"'),   # days since 1970, >= 2023-12
    (r'("u_gen":)"(?!00000000-0000-0000-0000-000000000000")[0-9a-f-]{36}"', r'\1"#"'),
]]

def mask(s):
    if s is None:
        return None
    for p, r in NOWISH:
        s = p.sub(r, s)
    return s

def is_snapshot(i, r):
    # SNAPSHOT_RECORDS: the snapshot's record count, for captures whose values
    # carry no "op" (the New Record State Extraction's rows)
    if os.environ.get("SNAPSHOT_RECORDS"):
        return i < int(os.environ["SNAPSHOT_RECORDS"])
    return op_of(r.get("value")) == "r"

if sys.argv[1] == "strip":
    recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    n = 0
    while n < len(recs) and is_snapshot(n, recs[n]):
        n += 1
    late = [i + 1 for i, r in enumerate(recs[n:], n)
            if not os.environ.get("SNAPSHOT_RECORDS") and op_of(r.get("value")) == "r"]
    if late:
        sys.exit("snapshot records after streaming started: %s" % late[:5])
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        for r in recs[n:]:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(n)
elif sys.argv[1] == "snapshot":
    # the leading snapshot records, less those on the topics named after OUT (see PARENT_TOPICS)
    recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    drop = set(sys.argv[4:])
    n = 0
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        for i, r in enumerate(recs):
            if not is_snapshot(i, r):
                break
            if r["topic"] not in drop:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
    print(n)
elif sys.argv[1] == "count-snapshot":
    recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    n = 0
    while n < len(recs) and op_of(recs[n].get("value")) == "r":
        n += 1
    print(n)
elif sys.argv[1] == "mask":
    recs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        for r in recs:
            for k in ("key", "value"):
                r[k] = mask(r.get(k))
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
PY

if [[ $# -gt 0 ]]; then
  names=("$@")
else
  names=()
  for f in "$caps"/*.jsonl; do n=${f##*/}; names+=("${n%.jsonl}"); done
fi

# snapshot_test NAME DIR: one more test, wal2dbz's snapshot ("r") records of part 1
# (DIR/snapshot.actual.jsonl) against the capture's leading "r" records, less those of
# partitioned parents ($parents, see PARENT_TOPICS), masked and normalised like the streamed ones
# plus the snapshot's own known differences (known_snapshot_differences).
snapshot_test() {
  local name=$1 w=$2 nexp
  t=$((t + 1))
  # shellcheck disable=SC2086
  if ! nexp=$(python3 "$work/prep.py" snapshot "$caps/$name.jsonl" "$w/snapshot.expected.jsonl" $parents 2>&1); then
    echo "not ok $t - capture $name, snapshot"; echo "# cannot extract the snapshot: $nexp"
    failed=$((failed + 1)); return
  fi
  python3 "$work/prep.py" mask "$w/snapshot.expected.jsonl"
  python3 "$work/prep.py" mask "$w/snapshot.actual.jsonl"
  # shellcheck disable=SC2046
  if python3 "$here/compare.py" "$w/snapshot.expected.jsonl" "$w/snapshot.actual.jsonl" --max "$max" \
       $(compare_headers "$name") $(known_snapshot_differences "$name") > "$w/snapshot.diff" 2>&1; then
    echo "ok $t - capture $name, snapshot ($nexp r records)"
    grep '^normalis' "$w/snapshot.diff" | sed 's/^/# /' || true
    passed=$((passed + 1))
  else
    echo "not ok $t - capture $name, snapshot"
    echo "# $nexp r records expected, $(wc -l < "$w/snapshot.actual.jsonl") from wal2dbz"
    sed 's/^/# /' "$w/snapshot.diff"
    failed=$((failed + 1))
  fi
}

# publication_tables PROPS...: what Debezium's publication holds: all tables, or with
# publication.autocreate.mode=filtered the captured ones (table.include.list; the captures that
# use it list plain names)
publication_tables() {
  local p filtered= tables=
  for p in "$@"; do
    [[ $p == publication.autocreate.mode=filtered ]] && filtered=1
    [[ $p == table.include.list=* ]] && tables=${p#*=}
  done
  if [[ -n $filtered ]]; then echo "FOR TABLE ${tables//,/, }"; else echo "FOR ALL TABLES"; fi
}

t=0 passed=0 failed=0 skipped=0
for name in "${names[@]}"; do
  t=$((t + 1))
  sql=$caps/${name%%-*}.sql
  # the New Record State Extraction's captures: ops.sql, and the snapshot records are told
  # apart by their number (the ops capture's), since the rows carry no "op"
  unset SNAPSHOT_RECORDS
  if [[ $name == unwrap* ]]; then
    sql=$caps/ops.sql
    SNAPSHOT_RECORDS=$(python3 "$work/prep.py" count-snapshot "$caps/ops.jsonl")
    export SNAPSHOT_RECORDS
  fi
  if [[ ! -f $caps/$name.jsonl || ! -f $sql ]]; then
    echo "not ok $t - capture $name"; echo "# no $caps/$name.jsonl or $sql"; failed=$((failed + 1)); continue
  fi
  if [[ $name == heartbeat* ]]; then
    echo "ok $t - capture $name # SKIP heartbeats come from the sink: test/sink/e2e_heartbeat.sh compares them"
    skipped=$((skipped + 1)); continue
  fi
  props=() unsupported=()
  if [[ -f $caps/$name.props ]]; then
    while IFS= read -r p || [[ -n $p ]]; do
      [[ -z $p ]] && continue
      [[ " ${SUPPORTED//$'\n'/ } " == *" ${p%%=*} "* || $p == transforms=* || $p == transforms.* ||
        $p == column.truncate.to.* || $p == column.mask.* ]] ||
        unsupported+=("$p")
      props+=("$p")
    done < "$caps/$name.props"
  fi
  if [[ ${#unsupported[@]} -gt 0 ]]; then
    echo "ok $t - capture $name # SKIP plugin does not support ${unsupported[*]}"
    skipped=$((skipped + 1)); continue
  fi

  w=$work/$name
  mkdir -p "$w"
  awk '/^-- @@STREAM@@/{exit} {print}' "$sql" > "$w/pre.sql"
  awk 'f{print} /^-- @@STREAM@@/{f=1}' "$sql" > "$w/post.sql"
  why=
  {
    psqlq -d postgres -c "DROP DATABASE IF EXISTS inventory" -c "CREATE DATABASE inventory" &&
    psqlq -d inventory -f "$w/pre.sql" &&
    # Debezium creates this when it starts, i.e. after part 1. It matters: it makes PostgreSQL
    # reject UPDATE/DELETE on published tables without a replica identity (ri_nothing, nokey),
    # which part 2 relies on.
    psqlq -d inventory -c "CREATE PUBLICATION dbz_publication $(publication_tables "${props[@]}")" &&
    slot_lsn=$(psqlq -d inventory -At -c "SELECT lsn FROM pg_create_logical_replication_slot('fidelity', 'wal2dbz')") &&
    # wal2dbz's snapshot of the rows of part 1, as the sink reads them (wal2dbz_snapshot.py):
    # Debezium took its snapshot at that point too
    psqlq -d inventory -c "CREATE EXTENSION IF NOT EXISTS wal2dbz" &&
    python3 "$here/wal2dbz_snapshot.py" "$w/snapshot.actual.jsonl" inventory "$slot_lsn" \
      topic.prefix=dbserver1 source.version="$source_version" "${props[@]}" &&
    parents=$(psqlq -d inventory -At -c "SELECT regexp_replace('dbserver1.' || n.nspname || '.' || c.relname,
        '[^a-zA-Z0-9._-]', '_', 'g') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'p'") &&
    psqlq -d inventory -f "$w/post.sql"
  } > "$w/sql.log" 2>&1 || why="SQL failed (see $w/sql.log): $(grep -m1 'ERROR\|wal2dbz_snapshot' "$w/sql.log" || tail -n1 "$w/sql.log")"
  if [[ -z $why ]]; then
    python3 "$here/wal2dbz_capture.py" "$w/actual.jsonl" inventory fidelity \
      topic.prefix=dbserver1 source.version="$source_version" "${props[@]}" 2> "$w/capture.log" \
      || why="wal2dbz_capture.py failed: $(tail -n3 "$w/capture.log")"
  fi
  psqlq -d inventory -c "SELECT pg_drop_replication_slot('fidelity')" >/dev/null 2>&1 || true
  if [[ -z $why ]]; then
    nsnap=$(python3 "$work/prep.py" strip "$caps/$name.jsonl" "$w/expected.jsonl" 2>&1) \
      || why="cannot strip the snapshot: $nsnap"
  fi
  if [[ -z $why ]]; then
    python3 "$work/prep.py" mask "$w/expected.jsonl"
    python3 "$work/prep.py" mask "$w/actual.jsonl"
    # shellcheck disable=SC2046
    if python3 "$here/compare.py" "$w/expected.jsonl" "$w/actual.jsonl" --max "$max" \
         $(compare_headers "$name") $(known_differences "$name") > "$w/diff" 2>&1; then
      echo "ok $t - capture $name"; grep '^normalis' "$w/diff" | sed 's/^/# /' || true
      passed=$((passed + 1))
    else
      echo "not ok $t - capture $name"
      echo "# $nsnap snapshot records dropped; $(wc -l < "$w/expected.jsonl") expected, $(wc -l < "$w/actual.jsonl") from wal2dbz"
      sed 's/^/# /' "$w/diff"
      failed=$((failed + 1))
    fi
    snapshot_test "$name" "$w"
  else
    echo "not ok $t - capture $name"
    printf '%s\n' "$why" | sed 's/^/# /'
    failed=$((failed + 1))
  fi
done

echo "1..$t"
echo "# $passed passed, $failed failed, $skipped skipped ($t tests: each capture's streamed records, then its snapshot) of ${#names[@]} captures${keep:+ (work dir $work)}"
[[ $failed -eq 0 ]]
