import type { Order } from './order.js';
import type { OrderStatus } from './order-status.js';

/** A failure the caller can act on, with a code that never changes meaning. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly details: readonly FieldError[]) {
    super(`Invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`);
  }
}

export class OrderDuplicateError extends DomainError {
  readonly code = 'ORDER_DUPLICATE';
  /** The order that already holds this orderId, when it could be read back. */
  constructor(
    readonly orderId: string,
    readonly existing?: Order,
  ) {
    super(`An order with orderId "${orderId}" already exists`);
  }
}

export class OrderNotFoundError extends DomainError {
  readonly code = 'ORDER_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`No order with orderId "${orderId}"`);
  }
}

/** The order's status cannot follow its current one (a delivered order cannot be cancelled). */
export class InvalidTransitionError extends DomainError {
  readonly code = 'INVALID_TRANSITION';
  constructor(
    readonly orderId: string,
    readonly currentStatus: OrderStatus,
    readonly requestedStatus: OrderStatus,
  ) {
    super(`Order "${orderId}" is ${currentStatus}: it cannot become ${requestedStatus}`);
  }
}
