import { DataRejectedError, DependencyUnavailableError } from '../../application/errors.js';

// 57014: statement_timeout fired (a database that hangs rather than refuses); 57P0x: shutting down; 53300: too many connections.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', '57014', '57P01', '57P02', '57P03', '53300']);

/** True when the database could not be reached, dropped the connection or did not answer in time (as opposed to rejecting the query). */
export function isConnectionFailure(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  if (code && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Query read timeout/i.test(message ?? '');
}

/**
 * The database is away (unreachable, the connection lost, no answer in time, shutting down), whatever the
 * statement: trying the items of a batch one by one would fail the same way, so each caller takes its retry path.
 */
export function isOutage(error: unknown): boolean {
  return isConnectionFailure(error) || (error instanceof DependencyUnavailableError && isConnectionFailure(error.cause));
}

/**
 * A database that is there but cannot do it now, whatever the data: 25 (read-only after a failover),
 * 40 (serialization failure, deadlock), 53 (disk full, out of memory), 55 (lock not available),
 * 57 (operator intervention), 58 (I/O error). The statement was not applied; the same one may succeed later.
 */
export function isTemporaryRefusal(error: unknown): boolean {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && /^(25|40|53|55|57|58)[0-9A-Z]{3}$/.test(code);
}

/** SQLSTATE class 22 (data exception: a NUL in text, a malformed uuid...) or 23 (integrity constraint violation). */
export function isDataRejection(error: unknown): boolean {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * Driver failures become DependencyUnavailableError when worth a retry, DataRejectedError when the data
 * itself was refused; the driver's text never travels further than the cause.
 */
export function translate(error: unknown): unknown {
  if (isConnectionFailure(error) || isTemporaryRefusal(error)) return new DependencyUnavailableError('postgres', { cause: error });
  if (isDataRejection(error)) return new DataRejectedError('postgres', `SQLSTATE ${(error as { code: string }).code}`, { cause: error });
  return error;
}

export const UNIQUE_VIOLATION = '23505';

// Failures of a statement on a connection we hold that mean it was not run, or was rolled back.
const NOT_WRITTEN_CODES = new Set(['57014', '57P03', '53300']);

/**
 * For a connection failure of a write on a connection already held: 'not-written' when the statement was
 * refused or rolled back, 'unknown' when the connection died after it left (it may have committed),
 * 'timeout' when no answer came and it may still commit.
 */
export function writeOutcome(error: unknown): 'not-written' | 'unknown' | 'timeout' {
  const { code, message } = error as { code?: string; message?: string };
  if (code && NOT_WRITTEN_CODES.has(code)) return 'not-written';
  if (/Query read timeout/i.test(message ?? '')) return 'timeout';
  return 'unknown';
}
