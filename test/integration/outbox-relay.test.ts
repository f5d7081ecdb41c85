import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { NodePgDatabase } from '../../src/adapters/postgres/sql-database.js';
import { silentLogger } from '../support/logs.js';
import { migrate } from '../../src/adapters/postgres/migrations.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { RandomIdGenerator } from '../../src/adapters/system/random-id-generator.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { CreateOrder } from '../../src/application/create-order.js';
import { ensureKafka, kafkaScript } from '../support/kafka.js';
import { createTestDatabase } from '../support/postgres.js';
import { eventually, startRole, type RunningProcess } from '../support/processes.js';

/** Counts the messages on a topic by key, reading until `expected` distinct keys arrived and the topic's end. */
async function countByKey(brokers: string, topic: string, expected: number, timeoutMs = 60_000): Promise<Map<string, number>> {
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const total = ends.reduce((sum, p) => sum + Number(p.high), 0);
  const counts = new Map<string, number>();
  let seen = 0;
  const consumer = kafka.consumer({ groupId: `count-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen} of ${total} messages (${counts.size} of ${expected} orders) from ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          counts.set(key, (counts.get(key) ?? 0) + 1);
          seen += 1;
          if (seen >= total && counts.size >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

describe('The outbox relay against real PostgreSQL and Kafka', function () {
  this.timeout(180_000);
  let database: { url: string; drop: () => Promise<void> };
  let pool: NodePgDatabase;
  const running: RunningProcess[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    pool = new NodePgDatabase({ connectionString: database.url, max: 10, logger: silentLogger() });
    await migrate(pool);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
    await pool.end();
    await database.drop();
  });

  async function acceptOrders(count: number): Promise<string[]> {
    const createOrder = new CreateOrder(new PgOrderRepository(pool), new RandomIdGenerator(), new SystemClock());
    const ids = Array.from({ length: count }, (_, i) => `relay-${i}-${randomUUID().slice(0, 6)}`);
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(ids.slice(i, i + 50).map((orderId) => createOrder.execute({ orderId, itemIds: ['sku'], correlationId: `c-${orderId}` })));
    return ids;
  }

  const backlog = async (): Promise<number> => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')).rows[0]?.n);

  function relay(brokers: string, topic: string, extra: Record<string, string> = {}): RunningProcess {
    const process = startRole('relay', { DATABASE_URL: database.url, KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, ...extra });
    running.push(process);
    return process;
  }

  it('publishes each of 1,000 orders exactly once with two relays running at once', async () => {
    const brokers = await ensureKafka();
    const topic = `relay-two-${randomUUID()}`;
    const ids = await acceptOrders(1000);
    relay(brokers, topic, { RELAY_BATCH_SIZE: '25' });
    relay(brokers, topic, { RELAY_BATCH_SIZE: '25' });
    await eventually(async () => (await backlog()) === 0, 'the outbox to drain', 90_000);
    const counts = await countByKey(brokers, topic, ids.length);
    expect(ids.filter((id) => counts.get(id) !== 1), 'orders not published exactly once').to.deep.equal([]);
    expect(counts.size).to.equal(1000);
  });

  it('loses nothing when a relay is killed with SIGKILL mid-stream (at least once)', async () => {
    const brokers = await ensureKafka();
    const topic = `relay-kill-${randomUUID()}`;
    const ids = await acceptOrders(1000);
    const doomed = relay(brokers, topic, { RELAY_BATCH_SIZE: '10' });
    await eventually(async () => (await backlog()) < 950, 'the first relay to make progress', 60_000, 5);
    await doomed.stop('SIGKILL');
    const leftBehind = await backlog();
    expect(leftBehind, 'killed before it could finish').to.be.greaterThan(0);
    relay(brokers, topic, { RELAY_BATCH_SIZE: '100' });
    await eventually(async () => (await backlog()) === 0, 'the second relay to drain the outbox', 90_000);
    const counts = await countByKey(brokers, topic, ids.length);
    expect(ids.filter((id) => !counts.has(id)), 'orders never published').to.deep.equal([]);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    console.log(`      killed with ${leftBehind} events unpublished; ${duplicates} events published twice (the in-flight batch)`);
    expect(duplicates).to.be.at.most(10);
  });

  describe('with Kafka down', () => {
    const port = process.env.ORDERMAIL_TEST_OUTAGE_KAFKA_PORT ?? '19092';
    let brokers: string;

    before(async () => {
      await kafkaScript('reset', port);
      brokers = await kafkaScript('start', port);
    });
    after(async () => {
      await kafkaScript('reset', port);
    });

    it('keeps accepting orders (202) and delivers every event exactly once after Kafka returns', async () => {
      const topic = `outage-${randomUUID()}`;
      const api = startRole('api', { DATABASE_URL: database.url, KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, PORT: '0' });
      running.push(api);
      const listening = await api.waitForLine((l) => l.msg === 'http server listening', 'the api to listen');
      const base = `http://127.0.0.1:${String(listening.port)}`;
      const first = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: 'before-outage', itemId: ['a'] }) });
      expect(first.status).to.equal(202);
      await eventually(async () => (await backlog()) === 0, 'the first event to be published');

      await kafkaScript('stop', port);
      const ids = Array.from({ length: 200 }, (_, i) => `outage-${i}`);
      const statuses: number[] = [];
      for (let i = 0; i < ids.length; i += 20)
        statuses.push(
          ...(await Promise.all(
            ids.slice(i, i + 20).map(async (orderId) => {
              const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId, itemId: ['a'] }) });
              return response.status;
            }),
          )),
        );
      expect(new Set(statuses)).to.deep.equal(new Set([202]));
      const health = (await (await fetch(`${base}/health`)).json()) as { status: string; checks: { relay: { status: string; error?: string } } };
      expect(health.status, 'a broker outage degrades, it does not fail liveness').to.not.equal('fail');
      expect(await backlog()).to.equal(200);
      await api.waitForLine((l) => l.msg === 'outbox relay failed, circuit open', 'the relay to notice the outage', 30_000);
      const during = (await (await fetch(`${base}/health`)).json()) as { checks: { relay: Record<string, unknown> } };
      expect(during.checks.relay, 'the backlog stays visible while the relay fails').to.include({ status: 'fail', circuit: 'open', backlog: 200 });
      expect(JSON.stringify(during), 'no broker address in /health').to.not.match(/\d+\.\d+\.\d+\.\d+:\d+/);

      await kafkaScript('start', port);
      await eventually(async () => (await backlog()) === 0, 'the backlog to drain after Kafka returns', 120_000, 250);
      const counts = await countByKey(brokers, topic, 201);
      expect(ids.filter((id) => counts.get(id) !== 1), 'orders not delivered exactly once').to.deep.equal([]);
      expect(api.lines.some((l) => l.msg === 'outbox relay recovered, circuit closed')).to.equal(true);
    });
  });
});
