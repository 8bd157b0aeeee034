-- The framed output (wal2dbz_frame.h) the sink reads: SCHEMA frames once
-- per table, RECORD frames with payloads only, COMMIT markers.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('framed_slot', 'wal2dbz');

CREATE TABLE fr (id int PRIMARY KEY, v text);
INSERT INTO fr VALUES (1, 'a'), (2, 'b');
DELETE FROM fr WHERE id = 1;

-- Decode one frame's header and body into columns.
CREATE FUNCTION frames(VARIADIC opts text[])
RETURNS TABLE (n bigint, kind text, flags int, schema_id int, change_lsn_set bool,
               commit_lsn pg_lsn, topic text, key text, value text)
LANGUAGE sql AS $$
  SELECT row_number() OVER (), chr(get_byte(f, 2)), get_byte(f, 3),
         ('x' || encode(substring(f from 25 for 4), 'hex'))::bit(32)::int,
         substring(f from 5 for 8) <> '\x0000000000000000'::bytea,
         (encode(substring(f from 13 for 4), 'hex') || '/' || encode(substring(f from 17 for 4), 'hex'))::pg_lsn,
         convert_from(substring(f from 41 for tl), 'UTF8'),
         CASE WHEN kl < 0 THEN NULL ELSE convert_from(substring(f from 41 + tl for kl), 'UTF8') END,
         CASE WHEN vl < 0 THEN NULL
              ELSE left(convert_from(substring(f from 41 + tl + greatest(kl, 0) for vl), 'UTF8'), 60) END
  FROM (SELECT data AS f,
               ('x' || encode(substring(data from 29 for 2), 'hex'))::bit(16)::int AS tl,
               ('x' || encode(substring(data from 33 for 4), 'hex'))::bit(32)::int AS kl,
               ('x' || encode(substring(data from 37 for 4), 'hex'))::bit(32)::int AS vl
        FROM pg_logical_slot_peek_binary_changes('framed_slot', NULL, NULL,
             VARIADIC array['output.format', 'framed', 'topic.prefix', 'f'] || opts)) x
$$;

-- every frame starts with the magic byte and version 1
SELECT DISTINCT get_byte(data, 0) = ascii('W') AS magic, get_byte(data, 1) AS version
FROM pg_logical_slot_peek_binary_changes('framed_slot', NULL, NULL, 'output.format', 'framed');
-- a record's commit LSN is that of the COMMIT frame closing its transaction
WITH f AS (SELECT * FROM frames('schemas.enable', 'false'))
SELECT kind, flags, schema_id, change_lsn_set,
       CASE WHEN kind = 'R' THEN commit_lsn = (SELECT c.commit_lsn FROM f c
                                              WHERE c.kind = 'C' AND c.n > f.n
                                              ORDER BY c.n LIMIT 1) END AS commit_lsn_ok,
       topic, key, value
FROM f ORDER BY n;
-- with schemas, the SCHEMA frame carries the key and value prefixes
SELECT kind, topic, left(key, 40) AS key, left(value, 40) AS value
FROM frames('schemas.enable', 'true') WHERE kind = 'S';

-- framed.batch.bytes: the same bytes in fewer messages, one per
-- transaction here, each ending with its COMMIT frame
SELECT count(*) AS messages, sum(length(data)) AS bytes,
       bool_and(get_byte(data, 0) = ascii('W')) AS starts_with_frame
FROM pg_logical_slot_peek_binary_changes('framed_slot', NULL, NULL,
    'output.format', 'framed', 'schemas.enable', 'false', 'framed.batch.bytes', '65536');
SELECT count(*) AS messages, sum(length(data)) AS bytes
FROM pg_logical_slot_peek_binary_changes('framed_slot', NULL, NULL,
    'output.format', 'framed', 'schemas.enable', 'false');
SELECT data FROM pg_logical_slot_peek_binary_changes('framed_slot', NULL, NULL,
    'output.format', 'framed', 'framed.batch.bytes', '-1');

SELECT 'stop' FROM pg_drop_replication_slot('framed_slot');
DROP TABLE fr;
DROP FUNCTION frames(text[]);
