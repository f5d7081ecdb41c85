import { beforeDeadline } from './deadline.js';
import type { Doorbell } from './doorbell.js';
import type { NotificationsInFlight } from './notifications-in-flight.js';
import type { Logger } from './ports/logger.js';
import type { NotificationJob, NotificationLedger } from './ports/notification-ledger.js';
import { sleep } from './sleep.js';
import type { WebhookCircuits } from './webhook-circuits.js';
import type { WebhookNotificationSender } from './webhook-notification-sender.js';

/** Deliveries under way at once, all endpoints together, unless told otherwise; the HTTP sender's sockets must allow as many. */
export const WEBHOOK_MAX_IN_FLIGHT = 32;

export interface WebhookDispatcherOptions {
  readonly owner: string;
  readonly leaseMs: number;
  /** Deliveries under way at once, all endpoints together. */
  readonly maxInFlight?: number;
  /** Deliveries under way at once to one endpoint: a slow one holds no more slots than this (twice this at most, for one claim's worth). */
  readonly maxInFlightPerEndpoint?: number;
  /** The pause when nothing was due and nothing rang. */
  readonly pollMs?: number;
  /** The pause after the ledger could not be read. */
  readonly pauseAfterFailureMs?: number;
}

/**
 * Delivers the queued webhook notifications: takes what is due from the ledger (new ones, retries, those a
 * stopped notifier left) and sends each without waiting for the others, so a slow endpoint holds up only
 * its own deliveries. Endpoints whose circuit is open, or that have their share of the slots, are left in
 * the ledger until they may be called again.
 */
export class WebhookDispatcher {
  readonly name = 'webhook-dispatcher';
  private readonly stopping = new AbortController();
  private readonly running = new Map<Promise<void>, string>();
  private loop?: Promise<void>;
  private readonly maxInFlight: number;
  private readonly perEndpoint: number;

  constructor(
    private readonly ledger: NotificationLedger,
    private readonly sender: WebhookNotificationSender,
    private readonly circuits: WebhookCircuits,
    private readonly inFlight: NotificationsInFlight,
    /** Rung when deliveries were queued in this process, and when a slot frees. */
    private readonly doorbell: Doorbell,
    private readonly logger: Logger,
    private readonly options: WebhookDispatcherOptions,
  ) {
    this.maxInFlight = options.maxInFlight ?? WEBHOOK_MAX_IN_FLIGHT;
    this.perEndpoint = options.maxInFlightPerEndpoint ?? 8;
  }

  async start(): Promise<void> {
    this.loop = this.dispatch();
  }

  /** Takes nothing more; waits for the deliveries under way until `deadline` (their leases then lapse, and another notifier takes them over). */
  async stop(deadline: number): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await beforeDeadline(Promise.all(this.running.keys()).then(() => undefined), deadline);
  }

  /** Runs one round: resolves with how many deliveries it took from the ledger (the service loops on its own; tests call it). */
  async dispatchOnce(): Promise<number> {
    const jobs = await this.ledger.claimDue(this.claimLimit(), this.options.owner, this.options.leaseMs, 'webhook', this.busyEndpoints());
    // One still being sent here (its lease ran out while the ledger was unreachable) is not sent a second time.
    for (const job of jobs) if (!this.inFlight.has(job.notification)) this.deliver(job);
    return jobs.length;
  }

  /** Resolves once every delivery started so far has ended (for tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.keys());
  }

  private async dispatch(): Promise<void> {
    const { signal } = this.stopping;
    const pollMs = this.options.pollMs ?? 250;
    while (!signal.aborted) {
      try {
        const limit = this.claimLimit();
        const taken = limit > 0 ? await this.dispatchOnce() : 0;
        if (taken < limit || limit === 0) await this.doorbell.wait(pollMs, signal);
      } catch (error) {
        this.logger.warn('webhook dispatch failed', { error: error instanceof Error ? error.message : String(error) });
        await sleep(this.options.pauseAfterFailureMs ?? 2000, signal);
      }
    }
  }

  private deliver(job: NotificationJob): void {
    const endpointId = job.notification.endpointId ?? '';
    const delivery: Promise<void> = this.sender
      .send(job)
      .then(() => undefined)
      .catch((error: unknown) => {
        // The ledger was away while recording a retry or a release: the lease lapses and the delivery is taken again.
        this.logger.warn('webhook delivery interrupted; it is taken again when its lease ends', { endpointId, orderId: job.notification.orderId, error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        this.running.delete(delivery);
        this.doorbell.ring();
      });
    this.running.set(delivery, endpointId);
  }

  /**
   * How many deliveries one claim may take: the free slots, and never more than one endpoint's share, since a
   * claim can return them all for one endpoint (busyEndpoints only knows what runs already).
   */
  private claimLimit(): number {
    return Math.max(0, Math.min(this.maxInFlight - this.running.size, this.perEndpoint));
  }

  /** Endpoints not to take deliveries of now: their circuit is open, or they hold their share of the slots. */
  private busyEndpoints(): string[] {
    const counts = new Map<string, number>();
    for (const endpointId of this.running.values()) counts.set(endpointId, (counts.get(endpointId) ?? 0) + 1);
    const full = [...counts].filter(([, count]) => count >= this.perEndpoint).map(([id]) => id);
    return [...new Set([...this.circuits.paused(), ...full])];
  }
}
