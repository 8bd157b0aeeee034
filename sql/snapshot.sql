-- wal2dbz.snapshot_frames(): snapshot ("r") records encoded by the same
-- code as streamed changes, with Debezium's source.snapshot markers.
-- predictability
SET synchronous_commit = on;

CREATE EXTENSION wal2dbz;
SELECT wal2dbz.version();

CREATE TYPE snap_mood AS ENUM ('sad', 'happy');
CREATE TABLE snap_a (id int PRIMARY KEY, amount numeric(10,2), at timestamptz, m snap_mood,
                     tags text[], big text);
INSERT INTO snap_a VALUES
    (1, 1.10, '2024-05-01 12:34:56.789+00', 'happy', '{x,NULL}', repeat('z', 5000)),
    (2, NULL, NULL, NULL, NULL, NULL),
    (3, -22.00, 'infinity', 'sad', '{}', 'short');
CREATE TABLE snap_empty (id int PRIMARY KEY);
CREATE TABLE snap_one (k text PRIMARY KEY);
INSERT INTO snap_one VALUES ('only');

-- Decode frames into columns (see plugin/wal2dbz_frame.h).
CREATE FUNCTION frames(bytea[])
RETURNS TABLE (n bigint, kind text, flags int, schema_id int, topic text, key text,
               value text, nheaders int)
LANGUAGE sql AS $$
  SELECT n, chr(get_byte(f, 2)), get_byte(f, 3),
         ('x' || encode(substring(f from 25 for 4), 'hex'))::bit(32)::int,
         convert_from(substring(f from 41 for tl), 'UTF8'),
         CASE WHEN kl < 0 THEN NULL ELSE convert_from(substring(f from 41 + tl for kl), 'UTF8') END,
         CASE WHEN vl < 0 THEN NULL
              ELSE convert_from(substring(f from 41 + tl + greatest(kl, 0) for vl), 'UTF8') END,
         ('x' || encode(substring(f from 31 for 2), 'hex'))::bit(16)::int
  FROM (SELECT f, n,
               ('x' || encode(substring(f from 29 for 2), 'hex'))::bit(16)::int AS tl,
               ('x' || encode(substring(f from 33 for 4), 'hex'))::bit(32)::int AS kl,
               ('x' || encode(substring(f from 37 for 4), 'hex'))::bit(32)::int AS vl
        FROM unnest($1) WITH ORDINALITY AS u(f, n)) x
$$;

-- one table alone: a SCHEMA frame, then rows marked first ... last
SELECT kind, flags, schema_id, topic, key, nheaders,
       (nullif(value, '')::json)->>'op' AS op, (nullif(value, '')::json)->'source'->>'snapshot' AS snapshot,
       (nullif(value, '')::json)->'source'->>'lsn' AS lsn, (nullif(value, '')::json)->'source'->>'txId' AS txid,
       (nullif(value, '')::json)->'source'->>'sequence' AS sequence,
       left(((nullif(value, '')::json)->'after')::text, 120) AS after
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_a',
    ARRAY['topic.prefix', 'srv', 'schemas.enable', 'false'], '0/1234', 42)))
ORDER BY n;

-- tables in the middle of a snapshot get *_in_data_collection markers; a
-- one-row last table gets "last"; an empty table gets only its SCHEMA frame
SELECT kind, (nullif(value, '')::json)->'source'->>'snapshot' AS snapshot, key
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_a', ARRAY['schemas.enable', 'false'],
    NULL, NULL, false, false))) ORDER BY n;
SELECT count(*) AS frames FROM wal2dbz.snapshot_frames('snap_empty');
SELECT kind, (nullif(value, '')::json)->'source'->>'snapshot' AS snapshot
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_one', ARRAY['schemas.enable', 'false'],
    NULL, NULL, false, true))) ORDER BY n;
-- a one-row first table: its row is the snapshot's "first"
SELECT kind, (nullif(value, '')::json)->'source'->>'snapshot' AS snapshot
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_one', ARRAY['schemas.enable', 'false'],
    NULL, NULL, true, false))) ORDER BY n;
-- chunks: a row filter, and markers only at the table's ends
SELECT key, (nullif(value, '')::json)->'source'->>'snapshot' AS snapshot
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_a', ARRAY['schemas.enable', 'false'],
    NULL, NULL, true, true, 'id >= 2', false, true))) WHERE kind = 'R' ORDER BY n;

-- the source time is the snapshot transaction's start, as Debezium's
BEGIN;
SELECT floor(extract(epoch from now()) * 1000)::bigint AS start_ms \gset
SELECT bool_and(((nullif(value, '')::json)->'source'->>'ts_ms')::bigint = :start_ms) AS ts_is_txn_start
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_a', ARRAY['schemas.enable', 'false'])))
WHERE kind = 'R';
COMMIT;

-- with schemas, the SCHEMA frame holds the same prefixes as streaming uses
SELECT 'init' FROM pg_create_logical_replication_slot('snap_slot', 'wal2dbz');
INSERT INTO snap_a SELECT id + 100, amount, at, m, tags, big FROM snap_a;
SELECT s.key = c.key AS key_prefix_same, s.value = c.value AS value_prefix_same
FROM (SELECT key, value FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_a',
          ARRAY['topic.prefix', 'srv']))) WHERE kind = 'S') s,
     (SELECT key, value FROM frames(ARRAY(SELECT data FROM pg_logical_slot_peek_binary_changes(
          'snap_slot', NULL, NULL, 'output.format', 'framed', 'topic.prefix', 'srv')))
      WHERE kind = 'S') c;
-- an "r" record and a "c" record of the same row carry identical after images
SELECT r.key AS r_key, (r.after::jsonb - 'id') = (c.after::jsonb - 'id') AS same_after,
       r.after::text = replace(c.after::text, '"id":10', '"id":') AS same_bytes
FROM (SELECT key, (nullif(value, '')::json)->'after' AS after FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames(
          'snap_a', ARRAY['schemas.enable', 'false'], NULL, NULL, true, true, 'id < 100')))
      WHERE kind = 'R') r
JOIN (SELECT key, (nullif(value, '')::json)->'after' AS after FROM frames(ARRAY(SELECT data
          FROM pg_logical_slot_get_binary_changes('snap_slot', NULL, NULL,
               'output.format', 'framed', 'schemas.enable', 'false')))
      WHERE kind = 'R') c
  ON ((c.key::json)->>'id')::int = ((r.key::json)->>'id')::int + 100
ORDER BY 1;
SELECT 'stop' FROM pg_drop_replication_slot('snap_slot');

-- rows are read as stored: a value TOASTed out of line comes in full; a
-- table with a dropped column is read as whole rows, so columns stay aligned;
-- escapes in a row after the SCHEMA frame's own call (the schema strings the
-- record refers to outlive that call)
CREATE TABLE snap_t (id int PRIMARY KEY, gone int, big text);
ALTER TABLE snap_t ALTER big SET STORAGE EXTERNAL;
INSERT INTO snap_t VALUES (1, 7, repeat('0123456789', 1000)), (2, 8, E'q"\\\n');
SELECT key, length((value::json)->'after'->>'big') AS big_length,
       left(((value::json)->'after')::text, 30) AS after
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_t', ARRAY['schemas.enable', 'false'])))
WHERE kind = 'R' ORDER BY n;
ALTER TABLE snap_t DROP COLUMN gone;
SELECT key, length((value::json)->'after'->>'big') AS big_length,
       left(((value::json)->'after')::text, 30) AS after
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_t', ARRAY['schemas.enable', 'false'])))
WHERE kind = 'R' ORDER BY n;

-- a column named like the query's table alias "t", after a dropped column, with nulls
CREATE TABLE snap_alias (id int PRIMARY KEY, gone int, t text, n int);
INSERT INTO snap_alias VALUES (1, 0, NULL, 1), (2, 0, 'x', NULL);
ALTER TABLE snap_alias DROP COLUMN gone;
SELECT key, (value::json)->'after' AS after
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_alias', ARRAY['schemas.enable', 'false'])))
WHERE kind = 'R' ORDER BY n;
SELECT key, (value::json)->'after' AS after
FROM frames(ARRAY(SELECT wal2dbz.snapshot_frames('snap_alias', ARRAY['schemas.enable', 'false'],
    NULL, NULL, true, true, 't.t IS NULL'))) WHERE kind = 'R' ORDER BY n;
DROP TABLE snap_alias;

-- framed.batch.bytes: the same frames, back to back in fewer values
INSERT INTO snap_t SELECT g, md5(g::text) FROM generate_series(3, 1000) g;
SELECT count(*) AS values, sum(length(f)) AS bytes, min(length(f)) >= 4096 AS full_batches
FROM (SELECT f FROM wal2dbz.snapshot_frames('snap_t', ARRAY['schemas.enable', 'false',
    'framed.batch.bytes', '4096']) AS f OFFSET 0 LIMIT 10) b;
SELECT count(*) AS values, sum(length(f)) AS bytes
FROM wal2dbz.snapshot_frames('snap_t', ARRAY['schemas.enable', 'false', 'framed.batch.bytes', '4096']) AS f;
SELECT count(*) AS values, sum(length(f)) AS bytes
FROM wal2dbz.snapshot_frames('snap_t', ARRAY['schemas.enable', 'false']) AS f;
-- stopping early (LIMIT) closes the scan: no relcache reference leak warning
SELECT length(wal2dbz.snapshot_frames('snap_t')) > 0 AS read LIMIT 1;

-- bad arguments
SELECT wal2dbz.snapshot_frames(NULL);
SELECT wal2dbz.snapshot_frames('snap_a', ARRAY['topic.prefix']);
SELECT wal2dbz.snapshot_frames('snap_a', ARRAY['no.such.option', 'x']);

DROP TABLE snap_a, snap_empty, snap_one, snap_t;
DROP TYPE snap_mood;
DROP FUNCTION frames(bytea[]);
DROP EXTENSION wal2dbz;
