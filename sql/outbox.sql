-- Debezium's Outbox Event Router inside the plugin (transforms.*), and
-- wal2dbz.emit_event(): the outbox pattern without a table.
-- predictability
SET synchronous_commit = on;

CREATE EXTENSION wal2dbz;
SELECT 'init' FROM pg_create_logical_replication_slot('outbox_slot', 'wal2dbz');

CREATE TABLE public.orders (id int PRIMARY KEY, total numeric(10,2));
CREATE TABLE public.outbox (
    id uuid NOT NULL PRIMARY KEY,
    aggregate_type varchar(255) NOT NULL,
    aggregate_id varchar(255) NOT NULL,
    event_type varchar(255) NOT NULL,
    payload jsonb);

-- an order and its event in one transaction; one that rolls back
BEGIN;
INSERT INTO public.orders VALUES (1, 10.50);
INSERT INTO public.outbox VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Order', '1',
    'OrderCreated', '{"id": 1, "total": 10.50}');
COMMIT;
BEGIN;
INSERT INTO public.orders VALUES (2, 99);
INSERT INTO public.outbox VALUES ('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'Order', '2',
    'OrderCreated', '{"id": 2}');
ROLLBACK;
-- updates are ignored (logged), deletes dropped, a null payload
UPDATE public.outbox SET event_type = 'Changed';
DELETE FROM public.outbox;
INSERT INTO public.outbox VALUES ('c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'Customer', 'c-7',
    'CustomerDeleted', NULL);
-- the same without a table
BEGIN;
SELECT 'event' FROM wal2dbz.emit_event('Order', '3', 'OrderShipped', '{"id": 3}',
    '{"trace": "t-1"}');
COMMIT;
BEGIN;
SELECT 'event' FROM wal2dbz.emit_event('Order', '4', 'OrderShipped', '{"id": 4}');
ROLLBACK;

CREATE FUNCTION routed(VARIADIC opts text[]) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(data, '"id":"[0-9a-f-]{36}"', '"id":"UUID"')
  FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
       VARIADIC array['output.format', 'record', 'topic.prefix', 'srv',
                      'table.include.list', 'public\.outbox',
                      'transforms', 'outbox',
                      'transforms.outbox.type', 'io.debezium.transforms.outbox.EventRouter',
                      'transforms.outbox.route.by.field', 'aggregate_type',
                      'transforms.outbox.table.field.event.key', 'aggregate_id',
                      'transforms.outbox.table.field.event.type', 'event_type'] || opts)
$$;

-- the issue's configuration: routed topic, key, payload, headers
SELECT routed('schemas.enable', 'false',
    'transforms.outbox.route.topic.replacement', 'outbox.events.${routedByValue}',
    'transforms.outbox.table.fields.additional.placement', 'event_type:header:event_type');
-- with schemas, as Debezium's JSON converter writes key and value
SELECT routed('transforms.outbox.table.fields.additional.placement', 'event_type:header:type');
-- the payload expanded as JSON, a tombstone for an empty payload, and a
-- field placed in the envelope
SELECT routed('schemas.enable', 'false', 'transforms.outbox.table.expand.json.payload', 'true',
    'transforms.outbox.route.tombstone.on.empty.payload', 'true',
    'transforms.outbox.table.fields.additional.placement', 'event_type:envelope:type');
-- the same with schemas: a struct schema inferred from each payload (null
-- payloads, non-JSON text and scalars stay as they are)
SELECT routed('transforms.outbox.table.expand.json.payload', 'true');

-- a json (not jsonb) payload column: Debezium's Jackson reads the text as
-- written, so members keep their order, a repeated name keeps its first
-- place with its last value, and 1e2 is a double (jsonb would make it the
-- integer 100 and sort the keys); a \u0000 that PostgreSQL's parser refuses
-- leaves the payload as it is
CREATE TABLE public.outbox_json (
    id int PRIMARY KEY,
    aggregate_type text NOT NULL,
    aggregate_id text NOT NULL,
    payload json);
INSERT INTO public.outbox_json VALUES
  (1, 'Order', 'o-1', '{"zeta": 1, "alpha": {"y": 2, "x": 1e2}, "mid": 1.0, "zeta": "last", "neg": -0, "big": 3000000000}'),
  (2, 'Order', 'o-2', '{ "b" : [ 1 , 2 ] ,
     "a" : "x\u00e9" }'),
  (3, 'Order', 'o-3', '{"s": "\u0000"}');
-- objects of 16 members or more find theirs by hash: m2 repeated after m17
-- (first place, last value); the list's second object, in reverse order,
-- has every value found by name (its merged struct: "optional":false)
INSERT INTO public.outbox_json
SELECT 4, 'Order', 'o-4',
       ('{' || string_agg(format('"m%s": %s', i, i), ', ' ORDER BY i) ||
        ', "m2": "again", "list": [{' ||
        string_agg(format('"k%s": %s', i, i), ', ' ORDER BY i) || '}, {' ||
        string_agg(format('"k%s": %s', i, -i), ', ' ORDER BY i DESC) || '}]}')::json
FROM generate_series(1, 17) i;
SELECT regexp_replace(data, '"id":"[0-9a-f-]{36}"', '"id":"UUID"')
FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
    'output.format', 'record', 'topic.prefix', 'srv', 'table.include.list', 'public\.outbox_json',
    'transforms', 'outbox', 'transforms.outbox.type', 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.route.by.field', 'aggregate_type',
    'transforms.outbox.table.field.event.key', 'aggregate_id',
    'transforms.outbox.table.expand.json.payload', 'true');

-- configuration errors
SELECT data FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
    'transforms', 'outbox', 'transforms.outbox.type', 'org.example.Other');
SELECT data FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
    'transforms', 'outbox', 'transforms.outbox.type', 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.route.by.fieldd', 'x');
SELECT data FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
    'transforms', 'outbox', 'transforms.outbox.type', 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.route.topic.replacement', 'x.${nope}');
-- (terse: the error's context names an LSN that depends on earlier tests)
\set VERBOSITY terse
SELECT data FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
    'transforms', 'outbox', 'transforms.outbox.type', 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.route.by.field', 'no_such_column', 'table.include.list', 'public\.outbox');
\set VERBOSITY default
SELECT data FROM pg_logical_slot_peek_changes('outbox_slot', NULL, NULL,
    'transforms.outbox.type', 'io.debezium.transforms.outbox.EventRouter');

SELECT 'stop' FROM pg_drop_replication_slot('outbox_slot');
DROP TABLE public.orders, public.outbox, public.outbox_json;
DROP FUNCTION routed(text[]);
DROP EXTENSION wal2dbz;
