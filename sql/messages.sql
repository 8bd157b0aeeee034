-- pg_logical_emit_message(): records on <prefix>.message keyed by the
-- message prefix, filtered by prefix.  (Non-transactional messages are
-- covered by the end-to-end tests: through the SQL functions PostgreSQL
-- decodes them only once its snapshot is consistent, which a regression
-- test cannot time reliably.)
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('messages_slot', 'wal2dbz');

CREATE FUNCTION mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(t,
    '"(ts_ms|ts_us|ts_ns|txId|lsn)":-?[0-9]+', '"\1":N', 'g'),
    '"sequence":"\[[^]]*\]"', '"sequence":S', 'g')
$$;

BEGIN;
SELECT 'msg1' FROM pg_logical_emit_message(true, 'foo', 'hello');
SELECT txid_current() AS xid \gset
COMMIT;
BEGIN;
SELECT 'msg3' FROM pg_logical_emit_message(true, 'foo', 'rolled back');
ROLLBACK;

SELECT mask(data) FROM pg_logical_slot_peek_changes('messages_slot', NULL, NULL,
    'topic.prefix', 'srv', 'schemas.enable', 'false', 'output.format', 'record');
-- the message carries its transaction's id
SELECT (data::json)->'message'->>'prefix' AS prefix,
       (data::json)->'source'->>'txId' = :'xid' AS txid_matches,
       json_typeof((data::json)->'source'->'txId') AS txid_type
FROM pg_logical_slot_peek_changes('messages_slot', NULL, NULL, 'schemas.enable', 'false');
-- with schemas: the key and value schemas of Debezium's message events
SELECT (data::json)->'key' AS key,
       (data::json)->'value'->'schema'->'fields'->4 AS message_schema,
       (data::json)->'value'->'schema'->>'name' AS value_schema
FROM pg_logical_slot_peek_changes('messages_slot', NULL, NULL, 'topic.prefix', 'srv',
    'output.format', 'record') LIMIT 1;
-- content as hex, and the prefix filters
SELECT (data::json)->'message' AS message FROM pg_logical_slot_peek_changes('messages_slot', NULL, NULL,
    'schemas.enable', 'false', 'binary.handling.mode', 'hex');
SELECT (data::json)->'message'->>'prefix' AS prefix FROM pg_logical_slot_peek_changes('messages_slot', NULL, NULL,
    'schemas.enable', 'false', 'message.prefix.include.list', 'f.*');
SELECT count(*) FROM pg_logical_slot_get_changes('messages_slot', NULL, NULL,
    'schemas.enable', 'false', 'message.prefix.exclude.list', '.*');

SELECT 'stop' FROM pg_drop_replication_slot('messages_slot');

DROP FUNCTION mask(text);
