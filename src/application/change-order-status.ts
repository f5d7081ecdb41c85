import { OrderNotFoundError } from '../domain/errors.js';
import { Order } from '../domain/order.js';
import { validStatusChange, type StatusChange, type StatusChangeRequest } from '../domain/order-status.js';
import { ConcurrentChangeError } from './errors.js';
import type { Clock } from './ports/clock.js';
import type { IdGenerator } from './ports/id-generator.js';
import type { OrderRepository } from './ports/order-repository.js';

export interface ChangeOrderStatusCommand extends StatusChangeRequest {
  readonly orderId: string;
  readonly correlationId: string;
}

/** The order after the request: `changed` is false when it had the status already (nothing stored, no event). */
export interface OrderStatusState {
  readonly order: Order;
  readonly changed: boolean;
  /** The accepted changes up to the order's version, oldest first. */
  readonly statusHistory: readonly StatusChange[];
}

/**
 * An order has at most two changes (created → shipped → delivered), so a request loses at most two races
 * before it is either stored or answered from the stored state; one more try is a margin, not a need.
 */
const MAX_ATTEMPTS = 4;

/** Moves an order to a new status: stores the change and its `order.status-changed` event together, or neither. */
export class ChangeOrderStatus {
  constructor(
    private readonly orders: OrderRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  /** @throws ValidationError, OrderNotFoundError, InvalidTransitionError (naming the current status), DependencyUnavailableError */
  async execute(command: ChangeOrderStatusCommand): Promise<OrderStatusState> {
    const { orderId: _orderId, correlationId, ...requested } = command;
    // The request's own rules before the order: a bad request is a 400 whether the order exists or not.
    const request = validStatusChange(requested);
    if (!Order.isPossibleOrderId(command.orderId)) throw new OrderNotFoundError(command.orderId);
    for (let attempt = 1; ; attempt++) {
      // Decided on what is stored now: after a lost race, the winner's status may make this request a repeat or invalid.
      const order = await this.orders.findByOrderId(command.orderId.trim());
      if (!order) throw new OrderNotFoundError(command.orderId);
      const outcome = order.changeStatus(request, this.ids.next(), this.clock.now());
      if (outcome.changed) {
        try {
          await this.orders.saveStatusChange(order, outcome.change, order.pullEvents(), { correlationId });
        } catch (error) {
          if (error instanceof ConcurrentChangeError && attempt < MAX_ATTEMPTS) continue;
          throw error;
        }
      }
      return { order, changed: outcome.changed, statusHistory: await this.historyUpTo(order) };
    }
  }

  /** Only the changes the returned order has seen: a later one, stored meanwhile, is not its state. */
  private async historyUpTo(order: Order): Promise<StatusChange[]> {
    if (order.version === 1) return [];
    return (await this.orders.statusHistory(order.orderId)).filter((change) => change.sequence <= order.version);
  }
}
