/* plugin/wal2dbz--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION wal2dbz" to load this file. \quit

-- The version of the wal2dbz library the server has loaded.
CREATE FUNCTION version()
RETURNS text
AS 'MODULE_PATHNAME', 'wal2dbz_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
