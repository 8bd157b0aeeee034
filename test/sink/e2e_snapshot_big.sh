#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_snapshot_big.sh
#	  Big initial snapshots of wal2dbz-sink against a real PostgreSQL 15 and
#	  a real Kafka broker: two tables larger than logical_decoding_work_mem
#	  and one table of 2 million rows, read in primary-key chunks over two
#	  connections sharing the slot's exported snapshot, with memory bounded.
#
# The cluster runs with logical_decoding_work_mem = 1MB: w1 and w2 hold
# about 8 MB each, and while the snapshot runs, transactions larger than
# that (spilled by the walsender) change them.
#   - w1, w2: every row exactly once as an "r" record, then the streamed
#     changes with nothing missed or doubled (every key's records chain,
#     REPLICA IDENTITY FULL), the last record of every key equal to the
#     function's encoding of the row now
#   - m2 (SNAPSHOT_BIG_ROWS rows, default 2000000): exactly that many
#     records in Kafka, every key once; the markers of the whole snapshot
#   - the sink's peak resident memory stays under 200 MB (plus 512 MB for
#     AddressSanitizer's quarantine and shadow memory in an ASan build)
#   - progress in the log and /metrics while it runs
# On the 2-CPU development machines the whole test takes about two minutes
# with 2 million rows; SNAPSHOT_BIG_ROWS=200000 makes it quick.
#
# Usage: test/sink/e2e_snapshot_big.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_snapshot_big.sh
#
#-------------------------------------------------------------------------
set -uo pipefail
. "$(dirname "$0")/snapshot_lib.sh"

PREFIX=sb
SLOT=sb_slot
ROWS=${SNAPSHOT_BIG_ROWS:-2000000}
snap_init snapshot-big "logical_decoding_work_mem = 1MB"

psql <<SQL || bail "could not create the tables"
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.w1 (id int PRIMARY KEY, v int NOT NULL, pad text);
CREATE TABLE public.w2 (k text, n int, pad text, PRIMARY KEY (k, n));
CREATE TABLE public.m2 (id bigint PRIMARY KEY, v int);
ALTER TABLE public.w1 REPLICA IDENTITY FULL;
ALTER TABLE public.w2 REPLICA IDENTITY FULL;
INSERT INTO public.w1 SELECT g, g, repeat(md5(g::text), 4) FROM generate_series(1, 50000) g;
INSERT INTO public.w2 SELECT 'k' || (g % 97), g, repeat(md5(g::text), 4) FROM generate_series(1, 50000) g;
INSERT INTO public.m2 SELECT g, g % 1000 FROM generate_series(1, $ROWS) g;
ANALYZE;
SQL
SIZES=$(sql "SELECT pg_size_pretty(pg_table_size('public.w1')) || ', ' || pg_size_pretty(pg_table_size('public.w2'))
	|| ', ' || pg_size_pretty(pg_table_size('public.m2'))")
check '[[ $(sql "SELECT pg_table_size('"'public.w1'"') > 8 * 1024 * 1024 AND pg_table_size('"'public.w2'"') > 8 * 1024 * 1024") == t ]]' \
	"w1 and w2 are larger than logical_decoding_work_mem (1MB): $SIZES"

# big transactions while the snapshot runs
cat >"$WORK/load.sql" <<'SQL'
UPDATE public.w1 SET v = v + 1, pad = md5(random()::text) WHERE id % 13 = (random() * 12)::int;
INSERT INTO public.w2 SELECT 'new', (random() * 1e9)::int, repeat(md5(random()::text), 4) FROM generate_series(1, 200) ON CONFLICT DO NOTHING;
DELETE FROM public.w2 WHERE k = 'k' || (random() * 96)::int AND n % 50 = 0;
SELECT pg_sleep(0.3);
SQL

write_props "$WORK/sink.properties" "$PREFIX" "$SLOT" \
	"table.include.list=public\\.w1,public\\.w2,public\\.m2" \
	"snapshot.max.threads=2" "snapshot.chunk.size=20000" \
	"key.converter.schemas.enable=false" "value.converter.schemas.enable=false" \
	"kafka.linger.ms=20"

writer_start 40 "$WORK/load.sql"
sleep 1
T0=$SECONDS
sink_bg "$WORK/sink.properties"
RUNNING=
for ((i = 0; i < 600; i++)); do
	[[ $(metric wal2dbz_snapshot_running) == 1 && $(metric wal2dbz_snapshot_rows) -gt 0 ]] &&
		{ RUNNING=$(metric wal2dbz_snapshot_rows_estimated); break; }
	sleep 0.1
done
check '[[ -n $RUNNING && $RUNNING -ge $ROWS ]]' "/metrics while it runs: about $RUNNING rows estimated"
sink_wait_streaming 170
check '[[ $? -eq 0 ]]' "snapshot taken in $((SECONDS - T0)) s, streaming" || diag "$WORK/sink.err"
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$SINK_PID/status")
# an AddressSanitizer build (test/sanitize.sh e2e_snapshot_big) keeps freed memory in its
# quarantine (256 MB) and adds shadow memory and redzones: 447 MB measured with 2 million
# rows; the bound is the sink's plus 512 MB for ASan
HWM_MAX=204800
[[ $(ldd "$SINK" 2>/dev/null) == *libasan* ]] && HWM_MAX=$((HWM_MAX + 2 * 262144))
check '[[ -n $HWM && $HWM -lt $HWM_MAX ]]' \
	"peak resident memory of the sink: $((HWM / 1024)) MB (under $((HWM_MAX / 1024)) MB)"
grep "snapshot complete" "$WORK/sink.err" | sed 's/^/# /'
check 'grep -q "snapshot: [0-9]* of about [0-9]* rows ([0-9]*%), [0-9]* rows/s, about [0-9]* s left" "$WORK/sink.err"' \
	"progress with rate and time left in the log"
writer_wait || { diag "$WORK/writer.out"; bail "the writer failed"; }
END=$(sql "SELECT pg_current_wal_lsn()")
check 'wait_confirmed "$SLOT" "$END" 90' "the big transactions are streamed and confirmed up to $END"
sink_stop TERM
check '[[ $rc -eq 0 ]]' "SIGTERM: exit 0"

# m2: count and distinct keys, and the records that carry markers
kcat -b "$BOOTSTRAP" -C -t "$PREFIX.public.m2" -o beginning -e -q -f '%p\t%o\t%T\t%k\t%s\n' \
	>"$WORK/m2.tsv" 2>>"$WORK/kcat.err"
check '[[ $(wc -l <"$WORK/m2.tsv") -eq $ROWS && $(cut -f4 "$WORK/m2.tsv" | sort -u | wc -l) -eq $ROWS ]]' \
	"m2: $ROWS records, each key once"
python3 - "$WORK/m2.tsv" "$PREFIX.public.m2" >"$WORK/m2-marked.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    p, o, ts, k, v = line.rstrip("\n").split("\t", 4)
    if '"snapshot":"true"' not in v:
        print(json.dumps({"topic": sys.argv[2], "partition": int(p), "offset": int(o),
                          "ts": int(ts), "key": k, "payload": v}))
PY
check '[[ $(wc -l <"$WORK/m2-marked.jsonl") -eq 2 ]]' "m2: two records carry markers, the others \"true\""

# w1, w2: exactly once, chained, final state; markers across the three tables
for t in w1 w2; do
	kcat -b "$BOOTSTRAP" -C -t "$PREFIX.public.$t" -o beginning -e -J -q >>"$WORK/kafka.jsonl" 2>>"$WORK/kcat.err"
done
cat "$WORK/m2-marked.jsonl" >>"$WORK/kafka.jsonl"
expected "$PREFIX" "$WORK/expected.tsv" public.w1 public.w2
verify big --strict --runs 1 --skip "$PREFIX.public.m2" "$WORK/kafka.jsonl" "$WORK/expected.tsv"
check '! grep -q "error:" "$WORK/sink.err"' "no errors logged" || diag "$WORK/sink.err"
finish
