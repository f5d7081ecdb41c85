import { expect } from 'chai';
import type { PendingEvent } from '../../src/application/ports/outbox.js';
import { anEvent, anOrderNamed, type StorageSubject } from './order-repository.contract.js';

/** What every Outbox must do: at-least-once hand-over, never two relays on one event. */
export function outboxContract(makeSubject: () => Promise<StorageSubject>): void {
  let subject: StorageSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(async () => {
    await subject.close();
  });

  async function addOrders(count: number, prefix = 'ob'): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    for (const id of ids) await subject.orders.add(anOrderNamed(id), [anEvent(id)]);
    return ids;
  }

  it('hands pending events over in commit order and then considers them published', async () => {
    const ids = await addOrders(5);
    const seen: PendingEvent[] = [];
    const published = await subject.outbox.relay(10, async (events) => {
      seen.push(...events);
    });
    expect(published).to.equal(5);
    expect(seen.map((e) => e.key)).to.deep.equal(ids);
    expect(seen[0]?.headers['correlation-id']).to.equal('c-ob-0');
    expect(seen[0]?.payload).to.deep.equal({ orderId: 'ob-0' });
    expect((await subject.outbox.backlog()).count).to.equal(0);
    expect(await subject.outbox.relay(10, async () => undefined)).to.equal(0);
  });

  it('hands over at most the batch size', async () => {
    await addOrders(5);
    expect(await subject.outbox.relay(2, async () => undefined)).to.equal(2);
    expect((await subject.outbox.backlog()).count).to.equal(3);
  });

  it('keeps events pending when publishing fails, for the next try', async () => {
    await addOrders(3);
    const failure = await subject.outbox.relay(10, async () => Promise.reject(new Error('broker down'))).catch((e: Error) => e);
    expect(failure).to.be.instanceOf(Error);
    expect((await subject.outbox.backlog()).count).to.equal(3);
    const retried: PendingEvent[] = [];
    expect(await subject.outbox.relay(10, async (events) => void retried.push(...events))).to.equal(3);
    expect(retried.map((e) => e.attempts), 'the failed try is counted').to.deep.equal([2, 2, 2]);
  });

  it('never hands the same event to two concurrent relays', async () => {
    await addOrders(40);
    const handed: string[] = [];
    const slowPublish = async (events: readonly PendingEvent[]): Promise<void> => {
      handed.push(...events.map((e) => e.key));
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const relays = await Promise.all(Array.from({ length: 4 }, () => subject.outbox.relay(10, slowPublish)));
    expect(relays.reduce((a, b) => a + b, 0)).to.equal(handed.length);
    expect(new Set(handed).size).to.equal(handed.length);
    expect(relays.filter((n) => n > 0).length, 'more than one relay got a batch').to.be.greaterThan(1);
    expect((await subject.outbox.backlog()).count).to.equal(40 - handed.length);
  });

  it('reports the backlog and the age of its oldest event', async () => {
    expect(await subject.outbox.backlog()).to.deep.equal({ count: 0 });
    await addOrders(2);
    const backlog = await subject.outbox.backlog();
    expect(backlog.count).to.equal(2);
    expect(backlog.oldestCreatedAt).to.be.instanceOf(Date);
  });

  it('wakes a waiting relay when an event is committed, well before the poll interval', async () => {
    const stop = new AbortController();
    await subject.outbox.waitForEvents(50, stop.signal); // lets the adapter set up its wake-up channel
    const woke = subject.outbox.waitForEvents(30_000, stop.signal).then(() => 'woken');
    const stillWaiting = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000));
    await addOrders(1, 'wake');
    expect(await Promise.race([woke, stillWaiting])).to.equal('woken');
    stop.abort();
  });
}
