#!/usr/bin/env bash
#-------------------------------------------------------------------------
#
# e2e_outbox.sh
#	  The transactional outbox end to end: an order service writes an order
#	  and its event in one transaction (and one that rolls back), and also
#	  publishes events without a table through wal2dbz.emit_event(); the
#	  sink runs with Debezium's Outbox Event Router configured exactly as in
#	  a Kafka Connect JSON file; a consumer reads the routed topic.
#
# 1. The Kafka Connect JSON configuration of the router is accepted as is.
# 2. Every committed event arrives once on outbox.events.<aggregate type>,
#    keyed by the aggregate id, with the payload as value and the event id
#    and type as headers; rolled-back events never arrive.
# 3. Per aggregate, events arrive in commit order.
# 4. The orders table itself (not in table.include.list) publishes nothing.
#
# Usage: test/sink/e2e_outbox.sh   (SINK=path, KEEP=1 keeps the work directory)
# Prints TAP.
#
# test/sink/e2e_outbox.sh
#
#-------------------------------------------------------------------------
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SINK=${SINK:-$TOP/sink/wal2dbz-sink}
LIB=$TOP/test/lib

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wal2dbz-outbox.XXXXXX")
chmod 755 "$WORK"
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
bail() { echo "Bail out! $*"; exit 1; }

cleanup() {
	"$LIB/kafka.sh" stop "$WORK/kafka" >/dev/null 2>&1
	"$LIB/pg.sh" stop "$WORK/pg" >/dev/null 2>&1
	if [[ $failed -ne 0 || -n ${KEEP:-} ]]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

[[ -x $SINK ]] || bail "no sink at $SINK (make -C sink)"
eval "$("$LIB/pg.sh" start "$WORK/pg")" || bail "PostgreSQL did not start"
BOOTSTRAP=$("$LIB/kafka.sh" start "$WORK/kafka") || bail "Kafka did not start"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql <<'SQL' || bail "could not create the tables"
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.orders (id int PRIMARY KEY, customer text, total numeric(10,2));
CREATE TABLE public.outbox (
    id uuid NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
    aggregate_type varchar(255) NOT NULL,
    aggregate_id varchar(255) NOT NULL,
    event_type varchar(255) NOT NULL,
    payload jsonb);
SQL

# The issue's router configuration, as a Kafka Connect JSON file, unchanged.
cat > "$WORK/connector.json" <<EOF
{
  "name": "orders-outbox",
  "config": {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "plugin.name": "wal2dbz",
    "database.hostname": "$PGHOST",
    "database.port": "$PGPORT",
    "database.user": "$PGUSER",
    "database.dbname": "postgres",
    "topic.prefix": "shop",
    "slot.name": "outbox_slot",
    "snapshot.mode": "no_data",
    "table.include.list": "public.outbox",
    "tombstones.on.delete": "false",
    "value.converter.schemas.enable": "false",
    "key.converter.schemas.enable": "false",
    "transforms": "outbox",
    "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
    "transforms.outbox.route.by.field": "aggregate_type",
    "transforms.outbox.route.topic.replacement": "outbox.events.\${routedByValue}",
    "transforms.outbox.table.field.event.id": "id",
    "transforms.outbox.table.field.event.key": "aggregate_id",
    "transforms.outbox.table.field.event.type": "event_type",
    "transforms.outbox.table.field.event.payload": "payload",
    "transforms.outbox.table.fields.additional.placement": "event_type:header:event_type",
    "kafka.bootstrap.servers": "$BOOTSTRAP",
    "http.port": "0"
  }
}
EOF

# create the slot before the service writes anything
if "$SINK" --config "$WORK/connector.json" --endpos="$(psql -At -c 'SELECT pg_current_wal_lsn()')" \
	>"$WORK/sink0.log" 2>&1; then
	ok "the Kafka Connect JSON configuration of the outbox router is accepted"
else
	not_ok "the Kafka Connect JSON configuration of the outbox router is accepted"
	sed 's/^/#   /' "$WORK/sink0.log" | tail -10
fi

# the order service: 60 orders over 6 customers, each order and its event in
# one transaction; every fifth rolls back; a shipping event without a table
for i in $(seq 1 60); do
	c=$((i % 6))
	if ((i % 5 == 0)); then end=ROLLBACK; else end=COMMIT; fi
	cat <<SQL
BEGIN;
INSERT INTO public.orders VALUES ($i, 'customer-$c', $i.50);
INSERT INTO public.outbox (aggregate_type, aggregate_id, event_type, payload)
  VALUES ('Order', 'customer-$c', 'OrderCreated', jsonb_build_object('order', $i, 'seq', $i));
SELECT wal2dbz.emit_event('Shipment', 'customer-$c', 'OrderShipped',
  jsonb_build_object('order', $i, 'seq', $i));
$end;
SQL
done | psql >/dev/null || bail "the order service failed"
END=$(psql -At -c "SELECT pg_current_wal_lsn()")

if "$SINK" --config "$WORK/connector.json" --endpos="$END" >"$WORK/sink1.log" 2>&1; then
	ok "the sink publishes the events up to the end of the load"
else
	not_ok "the sink publishes the events up to the end of the load"
	sed 's/^/#   /' "$WORK/sink1.log" | tail -10
fi

for topic in outbox.events.Order outbox.events.Shipment; do
	kcat -b "$BOOTSTRAP" -C -t "$topic" -e -q -f '%k|%s|%h\n' >"$WORK/$topic.txt" 2>/dev/null
done

# One line per assertion: "ok <what>" or "not ok <what>: <detail>".
python3 - "$WORK" >"$WORK/checks.txt" 2>&1 <<'PY'
import json, sys
work = sys.argv[1]
committed = [i for i in range(1, 61) if i % 5 != 0]
once, keyed, ordered = [], [], []
for topic, etype in (("outbox.events.Order", "OrderCreated"),
                     ("outbox.events.Shipment", "OrderShipped")):
    rows = [l.rstrip("\n").split("|", 2) for l in open(f"{work}/{topic}.txt") if l.strip()]
    seen = {}
    for key, value, headers in rows:
        payload = json.loads(json.loads(value))   # the value is a JSON string of the payload
        order = payload["order"]
        # the JSON converter writes a string key as a JSON string
        if json.loads(key) != f"customer-{order % 6}":
            keyed.append(f"{topic} order {order} keyed {key}")
        if f"event_type={etype}" not in headers or "id=" not in headers:
            keyed.append(f"{topic} order {order} headers {headers}")
        seen.setdefault(key, []).append(order)
    got = sorted(o for v in seen.values() for o in v)
    if got != committed:
        once.append(f"{topic}: {len(got)} events for {len(committed)} committed orders")
    for key, orders in seen.items():
        if orders != sorted(orders):
            ordered.append(f"{topic} {key}: {orders}")
for what, problems in (
        ("every committed event arrives exactly once, no rolled-back event arrives", once),
        ("events are keyed by aggregate id with id and event_type headers", keyed),
        ("per aggregate, events arrive in commit order", ordered)):
    print(f"ok {what}" if not problems else f"not ok {what}: {'; '.join(problems[:5])}")
PY
while IFS= read -r line; do
	case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		*) echo "# $line" ;;
	esac
done <"$WORK/checks.txt"

if grep -q 'topic "shop.public.orders"' < <(kcat -b "$BOOTSTRAP" -L 2>/dev/null); then
	not_ok "the orders table, not captured, publishes nothing"
else
	ok "the orders table, not captured, publishes nothing"
fi

echo "1..$n"
exit $((failed > 0))
