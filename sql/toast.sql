-- Unchanged TOASTed values: Debezium's placeholder, in the form each type
-- takes, unless REPLICA IDENTITY FULL supplies the old value.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('toast_slot', 'wal2dbz');

-- incompressible values larger than the TOAST threshold
CREATE FUNCTION big(n int) RETURNS text LANGUAGE sql AS
$$ SELECT string_agg(md5(i::text), '') FROM generate_series(1, n) i $$;

CREATE TABLE toasty (
    id int PRIMARY KEY, counter int,
    t text, j jsonb, b bytea, at text[], ai int[], ab bytea[], au uuid[], n numeric);
ALTER TABLE toasty ALTER COLUMN t SET STORAGE EXTERNAL, ALTER COLUMN j SET STORAGE EXTERNAL,
    ALTER COLUMN b SET STORAGE EXTERNAL, ALTER COLUMN at SET STORAGE EXTERNAL,
    ALTER COLUMN ai SET STORAGE EXTERNAL, ALTER COLUMN ab SET STORAGE EXTERNAL,
    ALTER COLUMN au SET STORAGE EXTERNAL, ALTER COLUMN n SET STORAGE EXTERNAL;
INSERT INTO toasty VALUES (1, 0, big(300), jsonb_build_object('k', big(300)), big(300)::bytea,
    array[big(300)], (SELECT array_agg(i) FROM generate_series(1, 3000) i),
    array[big(300)::bytea], (SELECT array_agg(md5(i::text)::uuid) FROM generate_series(1, 400) i),
    (SELECT string_agg('9', '') FROM generate_series(1, 9000))::numeric);

CREATE TABLE toasty_full (id int PRIMARY KEY, counter int, t text);
ALTER TABLE toasty_full ALTER COLUMN t SET STORAGE EXTERNAL;
ALTER TABLE toasty_full REPLICA IDENTITY FULL;
INSERT INTO toasty_full VALUES (1, 0, big(300));

SELECT 'start' FROM pg_logical_slot_get_changes('toast_slot', NULL, NULL);

UPDATE toasty SET counter = 1;
UPDATE toasty_full SET counter = 1;
UPDATE toasty SET counter = 2, t = 'small now';

-- the unchanged columns of the first update carry the placeholder
SELECT key, value FROM json_each(
    (SELECT (data::json)->'after' FROM pg_logical_slot_peek_changes('toast_slot', NULL, NULL,
        'schemas.enable', 'false') LIMIT 1));
-- with another placeholder and other binary modes
SELECT (data::json)->'after'->'t' AS t, (data::json)->'after'->'b' AS b,
       (data::json)->'after'->'ab' AS ab
FROM pg_logical_slot_peek_changes('toast_slot', NULL, NULL, 'schemas.enable', 'false',
    'unavailable.value.placeholder', 'N/A', 'binary.handling.mode', 'hex') LIMIT 1;
-- REPLICA IDENTITY FULL: the old tuple has the value, so it is written out
SELECT length((data::json)->'after'->>'t') AS t_length,
       (data::json)->'after'->>'t' = big(300) AS t_equal,
       (data::json)->'before'->>'t' = big(300) AS before_equal
FROM pg_logical_slot_peek_changes('toast_slot', NULL, NULL, 'schemas.enable', 'false')
WHERE (data::json)->'source'->>'table' = 'toasty_full';
-- a changed TOASTed column is written in full, the others stay placeholders
SELECT (data::json)->'after'->'t' AS t, (data::json)->'after'->'j' AS j
FROM pg_logical_slot_get_changes('toast_slot', NULL, NULL, 'schemas.enable', 'false')
OFFSET 2;

SELECT 'stop' FROM pg_drop_replication_slot('toast_slot');
DROP TABLE toasty, toasty_full;
DROP FUNCTION big(int);
