-- Bad options fail at startup with the option's name and the valid values.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('options_slot', 'wal2dbz');
CREATE TABLE opt_t (id int PRIMARY KEY);
INSERT INTO opt_t VALUES (1);

-- unknown option
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'include-xids', '0');
-- bad values of enumerated and boolean options
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'decimal.handling.mode', 'exact');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'time.precision.mode', 'nanos');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'binary.handling.mode', 'base32');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'hstore.handling.mode', 'text');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'interval.handling.mode', 'iso');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'output.format', 'xml');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'schemas.enable', 'maybe');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'skipped.operations', 'c,x');
-- an empty topic prefix
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'topic.prefix', '');
-- a repeated option, and include/exclude lists that contradict each other
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'topic.prefix', 'a', 'topic.prefix', 'b');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL,
    'table.include.list', 'public.a', 'table.exclude.list', 'public.b');
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL,
    'schema.include.list', 'public', 'schema.exclude.list', 'other');
-- a filter that is not a regular expression
SELECT data FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL, 'table.include.list', 'public.(a');
-- well-formed values decode; enumerated values ignore case
SELECT count(*) FROM pg_logical_slot_peek_changes('options_slot', NULL, NULL,
    'decimal.handling.mode', 'STRING', 'tombstones.on.delete', 'on', 'schemas.enable', '0',
    'skipped.operations', 'none', 'table.include.list', ' public\.opt_.* , other\..* ');

SELECT 'stop' FROM pg_drop_replication_slot('options_slot');
DROP TABLE opt_t;
