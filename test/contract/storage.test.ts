import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryOutbox } from '../../src/adapters/memory/in-memory-outbox.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { PgOutbox } from '../../src/adapters/postgres/pg-outbox.js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { MIGRATIONS, migrate } from '../../src/adapters/postgres/migrations.js';
import type { PendingEvent } from '../../src/application/ports/outbox.js';
import { embeddedDatabase, serverDatabase, UNMIGRATED_DATABASES, type TestDatabase } from '../support/databases.js';
import { silentLogger } from '../support/logs.js';
import { anEvent, anOrderNamed, metadataOf, orderRepositoryContract, type StorageSubject } from './order-repository.contract.js';
import { outboxContract } from './outbox.contract.js';

const inMemory = async (): Promise<StorageSubject> => {
  const store = new InMemoryStore();
  return { orders: new InMemoryOrderRepository(store), outbox: new InMemoryOutbox(store), close: async () => undefined };
};

const onDatabase = (open: () => Promise<TestDatabase>) => async (): Promise<StorageSubject> => {
  const { database, close } = await open();
  const outbox = new PgOutbox(database, silentLogger());
  return {
    orders: new PgOrderRepository(database),
    outbox,
    close: async () => {
      await outbox.close();
      await close();
    },
  };
};

const postgres = onDatabase(serverDatabase);
const embedded = onDatabase(embeddedDatabase);

for (const [name, makeSubject] of [
  ['InMemoryOrderRepository', inMemory],
  ['PgOrderRepository on a PostgreSQL server', postgres],
  ['PgOrderRepository on embedded PGlite', embedded],
] as const) {
  describe(`OrderRepository contract: ${name}`, () => orderRepositoryContract(makeSubject));
}

for (const [name, makeSubject, concurrentRelays] of [
  ['InMemoryOutbox', inMemory, true],
  ['PgOutbox on a PostgreSQL server', postgres, true],
  ['PgOutbox on embedded PGlite', embedded, false],
] as const) {
  describe(`Outbox contract: ${name}`, () => outboxContract(makeSubject, { concurrentRelays }));
}

const unmigrated = UNMIGRATED_DATABASES;

for (const [name, open] of Object.entries(unmigrated)) {
  describe(`Migration 9 on ${name}: outbox rows become domain events`, () => {
    it('keeps unpublished and parked rows, their version and correlation id, and relays them as events', async () => {
      const { database, close } = await open();
      const outbox = new PgOutbox(database, silentLogger());
      try {
        await migrate(database, MIGRATIONS.filter((m) => m.version < 9));
        const row = (key: string, headers: object) => [key, JSON.stringify({ orderId: key }), JSON.stringify(headers)];
        await database.query(
          `INSERT INTO outbox (topic, key, payload, headers, published_at, parked_at, parked_reason) VALUES
             ('order-created', $1, $2, $3, NULL, NULL, NULL),
             ('order-created', $4, $5, $6, NULL, now(), 'MESSAGE_TOO_LARGE'),
             ('order-created', $7, $8, $9, now(), NULL, NULL),
             ('order-created', $10, $11, $12, NULL, NULL, NULL)`,
          [
            ...row('waiting', { 'schema-version': '1', 'correlation-id': 'c-waiting', 'content-type': 'application/json' }),
            ...row('parked', { 'schema-version': '1', 'correlation-id': 'c-parked' }),
            ...row('published', { 'schema-version': '1' }),
            ...row('bare', {}),
          ],
        );
        expect(await migrate(database)).to.include(9);
        expect(await outbox.backlog()).to.deep.include({ count: 2, parked: 1 });
        const seen: PendingEvent[] = [];
        await outbox.relay(10, async (events) => (seen.push(...events), []));
        expect(seen.map(({ event, metadata }) => ({ event, metadata }))).to.deep.equal([
          { event: { type: 'order.created', version: 1, aggregateId: 'waiting', payload: { orderId: 'waiting' } }, metadata: { correlationId: 'c-waiting' } },
          { event: { type: 'order.created', version: 1, aggregateId: 'bare', payload: { orderId: 'bare' } }, metadata: {} },
        ]);
        const { rows } = await database.query<{ key: string; metadata: object }>(`SELECT key, metadata FROM outbox WHERE parked_at IS NOT NULL`);
        expect(rows).to.deep.equal([{ key: 'parked', metadata: { correlationId: 'c-parked' } }]);
      } finally {
        await outbox.close();
        await close();
      }
    });
  });
}

for (const [name, open] of [
  ['a PostgreSQL server', serverDatabase],
  ['embedded PGlite', embeddedDatabase],
] as const) {
  describe(`The outbox during a rolling deploy, on ${name}`, () => {
    it('fills the envelope columns a relay of the previous version reads: the configured topic and its headers', async () => {
      const { database, close } = await open();
      try {
        await new PgOrderRepository(database, 'shop.orders').add(anOrderNamed('R-1'), [anEvent('R-1')], metadataOf('R-1'));
        const { rows } = await database.query<{ topic: string; headers: Record<string, string> }>(`SELECT topic, headers FROM outbox WHERE key = 'R-1'`);
        expect(rows).to.deep.equal([{ topic: 'shop.orders', headers: { 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': 'c-R-1' } }]);
      } finally {
        await close();
      }
    });

    it('names the event type in the headers of a status change, so consumers of the previous version tell it from an order.created', async () => {
      const { database, close } = await open();
      try {
        const repository = new PgOrderRepository(database, 'shop.orders');
        await repository.add(anOrderNamed('R-2'), [], {});
        const order = await repository.findByOrderId('R-2');
        const outcome = order?.changeStatus({ status: 'shipped' }, randomUUID(), new Date());
        if (!order || !outcome?.changed) throw new Error('no change');
        await repository.saveStatusChange(order, outcome.change, order.pullEvents(), metadataOf('R-2'));
        const { rows } = await database.query<{ topic: string; headers: Record<string, string> }>(`SELECT topic, headers FROM outbox WHERE key = 'R-2'`);
        expect(rows).to.deep.equal([
          { topic: 'shop.orders', headers: { 'event-type': 'order.status-changed', 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': 'c-R-2' } },
        ]);
      } finally {
        await close();
      }
    });
  });
}
