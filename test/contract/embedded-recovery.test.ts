import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { PgDeadLetters } from '../../src/adapters/postgres/pg-dead-letters.js';
import { PgNotificationLedger } from '../../src/adapters/postgres/pg-notification-ledger.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { requeueUnclaimedEvents } from '../../src/adapters/postgres/embedded-recovery.js';
import { Order } from '../../src/domain/order.js';
import { orderCreated } from '../../src/domain/order-created.js';
import { confirmationOf, statusUpdateOf } from '../support/builders.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';

/** The single-process mode's recovery of events its in-memory channel lost with the process. */
for (const [name, open] of [
  ['a PostgreSQL server', serverDatabase],
  ['embedded PGlite', embeddedDatabase],
] as const) {
  describe(`Recovering the in-process channel's events on ${name}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await open();
    });
    afterEach(() => db.close());

    async function publishedOrder(orderId: string): Promise<Order> {
      const order = Order.create({ orderId, itemIds: ['sku-1'], email: 'ada@example.com' }, randomUUID(), new Date('2026-11-25T08:00:00.000Z'));
      await new PgOrderRepository(db.database).add(order, order.pullEvents(), {});
      const stored = await new PgOrderRepository(db.database).findByOrderId(orderId);
      if (!stored) throw new Error('not stored');
      const outcome = stored.changeStatus({ status: 'shipped' }, randomUUID(), new Date('2026-11-25T09:00:00.000Z'));
      if (!outcome.changed) throw new Error('no change');
      await new PgOrderRepository(db.database).saveStatusChange(stored, outcome.change, stored.pullEvents(), {});
      await db.database.query('UPDATE outbox SET published_at = now() WHERE key = $1', [orderId]);
      return order;
    }

    it('relays again the events whose notification never reached the ledger, and only those', async () => {
      const handled = await publishedOrder('R-1');
      await publishedOrder('R-2');
      const ledger = new PgNotificationLedger(db.database);
      await ledger.claim(confirmationOf(orderCreated(handled)), {}, 'a', 60_000);
      await ledger.claim(statusUpdateOf('R-1', 'shipped', handled.internalId), {}, 'a', 60_000);
      expect(await requeueUnclaimedEvents(db.database)).to.equal(2);
      const { rows } = await db.database.query<{ key: string; type: string }>('SELECT key, type FROM outbox WHERE published_at IS NULL ORDER BY id');
      expect(rows.map((r) => `${r.key}:${r.type}`)).to.deep.equal(['R-2:order.created', 'R-2:order.status-changed']);
    });

    it("leaves an event that was dead-lettered before it reached the ledger where it is: it is an operator's now", async () => {
      const order = await publishedOrder('R-3');
      const { rows } = await db.database.query<{ type: string; version: number; payload: object }>("SELECT type, version, payload FROM outbox WHERE key = 'R-3' AND type = 'order.created'");
      const [row] = rows;
      if (!row) throw new Error('no outbox row');
      const now = new Date();
      await new PgDeadLetters(db.database).publish({
        event: { type: row.type, version: row.version, aggregateId: order.orderId, payload: row.payload },
        metadata: {},
        reason: 'postgres refused the data (SQLSTATE 22021)',
        kind: 'poison',
        attempts: 1,
        firstFailedAt: now,
        lastFailedAt: now,
      });
      // Its status change never reached the ledger either, and was not dead-lettered: that one goes again.
      expect(await requeueUnclaimedEvents(db.database)).to.equal(1);
      const again = await db.database.query<{ type: string }>("SELECT type FROM outbox WHERE key = 'R-3' AND published_at IS NULL");
      expect(again.rows.map((r) => r.type)).to.deep.equal(['order.status-changed']);
    });
  });
}
