import type { HealthCheck } from '../../application/ports/health-check.js';
import type { SqlDatabase } from './sql-database.js';

export function databaseHealthCheck(database: SqlDatabase, kind: string): HealthCheck {
  return {
    name: 'postgres',
    critical: true,
    check: async () => {
      await database.query('SELECT 1');
      return { kind, ...database.stats() };
    },
  };
}
