-- The api's order + outbox transaction (src/adapters/postgres/pg-order-repository.ts), for pgbench.
WITH new_order AS (
  INSERT INTO orders (internal_id, order_id, item_ids, email, created_at)
  VALUES (gen_random_uuid(), 'pgb-' || gen_random_uuid(), ARRAY['sku-1'], 'bench@example.com', now())
  RETURNING order_id
), new_events AS (
  INSERT INTO outbox (topic, key, payload, headers)
  SELECT 'pgbench', order_id, jsonb_build_object('orderId', order_id), '{"schema-version": "1"}'::jsonb FROM new_order
)
SELECT pg_notify('pgbench_outbox', '');
