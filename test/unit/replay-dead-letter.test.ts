import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import type { DeadEvent, UnreadableMessage } from '../../src/application/ports/dead-letters.js';
import { ReplayDeadLetter } from '../../src/application/replay-dead-letter.js';
import { ORDER_CREATED, type OrderCreated } from '../../src/domain/order-created.js';
import { confirmationKey, confirmationOf } from '../support/builders.js';
import { silentLogger } from '../support/logs.js';

const at = new Date('2026-11-24T12:00:00.000Z');
const facts = { reason: '550 no such user', attempts: 1, firstFailedAt: at, lastFailedAt: at } as const;

function anOrder(): OrderCreated {
  return { id: randomUUID(), orderId: `o-${randomUUID().slice(0, 8)}`, itemId: ['sku-1'], email: 'ada@example.com', createdAt: at.toISOString() };
}

const deadLetterOf = (order: OrderCreated, notification = true): DeadEvent => ({
  ...facts,
  kind: 'permanent',
  event: { ...ORDER_CREATED, aggregateId: order.orderId, payload: order },
  metadata: {},
  ...(notification ? { notification: confirmationKey(order.orderId) } : {}),
});

describe('ReplayDeadLetter: a dead letter read back (dlq-replay)', () => {
  let ledger: InMemoryNotificationLedger;
  let replay: ReplayDeadLetter;

  beforeEach(() => {
    ledger = new InMemoryNotificationLedger();
    replay = new ReplayDeadLetter(ledger, silentLogger());
  });

  async function aDeadNotification(): Promise<OrderCreated> {
    const order = anOrder();
    await ledger.claim(confirmationOf(order), {}, 'notifier-a', 60_000);
    await ledger.markDead(confirmationKey(order.orderId), 'notifier-a', { kind: 'recipient-rejected', error: '550 no such user', attempts: 1 });
    return order;
  }

  it("puts the notification it is about back in the retry queue, once: then it is no longer dead", async () => {
    const order = await aDeadNotification();
    expect(await replay.execute(deadLetterOf(order))).to.equal('reset');
    expect((await ledger.stateOf(confirmationKey(order.orderId)))?.status).to.equal('failed');
    expect(await replay.execute(deadLetterOf(order))).to.equal('not-dead');
  });

  it('leaves an event that no notification was attempted for (poison) as it is', async () => {
    const order = await aDeadNotification();
    expect(await replay.execute(deadLetterOf(order, false))).to.equal('poison');
    expect((await ledger.stateOf(confirmationKey(order.orderId)))?.status).to.equal('dead');
  });

  it('leaves an unreadable message as it is', async () => {
    const letter: UnreadableMessage = { ...facts, kind: 'poison', message: { key: 'o-1', value: Buffer.from('not json'), headers: {} } };
    expect(await replay.execute(letter)).to.equal('poison');
  });
});
