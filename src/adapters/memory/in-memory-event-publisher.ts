import type { EventPublisher, RejectedEvent } from '../../application/ports/event-publisher.js';
import type { OutgoingEvent } from '../../application/ports/outbox.js';

/**
 * Keeps what was published; `failWith` makes the next publishes reject, like a broker outage; `refuse`
 * names the events a broker would refuse for good (a reason, or undefined to take it).
 */
export class InMemoryEventPublisher implements EventPublisher {
  readonly published: OutgoingEvent[] = [];
  failWith: Error | null = null;
  refuse: (event: OutgoingEvent) => string | undefined = () => undefined;

  async publish<E extends OutgoingEvent>(events: readonly E[]): Promise<readonly RejectedEvent<E>[]> {
    if (this.failWith) throw this.failWith;
    const rejected: RejectedEvent<E>[] = [];
    for (const event of events) {
      const reason = this.refuse(event);
      if (reason === undefined) this.published.push(event);
      else rejected.push({ event, reason });
    }
    return rejected;
  }
}
