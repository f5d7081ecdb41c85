import { expect } from 'chai';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createKafka } from '../../src/adapters/kafka/kafka-client.js';
import { KafkaDeadLetters } from '../../src/adapters/kafka/kafka-dead-letters.js';
import { EventCodecs } from '../../src/adapters/kafka/event-codec.js';
import { KafkaEventPublisher } from '../../src/adapters/kafka/kafka-event-publisher.js';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { PgDeadLetters } from '../../src/adapters/postgres/pg-dead-letters.js';
import type { DeadLetter, DeadLetters } from '../../src/application/ports/dead-letters.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';
import { ensureKafka } from '../support/kafka.js';
import { silentLogger } from '../support/logs.js';

interface Stored {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

interface DeadLettersSubject {
  readonly deadLetters: DeadLetters;
  readBack(count: number): Promise<Stored[]>;
  close(): Promise<void>;
}

function aLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  const now = new Date();
  return {
    key: `o-${randomUUID()}`,
    value: Buffer.from('{"not":"an order"}'),
    headers: { 'schema-version': '1' },
    reason: 'fails order-created v1 schema',
    kind: 'poison',
    attempts: 0,
    firstFailedAt: now,
    lastFailedAt: now,
    source: { topic: 'order-created', partition: 2, offset: '41' },
    ...overrides,
  };
}

/** What every dead-letter store must do: keep the letter as it came, and take whatever a hostile producer sent. */
function deadLettersContract(makeSubject: () => Promise<DeadLettersSubject>): void {
  let subject: DeadLettersSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  it('keeps the value byte for byte and the original headers, with the reason, kind and source', async () => {
    const letter = aLetter({ value: Buffer.from([0, 255, 1, 254]) });
    await subject.deadLetters.publish(letter);
    const [stored] = await subject.readBack(1);
    expect(stored?.key).to.equal(letter.key);
    expect(stored?.value?.equals(letter.value as Buffer)).to.equal(true);
    expect(stored?.headers).to.deep.include({ 'schema-version': '1', 'dlq-reason': letter.reason, 'dlq-kind': 'poison', 'dlq-source-offset': '41' });
  });

  it('takes a letter whose key and headers carry NUL and unpaired surrogates', async () => {
    await subject.deadLetters.publish(aLetter({ key: 'A\u0000\ud800', headers: { 'correlation-id': 'x\u0000y' }, reason: 'NUL \u0000 in orderId' }));
    expect(await subject.readBack(1)).to.have.length(1);
  });
}

const inDatabase = (open: () => Promise<TestDatabase>) => async (): Promise<DeadLettersSubject> => {
  const { database, close } = await open();
  return {
    deadLetters: new PgDeadLetters(database),
    readBack: async (count) => {
      const { rows } = await database.query<{ key: string | null; value: Buffer | Uint8Array | null; headers: Record<string, string>; reason: string; kind: string; source: { offset?: string } | null }>(
        'SELECT key, value, headers, reason, kind, source FROM dead_letters ORDER BY id LIMIT $1',
        [count],
      );
      return rows.map((r) => ({
        key: r.key,
        value: r.value === null ? null : Buffer.from(r.value),
        headers: { ...r.headers, 'dlq-reason': r.reason, 'dlq-kind': r.kind, ...(r.source?.offset ? { 'dlq-source-offset': r.source.offset } : {}) },
      }));
    },
    close,
  };
};

async function kafkaSubject(topicConfig: { name: string; value: string }[] = []): Promise<DeadLettersSubject & { topic: string }> {
  const brokers = (await ensureKafka()).split(',');
  const topic = `dlq-contract-${randomUUID()}`;
  const publisher = new KafkaEventPublisher(createKafka({ brokers, clientId: 'contract-test' }, silentLogger()), new EventCodecs([]), [
    { topic, numPartitions: 1, replicationFactor: 1, configEntries: topicConfig },
  ]);
  return {
    topic,
    deadLetters: new KafkaDeadLetters(() => publisher.producer(), topic),
    readBack: async (count) => {
      const consumer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${randomUUID()}` });
      const stored: Stored[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`only ${stored.length} of ${count} letters on ${topic}`)), 20_000);
          void consumer.run({
            eachMessage: async ({ message }) => {
              const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
              stored.push({ key: message.key?.toString() ?? null, value: message.value, headers });
              if (stored.length >= count) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await consumer.disconnect();
      }
      return stored;
    },
    close: () => publisher.close(),
  };
}

describe('DeadLetters contract: InMemoryDeadLetters', () =>
  deadLettersContract(async () => {
    const deadLetters = new InMemoryDeadLetters();
    return {
      deadLetters,
      readBack: async (count) =>
        deadLetters.letters.slice(0, count).map((l) => ({ key: l.key, value: l.value, headers: { ...l.headers, 'dlq-reason': l.reason, 'dlq-kind': l.kind, ...(l.source ? { 'dlq-source-offset': l.source.offset } : {}) } })),
      close: async () => undefined,
    };
  }));
describe('DeadLetters contract: PgDeadLetters on a PostgreSQL server', () => deadLettersContract(inDatabase(serverDatabase)));
describe('DeadLetters contract: PgDeadLetters on embedded PGlite', () => deadLettersContract(inDatabase(embeddedDatabase)));
describe('DeadLetters contract: KafkaDeadLetters (real broker)', () => {
  deadLettersContract(() => kafkaSubject());

  it('stores a letter larger than the topic takes cut down, with the original size and SHA-256, instead of retrying it for ever', async () => {
    const subject = await kafkaSubject([{ name: 'max.message.bytes', value: '50000' }]);
    try {
      const value = randomBytes(60_000); // random: gzip cannot bring it under the limit
      await subject.deadLetters.publish(aLetter({ value, headers: { big: 'x'.repeat(10_000), small: 'kept' } }));
      const [stored] = await subject.readBack(1);
      expect(stored?.headers).to.deep.include({
        'dlq-cut-down': 'MESSAGE_TOO_LARGE',
        'dlq-original-value-bytes': '60000',
        'dlq-original-value-sha256': createHash('sha256').update(value).digest('hex'),
        'dlq-original-headers-dropped': '1',
        small: 'kept',
        'dlq-kind': 'poison',
      });
      expect(stored?.value?.equals(value.subarray(0, stored.value.length))).to.equal(true);
    } finally {
      await subject.close();
    }
  });
});
