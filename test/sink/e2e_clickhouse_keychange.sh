#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_clickhouse_keychange.sh
#	  A key change keeps its unchanged TOAST values when its old key's
#	  partition has not been written yet (another member owns it, or it
#	  lags).
#
# With REPLICA IDENTITY DEFAULT, an update that changes the primary key
# and leaves a TOASTed column alone carries no value for it: the stage
# takes it from the old key's last row.  That row sits in the old key's
# partition, which may not be in ClickHouse yet.  The stage then holds the
# new key's partition at that record (commits up to it and reads it again)
# until the old key's row has come, rather than writing the column's
# default.
#
# 1. Documents 1..12 with 8 kB bodies stored out of line, then
#    id = id + 100 for all of them; all in Kafka (3 partitions) first.
# 2. The group's offsets as a lagging member leaves them: the partition
#    holding most old keys (X) committed at its end, as if another member
#    owned it and had not written it yet.  The stage runs: the key changes
#    whose old key is on X are held, not written without their bodies.
# 3. X rewound to 0 (its owner writes it now): the stage catches up, and
#    every moved document has its 8 kB body; ClickHouse equals PostgreSQL.
# 4. The other way round: documents 201..212 moved while the new keys'
#    partitions lag; the stage sees the old keys' deletes first, and
#    ClickHouse merges the table (OPTIMIZE FINAL).  The deletes wait for
#    the new keys' inserts, so the merge cannot drop the old keys' rows
#    before the inserts have taken their bodies, and the log says so (not
#    "waiting … for the old key").
#
# Usage: test/sink/e2e_clickhouse_keychange.sh   (SINK=path, KEEP=1).
# Needs what e2e_clickhouse.sh needs.  Prints TAP.
#
# test/sink/e2e_clickhouse_keychange.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_clickhouse.sh"

PREFIX=app
SLOT=app_slot
TOPIC=$PREFIX.public.docs
GROUP=e2e-keychange
TABLES=(public.docs=cdc.app_public_docs)

e2e_init chkeychange
e2e_start_pg
e2e_start_kafka
ch_start
PORT=$(free_port)

# record_partitions FILE: the topic's records as "partition id op" lines
record_partitions() {
	kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -o beginning -e -q -f '%p\t%k\t%s\n' 2>/dev/null |
		python3 -c '
import json, sys
for line in sys.stdin:
    p, k, v = line.rstrip("\n").split("\t", 2)
    key = json.loads(k); key = key.get("payload", key)
    op = json.loads(v)["payload"]["op"] if v else "tombstone"
    print(p, key["id"], op)' >"$1"
}

e2e_psql <<'SQL' >/dev/null || bail "could not create the table"
CREATE TABLE public.docs (id int PRIMARY KEY, title text, body text);
ALTER TABLE public.docs ALTER COLUMN body SET STORAGE EXTERNAL;
SQL
write_props "$WORK/source.properties" "$PGDATABASE" $PREFIX $SLOT "http.port=0"
stage_props "$WORK/stage.properties" ch-keychange
sink_start source "$WORK/source.properties"
wait_active $SLOT 60 || bail "the source sink never streamed from its slot"

# --- 1. the documents and their key changes, all in Kafka first
e2e_psql <<'SQL' >/dev/null || bail "the changes failed"
INSERT INTO public.docs SELECT i, 'doc ' || i, repeat(md5(i::text), 256) FROM generate_series(1, 12) i;
UPDATE public.docs SET id = id + 100;
SQL
check 'wait_confirmed $SLOT "$(current_lsn)" 60' "the changes are in Kafka" || diag "$WORK/source.err"
check '[[ $(sql "SELECT count(*) FROM public.docs WHERE length(body) = 8192 AND pg_column_size(body) >= 8192") == 12 ]]' \
	"the bodies are stored out of line (TOAST), uncompressed"

record_partitions "$WORK/records.txt"
# X: the partition with the most old keys whose new key is elsewhere
X=$(awk '$3 == "c" && $2 > 100 { newp[$2 - 100] = $1 } $3 == "c" && $2 <= 100 { oldp[$2] = $1 }
	END { for (i in newp) if (oldp[i] != newp[i]) n[oldp[i]]++; best = -1
	      for (p in n) if (n[p] > best) { best = n[p]; x = p } print x }' "$WORK/records.txt")
MOVED=$(awk -v x="$X" '$3 == "c" && $2 > 100 { newp[$2 - 100] = $1 } $3 == "c" && $2 <= 100 { oldp[$2] = $1 }
	END { for (i in newp) if (oldp[i] == x && newp[i] != x) printf "%d ", i + 100 }' "$WORK/records.txt")
END_X=$(kcat -Q -b "$BOOTSTRAP" -t "$TOPIC:$X:-1" 2>/dev/null | awk '{ print $NF }')
note "partition $X holds the old keys of documents ${MOVED}(their new keys elsewhere); it ends at $END_X"
COMMITS=()
for p in 0 1 2; do [[ $p == "$X" ]] && COMMITS+=("$p=$END_X") || COMMITS+=("$p=0"); done
check '[[ -n $X && -n $MOVED && $END_X -gt 0 ]] && python3 "$E2E_HERE/ch_commit.py" "$BOOTSTRAP" $GROUP "$TOPIC" "${COMMITS[@]}" 2>"$WORK/commit.err"' \
	"partition $X is committed at its end, as a lagging member would leave it" || diag "$WORK/commit.err"

# --- 2. the stage without partition X: the key changes from X wait
sink_start stage "$WORK/stage.properties"
for _ in $(seq 1 150); do grep -q "waiting at offset [0-9]* for the old key" "$WORK/stage.err" && break; sleep 0.2; done
check 'grep -q "waiting at offset [0-9]* for the old key" "$WORK/stage.err"' "a key change whose old key is not in ClickHouse is held" ||
	diag "$WORK/stage.err"
sleep 2
IN_LIST=${MOVED// /,}
IN_LIST=${IN_LIST%,}
check '[[ $(ch_sql "SELECT count() FROM cdc.app_public_docs WHERE id IN ($IN_LIST)") == 0 ]]' \
	"those documents are not written without their bodies"
sink_stop stage TERM
check '[[ $rc -eq 0 ]]' "SIGTERM exits 0, committing up to the held records" || diag "$WORK/stage.err"

# --- 3. partition X written now: everything resolves
check 'python3 "$E2E_HERE/ch_commit.py" "$BOOTSTRAP" $GROUP "$TOPIC" "$X=0" 2>"$WORK/commit.err"' "partition $X rewound" ||
	diag "$WORK/commit.err"
sink_start stage "$WORK/stage.properties"
check 'ch_wait_equal 90 "${TABLES[@]}"' "ClickHouse equals PostgreSQL" || diag "$WORK/stage.err"
check '[[ $(ch_sql "SELECT countIf(length(body) = 8192) FROM cdc.app_public_docs FINAL WHERE is_deleted = 0 AND id > 100") == 12 ]]' \
	"every moved document kept its 8 kB body"
python3 "$E2E_HERE/ch_compare.py" --tap "$n" "$CH_URL" "${TABLES[@]}" >"$WORK/compare.tap"
tap_merge "$WORK/compare.tap"
check '[[ $(curl -s "http://127.0.0.1:$PORT/metrics" | awk "/^wal2dbz_clickhouse_toast_unresolved_total/ { print \$NF }") == 0 ]]' \
	"no TOAST value went unresolved"
sink_stop stage TERM
check '[[ $rc -eq 0 ]]' "SIGTERM exits 0" || diag "$WORK/stage.err"

# --- 4. the other way round: the old keys' deletes come first, the new
# keys' inserts later (their member lags), and ClickHouse merges between.
# A merge keeps only a key's highest version: were the deletes written,
# the old keys' rows with the bodies would be gone.  They wait instead.
e2e_psql <<'SQL' >/dev/null || bail "the inserts failed"
INSERT INTO public.docs SELECT i, 'doc ' || i, repeat(md5(i::text), 256) FROM generate_series(201, 212) i;
SQL
sink_start stage "$WORK/stage.properties"
check 'ch_wait_equal 60 "${TABLES[@]}"' "documents 201..212 written" || diag "$WORK/stage.err"
sink_stop stage TERM
declare -A BEFORE
for p in 0 1 2; do BEFORE[$p]=$(kcat -Q -b "$BOOTSTRAP" -t "$TOPIC:$p:-1" 2>/dev/null | awk '{ print $NF }'); done
e2e_psql -c "UPDATE public.docs SET id = id + 100 WHERE id > 200" >/dev/null || bail "the key changes failed"
check 'wait_confirmed $SLOT "$(current_lsn)" 60' "their key changes are in Kafka" || diag "$WORK/source.err"
record_partitions "$WORK/records2.txt"
# Y: the partition with the most old keys (201..212) whose new key is elsewhere
Y=$(awk '$3 == "c" && $2 > 300 { newp[$2 - 100] = $1 } $3 == "c" && $2 > 200 && $2 <= 300 { oldp[$2] = $1 }
	END { for (i in newp) if (oldp[i] != newp[i]) n[oldp[i]]++; best = -1
	      for (p in n) if (n[p] > best) { best = n[p]; y = p } print y }' "$WORK/records2.txt")
COMMITS=()
for p in 0 1 2; do
	[[ $p == "$Y" ]] || COMMITS+=("$p=$(kcat -Q -b "$BOOTSTRAP" -t "$TOPIC:$p:-1" 2>/dev/null | awk '{ print $NF }')")
done
note "partition $Y holds old keys of the moved documents; the others are committed at their end"
check '[[ -n $Y ]] && python3 "$E2E_HERE/ch_commit.py" "$BOOTSTRAP" $GROUP "$TOPIC" "${COMMITS[@]}" 2>"$WORK/commit.err"' \
	"the new keys' partitions committed at their end, as a lagging member would leave them" || diag "$WORK/commit.err"
LOGGED=$(wc -l <"$WORK/stage.err")
sink_start stage "$WORK/stage.properties"
sleep 4
ch_sql "OPTIMIZE TABLE cdc.app_public_docs FINAL" >/dev/null
sleep 1
sink_stop stage TERM
tail -n +$((LOGGED + 1)) "$WORK/stage.err" >"$WORK/stage-y.err"
check 'grep -q "partition $Y: holding a key change.s delete of the old key at offset [0-9]* until the new key.s insert" "$WORK/stage-y.err" &&
	! grep -q "for the old key of a key change" "$WORK/stage-y.err"' \
	"the log says the deletes wait for their new keys' inserts (not for an old key)" || diag "$WORK/stage-y.err"
COMMITS=()
for p in 0 1 2; do [[ $p == "$Y" ]] || COMMITS+=("$p=${BEFORE[$p]}"); done
check 'python3 "$E2E_HERE/ch_commit.py" "$BOOTSTRAP" $GROUP "$TOPIC" "${COMMITS[@]}" 2>"$WORK/commit.err"' \
	"the new keys' partitions rewound (their member writes them now)" || diag "$WORK/commit.err"
sink_start stage "$WORK/stage.properties"
check 'ch_wait_equal 90 "${TABLES[@]}"' "ClickHouse equals PostgreSQL after the merge" || diag "$WORK/stage.err"
check '[[ $(ch_sql "SELECT countIf(length(body) = 8192) FROM cdc.app_public_docs FINAL WHERE is_deleted = 0 AND id > 300") == 12 ]]' \
	"every document moved after its old key's delete kept its 8 kB body"
sink_stop stage TERM
check '[[ $rc -eq 0 ]] && ! grep -q -e "error:" -e "counted as pending after a flush" "$WORK/stage.err"' \
	"the stage stops cleanly, no errors logged, every held row counted once" ||
	diag "$WORK/stage.err"
sink_stop source TERM

tap_end
