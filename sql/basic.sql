-- Insert, update and delete of a keyed table: the exact value JSON with and
-- without schemas, the key, the topic, and the source block's fields.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('basic_slot', 'wal2dbz');

-- the table of the spec's full example (section 3.2)
CREATE TABLE customers (
    id int PRIMARY KEY,
    name text NOT NULL,
    email varchar(255),
    balance numeric(10,2),
    status text NOT NULL DEFAULT 'new',
    created_at timestamptz NOT NULL);

-- Remove what differs between runs (times, LSNs, xids) from a record.
CREATE FUNCTION mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(t,
    '"(ts_ms|ts_us|ts_ns|txId|lsn)":-?[0-9]+', '"\1":N', 'g'),
    '"sequence":"\[[^]]*\]"', '"sequence":S', 'g')
$$;

SELECT pg_current_wal_lsn() AS lsn_before \gset
BEGIN;
INSERT INTO customers VALUES (1, 'Anne', NULL, 1234.50, 'new', '2024-05-01 12:34:56.789+00');
SELECT txid_current() AS xid \gset
COMMIT;
SELECT pg_current_wal_lsn() AS lsn_after \gset

-- with schemas (Debezium's default), the whole value
SELECT mask(data) FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL,
    'topic.prefix', 'dbserver1');

-- the source block carries this transaction's id, an LSN inside it and the
-- commit time; sequence is [last commit LSN or null, this LSN]
SELECT (s->>'txId')::bigint = :xid AS txid_ok,
       (s->>'lsn')::bigint BETWEEN (:'lsn_before'::pg_lsn - '0/0') AND (:'lsn_after'::pg_lsn - '0/0') AS lsn_ok,
       s->>'sequence' = format('[null,"%s"]', s->>'lsn') AS sequence_ok,
       (s->>'ts_us')::bigint / 1000 = (s->>'ts_ms')::bigint AS ts_ms_ok,
       (s->>'ts_ns')::bigint = (s->>'ts_us')::bigint * 1000 AS ts_ns_ok,
       abs((s->>'ts_ms')::bigint - extract(epoch from now()) * 1000) < 60000 AS commit_time_ok,
       (v->>'ts_ns')::bigint / 1000000 = (v->>'ts_ms')::bigint AS envelope_ts_ok
FROM (SELECT (data::json)->'source' AS s, data::json AS v
      FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL, 'schemas.enable', 'false')) x;

UPDATE customers SET name = 'Bob', balance = -0.01 WHERE id = 1;
DELETE FROM customers WHERE id = 1;
INSERT INTO customers (id, name, created_at) VALUES (2, E'Zo\u00eb "\\"', '1969-07-20 20:17:40-04');

-- without schemas, as records: topic, key, value; a tombstone follows the delete
SELECT mask(data) FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL,
    'topic.prefix', 'dbserver1', 'schemas.enable', 'false', 'output.format', 'record');

-- the key with its schema, as Debezium's JSON converter writes it
SELECT (data::json)->'key' AS key FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL,
    'topic.prefix', 'dbserver1', 'value.converter.schemas.enable', 'false', 'output.format', 'record')
LIMIT 1;

-- consecutive transactions: sequence[0] is the previous commit's end LSN,
-- which is never after this event's LSN
SELECT bool_and((seq->>0)::bigint <= (seq->>1)::bigint) AS sequence_ordered, count(*)
FROM (SELECT ((data::json)->'source'->>'sequence')::json AS seq
      FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL, 'schemas.enable', 'false')) x
WHERE seq->>0 IS NOT NULL;

-- tombstones.on.delete=false drops the tombstone
SELECT count(*) FILTER (WHERE (data::json)->>'value' IS NULL) AS tombstones
FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL, 'schemas.enable', 'false',
    'output.format', 'record', 'tombstones.on.delete', 'true');
SELECT count(*) FILTER (WHERE (data::json)->>'value' IS NULL) AS tombstones
FROM pg_logical_slot_peek_changes('basic_slot', NULL, NULL, 'schemas.enable', 'false',
    'output.format', 'record', 'tombstones.on.delete', 'false');

-- skipped.operations: no creates, no updates
SELECT (data::json)->>'op' AS op FROM pg_logical_slot_get_changes('basic_slot', NULL, NULL,
    'schemas.enable', 'false', 'skipped.operations', 'c,u');

SELECT 'stop' FROM pg_drop_replication_slot('basic_slot');
DROP TABLE customers;
DROP FUNCTION mask(text);
