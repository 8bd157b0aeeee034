#!/usr/bin/env bash
# The main job, end to end on this machine: build and install wal2dbz, start PostgreSQL 15,
# Kafka 4.1 and ClickHouse on 127.0.0.1, run wal2dbz-sink (PostgreSQL -> Kafka -> ClickHouse),
# make some changes, and show the Debezium records in Kafka and the rows arriving in ClickHouse.
# Everything it starts is stopped at the end.
# Run as root on a fresh machine (it installs what it needs), or as a user after "make install".
#
# Usage: test/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TOP=$PWD
LIB=$TOP/test/lib

if [[ $(id -u) -eq 0 ]]; then
  test/setup.sh
  make -s && make -s install
fi
export WAL2DBZ_CACHE=${WAL2DBZ_CACHE:-/var/cache/wal2dbz}
[[ -d $WAL2DBZ_CACHE ]] || WAL2DBZ_CACHE=$HOME/.cache/wal2dbz

DIR=$(mktemp -d /tmp/wal2dbz-demo.XXXXXX)
chmod 755 "$DIR"
SINK_PID=
cleanup() {
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  "$LIB/clickhouse.sh" stop "$DIR/ch" >/dev/null 2>&1 || true
  "$LIB/kafka.sh" stop "$DIR/kafka" >/dev/null 2>&1 || true
  "$LIB/pg.sh" stop "$DIR/pg" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

echo "== starting PostgreSQL, Kafka and ClickHouse on 127.0.0.1"
eval "$("$LIB/pg.sh" start "$DIR/pg")"
BOOTSTRAP=$("$LIB/kafka.sh" start "$DIR/kafka")
CH_URL=$("$LIB/clickhouse.sh" start "$DIR/ch")

psql -X -q <<'SQL'
CREATE EXTENSION IF NOT EXISTS wal2dbz;
CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL, email varchar(255),
                               balance numeric(10,2), created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO public.customers VALUES (1, 'Anne', 'anne@example.com', 1234.50, '2024-05-01 12:34:56+00'),
                                    (2, 'Bob', NULL, 10, '2024-05-02 08:00:00+00');
SQL

cat > "$DIR/connector.properties" <<EOF
name=demo
topic.prefix=dbserver1
database.hostname=$PGHOST
database.port=$PGPORT
database.user=$PGUSER
database.dbname=postgres
slot.name=demo
table.include.list=public\\.customers
kafka.bootstrap.servers=$BOOTSTRAP
clickhouse.url=$CH_URL
clickhouse.batch.ms=200
http.port=0
EOF

echo "== running wal2dbz-sink: the two existing rows are snapshotted, then changes stream"
wal2dbz-sink --config "$DIR/connector.properties" >"$DIR/sink.log" 2>&1 &
SINK_PID=$!
sleep 3
psql -X -q <<'SQL'
INSERT INTO public.customers VALUES (3, 'Chloé', 'chloe@example.com', 99.99, now());
UPDATE public.customers SET balance = balance - 34.50 WHERE id = 1;
DELETE FROM public.customers WHERE id = 2;
SQL

echo
echo "== the Kafka records on dbserver1.public.customers (key payload, op, after; schemas left out):"
sleep 3
kcat -b "$BOOTSTRAP" -C -t dbserver1.public.customers -e -q -f '%k\t%s\n' 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    key, _, value = line.rstrip("\n").partition("\t")
    k = json.loads(key)["payload"] if key else None
    v = json.loads(value)["payload"] if value else None
    print(json.dumps(k), "tombstone" if v is None else v["op"],
          json.dumps(v and (v["after"] or v["before"]), ensure_ascii=False))'


echo
echo "== the rows in ClickHouse (SELECT ... FINAL, live rows only):"
for _ in $(seq 1 30); do
  rows=$(curl -s "$CH_URL/" --data-binary \
    "SELECT id, name, email, balance FROM default.dbserver1_public_customers FINAL WHERE is_deleted = 0 ORDER BY id FORMAT PrettyCompactNoEscapes" 2>/dev/null || true)
  if [[ $rows == *Chlo* && $rows != *Bob* ]]; then break; fi
  sleep 1
done
echo "$rows"
echo
echo "== PostgreSQL, for comparison:"
psql -X -c "SELECT id, name, email, balance FROM public.customers ORDER BY id"
