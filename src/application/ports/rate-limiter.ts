/** A token bucket: `burst` requests at once, refilled at `perSecond` up to `burst` again. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export type RateDecision =
  | { readonly allowed: true }
  /** `retryAfterSeconds`: whole seconds until the bucket holds a token again, at least 1. */
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Per-client token buckets; every process using the same store shares them. */
export interface RateLimiter {
  /**
   * Takes a token from `client`'s bucket (a new client starts with a full one) when it holds one.
   * @throws DependencyUnavailableError when the store cannot be reached
   */
  take(client: string): Promise<RateDecision>;
  /** Forgets the buckets that have refilled completely (the same as no bucket); resolves with how many. */
  prune(): Promise<number>;
}

/** How long a bucket holding `tokens` (< 1) takes to hold one, in whole seconds, at least 1. */
export function retryAfterSeconds(tokens: number, limit: RateLimit): number {
  return Math.max(1, Math.ceil((1 - tokens) / limit.perSecond));
}
