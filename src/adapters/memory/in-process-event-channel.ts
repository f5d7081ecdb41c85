import { EventEmitter, once } from 'node:events';
import type { DispatchEvent } from '../../application/dispatch-event.js';
import { ALWAYS_OPEN, whenOpen, type Gate } from '../../application/gate.js';
import type { ConsumerLagProbe } from '../../application/ports/admin-read-model.js';
import type { EventPublisher, RejectedEvent } from '../../application/ports/event-publisher.js';
import type { Logger } from '../../application/ports/logger.js';
import type { OutgoingEvent } from '../../application/ports/outbox.js';

export type EventDispatch = Pick<DispatchEvent, 'execute'>;

/**
 * Kafka's stand-in for the single-process mode: the relay publishes into a queue that a consumer loop
 * drains into the dispatch table, holding back while the gate is closed. Like a Kafka partition keyed by
 * aggregate, the events of one aggregate (an order) are handled one at a time and in their order, while
 * the workers handle other aggregates' events meanwhile. A dispatch that fails (a dependency away) gets the
 * event again after a pause, before any later event of its aggregate (at least once); events still queued
 * when the process dies are recovered from the outbox at the next start (see requeueUnclaimedEvents).
 */
export class InProcessEventChannel implements EventPublisher, ConsumerLagProbe {
  private readonly queue: OutgoingEvent[] = [];
  private readonly arrivals = new EventEmitter();
  private readonly stopping = new AbortController();
  private readonly workers: Promise<void>[] = [];
  /** Aggregates with an event being handled, or waiting to be retried: their later events wait. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly options: { concurrency: number; retryDelayMs: number } = { concurrency: 4, retryDelayMs: 1000 },
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  /** The consumer lag of the single-process mode: the events queued and not yet handed to the dispatch table. */
  async total(): Promise<number> {
    return this.depth;
  }

  /** In process, no event is too large: nothing is ever refused. */
  async publish<E extends OutgoingEvent>(events: readonly E[]): Promise<readonly RejectedEvent<E>[]> {
    this.queue.push(...events.map(({ event, metadata }) => ({ event, metadata })));
    this.arrivals.emit('event');
    return [];
  }

  consume(dispatch: EventDispatch, gate: Gate = ALWAYS_OPEN): void {
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work(dispatch, gate));
  }

  /** Finishes the events in hand; what is still queued is recovered from the outbox at the next start. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.workers);
  }

  private async work(dispatch: EventDispatch, gate: Gate): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await whenOpen(gate, signal);
      if (signal.aborted) break;
      const outgoing = this.takeNext();
      if (!outgoing) {
        await once(this.arrivals, 'event', { signal }).catch(() => undefined);
        continue;
      }
      // Written by this same process through the outbox: already a domain event, nothing to decode.
      const { event, metadata } = outgoing;
      try {
        await dispatch.execute({ ok: true, event, metadata });
        this.release(event.aggregateId);
      } catch (error) {
        this.logger.warn('event handling failed, redelivering', { key: event.aggregateId, error: error instanceof Error ? error.message : String(error), retryInMs: this.options.retryDelayMs });
        // The aggregate stays busy until the event is back at the head of the queue, ahead of its successors.
        setTimeout(() => {
          this.queue.unshift(outgoing);
          this.release(event.aggregateId);
        }, this.options.retryDelayMs).unref();
      }
    }
  }

  /** The oldest queued event whose aggregate has none in hand; it marks that aggregate busy. */
  private takeNext(): OutgoingEvent | undefined {
    const index = this.queue.findIndex(({ event }) => !this.busy.has(event.aggregateId));
    if (index < 0) return undefined;
    const [outgoing] = this.queue.splice(index, 1) as [OutgoingEvent];
    this.busy.add(outgoing.event.aggregateId);
    return outgoing;
  }

  /** Lets the aggregate's next event go, and wakes a worker for it. */
  private release(aggregateId: string): void {
    this.busy.delete(aggregateId);
    this.arrivals.emit('event');
  }
}
