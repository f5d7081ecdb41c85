import pg from 'pg';
import type { HealthCheck } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';

/** A pool that fails fast (a 503, not a hang) while the database is away and heals when it returns. */
export function createPool(options: { connectionString: string; max: number; logger: Logger; applicationName: string }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 10_000,
    query_timeout: 12_000,
    application_name: options.applicationName,
  });
  // An idle client losing its connection (a database restart) must not crash the process.
  pool.on('error', (error) => options.logger.warn('idle database connection lost', { error: error.message }));
  return pool;
}

export function databaseHealthCheck(pool: pg.Pool): HealthCheck {
  return {
    name: 'postgres',
    critical: true,
    check: async () => {
      await pool.query('SELECT 1');
      return { totalConnections: pool.totalCount, idleConnections: pool.idleCount, waiting: pool.waitingCount };
    },
  };
}
