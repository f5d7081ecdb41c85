import { once } from 'node:events';
import type { Outbox, OutboxBacklog, PendingEvent } from '../../application/ports/outbox.js';
import type { InMemoryStore } from './in-memory-store.js';

export class InMemoryOutbox implements Outbox {
  constructor(private readonly store: InMemoryStore) {}

  async relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<void>): Promise<number> {
    const batch = this.store.outbox.filter((e) => e.publishedAt === undefined && !e.claimed).slice(0, limit);
    if (batch.length === 0) return 0;
    for (const event of batch) {
      event.claimed = true;
      event.attempts += 1;
    }
    try {
      await publish(batch.map(({ claimed: _claimed, publishedAt: _publishedAt, ...event }) => event));
      const publishedAt = new Date();
      for (const event of batch) event.publishedAt = publishedAt;
      return batch.length;
    } finally {
      for (const event of batch) event.claimed = false;
    }
  }

  async backlog(): Promise<OutboxBacklog> {
    const waiting = this.store.outbox.filter((e) => e.publishedAt === undefined);
    const oldest = waiting[0]?.createdAt;
    return { count: waiting.length, ...(oldest ? { oldestCreatedAt: oldest } : {}) };
  }

  async waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    await once(this.store.changes, 'outbox', { signal: timeout }).catch(() => undefined);
  }
}
