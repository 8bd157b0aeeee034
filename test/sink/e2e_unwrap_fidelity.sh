#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_unwrap_fidelity.sh
#	  The sink with Debezium's New Record State Extraction against Debezium
#	  itself, in Kafka: for each captured run of real Debezium 3.6.3 with the
#	  transform (test/debezium/captures/unwrap*), the same SQL (ops.sql),
#	  the capture's properties unchanged in a Kafka Connect JSON file, an
#	  initial snapshot of part 1, part 2 streamed, and every record Kafka
#	  then holds compared with Debezium's: topics, keys, values and headers,
#	  in order per topic, Debezium's context headers where Kafka has them.
#
# Each capture gets a topic prefix and a database of its own (u1, u2, ...;
# unwrap, unwrap_noschema, ...); Debezium's records get them too (their
# "dbserver1" is the prefix everywhere: topics, schema names, source.name,
# the context header; "inventory" the database).  Known differences, as in
# test/debezium/fidelity.sh: Debezium's snapshot also reads partitioned
# parents (left out of the expected records), and run-dependent values are
# masked (times, LSNs, transaction ids).
#
# Usage: test/sink/e2e_unwrap_fidelity.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_unwrap_fidelity.sh
#
#-------------------------------------------------------------------------
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

DBZ=$E2E_TOP/test/debezium
CAPTURES=$DBZ/captures
e2e_init unwrap-fidelity
e2e_start_pg "TimeZone = 'UTC'"
e2e_start_kafka
export PGDATABASE=postgres

# unwrap-drop-txmeta has a transaction topic: the sink's own snapshot state
# writes must not appear on it (Debezium has no state table)
NAMES=(unwrap unwrap-noschema unwrap-rewrite unwrap-rewrite-tombstone-noschema
	unwrap-delete-to-tombstone-noschema unwrap-drop-txmeta)
awk '/^-- @@STREAM@@/{exit} {print}' "$CAPTURES/ops.sql" >"$WORK/pre.sql"
awk 'f{print} /^-- @@STREAM@@/{f=1}' "$CAPTURES/ops.sql" >"$WORK/post.sql"

k=0
for name in "${NAMES[@]}"; do
	k=$((k + 1))
	db=${name//-/_} prefix=u$k
	sql "CREATE DATABASE $db" >/dev/null || bail "could not create database $db"
	# the extension after the tables: its schema is named like the test's
	# role, which would put them there ("$user" comes first in search_path)
	DB=$db e2e_psql -f "$WORK/pre.sql" -c "CREATE EXTENSION wal2dbz" >/dev/null ||
		bail "ops.sql part 1 failed in $db"
	# Debezium creates its publication when it starts; it makes PostgreSQL
	# reject the UPDATEs and DELETEs of part 2 on tables without a replica
	# identity, as in the capture
	DB=$db sql "CREATE PUBLICATION dbz_publication FOR ALL TABLES" >/dev/null

	python3 - "$CAPTURES/$name.props" "$WORK/$name.json" "$db" "$PGPORT" "$PGUSER" \
		"$BOOTSTRAP" "$prefix" <<-'PY'
	import json, sys
	props, out, db, port, user, bootstrap, prefix = sys.argv[1:]
	config = {
	    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
	    "plugin.name": "wal2dbz",
	    "database.hostname": "127.0.0.1", "database.port": port,
	    "database.user": user, "database.dbname": db,
	    "topic.prefix": prefix, "slot.name": db, "snapshot.mode": "initial",
	    "topic.creation.default.partitions": "1",
	    "kafka.bootstrap.servers": bootstrap, "http.port": "0",
	}
	for line in open(props):
	    if "=" in line:
	        k, v = line.rstrip("\n").split("=", 1)
	        config[k] = v
	json.dump({"name": "unwrap-" + db, "config": config}, open(out, "w"), indent=2)
	PY

	# the snapshot of part 1 at the slot's creation, then part 2 streamed
	# (as in the capture: Debezium had finished its snapshot)
	sink_start "$name" "$WORK/$name.json"
	for ((i = 0; i < 300; i++)); do
		grep -q "snapshot complete" "$WORK/$name.err" 2>/dev/null && break
		sleep 0.2
	done
	DB=$db e2e_psql -f "$WORK/post.sql" >/dev/null 2>&1 || bail "ops.sql part 2 failed in $db"
	end=$(current_lsn)
	wait_confirmed "$db" "$end" 90
	confirmed_ok=$?
	sink_stop "$name" TERM
	check '[[ $confirmed_ok -eq 0 && $rc -eq 0 ]]' \
		"$name: the sink takes the snapshot and streams the changes (the capture's properties)" ||
		diag "$WORK/$name.err"

	: >"$WORK/$name.kafka.jsonl"
	for topic in $(topics_of "$prefix"); do
		kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -q -J >>"$WORK/$name.kafka.jsonl" 2>/dev/null
	done
	DB=$db sql "SELECT regexp_replace('$prefix.' || n.nspname || '.' || c.relname, '[^a-zA-Z0-9._-]', '_', 'g')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'p'" \
		>"$WORK/$name.parents"

	# Debezium's records with this run's prefix, less the partitioned parents'
	# snapshot records; Kafka's in the same line format; both per topic in order
	python3 - "$CAPTURES/$name.jsonl" "$WORK/$name" "$prefix" "$db" <<-'PY'
	import json, sys
	capture, base, prefix, db = sys.argv[1:]
	parents = set(open(base + ".parents").read().split())
	def out(path, recs):
	    with open(path, "w", encoding="utf-8") as f:
	        for r in sorted(recs, key=lambda r: r["topic"]):   # stable: order per topic kept
	            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
	want = []
	for line in open(capture, encoding="utf-8"):
	    # the prefix and the database are this run's ("db" fields, the __db header)
	    r = json.loads(line.replace("dbserver1", prefix).replace('"inventory', '"' + db))
	    r["partition"] = None
	    if r["topic"] not in parents:
	        want.append(r)
	got = []
	for line in open(base + ".kafka.jsonl", encoding="utf-8"):
	    m = json.loads(line)
	    h = m.get("headers") or []
	    got.append((m["topic"], m["offset"], {
	        "topic": m["topic"], "partition": None, "key": m.get("key"), "value": m.get("payload"),
	        "headers": [[h[i], h[i + 1]] for i in range(0, len(h), 2)]}))
	out(base + ".expected.jsonl", want)
	out(base + ".actual.jsonl", [r for _, _, r in sorted(got, key=lambda g: (g[0], g[1]))])
	PY
	# --mask version: the source block of messages names the sink's version
	opts=(--headers --mask version --mask __lsn --mask __source_ts_ms --mask cdc_ts_ms --mask __id
		--mask-header h_source_lsn --mask-header h_ts_ms --mask-header __transaction_id)
	[[ $name == *txmeta* ]] && opts+=(--unordered-message-collections)
	if python3 "$DBZ/compare.py" "$WORK/$name.expected.jsonl" "$WORK/$name.actual.jsonl" "${opts[@]}" \
		>"$WORK/$name.diff" 2>&1; then
		ok "$name: Kafka holds Debezium 3.6.3's records: topics, keys, values, headers ($(wc -l <"$WORK/$name.expected.jsonl") records)"
	else
		not_ok "$name: Kafka holds Debezium 3.6.3's records: topics, keys, values, headers"
		diag "$WORK/$name.diff"
	fi
done
tap_end
