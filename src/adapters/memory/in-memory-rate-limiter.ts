import type { Clock } from '../../application/ports/clock.js';
import { retryAfterSeconds, type RateDecision, type RateLimit, type RateLimiter } from '../../application/ports/rate-limiter.js';

/** Token buckets in this process: for unit tests and the single-process mode, where no other process shares them. */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; refilledAt: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {}

  async take(client: string): Promise<RateDecision> {
    const now = this.clock.now().getTime();
    const tokens = this.tokensAt(client, now);
    const allowed = tokens >= 1;
    this.buckets.set(client, { tokens: allowed ? tokens - 1 : tokens, refilledAt: now });
    return allowed ? { allowed } : { allowed, retryAfterSeconds: retryAfterSeconds(tokens, this.limit) };
  }

  async prune(): Promise<number> {
    const now = this.clock.now().getTime();
    let pruned = 0;
    for (const client of [...this.buckets.keys()]) {
      if (this.tokensAt(client, now) < this.limit.burst) continue;
      this.buckets.delete(client);
      pruned++;
    }
    return pruned;
  }

  private tokensAt(client: string, now: number): number {
    const bucket = this.buckets.get(client);
    if (!bucket) return this.limit.burst;
    const elapsedSeconds = Math.max(0, now - bucket.refilledAt) / 1000;
    return Math.min(this.limit.burst, bucket.tokens + elapsedSeconds * this.limit.perSecond);
  }
}
