#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_heartbeat.sh
#	  Debezium's heartbeats (heartbeat.interval.ms, heartbeat.action.query)
#	  against real PostgreSQL and Kafka, and idle slots with and without
#	  them.
#
# Three idle databases, each with its own sink and slot, while a fourth
# database (not captured) writes WAL:
#   ha: heartbeat.interval.ms=500, heartbeat.action.query updating its
#       captured table public.heartbeat, schemas on;
#   hb: heartbeat.interval.ms=500, schemas off, an action query that fails
#       (division by zero): logged, the sink goes on;
#   hc: no heartbeats.
# 1. Every slot's confirmed_flush_lsn reaches the end of the other
#    database's WAL: with or without heartbeats an idle slot moves.
# 2. Heartbeat records arrive on __debezium-heartbeat.<topic.prefix>,
#    partition 0, no headers, key and value byte for byte as real Debezium
#    3.6.3 writes them (test/debezium/captures/heartbeat*.jsonl, ts_ms
#    masked), about one per interval; none for hc.
# 3. The action query ran: ha's heartbeat row is fresh, and its updates
#    arrived as change events on ha.public.heartbeat.
# 4. Durability: with the broker paused, a row committed in ha is not
#    confirmed while heartbeats keep coming due; once the broker is back
#    it is delivered and confirmed.
# 5. An action query on a missing table stops the sink (exit 1), as
#    Debezium's PostgreSQL task fails on 42P01.
#
# Usage: test/sink/e2e_heartbeat.sh   (SINK=path, KEEP=1)
# Prints TAP.
#
# test/sink/e2e_heartbeat.sh
#
#-------------------------------------------------------------------------
# check evaluates its first argument later: single quotes on purpose
# shellcheck disable=SC2016,SC2034
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib_e2e.sh"

CAPTURES=$E2E_TOP/test/debezium/captures
e2e_init heartbeat
e2e_start_pg
e2e_start_kafka
export PGDATABASE=postgres

for db in db_a db_b db_c noise; do
	sql "CREATE DATABASE $db" >/dev/null || bail "could not create database $db"
done
for db in db_a db_b db_c; do
	DB=$db e2e_psql >/dev/null <<-'SQL' || bail "could not create the tables in $db"
	CREATE EXTENSION wal2dbz;
	CREATE TABLE public.t (id int PRIMARY KEY, v text);
	CREATE TABLE public.heartbeat (id int PRIMARY KEY, ts timestamptz);
	INSERT INTO public.heartbeat VALUES (1, '2000-01-01');
	SQL
done
DB=noise sql "CREATE TABLE public.noise (id bigserial PRIMARY KEY, pad text)" >/dev/null ||
	bail "could not create the noise table"

write_props "$WORK/a.properties" db_a ha ha_slot "http.port=0" \
	"table.include.list=public.t,public.heartbeat" \
	"heartbeat.interval.ms=500" \
	"heartbeat.action.query=UPDATE public.heartbeat SET ts = now() WHERE id = 1"
write_props "$WORK/b.properties" db_b hb hb_slot "http.port=0" \
	"table.include.list=public.t" \
	"heartbeat.interval.ms=500" \
	"heartbeat.action.query=SELECT 1/0" \
	"key.converter.schemas.enable=false" "value.converter.schemas.enable=false"
write_props "$WORK/c.properties" db_c hc hc_slot "http.port=0" \
	"table.include.list=public.t"
T0=$(date +%s%3N)
for s in a b c; do sink_start "$s" "$WORK/$s.properties"; done
for _ in $(seq 1 150); do
	[[ -n $(confirmed ha_slot) && -n $(confirmed hb_slot) && -n $(confirmed hc_slot) ]] && break
	sleep 0.2
done
check '[[ -n $(confirmed ha_slot) && -n $(confirmed hb_slot) && -n $(confirmed hc_slot) ]]' \
	"each sink created its slot" || bail "no slots"

# 1. the other database writes ~24 MB of WAL; the idle slots follow
START=$(current_lsn)
for i in $(seq 1 24); do
	echo "INSERT INTO public.noise (pad) SELECT repeat(md5(g::text), 31) FROM generate_series(1, 1000) g;"
done | DB=noise e2e_psql >/dev/null || bail "the noise load failed"
END=$(current_lsn)
note "the noise database wrote $(($(lsn_diff "$END" "$START") / 1048576)) MB of WAL"
for s in ha hb hc; do
	check 'wait_confirmed ${s}_slot "$END" 60' \
		"${s}_slot's confirmed_flush_lsn reaches the end of the other database's WAL ($END)"
done
sleep 2	# a few more beats

# 2. the heartbeat records, against Debezium's own
for s in ha hb hc; do
	kcat -b "$BOOTSTRAP" -C -t "__debezium-heartbeat.$s" -o beginning -e -q -J \
		>"$WORK/hb_$s.jsonl" 2>/dev/null
	date +%s%3N >"$WORK/hb_$s.read"	# when it was read
done
python3 - "$WORK" "$CAPTURES" "$T0" >"$WORK/checks.txt" 2>&1 <<'PY'
import json, re, sys
work, caps, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
def mask(v):
    return re.sub(r'"ts_ms":[0-9]+', '"ts_ms":0', v)
def debezium(capture):
    recs = [json.loads(l) for l in open(f"{caps}/{capture}.jsonl")]
    return [r for r in recs if r["topic"] == "__debezium-heartbeat.dbserver1"]
for s, capture in (("ha", "heartbeat"), ("hb", "heartbeat-noschema")):
    ref = debezium(capture)
    if not ref:
        print(f"not ok {s}: Debezium's capture {capture} has heartbeats: none found"); continue
    # Debezium's, with its topic prefix dbserver1 replaced by ours
    want_key = ref[0]["key"].replace('"dbserver1"', f'"{s}"')
    want_value = mask(ref[0]["value"])
    got = [json.loads(l) for l in open(f"{work}/hb_{s}.jsonl") if l.strip()]
    t1 = int(open(f"{work}/hb_{s}.read").read())
    problems = []
    stamps = []
    for m in got:
        ts = json.loads(m["payload"])
        ts = (ts["payload"] if "schema" in ts else ts)["ts_ms"]
        if m["key"] != want_key:
            problems.append(f"key {m['key']} != {want_key}")
        if mask(m["payload"]) != want_value:
            problems.append(f"value {m['payload']} != {want_value}")
        if m["partition"] != 0:
            problems.append(f"partition {m['partition']}")
        if m.get("headers"):
            problems.append(f"headers {m['headers']}")
        if not t0 - 1000 <= ts <= t1 + 1000:
            problems.append(f"ts_ms {ts} outside the run {t0}..{t1}")
        stamps.append(ts)
    # every 500 ms from the first on (never more often; at least half as
    # often on a loaded machine), and still coming when read
    if len(stamps) < 3:
        problems.append(f"only {len(stamps)} heartbeats")
    else:
        span = (stamps[-1] - stamps[0]) / 500
        if not span / 2 <= len(stamps) - 1 <= span + 1:
            problems.append(f"{len(stamps)} heartbeats over {span / 2:.1f} s")
        if t1 - stamps[-1] > 5000:
            problems.append(f"the last one {t1 - stamps[-1]} ms before they were read")
    what = (f"{s}: {len(got)} heartbeats on __debezium-heartbeat.{s}, partition 0, no headers, "
            f"key and value as Debezium 3.6.3's ({capture}.jsonl, ts_ms masked)")
    print(f"ok {what}" if not problems else f"not ok {what}: {'; '.join(sorted(set(problems))[:4])}")
got = [l for l in open(f"{work}/hb_hc.jsonl") if l.strip()]
print("ok hc: no heartbeats without heartbeat.interval.ms" if not got
      else f"not ok hc: no heartbeats without heartbeat.interval.ms: {len(got)}")
PY
while IFS= read -r line; do
	case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		*) echo "# $line" ;;
	esac
done <"$WORK/checks.txt"

# 3. the action query's effect, in the database and in Kafka
AGE=$(DB=db_a sql "SELECT extract(epoch FROM now() - ts)::int FROM public.heartbeat WHERE id = 1")
check '[[ -n $AGE && $AGE -le 5 ]]' "ha's action query keeps public.heartbeat fresh (updated $AGE s ago)"
UPDATES=$(kcat -b "$BOOTSTRAP" -C -t ha.public.heartbeat -o beginning -e -q -f '%s\n' 2>/dev/null |
	grep -c '"op":"u"')
check '[[ $UPDATES -ge 5 ]]' "its updates arrive as change events on ha.public.heartbeat ($UPDATES)"
check 'grep -q "could not execute heartbeat action query (error 22012)" "$WORK/b.err" && sink_running b' \
	"hb's failing action query is logged and the sink goes on" || diag "$WORK/b.err"
check '[[ $(DB=db_c sql "SELECT ts FROM public.heartbeat") == 2000-01-01* ]]' \
	"hc (no heartbeats) never ran an action query"

# 4. nothing unacknowledged is confirmed, heartbeats or not
"$E2E_LIB/kafka.sh" pause "$WORK/kafka" || bail "could not pause the broker"
DB=db_a sql "INSERT INTO public.t VALUES (1, 'while the broker sleeps')" >/dev/null
ROW=$(DB=db_a current_lsn)
sleep 4
C=$(confirmed ha_slot)
check '! lsn_ge "$C" "$ROW"' "broker paused: the row's commit ($ROW) is not confirmed (slot at $C) while heartbeats fall due"
"$E2E_LIB/kafka.sh" resume "$WORK/kafka" || bail "could not resume the broker"
check 'wait_confirmed ha_slot "$ROW" 60' "broker back: the row is confirmed"
ROWS=$(kcat -b "$BOOTSTRAP" -C -t ha.public.t -o beginning -e -q -f '%s\n' 2>/dev/null | grep -c 'while the broker sleeps')
check '[[ $ROWS -ge 1 ]]' "and it is in Kafka"

for s in a b c; do
	sink_stop "$s" TERM
	check '[[ $rc -eq 0 ]]' "sink $s: SIGTERM, exit 0" || diag "$WORK/$s.err"
done
check '! grep -q "error:" "$WORK/a.err" "$WORK/c.err"' "no errors logged by ha and hc" ||
	diag "$WORK/a.err" "$WORK/c.err"

# 5. an action query on a table that does not exist: a configuration error
write_props "$WORK/d.properties" db_c hd hd_slot "http.port=0" \
	"heartbeat.interval.ms=200" "heartbeat.action.query=UPDATE public.missing SET ts = now()"
sink_start d "$WORK/d.properties"
sink_wait d 30
check '[[ $rc -eq 1 ]] && grep -q "could not execute heartbeat action query (error 42P01)" "$WORK/d.err"' \
	"an action query on a missing table stops the sink with exit 1 (rc $rc)" || diag "$WORK/d.err"
DB=db_c sql "SELECT pg_drop_replication_slot('hd_slot')" >/dev/null 2>&1
tap_end
