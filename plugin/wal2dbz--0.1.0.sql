/* plugin/wal2dbz--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION wal2dbz" to load this file. \quit

-- The version of the wal2dbz library the server has loaded.
CREATE FUNCTION version()
RETURNS text
AS 'MODULE_PATHNAME', 'wal2dbz_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- The rows of a table, read in the current snapshot, as snapshot ("r")
-- records in the plugin's framed format (plugin/wal2dbz_frame.h): a SCHEMA
-- frame, then one RECORD frame per row, encoded by the same code as
-- streamed changes.  The sink calls it inside the slot's exported snapshot.
--   options        plugin options as name/value pairs (topic.prefix, modes...)
--   snapshot_lsn   source.lsn of the records (the slot's consistent point)
--   snapshot_txid  source.txId (Debezium: pg_current_xact_id() of the snapshot)
--   first_table, last_table, first_chunk, last_chunk
--                  where this call stands, for source.snapshot's markers
--   row_filter     an SQL condition selecting a chunk of the table
CREATE FUNCTION snapshot_frames(
    rel regclass,
    options text[] DEFAULT '{}',
    snapshot_lsn pg_lsn DEFAULT NULL,
    snapshot_txid bigint DEFAULT NULL,
    first_table boolean DEFAULT true,
    last_table boolean DEFAULT true,
    row_filter text DEFAULT NULL,
    first_chunk boolean DEFAULT true,
    last_chunk boolean DEFAULT true)
RETURNS SETOF bytea
AS 'MODULE_PATHNAME', 'wal2dbz_snapshot_frames'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

-- Checks plugin options (name/value pairs) as a decoding session would at
-- its start; the first bad one raises the error it would raise there.
-- wal2dbz-sink check calls it with the options it would send.
CREATE FUNCTION check_options(options text[])
RETURNS void
AS 'MODULE_PATHNAME', 'wal2dbz_check_options'
LANGUAGE C STRICT STABLE;

-- The outbox pattern without an outbox table: publishes an event exactly as
-- Debezium's Outbox Event Router publishes an outbox row (topic routed by
-- the aggregate type, keyed by the aggregate id, the payload as value, the
-- event id and the given headers as Kafka headers), through a
-- transactional logical decoding message: nothing if the transaction rolls
-- back, nothing left behind to vacuum.  Returns the message's LSN.
CREATE FUNCTION emit_event(
    aggregate_type text,
    aggregate_id text,
    event_type text,
    payload jsonb,
    headers jsonb DEFAULT NULL)
RETURNS pg_lsn
LANGUAGE sql VOLATILE
AS $$
  SELECT pg_catalog.pg_logical_emit_message(true, 'wal2dbz.outbox',
    pg_catalog.jsonb_build_object(
      'id', pg_catalog.gen_random_uuid(),
      'aggregate_type', aggregate_type,
      'aggregate_id', aggregate_id,
      'event_type', event_type,
      'payload', payload,
      'headers', headers)::text)
$$;
