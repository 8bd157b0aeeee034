-- Debezium's New Record State Extraction (ExtractNewRecordState) inside the
-- plugin: rows instead of envelopes, the delete modes, add.fields and
-- add.headers, and the errors its options give.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('unwrap_slot', 'wal2dbz');

CREATE TABLE public.items (id int PRIMARY KEY, name text NOT NULL, qty int);
INSERT INTO public.items VALUES (1, 'one "quoted"', 10), (2, 'two', NULL);
UPDATE public.items SET qty = 11 WHERE id = 1;
DELETE FROM public.items WHERE id = 2;
UPDATE public.items SET id = 3 WHERE id = 1;
TRUNCATE public.items;
SELECT 'msg' FROM pg_logical_emit_message(true, 'p', 'passes unchanged');

-- times, LSNs and transaction ids differ from run to run
CREATE FUNCTION unwrapped(VARIADIC opts text[]) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(data,
           '"(ts_ms|ts_us|ts_ns|lsn|txId|__lsn|__source_ts_ms|h_lsn)":"?[0-9]+"?', '"\1":N', 'g'),
           '"sequence":"[^"]*(\\"[^"]*)*"', '"sequence":N', 'g')
  FROM pg_logical_slot_peek_changes('unwrap_slot', NULL, NULL,
       VARIADIC array['output.format', 'record', 'topic.prefix', 'srv',
                      'skipped.operations', 'none',
                      'transforms', 'unwrap',
                      'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState']
                || opts)
$$;

-- default: delete.tombstone.handling.mode=tombstone: a delete is a null row,
-- Debezium's tombstone and the truncate are dropped, the message passes
SELECT * FROM unwrapped('schemas.enable', 'false');
-- with schemas: the row struct is required, the delete's null row optional
SELECT * FROM unwrapped('key.converter.schemas.enable', 'false',
                        'table.include.list', 'public\.items');
-- rewrite: the old row with __deleted, and envelope fields in the row and in
-- headers (a renamed one with its own prefix, a qualified one)
SELECT * FROM unwrapped('schemas.enable', 'false', 'table.include.list', 'public\.items',
    'transforms.unwrap.delete.tombstone.handling.mode', 'rewrite',
    'transforms.unwrap.add.fields', 'op, table, source.ts_ms, lsn',
    'transforms.unwrap.add.headers', 'op:operation,db,lsn',
    'transforms.unwrap.add.headers.prefix', 'h_');
SELECT * FROM unwrapped('key.converter.schemas.enable', 'false',
    'table.include.list', 'public\.items',
    'transforms.unwrap.delete.tombstone.handling.mode', 'rewrite-with-tombstone',
    'transforms.unwrap.add.fields', 'op:operation,source.snapshot',
    'transforms.unwrap.add.fields.prefix', 'cdc_');
-- drop: no deletes at all; delete-to-tombstone: a Kafka tombstone per delete
SELECT * FROM unwrapped('schemas.enable', 'false', 'table.include.list', 'public\.items',
    'transforms.unwrap.delete.tombstone.handling.mode', 'drop');
SELECT * FROM unwrapped('schemas.enable', 'false', 'table.include.list', 'public\.items',
    'transforms.unwrap.delete.tombstone.handling.mode', 'delete-to-tombstone');

-- errors
SELECT * FROM unwrapped('transforms.unwrap.delete.tombstone.handling.mode', 'none');
SELECT * FROM unwrapped('transforms.unwrap.add.fields', 'op,after.name');
SELECT * FROM unwrapped('transforms.unwrap.add.fields', 'nosuchfield');
SELECT * FROM unwrapped('transforms.unwrap.add.headers', 'op:a:b');
SELECT * FROM unwrapped('transforms.unwrap.drop.tombstones', 'false');
SELECT * FROM unwrapped('transforms.unwrap.route.by.field', 'name');
SELECT * FROM unwrapped('transforms.unwrap.replace.null.with.default', 'false');
SELECT * FROM unwrapped('transforms.unwrap.add.feilds', 'op');
SELECT * FROM unwrapped('transforms.other.add.fields', 'op');
-- accepted at their defaults
SELECT count(*) FROM unwrapped('transforms.unwrap.route.by.field', '',
    'transforms.unwrap.drop.fields.from.key', 'false',
    'transforms.unwrap.replace.null.with.default', 'true');

-- the same checks through the extension, as "wal2dbz-sink check" runs them
CREATE EXTENSION wal2dbz;
SELECT wal2dbz.check_options(ARRAY['transforms', 'unwrap',
    'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.add.fields', 'op,source.ts_ms']);
SELECT wal2dbz.check_options(ARRAY['transforms', 'unwrap',
    'transforms.unwrap.type', 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.add.fields', 'op,after.name']);
SELECT wal2dbz.check_options(ARRAY['decimal.handling.mode', 'exact']);
SELECT wal2dbz.check_options(ARRAY['topic.prefix']);
DROP EXTENSION wal2dbz;

SELECT 'stop' FROM pg_drop_replication_slot('unwrap_slot');
DROP TABLE public.items;
DROP FUNCTION unwrapped;
