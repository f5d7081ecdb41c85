import { PgliteDatabase } from '../../src/adapters/postgres/pglite-database.js';
import { migrate } from '../../src/adapters/postgres/migrations.js';
import { NodePgDatabase, type SqlDatabase } from '../../src/adapters/postgres/sql-database.js';
import { silentLogger } from './logs.js';
import { createTestDatabase } from './postgres.js';

export interface TestDatabase {
  readonly database: SqlDatabase;
  close(): Promise<void>;
}

/** A migrated, empty database on the real PostgreSQL server. */
export async function serverDatabase(max = 20): Promise<TestDatabase> {
  const created = await createTestDatabase();
  const database = new NodePgDatabase({ connectionString: created.url, max, logger: silentLogger() });
  await migrate(database);
  return {
    database,
    close: async () => {
      await database.end();
      await created.drop();
    },
  };
}

/** A migrated, empty embedded database (PGlite in memory), as `npm start` runs it. */
export async function embeddedDatabase(): Promise<TestDatabase> {
  const database = await PgliteDatabase.open('memory://');
  await migrate(database);
  return { database, close: () => database.end() };
}

/** Empty databases with no migration applied, for tests that migrate step by step (rows of an older shape first). */
export const UNMIGRATED_DATABASES: Readonly<Record<string, () => Promise<TestDatabase>>> = {
  'a PostgreSQL server': async () => {
    const created = await createTestDatabase();
    const database = new NodePgDatabase({ connectionString: created.url, max: 4, logger: silentLogger() });
    return { database, close: async () => (await database.end(), await created.drop()) };
  },
  'embedded PGlite': async () => {
    const database = await PgliteDatabase.open('memory://');
    return { database, close: () => database.end() };
  },
};
