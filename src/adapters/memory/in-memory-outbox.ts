import { Doorbell } from '../../application/doorbell.js';
import type { RejectedEvent } from '../../application/ports/event-publisher.js';
import type { Outbox, OutboxBacklog, PendingEvent, RelayedBatch } from '../../application/ports/outbox.js';
import type { InMemoryStore } from './in-memory-store.js';

export class InMemoryOutbox implements Outbox {
  private readonly doorbell = new Doorbell();

  constructor(private readonly store: InMemoryStore) {
    store.changes.on('outbox', () => this.doorbell.ring());
  }

  async relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<readonly RejectedEvent<PendingEvent>[]>): Promise<RelayedBatch> {
    // As in PostgreSQL: an event goes only once every earlier one of its key is published or parked.
    const waitingKeys = new Set<string>();
    const batch = this.store.outbox
      .filter((e) => {
        if (e.publishedAt !== undefined || e.parked) return false;
        const first = !waitingKeys.has(e.event.aggregateId);
        waitingKeys.add(e.event.aggregateId);
        return first && !e.claimed;
      })
      .slice(0, limit);
    if (batch.length === 0) return { published: 0, parked: [] };
    for (const event of batch) {
      event.claimed = true;
      event.attempts += 1;
    }
    try {
      const parked = await publish(batch.map(({ claimed: _claimed, publishedAt: _publishedAt, parked: _parked, ...event }) => event));
      const now = new Date();
      const reasons = new Map(parked.map((p) => [p.event.id, p.reason]));
      for (const event of batch) {
        const reason = reasons.get(event.id);
        if (reason === undefined) event.publishedAt = now;
        else event.parked = { at: now, reason };
      }
      return { published: batch.length - parked.length, parked };
    } finally {
      for (const event of batch) event.claimed = false;
    }
  }

  async backlog(): Promise<OutboxBacklog> {
    const waiting = this.store.outbox.filter((e) => e.publishedAt === undefined && !e.parked);
    const oldest = waiting[0]?.createdAt;
    const parked = this.store.outbox.filter((e) => e.parked).length;
    return { count: waiting.length, ...(oldest ? { oldestCreatedAt: oldest } : {}), parked };
  }

  waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.doorbell.wait(timeoutMs, signal);
  }

  async prune(before: Date, limit: number): Promise<number> {
    const doomed = new Set(this.store.outbox.filter((e) => e.publishedAt !== undefined && e.publishedAt < before).slice(0, limit));
    const kept = this.store.outbox.filter((e) => !doomed.has(e));
    this.store.outbox.splice(0, this.store.outbox.length, ...kept);
    return doomed.size;
  }
}
