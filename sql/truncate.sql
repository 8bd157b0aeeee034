-- TRUNCATE: skipped by default (skipped.operations = t, as Debezium); when
-- asked for, one "t" event per captured table with a null key.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('truncate_slot', 'wal2dbz');

CREATE TABLE tr1 (id int PRIMARY KEY);
CREATE TABLE tr2 (id int PRIMARY KEY);
INSERT INTO tr1 VALUES (1);
TRUNCATE tr1, tr2;

CREATE FUNCTION mask(t text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(t,
    '"(ts_ms|ts_us|ts_ns|txId|lsn)":-?[0-9]+', '"\1":N', 'g'),
    '"sequence":"\[[^]]*\]"', '"sequence":S', 'g')
$$;

-- default: the insert only
SELECT (data::json)->>'op' AS op FROM pg_logical_slot_peek_changes('truncate_slot', NULL, NULL,
    'schemas.enable', 'false');
-- with skipped.operations=none
SELECT mask(data) FROM pg_logical_slot_peek_changes('truncate_slot', NULL, NULL,
    'schemas.enable', 'false', 'skipped.operations', 'none', 'output.format', 'record',
    'topic.prefix', 'p');
-- only captured tables get an event
SELECT (data::json)->>'topic' AS topic FROM pg_logical_slot_get_changes('truncate_slot', NULL, NULL,
    'schemas.enable', 'false', 'skipped.operations', 'none', 'output.format', 'record',
    'table.exclude.list', 'public\.tr2');

SELECT 'stop' FROM pg_drop_replication_slot('truncate_slot');
DROP TABLE tr1, tr2;
DROP FUNCTION mask(text);
