import pg from 'pg';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryOutbox } from '../../src/adapters/memory/in-memory-outbox.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { migrate } from '../../src/adapters/postgres/migrations.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { PgOutbox } from '../../src/adapters/postgres/pg-outbox.js';
import { createTestDatabase } from '../support/postgres.js';
import { silentLogger } from '../support/logs.js';
import { orderRepositoryContract, type StorageSubject } from './order-repository.contract.js';
import { outboxContract } from './outbox.contract.js';

const inMemory = async (): Promise<StorageSubject> => {
  const store = new InMemoryStore();
  return { orders: new InMemoryOrderRepository(store), outbox: new InMemoryOutbox(store), close: async () => undefined };
};

const postgres = async (): Promise<StorageSubject> => {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 20 });
  pool.on('error', () => undefined); // connections cut when the test database is dropped
  await migrate(pool);
  const outbox = new PgOutbox(pool, database.url, silentLogger());
  return {
    orders: new PgOrderRepository(pool),
    outbox,
    close: async () => {
      await outbox.close();
      await pool.end();
      await database.drop();
    },
  };
};

for (const [name, makeSubject] of [
  ['InMemoryOrderRepository', inMemory],
  ['PgOrderRepository', postgres],
] as const) {
  describe(`OrderRepository contract: ${name}`, () => orderRepositoryContract(makeSubject));
}

for (const [name, makeSubject] of [
  ['InMemoryOutbox', inMemory],
  ['PgOutbox', postgres],
] as const) {
  describe(`Outbox contract: ${name}`, () => outboxContract(makeSubject));
}
