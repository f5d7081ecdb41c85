import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

let server: Promise<string> | undefined;

/**
 * A reachable PostgreSQL server (an admin URL), found in this order: DATABASE_URL; testcontainers when a
 * Docker engine runs; the local server on 127.0.0.1:5432, started with the Debian cluster tools when it is
 * installed but stopped. Otherwise the run fails, saying what is missing.
 */
export function ensurePostgres(): Promise<string> {
  server ??= resolve();
  return server;
}

async function resolve(): Promise<string> {
  const fromEnv = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (fromEnv) {
    if (await answers(fromEnv)) return fromEnv;
    throw new Error(`PostgreSQL at DATABASE_URL=${redact(fromEnv)} is not reachable. Start it, or unset DATABASE_URL to let the tests find one.`);
  }
  const container = await fromTestcontainers();
  if (container) return container;
  if (await answers(LOCAL_URL)) return LOCAL_URL;
  await startLocalCluster();
  if (await answers(LOCAL_URL, 30_000)) return LOCAL_URL;
  throw new Error('PostgreSQL did not answer on 127.0.0.1:5432 after starting the local cluster; see /var/log/postgresql/.');
}

/**
 * A fresh database on the test server (or on `server`, an admin URL), empty or a copy of `template` (a
 * database nobody is connected to); dropped by the returned function.
 */
export async function createTestDatabase(prefix = 'ordermail_test', { template, server }: { template?: string; server?: string } = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = server ?? (await ensurePostgres());
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * The name of a database on the test server made once by `prepare` and kept as a template for copies: named
 * by `key` (say, a hash of the migrations), so that a change makes a new one. Made under an advisory lock, as
 * test processes running in parallel may ask for it at once, and renamed into place only when complete.
 */
export async function templateDatabase(key: string, prepare: (url: string) => Promise<void>): Promise<string> {
  const admin = await ensurePostgres();
  const name = `ordermail_template_${key}`;
  return withClient(admin, async (c) => {
    await c.query('SELECT pg_advisory_lock(7402118312)');
    try {
      const { rows } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rows.length > 0) return name;
      const building = `${name}_building`;
      await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${building}`);
      const url = new URL(admin);
      url.pathname = `/${building}`;
      await prepare(url.toString());
      await c.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      return name;
    } finally {
      await c.query('SELECT pg_advisory_unlock(7402118312)');
    }
  });
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function answers(url: string, patienceMs = 0): Promise<boolean> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      await withClient(url, (c) => c.query('SELECT 1'));
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function fromTestcontainers(): Promise<string | undefined> {
  const { getContainerRuntimeClient, GenericContainer, Wait } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const container = await new GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
}

async function startLocalCluster(): Promise<void> {
  const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (clusters.length === 0)
    throw new Error(
      'PostgreSQL is missing: set DATABASE_URL to a server, run a Docker engine for testcontainers, ' +
        'or install it (apt-get install postgresql) so the tests can start the local cluster.',
    );
  const version = clusters.sort().at(-1) as string;
  try {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  } catch (error) {
    throw new Error(`PostgreSQL ${version} is installed but could not be started with pg_ctlcluster: ${(error as Error).message}`, { cause: error });
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
