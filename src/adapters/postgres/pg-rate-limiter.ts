import { retryAfterSeconds, type RateDecision, type RateLimit, type RateLimiter } from '../../application/ports/rate-limiter.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';
import { StatementBatcher } from './statement-batcher.js';

/*
 * One statement, so one atomic step whatever the number of api processes: the row lock taken by
 * ON CONFLICT DO UPDATE orders concurrent statements on a client's bucket, each sees the tokens the previous
 * one left. A statement takes for a batch of requests, `wanted` of them per client: the first `taken` are
 * granted, as if they had come one after the other at that instant. The refill uses the database's clock
 * (statement_timestamp()), the one clock every process shares. Rows are written in client order, so two
 * batches never wait on each other in a circle.
 */
const TAKE_BATCH = `
  INSERT INTO rate_limit_buckets AS bucket (client, tokens, granted, refilled_at, taken)
  SELECT w.client, $4::float8 - least(w.wanted, floor($4::float8)), true, statement_timestamp(), least(w.wanted, floor($4::float8))::integer
    FROM unnest($1::text[], $2::integer[]) AS w(client, wanted) ORDER BY w.client
  ON CONFLICT (client) DO UPDATE SET (tokens, granted, refilled_at, taken) = (
    SELECT refilled.tokens - took.n, took.n >= 1, statement_timestamp(), took.n
    FROM (
      SELECT LEAST($4::float8, bucket.tokens + $3::float8 * GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - bucket.refilled_at))::float8) AS tokens
    ) AS refilled, LATERAL (
      -- EXCLUDED.taken: what the client wanted, capped at the burst (no bucket holds more).
      SELECT least(EXCLUDED.taken, floor(refilled.tokens))::integer AS n
    ) AS took
  )
  RETURNING client, taken, tokens`;

// A bucket untouched for burst / perSecond seconds is full again: the same as no row.
const PRUNE = 'DELETE FROM rate_limit_buckets WHERE refilled_at < statement_timestamp() - make_interval(secs => $1::float8)';

/**
 * Token buckets in PostgreSQL (a server or PGlite), shared by every process on the database. Concurrent
 * requests share a statement (StatementBatcher): one transaction for many orders, not one per order.
 */
export class PgRateLimiter implements RateLimiter {
  /** An Error for a client the statement returned no row for: a bug, never a reason to run the batch again. */
  private readonly batcher: StatementBatcher<string, RateDecision | Error>;

  constructor(
    private readonly database: SqlDatabase,
    private readonly limit: RateLimit,
  ) {
    this.batcher = new StatementBatcher({ run: (clients) => this.takeBatch(clients) });
  }

  async take(client: string): Promise<RateDecision> {
    let decision: RateDecision | Error;
    try {
      decision = await this.batcher.run(client);
    } catch (error) {
      throw translate(error);
    }
    if (decision instanceof Error) throw decision;
    return decision;
  }

  /** Resolves once the statement committed: from then on nothing may throw, or the batch would be run again. */
  private async takeBatch(clients: readonly string[]): Promise<(RateDecision | Error)[]> {
    const wanted = new Map<string, number>();
    for (const client of clients) wanted.set(client, (wanted.get(client) ?? 0) + 1);
    const { rows } = await this.database.query<{ client: string; taken: number; tokens: number }>(
      TAKE_BATCH,
      [[...wanted.keys()], [...wanted.values()], this.limit.perSecond, this.limit.burst],
      { name: 'rate_limit_take_batch' },
    );
    const left = new Map(rows.map((row) => [row.client, { grants: row.taken, tokens: Number(row.tokens) }]));
    return clients.map((client): RateDecision | Error => {
      const bucket = left.get(client);
      if (!bucket) return new Error('rate limiter: the bucket statement returned no row for a client');
      if (bucket.grants > 0) {
        bucket.grants -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: retryAfterSeconds(bucket.tokens, this.limit) };
    });
  }

  async prune(): Promise<number> {
    try {
      const { rows } = await this.database.query<{ n: number }>(`WITH pruned AS (${PRUNE} RETURNING 1) SELECT count(*)::int AS n FROM pruned`, [this.limit.burst / this.limit.perSecond]);
      return rows[0]?.n ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }
}
