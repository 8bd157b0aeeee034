-- Every built-in type with Debezium's default modes: the "after" row of an
-- insert, and the field schemas of the value.
-- predictability
SET synchronous_commit = on;
SET extra_float_digits = 0;
SET timezone = 'America/New_York';

SELECT 'init' FROM pg_create_logical_replication_slot('types_slot', 'wal2dbz');

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN shorttext AS varchar(5);
CREATE TYPE pair AS (a int, b text);

CREATE TABLE t_num (
    id serial PRIMARY KEY,
    b bool, i2 int2, i4 int4, i8 int8, o oid,
    f4 float4, f8 float8,
    n102 numeric(10,2), n5 numeric(5), n numeric,
    m money);
INSERT INTO t_num (b, i2, i4, i8, o, f4, f8, n102, n5, n, m) VALUES
    (true, -32768, 2147483647, -9223372036854775808, 4294967295,
     1.5, 0.1, 1.10, 22, 10.1111, 1234.11),
    (false, 0, 0, 0, 0, 'NaN', 'Infinity', -1.10, -22, 22, -1234.11),
    (NULL, NULL, NULL, NULL, NULL, '-Infinity', '-0', 0, 0, 0, 0),
    (NULL, NULL, NULL, NULL, NULL, 1e20, 1e-5, 99999999.99, 99999, 1e30, 0.01),
    (NULL, NULL, NULL, NULL, NULL, 3.4028235e38, 123456789.123, NULL, NULL, 'NaN', NULL),
    (NULL, NULL, NULL, NULL, NULL, 1e7, 1e-3, NULL, NULL, '-0.000100', NULL);

CREATE TABLE t_text (
    id int PRIMARY KEY,
    c5 char(5), vc varchar(10), t text, nm name, ch "char",
    by bytea, js json, jb jsonb, x xml, u uuid,
    e mood, d posint, st shorttext, ea mood[]);
INSERT INTO t_text VALUES
    (1, 'ab', 'héllo', E'tab\there "q" back\\slash \u0001 ctl', 'nm', 'c',
     '\x010203', '{"a": 1,  "b":[1,2]}', '{"b": "baz", "a": 1}',
     '<a>x</a>', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
     'happy', 7, 'abc', '{sad,happy}'),
    (2, NULL, NULL, '', NULL, NULL, '', 'null', '[]', NULL, NULL, NULL, NULL, NULL, '{}');

CREATE TABLE t_time (
    id int PRIMARY KEY,
    d date, t time, t3 time(3), t0 time(0), tz timetz,
    ts timestamp, ts3 timestamp(3), ts0 timestamp(0),
    tstz timestamptz, tstz3 timestamptz(3), tstz0 timestamptz(0),
    iv interval);
INSERT INTO t_time VALUES
    (1, '2024-05-01', '12:34:56.789012', '12:34:56.789', '12:34:56', '12:34:56.789+02',
     '2024-05-01 12:34:56.789012', '2024-05-01 12:34:56.789', '2024-05-01 12:34:56',
     '2024-05-01 12:34:56.789012+00', '2024-05-01 12:34:56.789+00', '2024-05-01 12:34:56+00',
     '1 year 2 mons 3 days 04:05:06.78'),
    (2, '1969-12-31', '24:00:00', '00:00:00', '23:59:59', '00:30:00-05',
     '1969-12-31 23:59:59.999999', '1900-01-01 00:00:00', '2000-01-01',
     '4714-11-24 00:00:00+00 BC', '21016-11-04 06:51:30+00', '1970-01-01 00:00:00+00',
     '-1 year -2 mons +3 days -04:05:06.5'),
    (3, 'infinity', NULL, NULL, NULL, '11:51:02Z',
     'infinity', '-infinity', NULL,
     'infinity', '-infinity', '2024-05-01 12:34:56.5+00',
     '0'),
    (4, '-infinity', NULL, NULL, NULL, NULL, '0001-01-01 00:00:00 BC', NULL, NULL,
     '2016-11-04 13:51:30.123456+02', NULL, NULL, '100 hours 0.000001 seconds');

CREATE TABLE t_other (
    id int PRIMARY KEY,
    b1 bit(1), b2 bit(2), b7 bit(7), b24 bit(24), b64 bit(64), vb varbit, vb1 varbit(1),
    ip inet, cidr cidr, mac macaddr, mac8 macaddr8,
    r4 int4range, rn numrange, rts tsrange, rtstz tstzrange, rd daterange,
    p point, tv tsvector,
    tq tsquery, lsn pg_lsn, bx box, cp pair);
INSERT INTO t_other VALUES
    (1, '1', '11', '1000000', '000000110000001000000001',
     '1000000000000000000000000000000000000000000000000000000000000000', '101', '1',
     '192.168.2.0/24', '192.168.2.0/24', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
     '[1,5)', '[1.5,2.5]', '[2019-03-31 15:30:00,infinity)', '[2019-03-31 15:30:00+00,2019-04-01 00:00:00+00)',
     '[2019-03-31,infinity)',
     '(1,1)', 'a fat cat sat on a mat',
     'fat & cat', '0/16B3748', '((0,0),(1,1))', ROW(1, 'x')),
    (2, '0', '00', '0000000', '000000000000000000000000',
     '0000000000000000000000000000000000000000000000000000000000000000', '', '0',
     NULL, NULL, NULL, NULL, 'empty', NULL, NULL, NULL, NULL, '(-1.5,2e10)', '', NULL, NULL, NULL, NULL);

CREATE TABLE t_array (
    id int PRIMARY KEY,
    ai int4[], at text[], a2 int[][], an numeric(10,2)[], ad date[], au uuid[],
    ajb jsonb[], aby bytea[], ab bool[], af float8[], ats timestamptz[], aname name[]);
INSERT INTO t_array VALUES
    (1, '{1,2,3}', '{a,NULL,"c d"}', '{{1,2},{3,4}}', '{1.10,NULL}', '{2024-05-01}',
     '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', ARRAY['{"a":1}'::jsonb], '{"\\x0102"}',
     '{t,f,NULL}', '{1.5,NaN}', '{"2024-05-01 00:00:00+00"}', '{x}'),
    (2, '{}', '{NULL}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- the payload rows, in insertion order
SELECT (data::json)->'value'->'after' AS after
FROM pg_logical_slot_peek_changes('types_slot', NULL, NULL,
    'topic.prefix', 'srv', 'schemas.enable', 'false', 'output.format', 'record');

-- the field schemas of each table, one line per field
SELECT DISTINCT ON (topic, n) topic, n, field
FROM (
    SELECT (data::json)->>'topic' AS topic, f.n, f.field::text AS field
    FROM pg_logical_slot_peek_changes('types_slot', NULL, NULL, 'topic.prefix', 'srv',
             'output.format', 'record'),
         json_array_elements((data::json)->'value'->'schema'->'fields'->1->'fields')
             WITH ORDINALITY AS f(field, n)
) s
ORDER BY topic, n;

SELECT 'stop' FROM pg_drop_replication_slot('types_slot');
