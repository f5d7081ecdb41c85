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

  it('replays the webhook delivery to the endpoint its letter names, and not the same event\'s delivery to another endpoint', async () => {
    const order = anOrder();
    const [a, b] = ['ep_aaaaaaaaaaaaaaaaaaaaaaaa', 'ep_bbbbbbbbbbbbbbbbbbbbbbbb'];
    const deliveries = [a, b].map((endpointId) => ({ ...confirmationOf(order), channel: 'webhook' as const, endpointId }));
    await ledger.enqueue(deliveries, {});
    await ledger.claimDue(10, 'dispatcher', 60_000, 'webhook');
    for (const delivery of deliveries) await ledger.markDead(delivery, 'dispatcher', { kind: 'endpoint-rejected', error: 'HTTP 410', attempts: 1 });
    const letter: DeadEvent = { ...deadLetterOf(order), notification: { orderId: order.orderId, kind: 'order-created', channel: 'webhook', endpointId: a } };

    expect(await replay.execute(letter)).to.equal('reset');
    expect((await ledger.stateOf({ orderId: order.orderId, kind: 'order-created', channel: 'webhook', endpointId: a }))?.status).to.equal('failed');
    expect((await ledger.stateOf({ orderId: order.orderId, kind: 'order-created', channel: 'webhook', endpointId: b }))?.status).to.equal('dead');
    const [job] = await ledger.claimDue(10, 'dispatcher', 60_000, 'webhook');
    expect(job?.notification).to.deep.include({ channel: 'webhook', endpointId: a });
  });

  it('leaves an unreadable message as it is', async () => {
    const letter: UnreadableMessage = { ...facts, kind: 'poison', message: { key: 'o-1', value: Buffer.from('not json'), headers: {} } };
    expect(await replay.execute(letter)).to.equal('poison');
  });
});

describe('ReplayDeadLetter: one notification by its key (the admin page)', () => {
  it('replays a webhook delivery by its endpoint, and finds no dead one without it', async () => {
    const ledger = new InMemoryNotificationLedger();
    const replay = new ReplayDeadLetter(ledger, silentLogger());
    const order = anOrder();
    const endpointId = 'ep_0123456789abcdef01234567';
    const delivery = { ...confirmationOf(order), channel: 'webhook' as const, endpointId };
    await ledger.enqueue([delivery], {});
    await ledger.claimDue(1, 'dispatcher', 60_000, 'webhook');
    await ledger.markDead(delivery, 'dispatcher', { kind: 'endpoint-rejected', error: 'HTTP 404', attempts: 1 });

    expect(await replay.forOrder(order.orderId, 'order-created', 'webhook')).to.equal('not-dead');
    expect(await replay.forOrder(order.orderId, 'order-created', 'email', endpointId), 'an email key never finds a delivery').to.equal('not-dead');
    expect(await replay.forOrder(order.orderId, 'order-created', 'webhook', endpointId)).to.equal('reset');
    expect((await ledger.stateOf(delivery))?.status).to.equal('failed');
  });
});
