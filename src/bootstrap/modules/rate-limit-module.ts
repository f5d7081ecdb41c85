import { ContainerModule } from 'inversify';
import { InMemoryRateLimiter } from '../../adapters/memory/in-memory-rate-limiter.js';
import { PgRateLimiter } from '../../adapters/postgres/pg-rate-limiter.js';
import type { RateLimit } from '../../application/ports/rate-limiter.js';
import { HOUSEKEEPING_EVERY_MS, PeriodicService } from '../periodic-service.js';
import { provide, T } from '../tokens.js';

/**
 * The per-caller buckets of POST /orders, and their pruning. `shared`: in PostgreSQL, so that every api
 * process spends from the same buckets; otherwise (the single-process mode) in this process's memory.
 */
export function orderRateLimitModule(limit: RateLimit, shared: boolean): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.OrderRateLimiter, [T.Database, T.Clock], (database, clock) => (shared ? new PgRateLimiter(database, limit, clock) : new InMemoryRateLimiter(limit, clock)));
    provide(bind, T.Service, [T.OrderRateLimiter, T.Logger], (limiter, logger) =>
      new PeriodicService('rate-limit-pruning', HOUSEKEEPING_EVERY_MS, async () => void (await limiter.prune()), logger.child({ component: 'rate-limit' })),
    );
  });
}
