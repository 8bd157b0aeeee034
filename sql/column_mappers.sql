-- Debezium's column mappers: column.truncate.to.<n>.chars,
-- column.mask.with.<n>.chars, column.mask.hash[.v2].<algorithm>.with.salt.<s>.
-- (Byte-for-byte agreement with Debezium: test/debezium/fidelity.sh, captures
-- types-column-masks*.)
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('mappers_slot', 'wal2dbz');

CREATE TABLE cm (id int PRIMARY KEY, t text, vc varchar(4), c char(3), n int, b bytea);
INSERT INTO cm VALUES (1, 'héllo wörld', 'abcd', 'xy', 7, '\x0102030405'),
                      (2, NULL, NULL, NULL, NULL, NULL),
                      (3, 'pair 😀 end', 'a😀', 'z', 8, '\x01');

-- truncation counts UTF-16 units, as Java does (a cut through a surrogate
-- pair leaves its first half escaped); a column no longer than n is left
-- alone and gets no "truncateLength"; masks write n asterisks for every
-- value of a character column, nulls included, and leave other types
-- (they still say "masked"); keys are never mapped
-- (as text: PostgreSQL's json type refuses a lone surrogate, Java does not)
SELECT substring(data FROM '"after":(\{[^}]*\})') AS after
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'key.converter.schemas.enable', 'false',
    'column.truncate.to.6.chars', 'public.cm.t,public.cm.vc,public.cm.b',
    'column.mask.with.3.chars', 'public.cm.c,public.cm.n,public.cm.id');
SELECT DISTINCT substring(data FROM '"key":\{"schema":\{"type":"struct","fields":(\[[^]]*\])') AS key_fields,
       substring(data FROM '"key":\{"schema":.*?"payload":(\{[^}]*\})') AS key
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'output.format', 'record', 'column.mask.with.3.chars', 'public.cm.id')
WHERE data LIKE '%"id":1}%';
SELECT f->>'field' AS field, f->'parameters' AS parameters
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.truncate.to.6.chars', 'public.cm.t,public.cm.vc,public.cm.b',
    'column.mask.with.3.chars', 'public.cm.c,public.cm.n,public.cm.id') AS c,
    json_array_elements((c.data::json)->'schema'->'fields'->1->'fields') AS f
WHERE c.data LIKE '%"after":{"id":1,%';

-- hashes: hex of the digest of salt + value; version 2 hashes the UTF-8
-- bytes, version 1 the value as Java serializes a String (stream header,
-- TC_STRING, length, modified UTF-8); cut to the column's length (char(3)
-- keeps 3 hex digits); null stays null.  Checked here against PostgreSQL's
-- own sha256() and md5().
SELECT (p->>'t') = encode(sha256(convert_to('salt' || 'héllo wörld', 'UTF8')), 'hex') AS v2_sha256,
       encode(sha256(('\x' || encode(convert_to('pepper', 'UTF8'), 'hex') ||
                                   'aced000574' || lpad(to_hex(4), 4, '0') ||
                                   encode(convert_to('abcd', 'UTF8'), 'hex'))::bytea), 'hex')
         -- varchar(4): four hex digits
         LIKE (p->>'vc') || '%' AND length(p->>'vc') = 4 AS v1_sha256_cut,
       (p->>'c') = left(md5('s' || 'xy '), 3) AS v2_md5_cut
FROM (SELECT (data::json)->'payload'->'after' AS p
      FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
          'column.mask.hash.v2.SHA-256.with.salt.salt', 'public.cm.t',
          'column.mask.hash.SHA-256.with.salt.pepper', 'public.cm.vc',
          'column.mask.hash.v2.md5.with.salt.s', 'public.cm.c')) x
WHERE p->>'id' = '1';
SELECT (data::json)->'payload'->'after'->>'t' IS NULL AS null_stays_null
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.mask.hash.v2.SHA-256.with.salt.salt', 'public.cm.t')
WHERE (data::json)->'payload'->'after'->>'id' = '2';

-- the first mapper naming a column wins, in Debezium's order: truncation,
-- mask, version 2 hash, version 1 hash
SELECT (data::json)->'payload'->'after'->>'vc' AS vc
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.mask.hash.SHA-256.with.salt.x', 'public.cm.vc',
    'column.mask.with.2.chars', 'public.cm.vc',
    'column.truncate.to.1.chars', 'public.cm.vc')
WHERE (data::json)->'payload'->'after'->>'id' = '1';

-- column.propagate.source.type: the source column's type, length, scale and
-- name, after the type's own parameters (streaming: a serial is its integer
-- type, unconstrained numeric has PgJDBC's display size); not in keys
CREATE TABLE cp (id serial PRIMARY KEY, n numeric, n2 numeric(7,2), vc varchar(4), ts timestamptz(3));
INSERT INTO cp (n, n2, vc, ts) VALUES (1, 2, 'x', now());
SELECT f->>'field' AS field, f->'parameters' AS parameters
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.propagate.source.type', 'public\.cp\..*') AS c,
    json_array_elements((c.data::json)->'schema'->'fields'->1->'fields') AS f
WHERE (c.data::json)->'payload'->'source'->>'table' = 'cp';
SELECT DISTINCT substring(data FROM '"key":\{"schema":\{"type":"struct","fields":(\[[^]]*\])') AS key_fields
FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL, 'output.format', 'record',
    'column.propagate.source.type', 'public\.cp\..*')
WHERE (data::json)->>'topic' LIKE '%.public.cp';

-- errors
SELECT data FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.truncate.to.0.chars', 'public.cm.t');
SELECT data FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.mask.with.many.chars', 'public.cm.t');
SELECT data FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.mask.hash.SHA3-256.with.salt.x', 'public.cm.t');
SELECT data FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.mask.hash.SHA-256', 'public.cm.t');
SELECT data FROM pg_logical_slot_peek_changes('mappers_slot', NULL, NULL,
    'column.mask.with.4.chars', 'public.cm.(');

SELECT 'stop' FROM pg_drop_replication_slot('mappers_slot');
DROP TABLE cm, cp;
