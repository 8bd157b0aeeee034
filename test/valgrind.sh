#!/usr/bin/env bash
# The plugin under valgrind: a single-user PostgreSQL backend decodes inserts, updates (a key
# change, TOASTed values), deletes, a message, in every output format and several type modes,
# with valgrind's memcheck watching. Passes when no error report involves wal2dbz.so
# (PostgreSQL itself reports WAL page padding as uninitialised; those are not ours).
# Prints TAP. Run as an unprivileged user (initdb refuses root) after "make install".
#
# Usage: test/valgrind.sh
set -uo pipefail
BIN=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
if ! command -v valgrind >/dev/null; then echo "1..1"; echo "ok 1 # SKIP valgrind not installed"; exit 0; fi
WORK=$(mktemp -d /tmp/wal2dbz-valgrind.XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$WORK"' EXIT
"$BIN/initdb" -D "$WORK/data" -A trust >/dev/null 2>&1 || { echo "Bail out! initdb failed"; exit 1; }
cat >> "$WORK/data/postgresql.conf" <<CONF
wal_level = logical
max_replication_slots = 4
logical_decoding_work_mem = 64kB
fsync = off
output_plugin_libraries = 'pgoutput, test_decoding, wal2dbz'
CONF
valgrind --quiet --num-callers=30 --log-file="$WORK/valgrind.log" \
  "$BIN/postgres" --single -D "$WORK/data" postgres >"$WORK/out" 2>&1 <<'SQL'
SELECT pg_create_logical_replication_slot('vg', 'wal2dbz');
CREATE TABLE vt (id int PRIMARY KEY, n numeric(10,2), v numeric, t text, ts timestamptz, a int[], j jsonb, b bytea, iv interval, f float8, big text);
ALTER TABLE vt ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO vt SELECT i, i/3.0, i*1.5, 'x'||i, now(), ARRAY[i,i+1], jsonb_build_object('k',i,'a',jsonb_build_array(E'q"\\\\',i/3.0,true,null,'{}'::jsonb,jsonb_build_object('n',E'\n\x01😀'))), '\x0102', '1 day', i/7.0, repeat(md5(i::text), 100) FROM generate_series(1,200) i;
UPDATE vt SET t = 'u' WHERE id % 2 = 0;
UPDATE vt SET id = id + 1000 WHERE id = 5;
DELETE FROM vt WHERE id % 3 = 0;
TRUNCATE vt;
SELECT pg_logical_emit_message(true, 'p', 'm');
SELECT count(*) FROM pg_logical_slot_peek_changes('vg', NULL, NULL, 'provide.transaction.metadata', '1', 'skipped.operations', 'none');
SELECT count(*) FROM pg_logical_slot_peek_changes('vg', NULL, NULL, 'schemas.enable', '0', 'output.format', 'record', 'decimal.handling.mode', 'string', 'interval.handling.mode', 'string', 'binary.handling.mode', 'hex');
SELECT count(*) FROM pg_logical_slot_peek_binary_changes('vg', NULL, NULL, 'output.format', 'framed', 'framed.batch.bytes', '4096');
SQL
decoded=$(grep -c 'count = "' "$WORK/out")
ours=$(awk '/^==[0-9]+== [A-Z]/ {block=""} {block = block $0 "\n"} /wal2dbz/ && block != "" {print block; block=""}' "$WORK/valgrind.log")
echo "1..2"
if [[ $decoded -eq 3 ]]; then echo "ok 1 - three decoding runs under valgrind"; else echo "not ok 1 - three decoding runs under valgrind ($decoded)"; tail -5 "$WORK/out" | sed 's/^/# /'; fi
if [[ -z $ours ]]; then echo "ok 2 - no valgrind error involves wal2dbz.so"; else echo "not ok 2 - no valgrind error involves wal2dbz.so"; echo "$ours" | head -40 | sed 's/^/# /'; fi
