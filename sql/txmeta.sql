-- provide.transaction.metadata: BEGIN and END records on
-- <prefix>.transaction and the transaction block in every event.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('txmeta_slot', 'wal2dbz');

CREATE TABLE tm_a (id int PRIMARY KEY);
CREATE TABLE tm_b (id int PRIMARY KEY);
BEGIN;
INSERT INTO tm_a VALUES (1), (2);
INSERT INTO tm_b VALUES (1);
SELECT txid_current() AS xid \gset
COMMIT;
INSERT INTO tm_b VALUES (2);

CREATE FUNCTION mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(t,
    '"(ts_ms|ts_us|ts_ns|txId|lsn)":-?[0-9]+', '"\1":N', 'g'),
    '"sequence":"\[[^]]*\]"', '"sequence":S', 'g'),
    '"id":"[0-9]+:[0-9]+"', '"id":"XID:LSN"', 'g')
$$;

SELECT mask(data) FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'topic.prefix', 'srv', 'schemas.enable', 'false', 'output.format', 'record',
    'provide.transaction.metadata', 'true');

-- ids are "<xid>:<lsn of the record>": BEGIN at the first change, each event
-- at its own LSN, END at the commit's end
SELECT (data::json)->'value'->>'status' AS status,
       split_part(coalesce((data::json)->'value'->>'id', (data::json)->'value'->'transaction'->>'id'), ':', 1) = :'xid' AS xid_ok,
       split_part((data::json)->'value'->'transaction'->>'id', ':', 2) = (data::json)->'value'->'source'->>'lsn' AS event_lsn_ok,
       (data::json)->'key'->>'id' = (data::json)->'value'->>'id' AS key_is_id
FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL, 'schemas.enable', 'false',
    'output.format', 'record', 'provide.transaction.metadata', 'true')
LIMIT 5;

-- the BEGIN record with schemas
SELECT mask(data) FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'topic.prefix', 'srv', 'output.format', 'record', 'provide.transaction.metadata', 'true')
LIMIT 1;

-- a transaction with only a message: the message is counted, as Debezium
-- does, under a collection named after a Java object (the hash is masked)
BEGIN;
SELECT 'msg' FROM pg_logical_emit_message(true, 'p', 'hello');
COMMIT;
SELECT regexp_replace(mask(data), '@[0-9a-f]+', '@HASH', 'g')
FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'schemas.enable', 'false', 'provide.transaction.metadata', 'true')
OFFSET 8;

-- a transaction whose changes are all filtered out still opens and closes
SELECT regexp_replace(mask(data), '@[0-9a-f]+', '@HASH', 'g') FROM pg_logical_slot_get_changes('txmeta_slot', NULL, NULL,
    'schemas.enable', 'false', 'provide.transaction.metadata', 'true',
    'table.include.list', 'public\.tm_a');

-- state.schema (the sink's own state): a transaction that changed only its
-- tables, even by TRUNCATE, is not seen at all; one that also changed a
-- captured table counts only that table's events
CREATE SCHEMA tm_state;
CREATE TABLE tm_state.s (id int PRIMARY KEY, v text);
SELECT 'skip' FROM pg_logical_slot_get_changes('txmeta_slot', NULL, NULL);
INSERT INTO tm_state.s VALUES (1, 'running');
UPDATE tm_state.s SET v = 'complete';
TRUNCATE tm_state.s;
BEGIN;
INSERT INTO tm_state.s VALUES (2, 'running');
INSERT INTO tm_a VALUES (3);
COMMIT;
SELECT regexp_replace(mask(data), '@[0-9a-f]+', '@HASH', 'g') FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'schemas.enable', 'false', 'provide.transaction.metadata', 'true',
    'state.schema', 'tm_state');
-- without it, the state table is an ordinary table
SELECT count(*) AS records, count(*) FILTER (WHERE data LIKE '%"status":"BEGIN"%') AS begins
FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'schemas.enable', 'false', 'provide.transaction.metadata', 'true',
    'table.include.list', 'public\.tm_a');
-- a filtered publication (publication.autocreate.mode=filtered; disabled
-- and no_tables mean one made for the connector) holds only captured
-- tables: a transaction without their changes is not sent at all
SELECT mode, (SELECT count(*) FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'schemas.enable', 'false', 'provide.transaction.metadata', 'true',
    'table.include.list', 'public\.tm_a', 'publication.autocreate.mode', mode)) AS records
FROM unnest(ARRAY['all_tables', 'filtered', 'disabled', 'no_tables']) AS mode;
SELECT data FROM pg_logical_slot_peek_changes('txmeta_slot', NULL, NULL,
    'publication.autocreate.mode', 'some_tables');

SELECT 'stop' FROM pg_drop_replication_slot('txmeta_slot');
DROP TABLE tm_a, tm_b, tm_state.s;
DROP SCHEMA tm_state;
DROP FUNCTION mask(text);
