-- ALTER TABLE in the middle of a stream: each event has the schema of its
-- own time (added, dropped and retyped columns, new defaults, new enum
-- labels), because the relation cache is invalidated with the relcache.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('ddl_slot', 'wal2dbz');

CREATE TYPE color AS ENUM ('red');
CREATE TABLE evolving (id int PRIMARY KEY, a int, c color);
INSERT INTO evolving VALUES (1, 1, 'red');
ALTER TABLE evolving ADD COLUMN b text NOT NULL DEFAULT 'dflt';
INSERT INTO evolving VALUES (2, 2, 'red', 'bee');
ALTER TABLE evolving DROP COLUMN a;
INSERT INTO evolving VALUES (3, 'red', 'three');
ALTER TABLE evolving ALTER COLUMN b DROP DEFAULT;
ALTER TABLE evolving ALTER COLUMN b TYPE int USING length(b), ALTER COLUMN b SET DEFAULT 42;
ALTER TYPE color ADD VALUE 'blue';
INSERT INTO evolving VALUES (4, 'blue', 4);
-- the same transaction: changes before and after the DDL
BEGIN;
INSERT INTO evolving VALUES (5, 'red', 5);
ALTER TABLE evolving ADD COLUMN d date;
INSERT INTO evolving VALUES (6, 'red', 6, '2024-01-01');
COMMIT;

SELECT (data::json)->'payload'->'after' AS after,
       (SELECT string_agg(f->>'field' || ':' || (f->>'type') || coalesce('=' || (f->'default')::text, ''), ' ')
        FROM json_array_elements((data::json)->'schema'->'fields'->1->'fields') f) AS fields,
       (data::json)->'schema'->'fields'->1->'fields'->1->'parameters'->>'allowed' AS enum_allowed
FROM pg_logical_slot_get_changes('ddl_slot', NULL, NULL);

SELECT 'stop' FROM pg_drop_replication_slot('ddl_slot');
DROP TABLE evolving;
DROP TYPE color;
