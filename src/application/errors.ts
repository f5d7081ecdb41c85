import { DomainError } from '../domain/errors.js';

/** A dependency (database, broker, mail server) cannot be used right now; worth a retry later. */
export class DependencyUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  /** True when the write may have happened all the same (the connection died after the statement left). */
  readonly outcomeUnknown: boolean;
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(options?.outcomeUnknown ? `${dependency} became unavailable while storing; it may have been stored` : `${dependency} is unavailable`, options);
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }
}

/** A dependency refused the data itself (a value it cannot store, a constraint): trying again will not help. */
export class DataRejectedError extends DomainError {
  readonly code = 'DATA_REJECTED';
  constructor(
    readonly dependency: string,
    /** The dependency's own code for the refusal, e.g. a SQLSTATE. */
    readonly refusal: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} refused the data (${refusal})`, options);
  }
}

/**
 * The order changed between reading it and storing a change decided on what was read: nothing was stored.
 * The use case reads it again and decides anew; a caller only sees this if that keeps happening.
 */
export class ConcurrentChangeError extends DomainError {
  readonly code = 'CONCURRENT_CHANGE';
  constructor(readonly orderId: string) {
    super(`Order "${orderId}" was changed by another request at the same time; try again`);
  }
}
