-- ops.sql: operations. Captured with skipped.operations=none (truncates emitted).
-- Part 1 (before the connector starts) -> snapshot; part 2 (after "-- @@STREAM@@") -> streamed.
SET TIME ZONE 'UTC';

CREATE TABLE customers (
  id int PRIMARY KEY,
  name text NOT NULL,
  email varchar(255),
  balance numeric(10,2),
  status text NOT NULL DEFAULT 'new',
  created_at timestamptz NOT NULL
);
INSERT INTO customers VALUES (1, 'Anne', NULL, 1234.50, 'new', '2024-05-01 12:34:56.789+00');
INSERT INTO customers VALUES (2, 'Bob', 'bob@example.com', -0.5, 'active', '2024-05-02 00:00:00+00');

CREATE TABLE ri_default (id int PRIMARY KEY, code text NOT NULL, v text, n int NOT NULL DEFAULT 7);
CREATE TABLE ri_full (id int PRIMARY KEY, code text NOT NULL, v text, n int NOT NULL DEFAULT 7);
ALTER TABLE ri_full REPLICA IDENTITY FULL;
CREATE TABLE ri_index (id int PRIMARY KEY, code text NOT NULL, v text, n int NOT NULL DEFAULT 7);
CREATE UNIQUE INDEX ri_index_code ON ri_index (code);
ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code;
CREATE TABLE ri_nothing (id int PRIMARY KEY, code text NOT NULL, v text);
ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE nokey (a int, b text);
CREATE TABLE nokey_full (a int, b text);
ALTER TABLE nokey_full REPLICA IDENTITY FULL;
CREATE TABLE uniq_only (a int NOT NULL, b text, c int NOT NULL);
CREATE UNIQUE INDEX uniq_only_c ON uniq_only (c);
CREATE UNIQUE INDEX uniq_only_a ON uniq_only (a);
ALTER TABLE uniq_only REPLICA IDENTITY USING INDEX uniq_only_a;
CREATE TABLE composite_pk (a int, b text, v text, PRIMARY KEY (b, a));

INSERT INTO ri_default VALUES (1, 'one', 'v1'), (2, 'two', 'v2'), (3, 'three', 'v3');
INSERT INTO ri_full SELECT * FROM ri_default;
INSERT INTO ri_index SELECT * FROM ri_default;
INSERT INTO ri_nothing VALUES (1, 'one', 'v1');
INSERT INTO nokey VALUES (1, 'x');
INSERT INTO nokey_full VALUES (1, 'x'), (2, 'y');
INSERT INTO uniq_only VALUES (1, 'x', 10);
INSERT INTO composite_pk VALUES (1, 'k', 'v');

-- TOAST: values far above the 2 kB TOAST threshold and not compressible enough to stay inline
CREATE TABLE toast_default (id int PRIMARY KEY, other int, big text, bigb bytea, bigj jsonb, bigx xml,
  bigarr text[], bigiarr int[], biguarr uuid[], bignum numeric, bigtv tsvector, bigvc varchar);
-- numeric has storage MAIN (kept inline when possible): force it out of line to see its placeholder
ALTER TABLE toast_default ALTER COLUMN bignum SET STORAGE EXTERNAL;
CREATE TABLE toast_full (LIKE toast_default INCLUDING ALL);
ALTER TABLE toast_full REPLICA IDENTITY FULL;
-- deterministic pseudo-random content
CREATE FUNCTION big_text(n int) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT string_agg(md5(i::text), '') FROM generate_series(1, n) i $$;
CREATE FUNCTION big_row(i int) RETURNS SETOF toast_default LANGUAGE sql AS $$
  SELECT i, 1, big_text(400), decode(big_text(400), 'hex'),
         jsonb_build_object('k', big_text(300)), ('<x>' || big_text(300) || '</x>')::xml,
         ARRAY(SELECT md5(g::text) FROM generate_series(1, 300) g),
         ARRAY(SELECT ('x' || substr(md5(g::text), 1, 7))::bit(28)::int FROM generate_series(1, 2000) g),
         ARRAY(SELECT md5(g::text)::uuid FROM generate_series(1, 300) g),
         translate(big_text(400), 'abcdef', '123456')::numeric,
         to_tsvector('simple', array_to_string(ARRAY(SELECT md5(g::text) FROM generate_series(1, 300) g), ' ')),
         big_text(400)::varchar
$$;
INSERT INTO toast_default SELECT * FROM big_row(1);
INSERT INTO toast_full SELECT * FROM big_row(1);

CREATE TABLE trunc1 (id int PRIMARY KEY, v text);
CREATE TABLE trunc2 (id int PRIMARY KEY, v text);
INSERT INTO trunc1 VALUES (1, 'a');
INSERT INTO trunc2 VALUES (1, 'a');

CREATE TABLE measurements (id int, city text, ts date, v numeric(6,2), PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO measurements VALUES (1, 'Oslo', '2023-05-01', 1.5), (2, 'Rome', '2024-05-01', 2.5);

CREATE SCHEMA "Inv";
CREATE TABLE "Inv"."Odd Name$" ("Id" int PRIMARY KEY, "Mixed Case" text, "dollar$col" int);
INSERT INTO "Inv"."Odd Name$" VALUES (1, 'x', 2);

-- @@STREAM@@
SET TIME ZONE 'UTC';
-- insert / update / delete / primary-key change (REPLICA IDENTITY DEFAULT)
INSERT INTO customers VALUES (3, 'Carl', NULL, 10.00, DEFAULT, '2024-05-03 01:02:03.456789+00');
UPDATE customers SET email = 'anne@example.com', balance = 99.99 WHERE id = 1;
DELETE FROM customers WHERE id = 2;
UPDATE customers SET id = 30 WHERE id = 3;
-- one transaction touching several tables
BEGIN;
INSERT INTO ri_default VALUES (4, 'four', NULL);
INSERT INTO ri_full VALUES (4, 'four', NULL);
INSERT INTO ri_index VALUES (4, 'four', NULL);
INSERT INTO ri_default VALUES (5, 'five', 'v5');
COMMIT;
-- updates of a non-key column
UPDATE ri_default SET v = 'v1b' WHERE id = 1;
UPDATE ri_full SET v = 'v1b' WHERE id = 1;
UPDATE ri_index SET v = 'v1b' WHERE id = 1;
-- update of the replica-identity index column (ri_index), of code elsewhere
UPDATE ri_default SET code = 'uno' WHERE id = 1;
UPDATE ri_full SET code = 'uno' WHERE id = 1;
UPDATE ri_index SET code = 'uno' WHERE id = 1;
-- primary-key changes
UPDATE ri_default SET id = 20 WHERE id = 2;
UPDATE ri_full SET id = 20 WHERE id = 2;
UPDATE ri_index SET id = 20 WHERE id = 2;
UPDATE ri_index SET id = 21, code = 'deux' WHERE id = 20;
-- deletes
DELETE FROM ri_default WHERE id = 3;
DELETE FROM ri_full WHERE id = 3;
DELETE FROM ri_index WHERE id = 3;
-- REPLICA IDENTITY NOTHING: inserts flow; UPDATE/DELETE are rejected by PostgreSQL (published table)
INSERT INTO ri_nothing VALUES (2, 'two', 'v2');
DO $$ BEGIN UPDATE ri_nothing SET v = 'x' WHERE id = 1; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'ri_nothing update rejected: %', SQLERRM; END $$;
DO $$ BEGIN DELETE FROM ri_nothing WHERE id = 1; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'ri_nothing delete rejected: %', SQLERRM; END $$;
-- no key at all
INSERT INTO nokey VALUES (2, 'y');
DO $$ BEGIN UPDATE nokey SET b = 'z' WHERE a = 1; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'nokey update rejected: %', SQLERRM; END $$;
INSERT INTO nokey_full VALUES (3, 'z');
UPDATE nokey_full SET b = 'yy' WHERE a = 2;
DELETE FROM nokey_full WHERE a = 1;
-- unique index but no primary key
INSERT INTO uniq_only VALUES (2, 'y', 20);
UPDATE uniq_only SET b = 'xx' WHERE a = 1;
UPDATE uniq_only SET a = 3 WHERE a = 2;
DELETE FROM uniq_only WHERE a = 1;
-- composite primary key
INSERT INTO composite_pk VALUES (2, 'k', 'v2');
UPDATE composite_pk SET v = 'vv' WHERE a = 1;
DELETE FROM composite_pk WHERE a = 2;
-- TOAST
INSERT INTO toast_default SELECT * FROM big_row(2);
INSERT INTO toast_full SELECT * FROM big_row(2);
UPDATE toast_default SET other = 2 WHERE id = 1;
UPDATE toast_full SET other = 2 WHERE id = 1;
UPDATE toast_default SET other = 3, big = 'small now' WHERE id = 2;
UPDATE toast_full SET other = 3, big = 'small now' WHERE id = 2;
DELETE FROM toast_default WHERE id = 1;
DELETE FROM toast_full WHERE id = 1;
-- truncate
INSERT INTO trunc1 VALUES (2, 'b');
TRUNCATE trunc1;
TRUNCATE trunc1, trunc2;
-- logical decoding messages
SELECT pg_logical_emit_message(false, 'nontx-prefix', 'non-transactional content') IS NOT NULL;
BEGIN;
INSERT INTO ri_default VALUES (6, 'six', NULL);
SELECT pg_logical_emit_message(true, 'tx-prefix', 'transactional content') IS NOT NULL;
SELECT pg_logical_emit_message(true, 'bin', '\x00ff01'::bytea) IS NOT NULL;
COMMIT;
BEGIN;
SELECT pg_logical_emit_message(true, 'only-message', 'a transaction with only a message') IS NOT NULL;
COMMIT;
-- partitioned table (publication FOR ALL TABLES without publish_via_partition_root)
INSERT INTO measurements VALUES (3, 'Oslo', '2023-06-01', 3.5), (4, 'Rome', '2024-06-01', 4.5);
UPDATE measurements SET v = 9.99 WHERE id = 1;
UPDATE measurements SET ts = '2024-07-01' WHERE id = 3;
DELETE FROM measurements WHERE id = 2;
-- quoted identifiers
INSERT INTO "Inv"."Odd Name$" VALUES (2, 'y', 3);
