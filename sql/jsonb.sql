-- jsonb columns are written in one pass from the binary document, without
-- jsonb_out(): the result must be byte for byte the JSON string of
-- jsonb_out()'s text, which is also what a json column holding that very
-- text gets (json columns copy their text).  Each row has the document in
-- jb and its text in js; the raw JSON of the two fields is compared.
SET synchronous_commit = on;

SELECT 'init' FROM pg_create_logical_replication_slot('jsonb_slot', 'wal2dbz');

CREATE TABLE t_jsonb (id int PRIMARY KEY, jb jsonb, js json);

-- documents chosen for every branch: scalars at the top, nesting, empty
-- containers, keys and strings with escapes, control characters (escaped
-- in lower case by jsonb_out, in upper case by Jackson), characters beyond
-- the Basic Multilingual Plane, numbers as numeric_out writes them
INSERT INTO t_jsonb (id, jb) VALUES
    (1, '"raw string"'), (2, '12.50'), (3, 'true'), (4, 'false'), (5, 'null'),
    (6, '{}'), (7, '[]'), (8, '[[]]'), (9, '{"a": {}}'), (10, '[{}, [], {"b": []}]'),
    (11, '{"b": "baz", "a": 1, "aa": [1, 2, {"x": null}]}'),
    (12, E'{"q\\"k": "say \\"hi\\"", "b\\\\s": "c:\\\\dir\\\\"}'),
    (13, E'["\\b\\f\\n\\r\\t", "\\u0001\\u001f\\u000b", "\\u007f"]'),
    (14, E'{"é": "ünïcödé ♫", "emoji": "\\ud83d\\ude00 😀", "cjk": "漢字"}'),
    (15, '[1e5, -0.0001, 1.0E-10, 123456789012345678901234567890, -0, 0.10]'),
    (16, '{"deep": [[[[["five"]]]]], "after": true}'),
    (17, '"\u00e9 \u2028 \ud83d\ude00"'),
    (18, E'"a\\/b"'),
    (19, '[null, true, false, "", 0]'),
    (20, '{"": ""}');
UPDATE t_jsonb SET js = jb::text::json;

-- a thousand random documents of nested objects and arrays, with random
-- keys and strings drawn from characters that need escaping and those that
-- do not
SELECT setseed(0.42);
CREATE FUNCTION random_doc(depth int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    alphabet text[] := ARRAY['a', 'Z', ' ', '"', '\', '/', E'\n', E'\t', E'\b', E'\f', E'\r',
                             chr(1), chr(31), chr(127), 'é', '€', '😀', ':', ',', '{', ']'];
    kind int := floor(random() * CASE WHEN depth > 3 THEN 4 ELSE 6 END);
    s text := '';
    r jsonb;
BEGIN
    FOR i IN 1 .. floor(random() * 6) LOOP
        s := s || alphabet[1 + floor(random() * array_length(alphabet, 1))];
    END LOOP;
    CASE kind
        WHEN 0 THEN RETURN to_jsonb(s);
        WHEN 1 THEN RETURN to_jsonb(round(((random() - 0.5) * 10 ^ floor(random() * 12))::numeric,
                                          floor(random() * 6)::int));
        WHEN 2 THEN RETURN to_jsonb(random() < 0.5);
        WHEN 3 THEN RETURN 'null'::jsonb;
        WHEN 4 THEN
            r := '[]';
            FOR i IN 1 .. floor(random() * 4) LOOP
                r := r || jsonb_build_array(random_doc(depth + 1));
            END LOOP;
            RETURN r;
        ELSE
            r := '{}';
            FOR i IN 1 .. floor(random() * 4) LOOP
                r := r || jsonb_build_object(s || i, random_doc(depth + 1));
            END LOOP;
            RETURN r;
    END CASE;
END $$;
INSERT INTO t_jsonb (id, jb) SELECT 100 + i, random_doc(0) FROM generate_series(1, 1000) i;
UPDATE t_jsonb SET js = jb::text::json WHERE id > 100;

-- the chosen documents, as written (the inserts, then the updates that
-- copied the text into js: compare the updates)
SELECT substring(data FROM '"jb":(.*),"js":') AS jb_field,
       substring(data FROM '"jb":(.*),"js":') = substring(data FROM '"js":(.*)},"source"')
           AS same_as_text
FROM pg_logical_slot_peek_changes('jsonb_slot', NULL, NULL,
    'schemas.enable', 'false', 'output.format', 'value')
WHERE data LIKE '%"op":"u"%' AND ((data::json)->'after'->>'id')::int < 100
ORDER BY ((data::json)->'after'->>'id')::int;

-- every random document: none differs, and the fields are JSON strings
-- holding the document's text
SELECT count(*) AS updates,
       count(*) FILTER (WHERE jb_field IS DISTINCT FROM js_field) AS different,
       count(*) FILTER (WHERE (('[' || jb_field || ']')::jsonb)->>0 = jb::text) AS text_equal
FROM (
    SELECT substring(data FROM '"jb":(.*),"js":') AS jb_field,
           substring(data FROM '"js":(.*)},"source"') AS js_field,
           t.jb
    FROM pg_logical_slot_peek_changes('jsonb_slot', NULL, NULL,
             'schemas.enable', 'false', 'output.format', 'value') c
    JOIN t_jsonb t ON t.id = ((c.data::json)->'after'->>'id')::int
    WHERE c.data LIKE '%"op":"u"%' AND t.id > 100
) s;

SELECT 'stop' FROM pg_drop_replication_slot('jsonb_slot');
