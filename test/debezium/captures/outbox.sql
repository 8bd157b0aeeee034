-- The transactional outbox (Debezium's Outbox Event Router), for the outbox* captures.
-- Fixed event ids, so that the "id" header is the same in both runs.
CREATE TABLE public.outbox (
    id uuid NOT NULL PRIMARY KEY,
    aggregate_type varchar(255) NOT NULL,
    aggregate_id varchar(255) NOT NULL,
    event_type varchar(255) NOT NULL,
    payload jsonb);
-- @@STREAM@@
BEGIN;
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000001', 'Order', 'order-1', 'OrderCreated',
   '{"id": 1, "customer": "Anne", "total": 12.5, "paid": true, "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}], "note": null}'),
  ('00000000-0000-4000-8000-000000000002', 'Customer', 'customer-9', 'CustomerRenamed',
   '{"id": 9, "name": "Zoë 😀 \"quoted\" \\ back", "tags": ["a", "b"]}');
COMMIT;
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000003', 'Order', 'order-1', 'OrderPaid',
   '{"id": 1, "amount": 1234567890123, "ratio": 0.25, "empty": {}, "list": []}');
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000004', 'Order', 'order-2', 'OrderCancelled', NULL);
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000005', 'Order', 'order-3', 'OrderNoted', '"just text"');
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000006', 'Order', 'order-3', 'OrderCounted', '42');
DELETE FROM public.outbox WHERE id = '00000000-0000-4000-8000-000000000001';
INSERT INTO public.outbox VALUES
  ('00000000-0000-4000-8000-000000000007', 'Shipment', 'order-1', 'Shipped',
   '{"carrier": "DHL", "parcels": [1, 2, 3]}');
