import type { Clock } from '../../application/ports/clock.js';
import { retryAfterSeconds, type RateDecision, type RateLimit, type RateLimiter } from '../../application/ports/rate-limiter.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';
import { StatementBatcher } from './statement-batcher.js';
import { TokenLeases, type TokenLeaseSettings } from './token-leases.js';

/*
 * One statement, so one atomic step whatever the number of api processes: the row lock taken by
 * ON CONFLICT DO UPDATE orders concurrent statements on a client's bucket, each sees the tokens the previous
 * one left. A statement takes for a batch of requests, `wanted` of them per client, granted as far as there are
 * tokens, as if they had come one after the other at that instant. Beyond them it takes up to `extra` more for
 * a lease (TokenLeases), only from the tokens above the reserve ($6, half the burst): a bucket below that
 * decides exactly as without leases. `taken` says how many it took in all. The refill uses the database's clock
 * (statement_timestamp()), the one clock every process shares. Rows are written in client order, so two batches
 * never wait on each other in a circle.
 */
const TAKE_BATCH = `
  WITH w AS (SELECT * FROM unnest($1::text[], $2::integer[], $5::integer[]) AS w(client, wanted, extra))
  INSERT INTO rate_limit_buckets AS bucket (client, tokens, granted, refilled_at, taken)
  SELECT w.client, $4::float8 - took.n, true, statement_timestamp(), took.n
    FROM w, LATERAL (
      SELECT (least(w.wanted, floor($4::float8)) + greatest(0, least(w.extra, floor($4::float8 - w.wanted - $6::float8))))::integer AS n
    ) AS took
    ORDER BY w.client
  ON CONFLICT (client) DO UPDATE SET (tokens, granted, refilled_at, taken) = (
    SELECT refilled.tokens - took.n, took.n >= 1, statement_timestamp(), took.n
    FROM w, LATERAL (
      SELECT LEAST($4::float8, bucket.tokens + $3::float8 * GREATEST(0, EXTRACT(EPOCH FROM statement_timestamp() - bucket.refilled_at))::float8) AS tokens
    ) AS refilled, LATERAL (
      SELECT (least(w.wanted, floor(refilled.tokens)) + greatest(0, least(w.extra, floor(refilled.tokens - w.wanted - $6::float8))))::integer AS n
    ) AS took
    WHERE w.client = bucket.client
  )
  RETURNING client, taken, tokens`;

// A bucket untouched for burst / perSecond seconds is full again: the same as no row.
const PRUNE = 'DELETE FROM rate_limit_buckets WHERE refilled_at < statement_timestamp() - make_interval(secs => $1::float8)';

/** A lease holds at most this long's worth of the refill rate. */
const LEASE_SECONDS = 0.1;
const LEASE_LIFETIME_MS = 250;
const LEASED_CLIENTS_MAX = 10_000;

/**
 * Token buckets in PostgreSQL (a server or PGlite), shared by every process on the database. Concurrent
 * requests share a statement (StatementBatcher): one transaction for many orders, not one per order. While a
 * client's bucket is more than half full, a statement also takes a small lease for this process (TokenLeases):
 * the client's next requests are granted from it without a statement, until it is spent or expires.
 */
export class PgRateLimiter implements RateLimiter {
  /** An Error for a client the statement returned no row for: a bug, never a reason to run the batch again. */
  private readonly batcher: StatementBatcher<string, RateDecision | Error>;
  private readonly leases: TokenLeases;
  /** Tokens of a bucket no lease takes: below them every request takes its own token, exactly as without leases. */
  private readonly reserve: number;

  constructor(
    private readonly database: SqlDatabase,
    private readonly limit: RateLimit,
    clock: Clock,
    leases: Partial<TokenLeaseSettings> = {},
  ) {
    this.batcher = new StatementBatcher({ run: (clients) => this.takeBatch(clients) });
    this.leases = new TokenLeases(
      { maxLease: Math.floor(limit.perSecond * LEASE_SECONDS), lifetimeMs: LEASE_LIFETIME_MS, maxClients: LEASED_CLIENTS_MAX, ...leases },
      clock,
    );
    this.reserve = limit.burst / 2;
  }

  async take(client: string): Promise<RateDecision> {
    for (;;) {
      if (this.leases.grant(client)) return { allowed: true };
      const pending = this.leases.pending(client);
      if (!pending) break;
      await pending;
    }
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
    const takenAt = this.leases.now();
    const extra = [...wanted].map(([client, count]) => this.leases.extraFor(client, count));
    let fetched = (): void => undefined;
    const fetch = new Promise<void>((resolve) => (fetched = resolve));
    const leasing = [...wanted.keys()].filter((_, index) => (extra[index] as number) > 0);
    for (const client of leasing) this.leases.fetching(client, fetch);
    let rows: { client: string; taken: number; tokens: number }[];
    try {
      ({ rows } = await this.database.query<{ client: string; taken: number; tokens: number }>(
        TAKE_BATCH,
        [[...wanted.keys()], [...wanted.values()], this.limit.perSecond, this.limit.burst, extra, this.reserve],
        { name: 'rate_limit_take_lease' },
      ));
      for (const row of rows) {
        const served = wanted.get(row.client) ?? 0;
        this.leases.keep(row.client, { surplus: Math.max(0, row.taken - served), served, low: Number(row.tokens) < this.reserve, takenAt });
      }
    } finally {
      // Only now: the requests that waited for this statement find its leases.
      for (const client of leasing) this.leases.fetched(client, fetch);
      fetched();
    }
    const left = new Map(rows.map((row) => [row.client, { grants: Math.min(row.taken, wanted.get(row.client) ?? 0), tokens: Number(row.tokens) }]));
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
    this.leases.dropExpired();
    try {
      const { rows } = await this.database.query<{ n: number }>(`WITH pruned AS (${PRUNE} RETURNING 1) SELECT count(*)::int AS n FROM pruned`, [this.limit.burst / this.limit.perSecond]);
      return rows[0]?.n ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }
}
