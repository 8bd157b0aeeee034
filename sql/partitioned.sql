-- Partitioned tables: changes carry the partition they land in, as with
-- Debezium's default publication (publish_via_partition_root = false); a
-- row moving between partitions is a delete and an insert.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('part_slot', 'wal2dbz');

CREATE TABLE measurements (id int, region text, v int, PRIMARY KEY (id, region))
    PARTITION BY LIST (region);
CREATE TABLE measurements_eu PARTITION OF measurements FOR VALUES IN ('eu');
CREATE TABLE measurements_us PARTITION OF measurements FOR VALUES IN ('us');
INSERT INTO measurements VALUES (1, 'eu', 10), (2, 'us', 20);
UPDATE measurements SET v = 11 WHERE id = 1;
UPDATE measurements SET region = 'us' WHERE id = 1;

SELECT (data::json)->>'topic' AS topic, (data::json)->'key' AS key,
       (data::json)->'value'->>'op' AS op, (data::json)->'value'->'after' AS after
FROM pg_logical_slot_get_changes('part_slot', NULL, NULL, 'schemas.enable', 'false',
    'output.format', 'record', 'topic.prefix', 'p');

SELECT 'stop' FROM pg_drop_replication_slot('part_slot');
DROP TABLE measurements;
