import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { RejectedEvent } from '../../src/application/ports/event-publisher.js';
import type { PendingEvent } from '../../src/application/ports/outbox.js';
import { anEvent, anOrderNamed, metadataOf, type StorageSubject } from './order-repository.contract.js';

const takeAll = async (): Promise<readonly RejectedEvent<PendingEvent>[]> => [];

/** What every Outbox must do: at-least-once hand-over, never two relays on one event, nothing stuck behind a refused one. */
export function outboxContract(
  makeSubject: () => Promise<StorageSubject>,
  /** Whether two relays can hold claims at once: not on PGlite, whose one connection serialises them (the embedded mode runs one relay). */
  capabilities: { readonly concurrentRelays: boolean } = { concurrentRelays: true },
): void {
  let subject: StorageSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(async () => {
    await subject.close();
  });

  async function addOrders(count: number, prefix = 'ob'): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    for (const id of ids) await subject.orders.add(anOrderNamed(id), [anEvent(id)], metadataOf(id));
    return ids;
  }

  it('hands pending events over in commit order, each with its type, version, key, payload and metadata, and then considers them published', async () => {
    const ids = await addOrders(5);
    const seen: PendingEvent[] = [];
    const batch = await subject.outbox.relay(10, async (events) => {
      seen.push(...events);
      return [];
    });
    expect(batch).to.deep.equal({ published: 5, parked: [] });
    expect(seen.map((e) => e.event.aggregateId)).to.deep.equal(ids);
    expect(seen[0]?.metadata).to.deep.equal({ correlationId: 'c-ob-0' });
    expect(seen[0]?.event).to.deep.equal({ type: 'order.created', version: 1, aggregateId: 'ob-0', payload: { orderId: 'ob-0' } });
    expect((await subject.outbox.backlog()).count).to.equal(0);
    expect((await subject.outbox.relay(10, takeAll)).published).to.equal(0);
  });

  it('hands over at most the batch size', async () => {
    await addOrders(5);
    expect((await subject.outbox.relay(2, takeAll)).published).to.equal(2);
    expect((await subject.outbox.backlog()).count).to.equal(3);
  });

  it('keeps events pending when publishing fails, for the next try', async () => {
    await addOrders(3);
    const failure = await subject.outbox.relay(10, async () => Promise.reject(new Error('broker down'))).catch((e: Error) => e);
    expect(failure).to.be.instanceOf(Error);
    expect((await subject.outbox.backlog()).count).to.equal(3);
    const retried: PendingEvent[] = [];
    const batch = await subject.outbox.relay(10, async (events) => {
      retried.push(...events);
      return [];
    });
    expect(batch.published).to.equal(3);
    expect(retried.map((e) => e.attempts), 'the failed try is counted').to.deep.equal([2, 2, 2]);
  });

  it('parks the events the broker refused for good, publishes the rest, and never hands a parked one over again', async () => {
    await addOrders(5, 'park');
    const batch = await subject.outbox.relay(10, async (events) =>
      events.filter((e) => e.event.aggregateId === 'park-1' || e.event.aggregateId === 'park-3').map((event) => ({ event, reason: 'MESSAGE_TOO_LARGE: 2000000 bytes' })),
    );
    expect(batch.published).to.equal(3);
    expect(batch.parked.map((p) => [p.event.event.aggregateId, p.reason])).to.deep.equal([
      ['park-1', 'MESSAGE_TOO_LARGE: 2000000 bytes'],
      ['park-3', 'MESSAGE_TOO_LARGE: 2000000 bytes'],
    ]);
    expect(await subject.outbox.backlog()).to.deep.equal({ count: 0, parked: 2 });
    await addOrders(1, 'after');
    const next: string[] = [];
    await subject.outbox.relay(10, async (events) => {
      next.push(...events.map((e) => e.event.aggregateId));
      return [];
    });
    expect(next, 'the events behind the parked ones go on; the parked ones stay put').to.deep.equal(['after-0']);
  });

  it('never hands the same event to two concurrent relays', async () => {
    await addOrders(40);
    const handed: string[] = [];
    const slowPublish = async (events: readonly PendingEvent[]): Promise<readonly RejectedEvent<PendingEvent>[]> => {
      handed.push(...events.map((e) => e.event.aggregateId));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return [];
    };
    const relays = await Promise.all(Array.from({ length: 4 }, () => subject.outbox.relay(10, slowPublish)));
    expect(relays.reduce((sum, batch) => sum + batch.published, 0)).to.equal(handed.length);
    expect(new Set(handed).size).to.equal(handed.length);
    expect(relays.filter((batch) => batch.published > 0).length, 'more than one relay got a batch').to.be.greaterThan(1);
    expect((await subject.outbox.backlog()).count).to.equal(40 - handed.length);
  });

  if (capabilities.concurrentRelays) it("never lets a relay take an event while an earlier one of its order waits, even one another relay is publishing", async () => {
    await subject.orders.add(anOrderNamed('k-1', 'ada@example.com'), [anEvent('k-1')], metadataOf('k-1'));
    const order = await subject.orders.findByOrderId('k-1');
    if (!order) throw new Error('not stored');
    const outcome = order.changeStatus({ status: 'shipped' }, randomUUID(), new Date('2026-11-25T08:00:00.000Z'));
    if (!outcome.changed) throw new Error('no change');
    await subject.orders.saveStatusChange(order, outcome.change, order.pullEvents(), metadataOf('k-1'));
    await addOrders(1, 'other');
    const published: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstClaimed!: () => void;
    const claimed = new Promise<void>((resolve) => {
      firstClaimed = resolve;
    });
    // Relay A takes the order's first event and is slow to publish it.
    const relayA = subject.outbox.relay(1, async (events) => {
      firstClaimed();
      await firstHeld;
      published.push(...events.map((e) => `${e.event.aggregateId}:${e.event.type}`));
      return [];
    });
    await claimed;
    // Relay B runs meanwhile: it may take the other order, never the status change of k-1.
    await subject.outbox.relay(10, async (events) => {
      published.push(...events.map((e) => `${e.event.aggregateId}:${e.event.type}`));
      return [];
    });
    releaseFirst();
    await relayA;
    await subject.outbox.relay(10, async (events) => {
      published.push(...events.map((e) => `${e.event.aggregateId}:${e.event.type}`));
      return [];
    });
    expect(published).to.deep.equal(['other-0:order.created', 'k-1:order.created', 'k-1:order.status-changed']);
  });

  it('reports the backlog and the age of its oldest event', async () => {
    expect(await subject.outbox.backlog()).to.deep.equal({ count: 0, parked: 0 });
    await addOrders(2);
    const backlog = await subject.outbox.backlog();
    expect(backlog.count).to.equal(2);
    expect(backlog.oldestCreatedAt).to.be.instanceOf(Date);
  });

  it('deletes published events older than the retention, a batch at a time, and keeps pending and parked ones', async () => {
    await addOrders(5, 'old');
    await subject.outbox.relay(10, async (events) => events.filter((e) => e.event.aggregateId === 'old-4').map((event) => ({ event, reason: 'INVALID_RECORD' })));
    await addOrders(2, 'pending');
    const future = new Date(Date.now() + 60_000);
    expect(await subject.outbox.prune(new Date(Date.now() - 60_000), 100), 'nothing is old enough yet').to.equal(0);
    expect(await subject.outbox.prune(future, 3)).to.equal(3);
    expect(await subject.outbox.prune(future, 3)).to.equal(1);
    expect(await subject.outbox.prune(future, 3)).to.equal(0);
    expect(await subject.outbox.backlog()).to.deep.include({ count: 2, parked: 1 });
  });

  it('wakes a waiting relay when an event is committed, well before the poll interval', async () => {
    const stop = new AbortController();
    await subject.outbox.waitForEvents(50, stop.signal); // lets the adapter set up its wake-up channel
    await subject.outbox.waitForEvents(50, stop.signal);
    const woke = subject.outbox.waitForEvents(30_000, stop.signal).then(() => 'woken');
    const stillWaiting = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000));
    await addOrders(1, 'wake');
    expect(await Promise.race([woke, stillWaiting])).to.equal('woken');
    stop.abort();
  });

  it('remembers an event committed while the relay was busy: the next wait returns at once', async () => {
    const stop = new AbortController();
    await subject.outbox.waitForEvents(50, stop.signal);
    await subject.outbox.waitForEvents(50, stop.signal);
    await addOrders(1, 'busy'); // nobody is waiting: the relay is publishing
    await new Promise((resolve) => setTimeout(resolve, 300)); // the notification arrives meanwhile
    const started = Date.now();
    await subject.outbox.waitForEvents(30_000, stop.signal);
    expect(Date.now() - started).to.be.below(5000);
    stop.abort();
  });

  it('ends a wait after its timeout with nothing else to wake it, even under garbage collection', async () => {
    const stop = new AbortController();
    // The listener's (re)connection rings by design (what was committed meanwhile announced itself to no one): on a
    // busy machine it can come after a first short wait. Waits until one runs its whole course, so none is pending.
    for (let tries = 0; tries < 100; tries++) {
      const started = Date.now();
      await subject.outbox.waitForEvents(50, stop.signal);
      if (Date.now() - started >= 45) break;
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    const collector = setInterval(() => gc?.(), 5);
    try {
      const started = Date.now();
      await subject.outbox.waitForEvents(200, stop.signal);
      expect(Date.now() - started).to.be.within(150, 5000);
    } finally {
      clearInterval(collector);
      stop.abort();
    }
  });
}
