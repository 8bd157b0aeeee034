-- Message keys and "before" under each replica identity: primary keys
-- (composite, reordered), unique indexes, tables without a key, and key
-- changes, which Debezium writes as a delete, a tombstone and a create.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('keys_slot', 'wal2dbz');

CREATE TABLE k_default (a int, b text, v text NOT NULL, n int, PRIMARY KEY (b, a));
CREATE TABLE k_full (id int PRIMARY KEY, v text);
ALTER TABLE k_full REPLICA IDENTITY FULL;
CREATE TABLE k_index (id int PRIMARY KEY, code text NOT NULL, v text);
CREATE UNIQUE INDEX k_index_code ON k_index (code);
ALTER TABLE k_index REPLICA IDENTITY USING INDEX k_index_code;
CREATE TABLE k_unique (code text NOT NULL, other int NOT NULL, v text);
CREATE UNIQUE INDEX k_unique_b ON k_unique (other);
CREATE UNIQUE INDEX k_unique_a ON k_unique (code);
CREATE TABLE k_none (v text);
CREATE TABLE k_nothing (id int PRIMARY KEY, v text);
ALTER TABLE k_nothing REPLICA IDENTITY NOTHING;

INSERT INTO k_default VALUES (1, 'x', 'one', 10);
UPDATE k_default SET v = 'two' WHERE a = 1;
UPDATE k_default SET a = 2 WHERE a = 1;
DELETE FROM k_default;

INSERT INTO k_full VALUES (1, 'one');
UPDATE k_full SET v = 'two';
UPDATE k_full SET id = 2;
DELETE FROM k_full;

INSERT INTO k_index VALUES (1, 'c1', 'one');
UPDATE k_index SET v = 'two';
UPDATE k_index SET code = 'c2';
UPDATE k_index SET id = 2;
DELETE FROM k_index;

INSERT INTO k_unique VALUES ('u', 7, 'one');
INSERT INTO k_none VALUES ('no key');
INSERT INTO k_nothing VALUES (1, 'insert only');

SELECT (data::json)->>'topic' AS topic, (data::json)->'key' AS key,
       (data::json)->'value'->>'op' AS op,
       (data::json)->'value'->'before' AS before, (data::json)->'value'->'after' AS after,
       (data::json)->'headers' AS headers
FROM pg_logical_slot_peek_changes('keys_slot', NULL, NULL,
    'topic.prefix', 'k', 'schemas.enable', 'false', 'output.format', 'record');

-- the key schema follows the key column order, not the table's
SELECT DISTINCT ON (topic) topic, key_schema
FROM (SELECT (data::json)->>'topic' AS topic, ((data::json)->'key'->'schema')::text AS key_schema
      FROM pg_logical_slot_peek_changes('keys_slot', NULL, NULL, 'topic.prefix', 'k',
          'value.converter.schemas.enable', 'false', 'output.format', 'record')) x
WHERE topic IN ('k.public.k_default', 'k.public.k_unique', 'k.public.k_none')
ORDER BY topic;

-- message.key.columns: the columns of each pattern in turn (a table
-- without a key gets one; k_index's key is (code, id), in the list's order,
-- and changes when code does under REPLICA IDENTITY USING INDEX); a table
-- whose pattern names no column of it keeps its key
SELECT (data::json)->>'topic' AS topic, (data::json)->'key' AS key,
       (data::json)->'value'->>'op' AS op
FROM pg_logical_slot_peek_changes('keys_slot', NULL, NULL,
    'topic.prefix', 'k', 'schemas.enable', 'false', 'output.format', 'record',
    'message.key.columns', 'public.k_none:v; public.k_index:code,i.; public.k_(default|unique):nosuch')
WHERE (data::json)->>'topic' IN ('k.public.k_none', 'k.public.k_index', 'k.public.k_unique');
SELECT DISTINCT ON (topic) topic, key_schema
FROM (SELECT (data::json)->>'topic' AS topic, ((data::json)->'key'->'schema')::text AS key_schema
      FROM pg_logical_slot_peek_changes('keys_slot', NULL, NULL, 'topic.prefix', 'k',
          'value.converter.schemas.enable', 'false', 'output.format', 'record',
          'message.key.columns', 'public.k_none:v;public.k_index:code,i.')) x
WHERE topic IN ('k.public.k_none', 'k.public.k_index')
ORDER BY topic;
SELECT data FROM pg_logical_slot_peek_changes('keys_slot', NULL, NULL,
    'message.key.columns', 'public.k_none');
SELECT data FROM pg_logical_slot_peek_changes('keys_slot', NULL, NULL,
    'message.key.columns', 'public.k_none:(');

SELECT 'stop' FROM pg_drop_replication_slot('keys_slot');
DROP TABLE k_default, k_full, k_index, k_unique, k_none, k_nothing;
