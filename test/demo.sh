#!/usr/bin/env bash
# The main job, end to end on this machine: build and install wal2dbz, start a throwaway
# PostgreSQL 15 with the plugin allowed, make some changes, and show the Debezium change events
# the plugin writes for them (the exact Kafka record values), then clean up.
# Run as root on a fresh machine (it installs what it needs), or as a user after "make install".
#
# Usage: test/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  test/setup.sh
  make -s && make -s install
fi

DIR=$(mktemp -d /tmp/wal2dbz-demo.XXXXXX)
chmod 755 "$DIR"
trap 'test/lib/pg.sh stop "$DIR/pg" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
eval "$(test/lib/pg.sh start "$DIR/pg")"

psql -X -q <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email varchar(255),
                        balance numeric(10,2), created_at timestamptz NOT NULL DEFAULT now());
SELECT 'slot created' FROM pg_create_logical_replication_slot('demo', 'wal2dbz');
INSERT INTO customers VALUES (1, 'Anne', 'anne@example.com', 1234.50, '2024-05-01 12:34:56+00');
UPDATE customers SET balance = balance - 34.50 WHERE id = 1;
DELETE FROM customers WHERE id = 1;
SQL

echo
echo "== change events, as the Kafka records Debezium would publish (topic, key, value):"
psql -X -qAt -c "SELECT data FROM pg_logical_slot_get_changes('demo', NULL, NULL,
  'topic.prefix', 'dbserver1', 'schemas.enable', 'false', 'output.format', 'record')"
echo
echo "== the same insert with the Connect schemas (Debezium's default), first 300 bytes:"
psql -X -q -c "INSERT INTO customers VALUES (2, 'Bob', NULL, 10, now())"
psql -X -qAt -c "SELECT left(data, 300) || '...' FROM pg_logical_slot_get_changes('demo', NULL, NULL,
  'topic.prefix', 'dbserver1')"
