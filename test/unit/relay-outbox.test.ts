import { expect } from 'chai';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { InMemoryEventPublisher } from '../../src/adapters/memory/in-memory-event-publisher.js';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryOutbox } from '../../src/adapters/memory/in-memory-outbox.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { NO_METRICS } from '../../src/application/ports/metrics.js';
import { RelayOutbox } from '../../src/application/relay-outbox.js';
import { Order } from '../../src/domain/order.js';
import { capturingLogger } from '../support/logs.js';

const OPTIONS = { batchSize: 10, pollIntervalMs: 50, minBackoffMs: 10, maxBackoffMs: 50 };

function setUp(options: Partial<typeof OPTIONS & { retentionMs: number }> = {}) {
  const store = new InMemoryStore();
  const orders = new InMemoryOrderRepository(store);
  const outbox = new InMemoryOutbox(store);
  const publisher = new InMemoryEventPublisher();
  const { logger, lines } = capturingLogger();
  let parked = 0;
  const metrics = { ...NO_METRICS, eventParked: () => void (parked += 1) };
  const relay = new RelayOutbox(outbox, publisher, new SystemClock(), logger, { ...OPTIONS, ...options }, metrics);
  const add = async (orderId: string) => {
    const order = Order.create({ orderId, itemIds: ['sku'] }, `id-${orderId}`, new Date());
    await orders.add(order, [{ type: 'order.created', version: 1, aggregateId: orderId, payload: { orderId } }], {});
  };
  return { store, outbox, publisher, relay, lines, add, parkedCount: () => parked };
}

describe('RelayOutbox', () => {
  it('parks an event the broker refuses for good, alerts and counts it, and publishes the events behind it', async () => {
    const { publisher, relay, lines, add, outbox, parkedCount } = setUp();
    publisher.refuse = ({ event }) => (event.aggregateId === 'B' ? 'MESSAGE_TOO_LARGE: 2000000 bytes to topic order-created' : undefined);
    for (const id of ['A', 'B', 'C']) await add(id);
    expect(await relay.execute()).to.equal(3);
    expect(publisher.published.map((e) => e.event.aggregateId)).to.deep.equal(['A', 'C']);
    expect(parkedCount()).to.equal(1);
    const alert = lines.find((l) => l.level === 'error' && l.alert === true);
    expect(alert).to.deep.include({ key: 'B', type: 'order.created', version: 1, reason: 'MESSAGE_TOO_LARGE: 2000000 bytes to topic order-created' });
    expect(await outbox.backlog()).to.deep.equal({ count: 0, parked: 1 });
    await add('D');
    expect(await relay.execute(), 'the parked event is not tried again').to.equal(1);
    expect(publisher.published.map((e) => e.event.aggregateId)).to.deep.equal(['A', 'C', 'D']);
  });

  it('deletes published events past the retention, and only those', async () => {
    const { store, relay, add } = setUp({ retentionMs: 60_000 });
    for (const id of ['old-1', 'old-2', 'new-1']) await add(id);
    await relay.execute();
    await add('pending');
    for (const event of store.outbox.filter((e) => e.event.aggregateId.startsWith('old'))) event.publishedAt = new Date(Date.now() - 120_000);
    expect(await relay.prune()).to.equal(2);
    expect(store.outbox.map((e) => e.event.aggregateId)).to.deep.equal(['new-1', 'pending']);
  });

  it('keeps every published event when no retention is set', async () => {
    const { store, relay, add } = setUp();
    await add('A');
    await relay.execute();
    for (const event of store.outbox) event.publishedAt = new Date(0);
    expect(await relay.prune()).to.equal(0);
    expect(store.outbox).to.have.length(1);
  });

  it('finds an event whose wake-up was lost within the poll interval, by its timer alone, under garbage collection', async () => {
    const { store, relay, publisher, add } = setUp({ pollIntervalMs: 200 });
    const stop = new AbortController();
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'mocha runs with --expose-gc (.mocharc.json)').to.be.a('function');
    const collector = setInterval(() => gc?.(), 2);
    const running = relay.run(stop.signal);
    try {
      await add('burst');
      await new Promise((resolve) => setTimeout(resolve, 100)); // the relay publishes it and waits again
      // Stored without a wake-up, as when a NOTIFY is lost with its listener: only the timer can find it.
      store.outbox.push({ event: { type: 'order.created', version: 1, aggregateId: 'silent', payload: {} }, metadata: {}, id: 'silent', createdAt: new Date(), attempts: 0, claimed: false });
      const stored = Date.now();
      while (!publisher.published.some((e) => e.event.aggregateId === 'silent') && Date.now() - stored < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(publisher.published.map((e) => e.event.aggregateId)).to.deep.equal(['burst', 'silent']);
      expect(Date.now() - stored, 'found within the poll interval plus a margin').to.be.below(200 + 1000);
    } finally {
      clearInterval(collector);
      stop.abort();
      await running;
    }
  });
});
