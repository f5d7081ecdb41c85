import { OrderDuplicateError, ValidationError } from '../domain/errors.js';
import { Order, type NewOrder } from '../domain/order.js';
import { ORDER_CREATED_MAX_BYTES, ORDER_CREATED_SCHEMA_VERSION, orderCreated } from '../domain/order-created.js';
import type { Clock } from './ports/clock.js';
import type { IdGenerator } from './ports/id-generator.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import type { OrderRepository } from './ports/order-repository.js';
import type { OutboxEvent } from './ports/outbox.js';

export interface CreateOrderCommand extends NewOrder {
  readonly correlationId: string;
}

/** Accepts an order: stores it and its `order-created` event together, or neither. */
export class CreateOrder {
  constructor(
    private readonly orders: OrderRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly topic: string,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** @throws ValidationError, OrderDuplicateError (with the existing order), DependencyUnavailableError */
  async execute(command: CreateOrderCommand): Promise<Order> {
    const order = Order.create(command, this.ids.next(), this.clock.now());
    const payload = orderCreated(order);
    // The order rules keep this out of reach; checked anyway, so that no stored event can be too large to publish.
    if (Buffer.byteLength(JSON.stringify(payload)) > ORDER_CREATED_MAX_BYTES)
      throw new ValidationError([{ field: 'order', message: `must encode to at most ${ORDER_CREATED_MAX_BYTES} bytes` }]);
    const event: OutboxEvent = {
      topic: this.topic,
      key: order.orderId,
      payload,
      headers: {
        'schema-version': String(ORDER_CREATED_SCHEMA_VERSION),
        'correlation-id': command.correlationId,
        'content-type': 'application/json',
      },
    };
    try {
      await this.orders.add(order, [event]);
    } catch (error) {
      if (!(error instanceof OrderDuplicateError)) throw error;
      const existing = await this.orders.findByOrderId(order.orderId);
      throw new OrderDuplicateError(order.orderId, existing ?? undefined);
    }
    this.metrics.orderCreated();
    return order;
  }
}
