-- Debezium's filters: anchored, case-insensitive regular expressions on
-- "schema", "schema.table" and "schema.table.column".
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('filters_slot', 'wal2dbz');

CREATE SCHEMA inv;
CREATE TABLE inv.orders (id int PRIMARY KEY, secret text, note text);
CREATE TABLE inv.order_lines (id int PRIMARY KEY);
CREATE TABLE public.orders (id int PRIMARY KEY);
INSERT INTO inv.orders VALUES (1, 's', 'n');
INSERT INTO inv.order_lines VALUES (1);
INSERT INTO public.orders VALUES (1);

CREATE FUNCTION captured(VARIADIC opts text[]) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT (data::json)->>'topic' || ' ' || ((data::json)->'value'->'after')::text
  FROM pg_logical_slot_peek_changes('filters_slot', NULL, NULL,
       VARIADIC array['schemas.enable', 'false', 'output.format', 'record'] || opts)
$$;

SELECT captured('table.include.list', 'inv.orders');
-- the match is anchored: "inv.order" matches no table
SELECT captured('table.include.list', 'inv\.order');
SELECT captured('table.include.list', 'INV\.ORDER.*,public\.orders');
SELECT captured('table.exclude.list', 'inv\..*');
SELECT captured('schema.include.list', 'inv');
SELECT captured('schema.exclude.list', 'inv');
SELECT captured('column.exclude.list', 'inv\.orders\.secret');
SELECT captured('column.include.list', 'inv\.orders\.(id|note),inv\.order_lines\.id,public\..*');
-- the value schema leaves excluded columns out too
SELECT json_array_length((data::json)->'schema'->'fields'->1->'fields') AS fields
FROM pg_logical_slot_peek_changes('filters_slot', NULL, NULL, 'column.exclude.list', '.*\.secret')
LIMIT 1;

SELECT 'stop' FROM pg_drop_replication_slot('filters_slot');
DROP SCHEMA inv CASCADE;
DROP TABLE public.orders;
DROP FUNCTION captured(text[]);
