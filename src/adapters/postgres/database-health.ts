import { HealthCheckFailure, type HealthCheck } from '../../application/ports/health-check.js';
import { isConnectionFailure } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

export function databaseHealthCheck(database: SqlDatabase, kind: string): HealthCheck {
  return {
    name: 'postgres',
    critical: true,
    check: async () => {
      try {
        await database.query('SELECT 1');
      } catch (error) {
        // /health is public: the driver's text (hosts, ports, users) stays in the logs.
        const code = (error as { code?: unknown }).code;
        throw new HealthCheckFailure(`${isConnectionFailure(error) ? 'unreachable' : 'failing'}${typeof code === 'string' ? ` (${code})` : ''}`, {}, { cause: error });
      }
      return { kind, ...database.stats() };
    },
  };
}
