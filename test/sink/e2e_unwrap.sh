#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_unwrap.sh
#	  Debezium's New Record State Extraction (ExtractNewRecordState) end to
#	  end: the sink runs with the transform configured as in a Kafka Connect
#	  JSON file (deletes rewritten with __deleted, envelope fields added to
#	  rows and headers), takes the initial snapshot and streams a load; a
#	  consumer rebuilds the table from the topic's rows alone.
#
# 1. The Kafka Connect JSON configuration is accepted as is; "check" asks the
#    plugin about its options and names a bad transform property.
# 2. Every record is a row (schema and payload), never an envelope; no
#    Kafka tombstones (rewrite mode drops them).
# 3. The last row per key, less the ones marked __deleted, equals the
#    table in PostgreSQL: snapshot rows, inserts, updates, deletes and
#    primary-key changes included.
# 4. __op says r for the snapshot and c/u/d after, as the __op header does;
#    the header comes after Debezium's context headers.
#
# Usage: test/sink/e2e_unwrap.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_unwrap.sh
#
#-------------------------------------------------------------------------
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

e2e_init unwrap
e2e_start_pg
e2e_start_kafka
psql() { e2e_psql "$@"; }

# rows that exist before the sink first starts: the snapshot's
psql <<'SQL' || bail "could not create the table"
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2),
                              note text);
INSERT INTO public.accounts SELECT i, 'owner-' || i, i * 1.25, NULL FROM generate_series(1, 100) i;
SQL

cat > "$WORK/connector.json" <<EOF
{
  "name": "accounts-rows",
  "config": {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "plugin.name": "wal2dbz",
    "database.hostname": "$PGHOST",
    "database.port": "$PGPORT",
    "database.user": "$PGUSER",
    "database.dbname": "postgres",
    "topic.prefix": "bank",
    "slot.name": "unwrap_slot",
    "table.include.list": "public.accounts",
    "key.converter.schemas.enable": "false",
    "transforms": "unwrap",
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
    "transforms.unwrap.add.fields": "op,source.ts_ms",
    "transforms.unwrap.add.headers": "op",
    "kafka.bootstrap.servers": "$BOOTSTRAP",
    "http.port": "0"
  }
}
EOF

# "check" asks the plugin about the transform's properties before anything streams
sed 's/"op,source.ts_ms"/"op,source.ts_ms,after.owner"/' "$WORK/connector.json" >"$WORK/bad.json"
"$SINK" check --config "$WORK/bad.json" >"$WORK/check-bad.out" 2>&1
rc=$?
if [[ $rc -ne 0 ]] && grep -q '^FAIL plugin options: the plugin refuses them: "transforms.unwrap.add.fields" names "after.owner"' \
	"$WORK/check-bad.out"; then
	ok "check names the transform property the plugin refuses"
else
	not_ok "check names the transform property the plugin refuses"
	sed 's/^/#   /' "$WORK/check-bad.out"
fi
"$SINK" check --config "$WORK/connector.json" >"$WORK/check.out" 2>&1
if grep -q '^OK plugin options: ' "$WORK/check.out" && ! grep -q '^FAIL' "$WORK/check.out"; then
	ok "check accepts the transform's properties"
else
	not_ok "check accepts the transform's properties"
	sed 's/^/#   /' "$WORK/check.out"
fi

# the snapshot (the slot is new), up to the position before the load
if "$SINK" --config "$WORK/connector.json" --endpos="$(psql -At -c 'SELECT pg_current_wal_lsn()')" \
	>"$WORK/sink0.log" 2>&1; then
	ok "the Kafka Connect JSON configuration with the transform is accepted; the snapshot is taken"
else
	not_ok "the Kafka Connect JSON configuration with the transform is accepted; the snapshot is taken"
	sed 's/^/#   /' "$WORK/sink0.log" | tail -10
fi

# the load: inserts, updates (also to NULL and back), deletes, key changes
psql <<'SQL' || bail "the load failed"
INSERT INTO public.accounts SELECT i, 'owner-' || i, i, 'new' FROM generate_series(101, 300) i;
UPDATE public.accounts SET balance = balance + 1, note = 'paid' WHERE id % 7 = 0;
UPDATE public.accounts SET note = NULL WHERE id % 14 = 0;
DELETE FROM public.accounts WHERE id % 9 = 0;
UPDATE public.accounts SET id = id + 1000 WHERE id % 25 = 1;
BEGIN;
DELETE FROM public.accounts WHERE id = 2;
INSERT INTO public.accounts VALUES (2, 'owner-2 again', 0, 'reborn');
COMMIT;
SQL
END=$(psql -At -c "SELECT pg_current_wal_lsn()")
if "$SINK" --config "$WORK/connector.json" --endpos="$END" >"$WORK/sink1.log" 2>&1; then
	ok "the sink streams the load"
else
	not_ok "the sink streams the load"
	sed 's/^/#   /' "$WORK/sink1.log" | tail -10
fi

kcat -b "$BOOTSTRAP" -C -t bank.public.accounts -e -q -Z -f '%k\t%s\t%h\n' >"$WORK/topic.txt" 2>/dev/null
psql -At -F $'\t' -c "SELECT id, owner, balance, coalesce(note, '\N') FROM public.accounts ORDER BY id" \
	>"$WORK/table.txt"

# One line per assertion: "ok <what>" or "not ok <what>: <detail>".
python3 - "$WORK" >"$WORK/checks.txt" 2>&1 <<'PY'
import base64, decimal, json, sys
work = sys.argv[1]
shape, state, ops, headers = [], {}, [], []
rows = [l.rstrip("\n").split("\t", 2) for l in open(f"{work}/topic.txt") if l.strip()]
for key, value, hdrs in rows:
    if value == "":
        shape.append(f"a tombstone for {key}")
        continue
    v = json.loads(value)
    if set(v) != {"schema", "payload"} or v["schema"]["name"] != "bank.public.accounts.Value" \
            or "after" in v["payload"]:
        shape.append(f"not a row: {value[:120]}")
        continue
    p = v["payload"]
    k = json.loads(key)["id"]
    if p["id"] != k:
        shape.append(f"key {key} for row {p['id']}")
    # Connect Decimal: big-endian two's complement of the unscaled value, scale 2
    raw = base64.b64decode(p["balance"]) if p["balance"] is not None else None
    bal = None if raw is None else decimal.Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-2)
    if p["__deleted"] == "true":
        state.pop(k, None)
    else:
        state[k] = (p["owner"], bal, p["note"])
    ops.append(p["__op"])
    names = [h.split("=", 1)[0] for h in hdrs.split(",")] if hdrs else []
    if f"__op={p['__op']}" not in hdrs.split(",") or names[-1] != "__op" \
            or "__debezium.context.runId" not in names:
        headers.append(f"{k}: {hdrs}")
table = {}
for line in open(f"{work}/table.txt"):
    i, owner, bal, note = line.rstrip("\n").split("\t")
    table[int(i)] = (owner, decimal.Decimal(bal), None if note == "\\N" else note)
diff = sorted(set(state.items()) ^ set(table.items()))
first_stream = ops.index("c") if "c" in ops else len(ops)
print("ok records are rows (schema and payload, no envelope), no tombstones" if not shape
      else f"not ok records are rows, no tombstones: {'; '.join(shape[:3])}")
print(f"ok the rows rebuild the table ({len(table)} rows)" if not diff
      else f"not ok the rows rebuild the table: {len(diff)} differences, e.g. {diff[:3]}")
good_ops = ops[:first_stream] == ["r"] * 100 and set(ops[first_stream:]) == {"c", "u", "d"}
print("ok __op is r for the 100 snapshot rows, then c, u and d" if good_ops
      else f"not ok __op is r for the snapshot rows, then c, u and d: {ops[:3]}... {sorted(set(ops))}")
print("ok the __op header matches __op and follows the context headers" if not headers
      else f"not ok the __op header matches __op and follows the context headers: {headers[:3]}")
PY
while IFS= read -r line; do
	case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		*) echo "# $line" ;;
	esac
done <"$WORK/checks.txt"
tap_end
