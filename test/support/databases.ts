import { createHash } from 'node:crypto';
import { PgliteDatabase } from '../../src/adapters/postgres/pglite-database.js';
import { migrate, MIGRATIONS } from '../../src/adapters/postgres/migrations.js';
import { NodePgDatabase, type SqlDatabase } from '../../src/adapters/postgres/sql-database.js';
import { silentLogger } from './logs.js';
import { createTestDatabase, templateDatabase } from './postgres.js';

export interface TestDatabase {
  readonly database: SqlDatabase;
  close(): Promise<void>;
}

/*
 * Every test gets a database of its own. Migrating one takes a second or so on the server and a new PGlite
 * cluster a few seconds of CPU, so each kind is made and migrated once and copied: the server's with
 * CREATE DATABASE … TEMPLATE (a template named by a hash of the migrations, kept on the server for the
 * next run), PGlite's from a dump of its data directory (once per test process).
 */
const MIGRATIONS_KEY = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 16);
let serverTemplate: Promise<string> | undefined;
let migratedPglite: Promise<Blob> | undefined;
let emptyPglite: Promise<Blob> | undefined;

function migratedServerTemplate(): Promise<string> {
  serverTemplate ??= templateDatabase(MIGRATIONS_KEY, async (url) => {
    const database = new NodePgDatabase({ connectionString: url, max: 1, logger: silentLogger() });
    try {
      await migrate(database);
    } finally {
      await database.end();
    }
  });
  return serverTemplate;
}

async function pgliteDump(migrated: boolean): Promise<Blob> {
  const make = async (): Promise<Blob> => {
    const database = await PgliteDatabase.open('memory://');
    try {
      if (migrated) await migrate(database);
      return await database.dump();
    } finally {
      await database.end();
    }
  };
  return migrated ? (migratedPglite ??= make()) : (emptyPglite ??= make());
}

/** A migrated, empty database on the real PostgreSQL server. */
export async function serverDatabase(max = 20): Promise<TestDatabase> {
  const created = await createTestDatabase('ordermail_test', { template: await migratedServerTemplate() });
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

/**
 * A migrated, empty embedded database (PGlite in memory), as `npm start` runs it. Even from a dump a new
 * PGlite costs more than a second of CPU, so a test process keeps one and empties it when a test closes it:
 * every table but the migrations' truncated (sequences restarted), listeners and advisory locks let go. A
 * test that needs a second one at once, or ends the one it got, gets a new one.
 */
export async function embeddedDatabase(): Promise<TestDatabase> {
  const idle = sparePglite;
  sparePglite = undefined;
  const database = idle ?? (await PgliteDatabase.open('memory://', await pgliteDump(true)));
  if (!idle) await migrate(database); // a no-op on the copy: the same statement `npm start` runs
  let closed = false;
  return {
    database,
    close: async () => {
      if (closed) return;
      closed = true;
      if (!sparePglite && (await emptied(database))) sparePglite = database;
      else void database.end().catch(() => undefined); // not awaited: a client a test never released would hold it forever
    },
  };
}

let sparePglite: PgliteDatabase | undefined;

/** Empties a database a test is done with; false when it cannot be (ended, or a client never released). */
async function emptied(database: PgliteDatabase): Promise<boolean> {
  const reset = (async () => {
    const { rows } = await database.query<{ tables: string | null }>(
      "SELECT string_agg(format('%I', tablename), ', ') AS tables FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
    );
    if (rows[0]?.tables) await database.query(`TRUNCATE ${rows[0].tables} RESTART IDENTITY CASCADE`);
    await database.query('UNLISTEN *');
    await database.query('SELECT pg_advisory_unlock_all()');
    return true;
  })();
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, 2000, false).unref());
  return Promise.race([reset.catch(() => false), timeout]);
}

/** Empty databases with no migration applied, for tests that migrate step by step (rows of an older shape first). */
export const UNMIGRATED_DATABASES: Readonly<Record<string, () => Promise<TestDatabase>>> = {
  'a PostgreSQL server': async () => {
    const created = await createTestDatabase();
    const database = new NodePgDatabase({ connectionString: created.url, max: 4, logger: silentLogger() });
    return { database, close: async () => (await database.end(), await created.drop()) };
  },
  'embedded PGlite': async () => {
    const database = await PgliteDatabase.open('memory://', await pgliteDump(false));
    return { database, close: () => database.end() };
  },
};
