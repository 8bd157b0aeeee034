-- The alternative type-handling modes: decimal.handling.mode,
-- time.precision.mode, binary.handling.mode, interval.handling.mode,
-- and the schemas each one implies.
-- predictability
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('modes_slot', 'wal2dbz');

CREATE TABLE modes (
    id int PRIMARY KEY,
    n102 numeric(10,2), n numeric, m money,
    d date, t time, t3 time(3), ts timestamp, ts3 timestamp(3),
    by bytea, aby bytea[], iv interval);
INSERT INTO modes VALUES
    (1, 1.10, 10.1111, 1234.11, '2024-05-01', '12:34:56.789012', '12:34:56.789',
     '2024-05-01 12:34:56.789012', '2024-05-01 12:34:56.789', '\x01fbff', '{"\\x01fbff",NULL}',
     '1 year 2 mons 3 days 04:05:06.78'),
    (2, -1.10, 'NaN', -0.5, '1960-01-01', '00:00:00.000001', '23:59:59.999',
     '1960-01-01 00:00:00.000001', '1960-01-01 00:00:00.001', '', '{}',
     '-3 days -00:00:00.25'),
    (3, 0, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '10 seconds'),
    (4, 22, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0.000001 seconds');

CREATE FUNCTION show(VARIADIC opts text[]) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT ((data::json)->'after')::text
  FROM pg_logical_slot_peek_changes('modes_slot', NULL, NULL,
       VARIADIC array['schemas.enable', 'false'] || opts)
$$;
CREATE FUNCTION show_schema(VARIADIC opts text[]) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT f::text
  FROM (SELECT data FROM pg_logical_slot_peek_changes('modes_slot', NULL, NULL, VARIADIC opts)
        LIMIT 1) x,
       json_array_elements((data::json)->'schema'->'fields'->1->'fields') f
$$;

-- decimals and money as strings and as doubles
SELECT show('decimal.handling.mode', 'string');
SELECT show_schema('decimal.handling.mode', 'string');
SELECT show('decimal.handling.mode', 'double');
-- Kafka Connect's own logical types for dates and times
SELECT show('time.precision.mode', 'connect');
SELECT show_schema('time.precision.mode', 'connect');
-- every time column in microseconds
SELECT show('time.precision.mode', 'adaptive_time_microseconds');
-- binary data as strings
SELECT show('binary.handling.mode', 'base64');
SELECT show('binary.handling.mode', 'base64-url-safe');
SELECT show('binary.handling.mode', 'hex');
SELECT show_schema('binary.handling.mode', 'hex');
-- intervals as ISO-8601 strings
SELECT show('interval.handling.mode', 'string');

SELECT 'stop' FROM pg_drop_replication_slot('modes_slot');
DROP TABLE modes;
DROP FUNCTION show(text[]);
DROP FUNCTION show_schema(text[]);
