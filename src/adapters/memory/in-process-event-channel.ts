import { EventEmitter, once } from 'node:events';
import type { EventPublisher, RejectedEvent } from '../../application/ports/event-publisher.js';
import type { Logger } from '../../application/ports/logger.js';
import type { OutboxEvent } from '../../application/ports/outbox.js';

export type EventHandler = (event: OutboxEvent) => Promise<void>;

/**
 * Kafka's stand-in for the single-process mode: the relay publishes into a queue that a consumer loop
 * drains. A handler that fails gets the event again after a pause (at least once); events still queued
 * when the process dies are recovered from the outbox at the next start (see requeueUnclaimedEvents).
 */
export class InProcessEventChannel implements EventPublisher {
  private readonly queue: OutboxEvent[] = [];
  private readonly arrivals = new EventEmitter();
  private readonly stopping = new AbortController();
  private readonly workers: Promise<void>[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly options: { concurrency: number; retryDelayMs: number } = { concurrency: 4, retryDelayMs: 1000 },
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  /** In process, no event is too large: nothing is ever refused. */
  async publish<E extends OutboxEvent>(events: readonly E[]): Promise<readonly RejectedEvent<E>[]> {
    this.queue.push(...events);
    this.arrivals.emit('event');
    return [];
  }

  consume(handler: EventHandler): void {
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work(handler));
  }

  /** Finishes the events in hand; what is still queued is recovered from the outbox at the next start. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.workers);
  }

  private async work(handler: EventHandler): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const event = this.queue.shift();
      if (!event) {
        await once(this.arrivals, 'event', { signal }).catch(() => undefined);
        continue;
      }
      try {
        await handler(event);
      } catch (error) {
        this.logger.warn('event handling failed, redelivering', { key: event.key, error: error instanceof Error ? error.message : String(error), retryInMs: this.options.retryDelayMs });
        setTimeout(() => void this.publish([event]), this.options.retryDelayMs).unref();
      }
    }
  }
}
