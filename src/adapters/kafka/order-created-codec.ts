import { ORDER_CREATED, type OrderCreatedEvent } from '../../domain/order-created.js';
import type { EventCodec } from './event-codec.js';
import { jsonEventCodec, jsonEventDecoder, type JsonEventSpec } from './json-event-codec.js';
import { ORDER_CREATED_HEADERS_SCHEMA_REF, orderCreatedSchema } from './order-created-schema.js';

export { orderCreatedSchema } from './order-created-schema.js';

const ORDER_CREATED_V1: JsonEventSpec<OrderCreatedEvent> = {
  kind: ORDER_CREATED,
  schemaName: 'order-created v1',
  schema: orderCreatedSchema,
  headersSchemaRef: ORDER_CREATED_HEADERS_SCHEMA_REF,
};

/** Turns a Kafka message into an `order.created` v1 event, or says why it is poison. */
export const decodeOrderCreated = jsonEventDecoder(ORDER_CREATED_V1);

/** `order.created` v1 on Kafka: keyed by orderId, so the events of one order keep their order; JSON checked against schemas/order-created.v1.json. */
export function orderCreatedCodec(topic: string): EventCodec<OrderCreatedEvent> {
  return jsonEventCodec(topic, ORDER_CREATED_V1, decodeOrderCreated);
}
