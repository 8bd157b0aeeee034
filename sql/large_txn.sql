-- A transaction far larger than logical_decoding_work_mem (64kB in the test
-- configuration) spills to disk and still decodes every change, in order,
-- with one transaction id; and a second database decodes on its own.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('large_slot', 'wal2dbz');

CREATE TABLE big (id int PRIMARY KEY, payload text);
BEGIN;
INSERT INTO big SELECT i, repeat('x', 100) FROM generate_series(1, 20000) i;
UPDATE big SET payload = 'y' WHERE id % 4 = 0;
DELETE FROM big WHERE id % 10 = 0;
COMMIT;

SELECT (data::json)->>'op' AS op, count(*),
       count(DISTINCT (data::json)->'source'->>'txId') AS xids,
       min(((data::json)->'after'->>'id')::int) AS min_id,
       max(coalesce((data::json)->'after'->>'id', (data::json)->'before'->>'id')::int) AS max_id
FROM pg_logical_slot_peek_changes('large_slot', NULL, NULL, 'schemas.enable', 'false')
GROUP BY 1 ORDER BY 1;

-- LSNs never go backwards within the transaction
SELECT bool_and(lsn >= prev) AS lsn_ordered
FROM (SELECT lsn, lag(lsn) OVER (ORDER BY n) AS prev
      FROM (SELECT ((data::json)->'source'->>'lsn')::bigint AS lsn, row_number() OVER () AS n
            FROM pg_logical_slot_get_changes('large_slot', NULL, NULL, 'schemas.enable', 'false')) x) y
WHERE prev IS NOT NULL;

SELECT 'stop' FROM pg_drop_replication_slot('large_slot');
DROP TABLE big;

-- a second database: its own slot, its own "db" and default topic prefix
CREATE DATABASE wal2dbz_second;
\c wal2dbz_second
SET synchronous_commit = on;
SELECT 'init' FROM pg_create_logical_replication_slot('second_slot', 'wal2dbz');
CREATE TABLE t (id int PRIMARY KEY);
INSERT INTO t VALUES (1);
SELECT (data::json)->>'topic' AS topic, (data::json)->'value'->'source'->>'db' AS db
FROM pg_logical_slot_get_changes('second_slot', NULL, NULL, 'schemas.enable', 'false',
    'output.format', 'record');
SELECT 'stop' FROM pg_drop_replication_slot('second_slot');
\c contrib_regression
DROP DATABASE wal2dbz_second;
