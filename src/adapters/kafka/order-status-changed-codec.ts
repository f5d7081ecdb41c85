import { ORDER_STATUS_CHANGED, type OrderStatusChangedEvent } from '../../domain/order-status-changed.js';
import type { EventCodec } from './event-codec.js';
import { jsonEventCodec, jsonEventDecoder, type JsonEventSpec } from './json-event-codec.js';
import { ORDER_STATUS_CHANGED_HEADERS_SCHEMA_REF, orderStatusChangedSchema } from './order-status-changed-schema.js';

export { orderStatusChangedSchema } from './order-status-changed-schema.js';

const ORDER_STATUS_CHANGED_V1: JsonEventSpec<OrderStatusChangedEvent> = {
  kind: ORDER_STATUS_CHANGED,
  schemaName: 'order-status-changed v1',
  schema: orderStatusChangedSchema,
  headersSchemaRef: ORDER_STATUS_CHANGED_HEADERS_SCHEMA_REF,
};

/** Turns a Kafka message into an `order.status-changed` v1 event, or says why it is poison. */
export const decodeOrderStatusChanged = jsonEventDecoder(ORDER_STATUS_CHANGED_V1);

/**
 * `order.status-changed` v1 on Kafka: on the same topic as order.created and keyed by orderId, so all the
 * events of one order share a partition and keep their order; JSON checked against schemas/order-status-changed.v1.json.
 */
export function orderStatusChangedCodec(topic: string): EventCodec<OrderStatusChangedEvent> {
  return jsonEventCodec(topic, ORDER_STATUS_CHANGED_V1, decodeOrderStatusChanged);
}
