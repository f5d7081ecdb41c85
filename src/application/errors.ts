import { DomainError } from '../domain/errors.js';

/** A dependency (database, broker, mail server) cannot be used right now; worth a retry later. */
export class DependencyUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}
