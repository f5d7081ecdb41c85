import { retryAfterSeconds, type RateDecision, type RateLimit, type RateLimiter } from '../../application/ports/rate-limiter.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

/*
 * One statement, so one atomic step whatever the number of api processes: the row lock taken by
 * ON CONFLICT DO UPDATE orders concurrent requests of a client, each sees the tokens the previous one
 * left. The refill uses the database's clock (statement_timestamp()), the one clock every process shares.
 */
const TAKE = `
  INSERT INTO rate_limit_buckets AS bucket (client, tokens, granted, refilled_at)
  VALUES ($1, $3::float8 - 1, true, statement_timestamp())
  ON CONFLICT (client) DO UPDATE SET (tokens, granted, refilled_at) = (
    SELECT CASE WHEN refilled.tokens >= 1 THEN refilled.tokens - 1 ELSE refilled.tokens END, refilled.tokens >= 1, statement_timestamp()
    FROM (
      SELECT LEAST($3::float8, bucket.tokens + $2::float8 * GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - bucket.refilled_at))::float8) AS tokens
    ) AS refilled
  )
  RETURNING granted, tokens`;

// A bucket untouched for burst / perSecond seconds is full again: the same as no row.
const PRUNE = 'DELETE FROM rate_limit_buckets WHERE refilled_at < statement_timestamp() - make_interval(secs => $1::float8)';

/** Token buckets in PostgreSQL (a server or PGlite), shared by every process on the database. */
export class PgRateLimiter implements RateLimiter {
  constructor(
    private readonly database: SqlDatabase,
    private readonly limit: RateLimit,
  ) {}

  async take(client: string): Promise<RateDecision> {
    let row: { granted: boolean; tokens: number } | undefined;
    try {
      ({ rows: [row] } = await this.database.query<{ granted: boolean; tokens: number }>(TAKE, [client, this.limit.perSecond, this.limit.burst]));
    } catch (error) {
      throw translate(error);
    }
    if (!row) throw new Error('rate limiter: the bucket statement returned no row');
    return row.granted ? { allowed: true } : { allowed: false, retryAfterSeconds: retryAfterSeconds(Number(row.tokens), this.limit) };
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
