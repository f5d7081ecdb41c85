import type { Clock } from '../../application/ports/clock.js';

export interface TokenLeaseSettings {
  /** Tokens a lease holds at most beyond what its statement granted; below 1: no leases. */
  readonly maxLease: number;
  /** How long after its statement began a lease may be spent; what is left then is dropped, never given back. */
  readonly lifetimeMs: number;
  /** Clients remembered at most, so that a flood of distinct addresses cannot grow memory. */
  readonly maxClients: number;
}

interface Lease {
  /** Left to grant without a statement. */
  tokens: number;
  readonly expiresAt: number;
  /** Requests of the client this process answered since the lease was taken: the size of the next one follows it. */
  served: number;
  /** The statement left the shared bucket too low for a lease: the client's next requests decide exactly, in parallel. */
  readonly low: boolean;
}

/**
 * Tokens this process took from clients' shared buckets beyond what the statement's requests wanted, to grant the
 * next requests of the client without a statement. Only tokens taken from the shared bucket are ever granted, so
 * the processes together never grant more than the bucket; tokens of a lease that expires unused are lost.
 */
export class TokenLeases {
  /** In the order they were taken, so the first ones expire first. */
  private readonly leases = new Map<string, Lease>();
  private readonly fetches = new Map<string, Promise<void>>();

  constructor(
    private readonly settings: TokenLeaseSettings,
    private readonly clock: Clock,
  ) {}

  now(): number {
    return this.clock.now().getTime();
  }

  /** Grants a request of `client` from its lease: false when it has none, expired or spent. */
  grant(client: string): boolean {
    const lease = this.leases.get(client);
    if (!lease || lease.tokens < 1 || this.now() >= lease.expiresAt) return false;
    lease.tokens -= 1;
    lease.served += 1;
    return true;
  }

  /**
   * How many tokens to take for `client` beyond the `wanted` ones: twice the requests served since its last lease
   * was taken (for a client not remembered: as many as it wants now), so that a client that sends little loses
   * little when its lease expires; at most `maxLease`, and none when there is no room to remember the client.
   */
  extraFor(client: string, wanted: number): number {
    // One lease under way per client: a second batch of its requests (more than one batch holds) takes exactly.
    if (this.settings.maxLease < 1 || this.fetches.has(client)) return 0;
    const lease = this.leases.get(client);
    if (lease) return Math.min(this.settings.maxLease, 2 * lease.served);
    this.dropExpired();
    if (this.leases.size >= this.settings.maxClients) return 0;
    // Its place is taken now, so the lease finds room when the statement returns.
    this.leases.set(client, { tokens: 0, expiresAt: this.now() + this.settings.lifetimeMs, served: 0, low: false });
    return Math.min(this.settings.maxLease, wanted);
  }

  /** `fetch` settles once a statement asking `client` for a lease did: its requests until then wait for it (unless its bucket was low). */
  fetching(client: string, fetch: Promise<void>): void {
    if (this.leases.get(client)?.low) return;
    this.fetches.set(client, fetch);
  }

  fetched(client: string, fetch: Promise<void>): void {
    if (this.fetches.get(client) === fetch) this.fetches.delete(client);
  }

  /** The statement under way that may bring `client` a lease: its requests wait for it rather than each send their own. */
  pending(client: string): Promise<void> | undefined {
    return this.fetches.get(client);
  }

  /**
   * Keeps what a statement begun at `takenAt` took for `client` beyond its `served` requests; `low`: it left the
   * bucket too low for another lease. A lease still live is added to, up to maxLease (the rest is lost), and
   * expires when it would have: no token is held longer than the lifetime after the statement that took it.
   */
  keep(client: string, taken: { surplus: number; served: number; low: boolean; takenAt: number }): void {
    if (this.settings.maxLease < 1) return;
    const previous = this.leases.get(client);
    const live = previous && previous.tokens >= 1 && this.now() < previous.expiresAt ? previous : undefined;
    // A client not remembered any more (expired and dropped meanwhile) gets no place in a full map: its surplus is lost.
    if (!this.leases.delete(client) && this.leases.size >= this.settings.maxClients) return;
    this.leases.set(client, {
      tokens: Math.min(this.settings.maxLease, taken.surplus + (live?.tokens ?? 0)),
      expiresAt: live ? Math.min(live.expiresAt, taken.takenAt + this.settings.lifetimeMs) : taken.takenAt + this.settings.lifetimeMs,
      served: taken.served + (live?.served ?? 0),
      low: taken.low,
    });
  }

  /** Forgets the expired leases; how many clients are remembered. */
  dropExpired(): number {
    const now = this.now();
    for (const [client, lease] of this.leases) {
      if (lease.expiresAt > now) break;
      this.leases.delete(client);
    }
    return this.leases.size;
  }
}
