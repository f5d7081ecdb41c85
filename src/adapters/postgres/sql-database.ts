import pg from 'pg';
import type { Logger } from '../../application/ports/logger.js';

/**
 * `name`: a prepared statement, parsed and planned once per connection (the same name always with the same text).
 * A driver without them (PGlite) runs the text as it is.
 */
export interface QueryOptions {
  readonly name?: string;
}

/** The slice of a PostgreSQL driver the adapters use, so the same SQL runs on a server or embedded (PGlite). */
export interface SqlClient {
  /** Without params, `text` may hold several statements; the last one's rows are returned. */
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<{ rows: R[] }>;
  /** Gives the client back; `broken` discards it. */
  release(broken?: boolean): void;
}

export interface SqlDatabase {
  query<R extends object = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<{ rows: R[] }>;
  /** A client of its own, for a transaction. */
  connect(): Promise<SqlClient>;
  /** Calls `onNotify` on every NOTIFY on `channel` until the returned function is called; rejects if it cannot listen now. */
  listen(channel: string, onNotify: () => void, onLost: (error: unknown) => void): Promise<() => Promise<void>>;
  stats(): Record<string, number>;
  end(): Promise<void>;
}

/** node-postgres: a pool that fails fast (a 503, not a hang) while the server is away and heals when it returns. */
export class NodePgDatabase implements SqlDatabase {
  private readonly pool: pg.Pool;

  constructor(private readonly options: { connectionString: string; max: number; logger: Logger; applicationName?: string }) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 10_000,
      query_timeout: 12_000,
      application_name: options.applicationName ?? 'ordermail',
    });
    // An idle client losing its connection (a database restart) must not crash the process.
    this.pool.on('error', (error) => options.logger.warn('idle database connection lost', { error: error.message }));
  }

  query<R extends object>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<{ rows: R[] }> {
    return this.pool.query<R & pg.QueryResultRow>(toConfig(text, params, options));
  }

  async connect(): Promise<SqlClient> {
    const client = await this.pool.connect();
    // A checked-out client whose connection dies emits 'error' (besides failing its query): without a
    // listener that would crash the process. The failed query carries the news; the client is then discarded.
    let lost = false;
    const onError = (): void => {
      lost = true;
    };
    client.on('error', onError);
    return {
      query: <R extends object>(text: string, params?: readonly unknown[], options?: QueryOptions) => client.query<R & pg.QueryResultRow>(toConfig(text, params, options)),
      release: (broken?: boolean) => {
        client.off('error', onError);
        client.release(broken || lost);
      },
    };
  }

  async listen(channel: string, onNotify: () => void, onLost: (error: unknown) => void): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 2000 });
    let ended = false;
    const lost = (error: unknown): void => {
      if (ended) return;
      ended = true;
      void client.end().catch(() => undefined);
      onLost(error);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('listener connection ended')));
    client.on('notification', onNotify);
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      ended = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    return async () => {
      ended = true;
      await client.end().catch(() => undefined);
    };
  }

  stats(): Record<string, number> {
    return { totalConnections: this.pool.totalCount, idleConnections: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

const toConfig = (text: string, params?: readonly unknown[], options?: QueryOptions): pg.QueryConfig =>
  ({ text, ...(params ? { values: params as unknown[] } : {}), ...(options?.name ? { name: options.name } : {}) });
