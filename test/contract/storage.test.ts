import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryOutbox } from '../../src/adapters/memory/in-memory-outbox.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { PgOutbox } from '../../src/adapters/postgres/pg-outbox.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';
import { silentLogger } from '../support/logs.js';
import { orderRepositoryContract, type StorageSubject } from './order-repository.contract.js';
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

for (const [name, makeSubject] of [
  ['InMemoryOutbox', inMemory],
  ['PgOutbox on a PostgreSQL server', postgres],
  ['PgOutbox on embedded PGlite', embedded],
] as const) {
  describe(`Outbox contract: ${name}`, () => outboxContract(makeSubject));
}
