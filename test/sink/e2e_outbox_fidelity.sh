#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_outbox_fidelity.sh
#	  The sink, given Debezium's Outbox Event Router as a Kafka Connect
#	  JSON configuration, publishes to Kafka the records real Debezium
#	  3.6.3 published for the same outbox table: topic, key, value and
#	  headers, byte for byte.
#
# For each outbox capture of test/debezium/captures (outbox, outbox-noschema,
# outbox-expand, outbox-expand-noschema: the issue's configuration, then
# expanded payloads with tombstones, with and without schemas; then
# outboxjson-expand and -noschema: payloads in a json, not jsonb, column,
# expanded in their text's order): a fresh database with part 1 of the
# capture's SQL (captures/<name up to the first '-'>.sql, as fidelity.sh), a
# slot, part 2, and the sink run to the end of the WAL from a Kafka Connect
# JSON file holding the capture's properties unchanged.  Each run's records in Kafka are compared with the
# capture by test/debezium/compare.py --headers (per topic in offset
# order; the run id header and the documented hash order of merged struct
# fields aside, as in fidelity.sh).
#
# Usage: test/sink/e2e_outbox_fidelity.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_outbox_fidelity.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

DBZ=$E2E_TOP/test/debezium
CAPTURES=$DBZ/captures
e2e_init outbox-fidelity
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres

NAMES=(outbox outbox-noschema outbox-expand outbox-expand-noschema outboxjson-expand
	outboxjson-expand-noschema)
declare -A ENDS=()
for name in "${NAMES[@]}"; do
	db=${name//-/_}
	script=${name%%-*}.sql
	awk '/^-- @@STREAM@@/{exit} {print}' "$CAPTURES/$script" >"$WORK/pre.sql"
	awk 'f{print} /^-- @@STREAM@@/{f=1}' "$CAPTURES/$script" >"$WORK/post.sql"
	sql "CREATE DATABASE $db" >/dev/null || bail "could not create database $db"
	DB=$db e2e_psql -f "$WORK/pre.sql" >/dev/null || bail "$script part 1 failed in $db"
	DB=$db sql "SELECT 'slot' FROM pg_create_logical_replication_slot('$db', 'wal2dbz')" >/dev/null ||
		bail "could not create slot $db"
	DB=$db e2e_psql -f "$WORK/post.sql" >/dev/null || bail "$script part 2 failed in $db"
	ENDS[$name]=$(current_lsn)		# the end of its last commit

	# the capture's properties, unchanged, in a Kafka Connect JSON file
	python3 - "$CAPTURES/$name.props" "$WORK/$name.json" "$db" "$PGPORT" "$PGUSER" "$BOOTSTRAP" <<-'PY'
	import json, sys
	props, out, db, port, user, bootstrap = sys.argv[1:]
	config = {
	    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
	    "plugin.name": "wal2dbz",
	    "database.hostname": "127.0.0.1", "database.port": port,
	    "database.user": user, "database.dbname": db,
	    "topic.prefix": "dbserver1", "slot.name": db, "snapshot.mode": "no_data",
	    "topic.creation.default.partitions": "1",
	    "kafka.bootstrap.servers": bootstrap, "http.port": "0",
	}
	for line in open(props):
	    if "=" in line:
	        k, v = line.rstrip("\n").split("=", 1)
	        config[k] = v
	json.dump({"name": "outbox-" + db, "config": config}, open(out, "w"), indent=2)
	PY
done

# one capture after the other, so that Kafka holds them in this order; each
# sink runs until its slot is confirmed past its last commit (Kafka has it all)
for name in "${NAMES[@]}"; do
	sink_start "$name" "$WORK/$name.json"
	wait_confirmed "${name//-/_}" "${ENDS[$name]}" 60
	confirmed_ok=$?
	sink_stop "$name" TERM
	check '[[ $confirmed_ok -eq 0 && $rc -eq 0 ]]' \
		"$name: the sink publishes the outbox events (Kafka Connect JSON with the capture's properties)" ||
		diag "$WORK/$name.err"
done

: >"$WORK/kafka.jsonl"
for topic in $(topics_of outbox.events); do
	kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -q -J >>"$WORK/kafka.jsonl" 2>/dev/null
done

# Kafka's records, in the capture's line format, cut into the runs by the
# captures' record counts per topic (one partition per topic: offset order)
python3 - "$WORK" "$CAPTURES" "${NAMES[@]}" >"$WORK/split.txt" <<'PY'
import json, sys
work, caps, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def out(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
got = {}
for line in open(f"{work}/kafka.jsonl", encoding="utf-8"):
    m = json.loads(line)
    h = m.get("headers") or []
    got.setdefault(m["topic"], []).append((m["offset"], {
        "topic": m["topic"], "partition": None, "key": m.get("key"), "value": m.get("payload"),
        "headers": [[h[i], h[i + 1]] for i in range(0, len(h), 2)]}))
got = {t: [r for _, r in sorted(v, key=lambda x: x[0])] for t, v in got.items()}
want_total = {}
for name in names:
    want = [json.loads(l) for l in open(f"{caps}/{name}.jsonl", encoding="utf-8")]
    for r in want:
        r["partition"] = None
    order = list(dict.fromkeys(r["topic"] for r in want))
    expected, actual = [], []
    for t in order:
        mine = [r for r in want if r["topic"] == t]
        expected += mine
        actual += got.get(t, [])[:len(mine)]
        got[t] = got.get(t, [])[len(mine):]
        want_total[t] = want_total.get(t, 0) + len(mine)
    out(f"{work}/{name}.expected.jsonl", expected)
    out(f"{work}/{name}.actual.jsonl", actual)
extra = {t: len(v) for t, v in got.items() if v}
print("ok" if not extra else "extra records: %s" % extra)
PY
check '[[ $(cat "$WORK/split.txt") == ok ]]' "Kafka holds no outbox records beyond the captures' ($(topics_of outbox.events | wc -l) topics)" ||
	diag "$WORK/split.txt"
for name in "${NAMES[@]}"; do
	opts=(--headers)
	[[ $name == outbox-expand* ]] && opts+=(--unordered-merged-structs)
	if python3 "$DBZ/compare.py" "$WORK/$name.expected.jsonl" "$WORK/$name.actual.jsonl" "${opts[@]}" \
		>"$WORK/$name.diff" 2>&1; then
		ok "$name: Kafka holds Debezium 3.6.3's records: topics, keys, values, headers ($(wc -l <"$WORK/$name.expected.jsonl") records)"
	else
		not_ok "$name: Kafka holds Debezium 3.6.3's records: topics, keys, values, headers"
		diag "$WORK/$name.diff"
	fi
done
tap_end
