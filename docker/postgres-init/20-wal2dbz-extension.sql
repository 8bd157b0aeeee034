-- wal2dbz: CREATE EXTENSION in the database the container creates
-- (POSTGRES_DB, where docker-entrypoint.sh runs this file) and in template1,
-- so that databases created later have the extension too.  Creating the
-- extension also loads wal2dbz.so once: a library that does not fit this
-- server fails here, at initialisation, rather than at the first slot.
-- The output plugin itself works with or without the extension.

CREATE EXTENSION IF NOT EXISTS wal2dbz;
SELECT wal2dbz.version() AS wal2dbz_version;

\connect template1
CREATE EXTENSION IF NOT EXISTS wal2dbz;
