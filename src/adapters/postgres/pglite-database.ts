import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { QueryOptions, SqlClient, SqlDatabase } from './sql-database.js';

/**
 * PostgreSQL embedded in the process (PGlite, WebAssembly): the same SQL and migrations as the server,
 * data in a directory. It has one session, so transactions take turns: a client holds it until released.
 */
export class PgliteDatabase implements SqlDatabase {
  private turn: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly listeners = new Set<() => Promise<void>>();

  private constructor(private readonly db: PGlite) {}

  /**
   * `dataDir` keeps the data across restarts; `memory://` keeps it in memory. `from`: a copy made by `dump()`
   * to start from instead of a new, empty cluster (which takes PGlite a few seconds of CPU to create).
   */
  static async open(dataDir: string, from?: Blob): Promise<PgliteDatabase> {
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    return new PgliteDatabase(await PGlite.create(dataDir, from ? { loadDataDir: from } : {}));
  }

  /** A copy of the whole data directory (an uncompressed tar), for `open(…, from)`. */
  async dump(): Promise<Blob> {
    const release = await this.acquire();
    try {
      return await this.db.dumpDataDir('none');
    } finally {
      release();
    }
  }

  /** `options.name` is ignored: PGlite runs the text as given. */
  async query<R extends object>(text: string, params?: readonly unknown[], _options?: QueryOptions): Promise<{ rows: R[] }> {
    const release = await this.acquire();
    try {
      return await this.run<R>(text, params);
    } finally {
      release();
    }
  }

  async connect(): Promise<SqlClient> {
    const release = await this.acquire();
    let released = false;
    return {
      query: <R extends object>(text: string, params?: readonly unknown[]) => this.run<R>(text, params),
      release: () => {
        if (released) return;
        released = true;
        release();
      },
    };
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const release = await this.acquire();
    try {
      const unlisten = await this.db.listen(channel, onNotify);
      this.listeners.add(unlisten);
      return async () => {
        const again = await this.acquire();
        try {
          if (!this.closed && this.listeners.delete(unlisten)) await unlisten();
        } finally {
          again();
        }
      };
    } finally {
      release();
    }
  }

  stats(): Record<string, number> {
    return {};
  }

  async end(): Promise<void> {
    if (this.closed) return;
    const release = await this.acquire();
    try {
      // PGlite cannot close with listeners left.
      for (const unlisten of this.listeners) await unlisten().catch(() => undefined);
      this.listeners.clear();
      this.closed = true;
      await this.db.close();
    } finally {
      release();
    }
  }

  private async run<R extends object>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }> {
    if (params && params.length > 0) return { rows: (await this.db.query<R>(text, [...params])).rows };
    const results = await this.db.exec(text);
    return { rows: (results.at(-1)?.rows ?? []) as R[] };
  }

  /** Waits for the session; resolves with the function that hands it on. */
  private acquire(): Promise<() => void> {
    let handOn!: () => void;
    const next = new Promise<void>((resolve) => {
      handOn = resolve;
    });
    const ready = this.turn.then(() => handOn);
    this.turn = this.turn.then(() => next);
    return ready;
  }
}
