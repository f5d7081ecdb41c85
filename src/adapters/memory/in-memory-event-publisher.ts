import type { EventPublisher } from '../../application/ports/event-publisher.js';
import type { OutboxEvent } from '../../application/ports/outbox.js';

/** Keeps what was published; `failWith` makes the next publishes reject, like a broker outage. */
export class InMemoryEventPublisher implements EventPublisher {
  readonly published: OutboxEvent[] = [];
  failWith: Error | null = null;

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push(...events);
  }
}
