import { OrderDuplicateError } from '../domain/errors.js';
import { Order, type NewOrder } from '../domain/order.js';
import type { Clock } from './ports/clock.js';
import type { IdGenerator } from './ports/id-generator.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import type { OrderRepository } from './ports/order-repository.js';

export interface CreateOrderCommand extends NewOrder {
  readonly correlationId: string;
}

/** Accepts an order: stores it and the events it recorded (`order.created`) together, or neither. */
export class CreateOrder {
  constructor(
    private readonly orders: OrderRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** @throws ValidationError, OrderDuplicateError (with the existing order), DependencyUnavailableError */
  async execute(command: CreateOrderCommand): Promise<Order> {
    const order = Order.create(command, this.ids.next(), this.clock.now());
    try {
      await this.orders.add(order, order.pullEvents(), { correlationId: command.correlationId });
    } catch (error) {
      if (!(error instanceof OrderDuplicateError)) throw error;
      const existing = await this.orders.findByOrderId(order.orderId);
      throw new OrderDuplicateError(order.orderId, existing ?? undefined);
    }
    this.metrics.orderCreated();
    return order;
  }
}
