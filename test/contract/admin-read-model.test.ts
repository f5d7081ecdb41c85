import { expect } from 'chai';
import { PgAdminReadModel } from '../../src/adapters/postgres/pg-admin-read-model.js';
import { PgNotificationLedger } from '../../src/adapters/postgres/pg-notification-ledger.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { RandomIdGenerator } from '../../src/adapters/system/random-id-generator.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { ChangeOrderStatus } from '../../src/application/change-order-status.js';
import { CreateOrder } from '../../src/application/create-order.js';
import type { NotificationSummary } from '../../src/application/ports/admin-read-model.js';
import type { Notification } from '../../src/domain/notification.js';
import type { Order } from '../../src/domain/order.js';
import { confirmationKey, confirmationOf, statusUpdateOf } from '../support/builders.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';

for (const [name, open] of [
  ['on a PostgreSQL server', () => serverDatabase(4)],
  ['on embedded PGlite', embeddedDatabase],
] as const) {
  describe(`the admin read model: PgAdminReadModel ${name}`, () => {
    let subject: TestDatabase;
    let readModel: PgAdminReadModel;
    let ledger: PgNotificationLedger;
    let createOrder: CreateOrder;
    let changeStatus: ChangeOrderStatus;

    beforeEach(async () => {
      subject = await open();
      const orders = new PgOrderRepository(subject.database);
      readModel = new PgAdminReadModel(subject.database);
      ledger = new PgNotificationLedger(subject.database);
      createOrder = new CreateOrder(orders, new RandomIdGenerator(), new SystemClock());
      changeStatus = new ChangeOrderStatus(orders, new RandomIdGenerator(), new SystemClock());
    });
    afterEach(() => subject.close());

    const newOrder = (orderId: string): Promise<Order> => createOrder.execute({ orderId, itemIds: ['sku-1'], email: 'ada@example.com', correlationId: `c-${orderId}` });
    const confirmationOfOrder = (order: Order): Notification =>
      confirmationOf({ id: order.internalId, orderId: order.orderId, itemId: [...order.itemIds], createdAt: order.createdAt.toISOString(), email: 'ada@example.com' });

    /** An order whose confirmation went out, as the notifier records it. */
    async function confirmedOrder(orderId: string): Promise<Order> {
      const order = await newOrder(orderId);
      await ledger.claim(confirmationOfOrder(order), {}, 'n1', 60_000);
      await ledger.markSent(confirmationKey(orderId), 'n1', `<order-created-${order.internalId}@shop.example>`, 'mail-b.example.com:465');
      return order;
    }

    /** Ships the order and lets its shipping email die. */
    async function deadShippingEmail(order: Order, error = '550 5.2.2 mailbox full'): Promise<void> {
      await changeStatus.execute({ orderId: order.orderId, status: 'shipped', correlationId: `s-${order.orderId}` });
      const shipped = statusUpdateOf(order.orderId, 'shipped', order.internalId);
      expect((await ledger.claim(shipped, {}, 'n1', 60_000)).claimed).to.equal(true);
      await ledger.markDead(shipped, 'n1', { attempts: 3, kind: 'recipient-rejected', error });
    }

    const keys = (list: readonly NotificationSummary[]): string[] => list.map((n) => `${n.orderId} ${n.kind} ${n.channel}`);

    it('lists one row per notification, newest first, with its state, error text, Message-ID and the order\'s status now', async () => {
      const first = await confirmedOrder('L-1');
      await deadShippingEmail(first);
      const dueAt = new Date(Date.now() + 60_000);
      await ledger.claim(confirmationOfOrder(await newOrder('L-2')), {}, 'n1', 60_000);
      await ledger.scheduleRetry(confirmationKey('L-2'), 'n1', { attempts: 1, kind: 'temporary-failure', error: '451 try again later', dueAt });

      const list = await readModel.recentNotifications({}, 50);
      expect(keys(list)).to.deep.equal(['L-2 order-created email', 'L-1 order-shipped email', 'L-1 order-created email']);
      const [failed, dead, sent] = list;
      expect(failed).to.deep.include({ status: 'failed', attempts: 1, lastError: '451 try again later', failureKind: 'temporary-failure', orderStatus: 'created' });
      expect(failed?.nextAttemptAt?.getTime()).to.be.closeTo(dueAt.getTime(), 1000);
      expect(dead).to.deep.include({ status: 'dead', attempts: 3, lastError: '550 5.2.2 mailbox full', failureKind: 'recipient-rejected', orderStatus: 'shipped' });
      expect(dead).not.to.have.any.keys('sentAt', 'messageId', 'provider', 'nextAttemptAt');
      expect(sent).to.deep.include({ status: 'sent', messageId: `<order-created-${first.internalId}@shop.example>`, provider: 'mail-b.example.com:465', orderStatus: 'shipped' });
      expect(sent?.sentAt).to.be.instanceOf(Date);
      expect(sent).not.to.have.any.keys('lastError', 'failureKind');
      for (const n of list) expect(n.createdAt).to.be.instanceOf(Date);
    });

    it('narrows by status, by kind or both, and stops at the limit', async () => {
      await deadShippingEmail(await confirmedOrder('F-1'));
      await confirmedOrder('F-2');
      await deadShippingEmail(await confirmedOrder('F-3'));
      expect(keys(await readModel.recentNotifications({ status: 'dead' }, 50))).to.deep.equal(['F-3 order-shipped email', 'F-1 order-shipped email']);
      expect(keys(await readModel.recentNotifications({ kind: 'order-created' }, 50))).to.deep.equal(['F-3 order-created email', 'F-2 order-created email', 'F-1 order-created email']);
      expect(keys(await readModel.recentNotifications({ status: 'sent', kind: 'order-shipped' }, 50))).to.deep.equal([]);
      expect(keys(await readModel.recentNotifications({ status: 'dead', kind: 'order-shipped' }, 1))).to.deep.equal(['F-3 order-shipped email']);
      expect(await readModel.recentNotifications({}, 2)).to.have.length(2);
    });

    it('lists a notification whose order is not in this database, without an order status', async () => {
      const orphan = statusUpdateOf('elsewhere-1', 'delivered');
      await ledger.claim(orphan, {}, 'n1', 60_000);
      const [row] = await readModel.recentNotifications({}, 50);
      expect(row).to.deep.include({ orderId: 'elsewhere-1', kind: 'order-delivered', status: 'sending' });
      expect(row).not.to.have.property('orderStatus');
    });

    it('names the kind and channel of each dead letter, the most recently failed first', async () => {
      await deadShippingEmail(await confirmedOrder('D-1'), '550 first');
      const confirmation = confirmationOfOrder(await newOrder('D-2'));
      await ledger.claim(confirmation, {}, 'n1', 60_000);
      await ledger.markDead(confirmation, 'n1', { attempts: 1, kind: 'poison', error: 'the template threw' });
      const letters = await readModel.deadLetters(50);
      expect(letters.map((d) => ({ orderId: d.orderId, kind: d.kind, channel: d.channel, lastError: d.lastError, failureKind: d.failureKind }))).to.deep.equal([
        { orderId: 'D-2', kind: 'order-created', channel: 'email', lastError: 'the template threw', failureKind: 'poison' },
        { orderId: 'D-1', kind: 'order-shipped', channel: 'email', lastError: '550 first', failureKind: 'recipient-rejected' },
      ]);
      for (const letter of letters) expect(letter.failedAt).to.be.instanceOf(Date);
    });

    it('names the endpoint of each webhook delivery, in the list and the dead letters, and narrows the list by channel', async () => {
      const order = await confirmedOrder('W-1');
      const [a, b] = ['ep_aaaaaaaaaaaaaaaaaaaaaaaa', 'ep_bbbbbbbbbbbbbbbbbbbbbbbb'];
      const deliveries = [a, b].map((endpointId): Notification => ({ ...confirmationOfOrder(order), channel: 'webhook', endpointId }));
      await ledger.enqueue(deliveries, {});
      await ledger.claimDue(10, 'w1', 60_000, 'webhook');
      await ledger.markSent(deliveries[0] as Notification, 'w1', 'msg_a');
      await ledger.markDead(deliveries[1] as Notification, 'w1', { attempts: 1, kind: 'endpoint-rejected', error: 'HTTP 410 Gone' });

      const list = await readModel.recentNotifications({}, 50);
      expect(list.map((n) => [n.orderId, n.kind, n.channel, n.endpointId, n.status])).to.deep.equal([
        ['W-1', 'order-created', 'webhook', b, 'dead'],
        ['W-1', 'order-created', 'webhook', a, 'sent'],
        ['W-1', 'order-created', 'email', undefined, 'sent'],
      ]);
      expect(list[2]).not.to.have.property('endpointId');
      expect(list[1]).to.deep.include({ messageId: 'msg_a', orderStatus: 'created' }).and.not.to.have.property('provider');
      expect(keys(await readModel.recentNotifications({ channel: 'email' }, 50))).to.deep.equal(['W-1 order-created email']);
      expect((await readModel.recentNotifications({ channel: 'webhook', status: 'dead' }, 50)).map((n) => n.endpointId)).to.deep.equal([b]);
      expect(await readModel.recentNotifications({ channel: 'webhook', kind: 'order-shipped' }, 50)).to.deep.equal([]);

      const [letter] = await readModel.deadLetters(50);
      expect(letter).to.deep.include({ orderId: 'W-1', kind: 'order-created', channel: 'webhook', endpointId: b, failureKind: 'endpoint-rejected', lastError: 'HTTP 410 Gone' });
      const activity = await readModel.activity();
      expect(activity, 'webhook deliveries are not emails').to.deep.include({ emailsLastMinute: 1, webhooksLastMinute: 1 });
      expect(activity.byKind[0]).to.deep.equal({ kind: 'order-created', sentLastMinute: 2, dead: 1 });
    });

    it('counts the last minute\'s sent notifications and the dead ones by kind, every kind listed', async () => {
      await deadShippingEmail(await confirmedOrder('C-1'));
      await confirmedOrder('C-2');
      const activity = await readModel.activity();
      expect(activity.byKind).to.deep.equal([
        { kind: 'order-created', sentLastMinute: 2, dead: 0 },
        { kind: 'order-shipped', sentLastMinute: 0, dead: 1 },
        { kind: 'order-delivered', sentLastMinute: 0, dead: 0 },
        { kind: 'order-cancelled', sentLastMinute: 0, dead: 0 },
      ]);
      expect(activity).to.deep.include({ ordersLastMinute: 2, emailsLastMinute: 2, webhooksLastMinute: 0 });
    });
  });
}
