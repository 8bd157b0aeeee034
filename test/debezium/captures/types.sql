-- types.sql: every built-in type, one table per group, each with a PRIMARY KEY.
-- Part 1 (before the connector starts) -> snapshot records (op "r").
-- Part 2 (after the line "-- @@STREAM@@", run once Debezium streams) -> c/u/d records.
-- Streamed inserts copy the snapshot rows (id + 1000), so snapshot and streaming encodings of the
-- very same values can be compared.
SET TIME ZONE 'UTC';
SET extra_float_digits = 3;

CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN shorttext AS text CHECK (length(VALUE) < 20);
CREATE TYPE pair AS (a integer, b text);

CREATE TABLE t_int (
  id int PRIMARY KEY,
  b bool, i2 int2, i4 int4, i8 int8,
  s2 smallserial, s serial, s8 bigserial,
  o oid
);
INSERT INTO t_int VALUES
  (1, true, 32767, 2147483647, 9223372036854775807, 1, 1, 1, 4294967295),
  (2, false, -32768, -2147483648, -9223372036854775808, 2, 2, 2, 0),
  (3, NULL, NULL, NULL, NULL, 3, 3, 3, NULL);

CREATE TABLE t_float (id int PRIMARY KEY, f4 float4, f8 float8, label text);
INSERT INTO t_float VALUES
  (1, 'NaN', 'NaN', 'NaN'),
  (2, 'Infinity', 'Infinity', 'Infinity'),
  (3, '-Infinity', '-Infinity', '-Infinity'),
  (4, 0.1, 0.1, '0.1'),
  (5, 1e20, 1e20, '1e20'),
  (6, 1e-5, 1e-5, '1e-5'),
  (7, '-0.0', '-0.0', '-0'),
  (8, 123456789.123, 123456789.123, '123456789.123'),
  (9, 0, 0, '0'),
  (10, 3, 3, '3'),
  (11, 1234567, 1234567, '1234567'),
  (12, 12345678, 12345678, '12345678'),
  (13, 0.001, 0.001, '0.001'),
  (14, 0.0001, 0.0001, '0.0001'),
  (15, 3.4028235e38, 1.7976931348623157e308, 'max'),
  (16, 1.4e-45, 4.9e-324, 'min subnormal'),
  (17, 2.5, -2.5, '2.5'),
  (18, 1.0e7, 1.0e7, '1e7'),
  (19, 9999999, 9999999.999, '9999999'),
  (20, NULL, NULL, NULL);

CREATE TABLE t_numeric (id int PRIMARY KEY, n102 numeric(10,2), n5 numeric(5), nu numeric, m money, label text);
INSERT INTO t_numeric VALUES
  (1, 1.10, 22, 10.1111, '$1,234.11', 'a'),
  (2, -1.10, -22, 22, '-1234.11', 'b'),
  (3, 0, 0, 0, 0, 'zero'),
  (4, 12345678.99, 99999, -1.10, '92233720368547758.07', 'big'),
  (5, 0.01, 1, 1e30, '-92233720368547758.08', 'e30'),
  (6, 'NaN', 'NaN', 'NaN', 0.5, 'NaN'),
  (7, 1.5, 3, 'Infinity', 1, 'inf'),
  (8, 2.25, 4, '-Infinity', 2, '-inf'),
  (9, -0.01, -1, 0.000001, 3, 'small'),
  (10, 100, 10, 1.2300, 4, 'trailing zeros'),
  (11, 5.5, 5, -12345678901234567890.123456789, 5, 'long'),
  (12, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_char (id int PRIMARY KEY, c5 char(5), vc10 varchar(10), t text, nm name, ch "char", bpc bpchar, vc varchar);
INSERT INTO t_char VALUES
  (1, 'ab', 'abc', 'hello world', 'aname', 'x', 'bp', 'v'),
  (2, 'abcde', '', '', '', 'Z', 'b', ''),
  (3, 'é', 'ünïcödé', E'quote" backslash\\ slash/ nl\n tab\t cr\r bs\b ff\f c1\x01 c1f\x1f del\x7f', 'N', '1', E'x\ty', '€😀'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_bytea (id int PRIMARY KEY, ba bytea);
INSERT INTO t_bytea VALUES
  (1, '\x010203'), (2, ''), (3, '\x00ff80fe'), (4, convert_to('__debezium_unavailable_value', 'UTF8')), (5, NULL);

CREATE TABLE t_json (id int PRIMARY KEY, j json, jb jsonb, x xml, u uuid);
INSERT INTO t_json VALUES
  (1, '{"b": 1,  "a" : [1,2,{"c":null}]}', '{"b": 1,  "a" : [1,2,{"c":null}]}', '<a b="1">text &amp; more</a>', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'),
  (2, '[]', '"str"', '<?xml version="1.0"?><root/>', '00000000-0000-0000-0000-000000000000'),
  (3, 'null', 'null', 'plain text', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
  (4, '{"é":"😀\u0001"}', '{"é":"😀\u0001", "n": 1.50}', NULL, NULL),
  (5, NULL, NULL, NULL, NULL);

CREATE TABLE t_date (id int PRIMARY KEY, d date, label text);
INSERT INTO t_date VALUES
  (1, '2024-02-29', 'leap'), (2, '1970-01-01', 'epoch'), (3, '1969-12-31', 'pre-epoch'),
  (4, '0001-01-01', 'year 1'), (5, '0001-12-31 BC', '1 BC = year 0'), (6, '4714-11-24 BC', 'min'),
  (7, '21016-11-04', '5-digit'), (8, 'infinity', 'infinity'), (9, '-infinity', '-infinity'),
  (10, '1582-10-04', 'julian end'), (11, '1582-10-15', 'gregorian start'), (12, NULL, NULL);

CREATE TABLE t_time (id int PRIMARY KEY, t time, t3 time(3), t0 time(0), t1 time(1), ttz timetz, ttz3 timetz(3), label text);
INSERT INTO t_time VALUES
  (1, '04:05:06.789012', '04:05:06.789', '04:05:06', '04:05:06.7', '04:05:06.789012+00', '04:05:06.789+00', 'basic'),
  (2, '00:00:00', '00:00:00', '00:00:00', '00:00:00', '00:00:00+00', '00:00:00+00', 'zero'),
  (3, '23:59:59.999999', '23:59:59.999', '23:59:59', '23:59:59.9', '23:59:59.999999+00', '23:59:59.999+00', 'max'),
  (4, '24:00:00', '24:00:00', '24:00:00', '24:00:00', '24:00:00+00', '24:00:00+00', '24h'),
  (5, '12:00:00.5', '12:00:00.5', '12:00:00.4', '12:00:00.5', '12:34:56.789+05:30', '01:00:00-08', 'tz offsets'),
  (6, '00:00:00.000001', '00:00:00.001', '00:00:01', '00:00:00.1', '23:30:00-02', '00:00:00.001+14', 'wrap'),
  (7, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_ts (id int PRIMARY KEY, ts timestamp, ts3 timestamp(3), ts0 timestamp(0),
                   tstz timestamptz, tstz3 timestamptz(3), tstz0 timestamptz(0), tstz1 timestamptz(1), label text);
INSERT INTO t_ts VALUES
  (1, '2016-11-04 13:51:30.123456', '2016-11-04 13:51:30.123', '2016-11-04 13:51:30', '2016-11-04 13:51:30.123456+02', '2016-11-04 13:51:30.123+02', '2016-11-04 13:51:30+02', '2016-11-04 13:51:30.1+02', 'basic'),
  (2, '1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00+00', 'epoch'),
  (3, '1969-12-31 23:59:59.5', '1969-12-31 23:59:59.5', '1969-12-31 23:59:59', '1969-12-31 23:59:59.5+00', '1969-12-31 23:59:59.5+00', '1969-12-31 23:59:59+00', '1969-12-31 23:59:59.5+00', 'pre-epoch'),
  (4, 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity'),
  (5, '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity'),
  (6, '0044-03-15 12:00:00 BC', '0044-03-15 12:00:00.5 BC', '0044-03-15 12:00:00 BC', '0044-03-15 12:00:00+00 BC', '0044-03-15 12:00:00.5+00 BC', '0044-03-15 12:00:00+00 BC', '0044-03-15 12:00:00.5+00 BC', 'BC'),
  (7, '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '4713-01-01 00:00:00+00 BC', '4713-01-01 00:00:00+00 BC', '4713-01-01 00:00:00+00 BC', 'min'),
  (8, '21016-11-04 06:51:30.123456', '21016-11-04 06:51:30.123', '21016-11-04 06:51:30', '21016-11-04 06:51:30.123456+00', '21016-11-04 06:51:30.123+00', '21016-11-04 06:51:30+00', '21016-11-04 06:51:30+00', '5-digit'),
  (9, '2000-01-01 00:00:00.000001', '2000-01-01 00:00:00.001', '2000-01-01 00:00:01', '2000-01-01 00:00:00.000001+00', '2000-01-01 00:00:00.001+00', '2000-01-01 00:00:01+00', '2000-01-01 00:00:00.1+00', 'tiny fraction'),
  (10, '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', '0001-01-01 00:00:00+00', '0001-01-01 00:00:00+00', '0001-01-01 00:00:00+00', 'year 1'),
  (11, '1582-10-10 12:00:00', '1582-10-10 12:00:00', '1582-10-10 12:00:00', '1582-10-10 12:00:00+00', '1582-10-10 12:00:00+00', '1582-10-10 12:00:00+00', '1582-10-10 12:00:00+00', 'julian gap'),
  (12, '9999-12-31 23:59:59.999999', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999+00', '9999-12-31 23:59:59.999+00', '9999-12-31 23:59:59+00', '9999-12-31 23:59:59.9+00', 'y9999'),
  (13, '2024-06-01 12:00:00.120000', '2024-06-01 12:00:00.12', '2024-06-01 12:00:00', '2024-06-01 12:00:00.12-07', '2024-06-01 12:00:00.12-07', '2024-06-01 12:00:00-07', '2024-06-01 12:00:00.1-07', 'trailing zero fraction'),
  (14, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_interval (id int PRIMARY KEY, iv interval, iv0 interval(0), label text);
INSERT INTO t_interval VALUES
  (1, '1 year 2 mons 3 days 04:05:06.78', '1 year 2 mons 3 days 04:05:06', 'P1Y2M3DT4H5M6.78S'),
  (2, '-1 year -2 mons +3 days -04:05:06', '-1 year -2 mons +3 days -04:05:06', 'mixed signs'),
  (3, '00:00:00', '00:00:00', 'zero'),
  (4, '1 mon', '1 mon', '1 month'),
  (5, '-00:00:00.000001', '-00:00:01', 'minus 1 us'),
  (6, '100 years', '100 years', '100y'),
  (7, '1 day -1 second', '1 day -1 second', 'day minus second'),
  (8, '178000000 years', '178000000 years', 'huge'),
  (9, '-3 days 10:00:00.5', '-3 days 10:00:00', 'neg days'),
  (10, '2147483647 hours 59 minutes 59.999999 seconds', '1000 hours', 'many hours (2562047788 hours crashes Debezium streaming: pgjdbc int parse)'),
  (11, '0.5 seconds', '0.5 seconds', 'half second'),
  (12, NULL, NULL, NULL);

CREATE TABLE t_bits (id int PRIMARY KEY, b1 bit(1), b8 bit(8), b2 bit(2), b24 bit(24), b64 bit(64), vb varbit, vb1 varbit(1), vb16 varbit(16));
INSERT INTO t_bits VALUES
  (1, '1', '10101010', '11', '000000110000001000000001', '1000000000000000000000000000000000000000000000000000000000000000', '101', '1', '1'),
  (2, '0', '00000000', '00', '000000000000000000000000', '0000000000000000000000000000000000000000000000000000000000000000', '', '0', ''),
  (3, '1', '00000001', '01', '100000000000000000000000', '0000000000000000000000000000000000000000000000000000000000000001', '10000000000000000', '', '1111111111111111'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_net (id int PRIMARY KEY, i inet, c cidr, m macaddr, m8 macaddr8);
INSERT INTO t_net VALUES
  (1, '192.168.2.1/12', '192.168.0.0/16', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05'),
  (2, '::1', '2001:db8::/32', 'FF-FF-FF-FF-FF-FF', '08002b0102030405'),
  (3, '10.0.0.1', '10.0.0.1', '00:00:00:00:00:00', '08:00:2b:01:02:03'),
  (4, NULL, NULL, NULL, NULL);

CREATE TABLE t_range (id int PRIMARY KEY, r4 int4range, r8 int8range, rn numrange, rts tsrange, rtstz tstzrange, rd daterange);
INSERT INTO t_range VALUES
  (1, '[1,10)', '[1,10]', '(1.5,2.5]', '[2019-03-31 15:30:00,infinity)', '[2019-03-31 15:30:00+02,2019-04-01 00:00:00+00)', '[2019-03-31,infinity)'),
  (2, 'empty', 'empty', 'empty', 'empty', 'empty', 'empty'),
  (3, '(,5)', '[3,)', '(,)', '(,2020-01-01)', '(-infinity,)', '[2000-01-01,2000-01-02]'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_geo (id int PRIMARY KEY, p point, bx box, c circle, l line, ls lseg, pa path, pg polygon);
INSERT INTO t_geo VALUES
  (1, '(1,1)', '((0,0),(1,1))', '<(1,2),3>', '{1,-1,0}', '[(0,0),(1,1)]', '[(0,0),(1,1),(2,0)]', '((0,0),(0,1),(1,1))'),
  (2, '(-1.5,2.25)', '((1,2),(3,4))', '<(0,0),1.5>', '{0,1,2}', '[(1,2),(3,4)]', '((0,0),(1,1),(2,0))', '((0,0),(1,0),(1,1),(0,1))'),
  (3, '(0,0)', NULL, NULL, NULL, NULL, NULL, NULL),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_misc (id int PRIMARY KEY, tv tsvector, tq tsquery, lsn pg_lsn, x8 xid8, xi xid, i2v int2vector, ov oidvector, rc regclass);
INSERT INTO t_misc VALUES
  (1, to_tsvector('english', 'The quick brown fox jumped over the lazy dog'), 'fat & (rat | cat)', '16/B374D848', '12345', '678', '1 2 3', '1 2', 'pg_class'),
  (2, 'a:1A fat:2B,4C cat:5D', '''fat'' <-> ''cat''', '0/0', '0', '0', '', '', '-'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_user (id int PRIMARY KEY, e mood, dpi posint, dst shorttext, cp pair);
INSERT INTO t_user VALUES
  (1, 'happy', 5, 'short', ROW(1, 'x')),
  (2, 'sad', 2147483647, '', ROW(NULL, 'a "q", b')),
  (3, NULL, NULL, NULL, NULL);

CREATE TABLE t_array (id int PRIMARY KEY,
  ai int4[], at text[], a2 int[][], an numeric(10,2)[], ad date[], au uuid[], ajb jsonb[], aba bytea[], ae mood[],
  ai2 int2[], ai8 int8[], af4 float4[], af8 float8[], ab bool[], avc varchar[], ac char(3)[], anu numeric[],
  ats timestamp[], atstz timestamptz[], at3 time(3)[], attz timetz[], aj json[], ainet inet[], ar int4range[],
  aiv interval[], am money[], ax xml[], ap point[]);
INSERT INTO t_array VALUES
  (1, '{1,2,3}', '{"a",NULL,"b c","","NULL","q\"uote"}', '{{1,2},{3,4}}', '{1.10,NULL,-2.5}', '{2024-02-29,1970-01-01,infinity}',
      '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', ARRAY['{"a": 1}'::jsonb, 'null'::jsonb, NULL], ARRAY['\x0102'::bytea, ''::bytea, NULL], '{sad,happy}',
      '{1,-1}', '{9223372036854775807}', '{NaN,1.5}', '{-0,1e20}', '{t,f,NULL}', '{x,y}', '{ab,cde}', '{10.1111,22,NaN}',
      '{"2016-11-04 13:51:30.123456"}', '{"2016-11-04 13:51:30.123456+02"}', '{04:05:06.789}', '{04:05:06+02}', ARRAY['{"a":1}'::json], '{10.0.0.1/8}', '{"[1,3)"}',
      '{"1 day"}', '{1.5}', ARRAY['<a/>'::xml], ARRAY[point(1,2)]),
  (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
  (3, '{NULL}', '{NULL}', '{{1},{NULL}}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE t_defaults (
  id int PRIMARY KEY,
  s_nn text NOT NULL DEFAULT 'new',
  s_null text DEFAULT 'new',
  i_nn int NOT NULL DEFAULT 0,
  i_null int DEFAULT 0,
  i7 int DEFAULT 7,
  ts_nn timestamptz NOT NULL DEFAULT now(),
  ts_null timestamptz DEFAULT now(),
  ts_lit timestamptz DEFAULT '2020-01-02 03:04:05.678+00',
  tsp timestamp DEFAULT CURRENT_TIMESTAMP,
  d_cur date DEFAULT current_date,
  d_lit date DEFAULT '2020-02-02',
  b_t bool NOT NULL DEFAULT true,
  n_lit numeric(10,2) DEFAULT 1.5,
  nu_lit numeric DEFAULT 2.25,
  f_lit float8 DEFAULT 1.25,
  vc_lit varchar(10) DEFAULT 'x'::character varying,
  u_gen uuid DEFAULT gen_random_uuid(),
  j_lit jsonb DEFAULT '{"k": 1}',
  e_lit mood DEFAULT 'ok',
  iv_lit interval DEFAULT '1 day',
  t_lit time DEFAULT '12:00:00',
  ba_lit bytea DEFAULT '\x01',
  bit_lit bit(8) DEFAULT B'00000011',
  seq bigserial,
  m_lit money DEFAULT 1.25,
  commented int DEFAULT NULL
);
COMMENT ON COLUMN t_defaults.commented IS 'a column comment';
COMMENT ON TABLE t_defaults IS 'a table comment';
INSERT INTO t_defaults (id) VALUES (1);
INSERT INTO t_defaults (id, s_nn, s_null, i_nn, i_null, i7, ts_nn, ts_null, ts_lit, tsp, d_cur, d_lit, b_t, n_lit, nu_lit, f_lit, vc_lit, u_gen, j_lit, e_lit, iv_lit, t_lit, ba_lit, bit_lit, m_lit, commented)
  VALUES (2, 'set', NULL, 5, NULL, NULL, '2021-01-01 00:00:00+00', NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- NOT NULL columns of many types: DELETE under REPLICA IDENTITY DEFAULT shows Debezium's fallbacks
CREATE TABLE t_notnull (
  id int PRIMARY KEY,
  i int NOT NULL, i8 bigint NOT NULL, t text NOT NULL, vc varchar(5) NOT NULL, c3 char(3) NOT NULL,
  b bool NOT NULL, f4 float4 NOT NULL, f8 float8 NOT NULL,
  n numeric(10,2) NOT NULL, nu numeric NOT NULL, m money NOT NULL,
  d date NOT NULL, tm time NOT NULL, tm3 time(3) NOT NULL, ttz timetz NOT NULL,
  ts timestamp NOT NULL, ts3 timestamp(3) NOT NULL, tstz timestamptz NOT NULL, tstz3 timestamptz(3) NOT NULL,
  iv interval NOT NULL, ba bytea NOT NULL, j json NOT NULL, jb jsonb NOT NULL, x xml NOT NULL, u uuid NOT NULL,
  b1 bit(1) NOT NULL, b8 bit(8) NOT NULL, vb varbit NOT NULL, ip inet NOT NULL, r int4range NOT NULL,
  p point NOT NULL, e mood NOT NULL, dpi posint NOT NULL, ai int[] NOT NULL, at text[] NOT NULL, tv tsvector NOT NULL,
  dflt_t text NOT NULL DEFAULT 'dflt', dflt_i int NOT NULL DEFAULT 42, dflt_ts timestamptz NOT NULL DEFAULT now(),
  dflt_d date NOT NULL DEFAULT '2020-02-02', dflt_e mood NOT NULL DEFAULT 'ok', dflt_n numeric(10,2) NOT NULL DEFAULT 3.25
);
INSERT INTO t_notnull VALUES (1, 1, 2, 't', 'vc', 'c', true, 1.5, 2.5, 3.25, 4.5, 5.75, '2024-01-02', '01:02:03', '01:02:03.456',
  '01:02:03+04', '2024-01-02 03:04:05', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05+00', '2024-01-02 03:04:05.678+00',
  '1 day', '\x01', '{}', '{}', '<x/>', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1', '00000011', '101', '10.0.0.1', '[1,2)',
  '(1,2)', 'happy', 3, '{1}', '{a}', 'a b');
INSERT INTO t_notnull VALUES (2, 1, 2, 't', 'vc', 'c', true, 1.5, 2.5, 3.25, 4.5, 5.75, '2024-01-02', '01:02:03', '01:02:03.456',
  '01:02:03+04', '2024-01-02 03:04:05', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05+00', '2024-01-02 03:04:05.678+00',
  '1 day', '\x01', '{}', '{}', '<x/>', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1', '00000011', '101', '10.0.0.1', '[1,2)',
  '(1,2)', 'happy', 3, '{1}', '{a}', 'a b');

-- extension types Debezium maps by type name (contrib, shipped with postgresql-15)
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE EXTENSION ltree;
CREATE EXTENSION isn;
CREATE TABLE t_ext (id int PRIMARY KEY, h hstore, ci citext, lt ltree, isb isbn, ah hstore[], aci citext[], alt ltree[]);
INSERT INTO t_ext VALUES
  (1, 'key1=>val1, key2=>NULL, key3=>"x y", key4=>a, key5=>b, "q\"k"=>"v\\w"', 'MiXeD', 'Top.Science.Astronomy', '978-0-393-04002-9',
      ARRAY['a=>1'::hstore, 'b=>2'::hstore], '{Ab,cD}', '{a.b,c}'),
  (2, '', '', '', NULL, '{}', '{}', '{}'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- @@STREAM@@
SET TIME ZONE 'UTC';
-- one transaction: every snapshot row again, streamed (id + 1000)
BEGIN;
INSERT INTO t_int SELECT id + 1000, b, i2, i4, i8, s2, s, s8, o FROM t_int WHERE id < 1000;
INSERT INTO t_float SELECT id + 1000, f4, f8, label FROM t_float WHERE id < 1000;
INSERT INTO t_numeric SELECT id + 1000, n102, n5, nu, m, label FROM t_numeric WHERE id < 1000;
INSERT INTO t_char SELECT id + 1000, c5, vc10, t, nm, ch, bpc, vc FROM t_char WHERE id < 1000;
INSERT INTO t_bytea SELECT id + 1000, ba FROM t_bytea WHERE id < 1000;
INSERT INTO t_json SELECT id + 1000, j, jb, x, u FROM t_json WHERE id < 1000;
INSERT INTO t_date SELECT id + 1000, d, label FROM t_date WHERE id < 1000;
INSERT INTO t_time SELECT id + 1000, t, t3, t0, t1, ttz, ttz3, label FROM t_time WHERE id < 1000;
INSERT INTO t_ts SELECT id + 1000, ts, ts3, ts0, tstz, tstz3, tstz0, tstz1, label FROM t_ts WHERE id < 1000;
INSERT INTO t_interval SELECT id + 1000, iv, iv0, label FROM t_interval WHERE id < 1000;
INSERT INTO t_bits SELECT id + 1000, b1, b8, b2, b24, b64, vb, vb1, vb16 FROM t_bits WHERE id < 1000;
INSERT INTO t_net SELECT id + 1000, i, c, m, m8 FROM t_net WHERE id < 1000;
INSERT INTO t_range SELECT id + 1000, r4, r8, rn, rts, rtstz, rd FROM t_range WHERE id < 1000;
INSERT INTO t_geo SELECT id + 1000, p, bx, c, l, ls, pa, pg FROM t_geo WHERE id < 1000;
INSERT INTO t_misc SELECT id + 1000, tv, tq, lsn, x8, xi, i2v, ov, rc FROM t_misc WHERE id < 1000;
INSERT INTO t_user SELECT id + 1000, e, dpi, dst, cp FROM t_user WHERE id < 1000;
INSERT INTO t_array SELECT id + 1000, ai, at, a2, an, ad, au, ajb, aba, ae, ai2, ai8, af4, af8, ab, avc, ac, anu, ats, atstz, at3, attz, aj, ainet, ar, aiv, am, ax, ap FROM t_array WHERE id < 1000;
INSERT INTO t_defaults SELECT id + 1000, s_nn, s_null, i_nn, i_null, i7, ts_nn, ts_null, ts_lit, tsp, d_cur, d_lit, b_t, n_lit, nu_lit, f_lit, vc_lit, u_gen, j_lit, e_lit, iv_lit, t_lit, ba_lit, bit_lit, seq, m_lit, commented FROM t_defaults WHERE id < 1000;
INSERT INTO t_ext SELECT id + 1000, h, ci, lt, isb, ah, aci, alt FROM t_ext WHERE id < 1000;
COMMIT;
-- defaults taken by streamed inserts
INSERT INTO t_defaults (id) VALUES (3);
INSERT INTO t_defaults (id, s_null, i_null, ts_null) VALUES (4, NULL, NULL, NULL);
-- updates (REPLICA IDENTITY DEFAULT: no before image)
UPDATE t_int SET i4 = 42 WHERE id = 1;
UPDATE t_numeric SET nu = 3.14159, n102 = 99.99 WHERE id = 1;
UPDATE t_ts SET tstz = '2030-01-01 00:00:00+00' WHERE id = 1;
-- deletes (REPLICA IDENTITY DEFAULT: before has only the key; see NOT NULL columns)
DELETE FROM t_int WHERE id = 2;
DELETE FROM t_defaults WHERE id = 1;
DELETE FROM t_notnull WHERE id = 1;
-- the same tables with REPLICA IDENTITY FULL: before has every column
ALTER TABLE t_notnull REPLICA IDENTITY FULL;
UPDATE t_notnull SET i = 100 WHERE id = 2;
DELETE FROM t_notnull WHERE id = 2;
ALTER TABLE t_defaults REPLICA IDENTITY FULL;
UPDATE t_defaults SET i_nn = 9 WHERE id = 2;
DELETE FROM t_defaults WHERE id = 2;
