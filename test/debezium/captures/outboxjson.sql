-- The Outbox Event Router with a json (not jsonb) payload column, for the outboxjson* captures:
-- Debezium's Jackson reads the column's text as written (member order, a repeated name's first
-- place and last value, numbers typed by how they are written), where jsonb would normalise it.
CREATE TABLE public.outbox (
    id uuid NOT NULL PRIMARY KEY,
    aggregate_type varchar(255) NOT NULL,
    aggregate_id varchar(255) NOT NULL,
    event_type varchar(255) NOT NULL,
    payload json);
-- @@STREAM@@
-- (no row before: a routed snapshot record carries no op, so fidelity.sh could not tell it apart)
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000001', 'Order', 'order-1', 'OrderCreated',
   '{"zeta": 1, "alpha": "a", "mid": {"z": true, "a": null, "m": 2}}');
BEGIN;
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000002', 'Order', 'order-2', 'KeyOrder',
   '{"zeta": 1, "alpha": {"y": 2, "x": 1}, "mid": "m", "b": [{"k2": 1, "k1": 2}]}'),
  ('00000000-0000-4000-8000-000000000003', 'Order', 'order-3', 'Duplicate',
   '{"dup": 1, "other": "o", "dup": "last", "n": {"q": 1, "q": 2.5}}'),
  ('00000000-0000-4000-8000-000000000004', 'Order', 'order-4', 'Numbers',
   '{"e": 1e2, "E": 2E-3, "one": 1.0, "neg0": -0, "negf": -0.0, "i": 2147483647, "l": 2147483648, "tiny": 5e-324, "exp": 1.5e300, "frac": 0.1}');
COMMIT;
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000005', 'Order', 'order-5', 'Whitespace',
   E'{ \n\t"b" : [ 1 , 2 ] ,\n  "a" :\t{ "y" : "x" , "c" : [ ] } ,  "n" : null }'),
  ('00000000-0000-4000-8000-000000000006', 'Order', 'order-6', 'Unicode',
   '{"ü": "Zoë 😀", "é\u00e9": "\u00e9\ud83d\ude00", "esc": "tab\there \"q\" \\ \/", "a": "A"}');
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000007', 'Order', 'order-7', 'Nested',
   '{"outer": {"z": [[1, 2], [3]], "a": {"deep": {"b": 1, "a": 2}}}, "arr": [{"b": 1, "a": "x"}, {"b": 2, "a": "y"}]}'),
  ('00000000-0000-4000-8000-000000000008', 'Order', 'order-8', 'Leading space',
   ' {"kept": "as text: Debezium expands only text starting with {"}');
