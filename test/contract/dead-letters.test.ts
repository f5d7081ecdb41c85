import { expect } from 'chai';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createKafka } from '../../src/adapters/kafka/kafka-client.js';
import { KafkaDeadLetters, readDeadLetter } from '../../src/adapters/kafka/kafka-dead-letters.js';
import { readDeadLetters } from '../../src/adapters/kafka/kafka-dead-letter-reader.js';
import { EventCodecs } from '../../src/adapters/kafka/event-codec.js';
import { KafkaEventPublisher } from '../../src/adapters/kafka/kafka-event-publisher.js';
import { orderCreatedCodec } from '../../src/adapters/kafka/order-created-codec.js';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { PgDeadLetters } from '../../src/adapters/postgres/pg-dead-letters.js';
import type { DeadEvent, DeadLetter, DeadLetters, UnreadableMessage } from '../../src/application/ports/dead-letters.js';
import type { EventSource } from '../../src/application/ports/notification-ledger.js';
import type { DomainEvent } from '../../src/domain/domain-event.js';
import { ORDER_CREATED, type OrderCreatedEvent } from '../../src/domain/order-created.js';
import { embeddedDatabase, serverDatabase, type TestDatabase } from '../support/databases.js';
import { ensureKafka } from '../support/kafka.js';
import { silentLogger } from '../support/logs.js';

const EVENT_TOPIC = 'order-created';

interface DeadLettersSubject {
  readonly deadLetters: DeadLetters;
  /** The letters stored so far, read back as letters. */
  readBack(count: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

function anEvent(): OrderCreatedEvent {
  const orderId = `o-${randomUUID()}`;
  return { ...ORDER_CREATED, aggregateId: orderId, payload: { id: randomUUID(), orderId, itemId: ['sku-1', 'sku-2'], email: 'ada@example.com', createdAt: '2026-11-24T12:00:00.000Z' } };
}

const facts = (): Pick<DeadLetter, 'firstFailedAt' | 'lastFailedAt' | 'source'> => ({
  firstFailedAt: new Date('2026-11-24T12:00:01.000Z'),
  lastFailedAt: new Date('2026-11-24T12:00:31.000Z'),
  source: { topic: EVENT_TOPIC, partition: 2, offset: '41' },
});

/** The dead letter of an order's confirmation email, after its retries. */
function aDeadNotification(overrides: Partial<DeadEvent> = {}): DeadEvent {
  const event = anEvent();
  return {
    event,
    metadata: { correlationId: 'corr-7' },
    notification: { orderId: event.aggregateId, kind: 'order-created', channel: 'email' },
    reason: '452 mailbox full',
    kind: 'retries-exhausted',
    attempts: 6,
    ...facts(),
    ...overrides,
  };
}

/** The dead letter of an order's webhook delivery to one endpoint, refused by it. */
function aDeadDelivery(): DeadEvent {
  const letter = aDeadNotification({ reason: 'HTTP 410 Gone', kind: 'permanent', attempts: 1 });
  return { ...letter, notification: { orderId: letter.event.aggregateId, kind: 'order-created', channel: 'webhook', endpointId: 'ep_0123456789abcdef01234567' } };
}

/** A message no codec reads. */
function anUnreadableMessage(overrides: Partial<UnreadableMessage['message']> = {}, rest: Partial<UnreadableMessage> = {}): UnreadableMessage {
  return {
    message: { key: `o-${randomUUID()}`, value: Buffer.from('{"not":"an order"}'), headers: { 'schema-version': '1', 'x-trace': 'abc' }, ...overrides },
    reason: 'fails order-created v1 schema',
    kind: 'poison',
    attempts: 0,
    ...facts(),
    ...rest,
  };
}

/** What every dead-letter store must do: keep a letter about an event as that event, keep an unreadable one as it came, and take whatever a hostile producer sent. */
function deadLettersContract(makeSubject: () => Promise<DeadLettersSubject>): void {
  let subject: DeadLettersSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  it('keeps the dead letter of a notification as its event, metadata and notification, with the reason, kind, attempts, times and source', async () => {
    const letter = aDeadNotification();
    await subject.deadLetters.publish(letter);
    expect(await subject.readBack(1)).to.deep.equal([letter]);
  });

  it('keeps the dead letter of a webhook delivery with the endpoint of its notification', async () => {
    const letter = aDeadDelivery();
    await subject.deadLetters.publish(letter);
    expect(await subject.readBack(1)).to.deep.equal([letter]);
  });

  it('keeps an event that nothing here could handle (poison, no notification) as that event', async () => {
    const { notification: _none, ...letter } = aDeadNotification({ kind: 'poison', attempts: 0, reason: 'unexpected failure: TypeError: a bug', metadata: {} });
    await subject.deadLetters.publish(letter);
    expect(await subject.readBack(1)).to.deep.equal([letter]);
  });

  it('keeps a message that could not be decoded byte for byte, with its original headers', async () => {
    const letter = anUnreadableMessage({ value: Buffer.from([0, 255, 1, 254]) });
    await subject.deadLetters.publish(letter);
    const [stored] = await subject.readBack(1);
    expect(stored).to.deep.equal(letter);
    expect((stored as UnreadableMessage).message.value?.equals(Buffer.from([0, 255, 1, 254]))).to.equal(true);
  });

  it('keeps an empty message (a tombstone) and one without a key', async () => {
    const letter = anUnreadableMessage({ key: null, value: null }, { reason: 'empty message (tombstone)' });
    await subject.deadLetters.publish(letter);
    expect(await subject.readBack(1)).to.deep.equal([letter]);
  });

  it('takes a letter whose key and headers carry NUL and unpaired surrogates', async () => {
    await subject.deadLetters.publish(anUnreadableMessage({ key: 'A\u0000\ud800', headers: { 'correlation-id': 'x\u0000y' } }, { reason: 'NUL \u0000 in orderId' }));
    expect(await subject.readBack(1)).to.have.length(1);
  });

  it('takes an event whose payload carries what the database refused (NUL, an unpaired surrogate)', async () => {
    const event = anEvent();
    const hostile: DomainEvent = { ...event, payload: { ...event.payload, itemId: ['sku\u00001', 'x\ud800'] } };
    await subject.deadLetters.publish(aDeadNotification({ event: hostile, kind: 'poison', reason: 'postgres refused the data (SQLSTATE 22021)' }));
    expect(await subject.readBack(1)).to.have.length(1);
  });
}

interface DeadLetterRow {
  key: string | null;
  value: Buffer | Uint8Array | null;
  headers: Record<string, string>;
  event: (DomainEvent & { metadata: DeadEvent['metadata'] }) | null;
  notification: DeadEvent['notification'] | null;
  reason: string;
  kind: DeadLetter['kind'];
  attempts: number;
  first_failed_at: Date;
  last_failed_at: Date;
  source: EventSource | null;
}

const inDatabase = (open: () => Promise<TestDatabase>) => async (): Promise<DeadLettersSubject> => {
  const { database, close } = await open();
  return {
    deadLetters: new PgDeadLetters(database),
    readBack: async (count) => {
      const { rows } = await database.query<DeadLetterRow>(
        'SELECT key, value, headers, event, notification, reason, kind, attempts, first_failed_at, last_failed_at, source FROM dead_letters ORDER BY id LIMIT $1',
        [count],
      );
      return rows.map((r): DeadLetter => {
        const stored = { reason: r.reason, kind: r.kind, attempts: r.attempts, firstFailedAt: r.first_failed_at, lastFailedAt: r.last_failed_at, ...(r.source ? { source: r.source } : {}) };
        if (r.event === null) return { ...stored, message: { key: r.key, value: r.value === null ? null : Buffer.from(r.value), headers: r.headers } };
        const { metadata, ...event } = r.event;
        return { ...stored, event, metadata, ...(r.notification ? { notification: r.notification } : {}) };
      });
    },
    close,
  };
};

const codecs = new EventCodecs([orderCreatedCodec(EVENT_TOPIC)]);

interface KafkaRecord {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

async function readRecords(brokers: string[], topic: string, count: number): Promise<KafkaRecord[]> {
  const consumer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `reader-${randomUUID()}` });
  const stored: KafkaRecord[] = [];
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
}

async function kafkaSubject(topicConfig: { name: string; value: string }[] = []): Promise<DeadLettersSubject & { topic: string; brokers: string[]; records(count: number): Promise<KafkaRecord[]> }> {
  const brokers = (await ensureKafka()).split(',');
  const topic = `dlq-contract-${randomUUID()}`;
  const kafka = createKafka({ brokers, clientId: 'contract-test' }, silentLogger());
  const publisher = new KafkaEventPublisher(kafka, new EventCodecs([]), [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: topicConfig }]);
  return {
    topic,
    brokers,
    deadLetters: new KafkaDeadLetters(() => publisher.producer(), topic, codecs),
    // What dlq-replay reads.
    readBack: async (count) => {
      const letters: DeadLetter[] = [];
      await readDeadLetters(kafka, topic, { codecs, eventTopic: EVENT_TOPIC }, async (letter) => void letters.push(letter));
      return letters.slice(0, count);
    },
    records: (count) => readRecords(brokers, topic, count),
    close: () => publisher.close(),
  };
}

describe('DeadLetters contract: InMemoryDeadLetters', () =>
  deadLettersContract(async () => {
    const deadLetters = new InMemoryDeadLetters();
    return { deadLetters, readBack: async (count) => deadLetters.letters.slice(0, count), close: async () => undefined };
  }));
describe('DeadLetters contract: PgDeadLetters on a PostgreSQL server', () => deadLettersContract(inDatabase(serverDatabase)));
describe('DeadLetters contract: PgDeadLetters on embedded PGlite', () => deadLettersContract(inDatabase(embeddedDatabase)));
describe('DeadLetters contract: KafkaDeadLetters (real broker)', () => {
  deadLettersContract(() => kafkaSubject());

  it("writes a notification's dead letter as the record of its event, with the dlq headers operators read", async () => {
    const subject = await kafkaSubject();
    try {
      const letter = aDeadNotification();
      await subject.deadLetters.publish(letter);
      const [record] = await subject.records(1);
      expect(record?.key).to.equal(letter.event.aggregateId);
      expect(JSON.parse(record?.value?.toString() ?? '')).to.deep.equal(letter.event.payload);
      expect(record?.headers).to.deep.equal({
        'event-type': 'order.created',
        'schema-version': '1',
        'content-type': 'application/json',
        'correlation-id': 'corr-7',
        'dlq-reason': '452 mailbox full',
        'dlq-kind': 'retries-exhausted',
        'dlq-attempts': '6',
        'dlq-first-failed-at': '2026-11-24T12:00:01.000Z',
        'dlq-last-failed-at': '2026-11-24T12:00:31.000Z',
        'dlq-source-topic': EVENT_TOPIC,
        'dlq-source-partition': '2',
        'dlq-source-offset': '41',
        'dlq-notification-order-id': letter.event.aggregateId,
        'dlq-notification-channel': 'email',
        'dlq-notification-kind': 'order-created',
      });
    } finally {
      await subject.close();
    }
  });

  it("names the endpoint of a webhook delivery's dead letter in a dlq header", async () => {
    const subject = await kafkaSubject();
    try {
      const letter = aDeadDelivery();
      await subject.deadLetters.publish(letter);
      const [record] = await subject.records(1);
      expect(record?.headers).to.deep.include({
        'dlq-notification-order-id': letter.event.aggregateId,
        'dlq-notification-kind': 'order-created',
        'dlq-notification-channel': 'webhook',
        'dlq-notification-endpoint': 'ep_0123456789abcdef01234567',
      });
    } finally {
      await subject.close();
    }
  });

  it('stores a letter larger than the topic takes cut down, with the original size and SHA-256, instead of retrying it for ever', async () => {
    const subject = await kafkaSubject([{ name: 'max.message.bytes', value: '50000' }]);
    try {
      const value = randomBytes(60_000); // random: gzip cannot bring it under the limit
      await subject.deadLetters.publish(anUnreadableMessage({ value, headers: { big: 'x'.repeat(10_000), small: 'kept' } }));
      const [stored] = await subject.records(1);
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

describe('Dead-letter records written before dead letters named their notification', () => {
  it("read as the confirmation email's dead letter of the order they hold", () => {
    const { payload } = anEvent();
    const letter = readDeadLetter(
      {
        key: payload.orderId,
        value: Buffer.from(JSON.stringify(payload)),
        headers: { 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': 'corr-1', 'dlq-reason': '550 no such user', 'dlq-kind': 'permanent', 'dlq-attempts': '1', 'dlq-first-failed-at': '2026-11-24T12:00:01.000Z', 'dlq-last-failed-at': '2026-11-24T12:00:01.000Z' },
      },
      codecs,
      EVENT_TOPIC,
    );
    expect(letter).to.deep.equal({
      event: { ...ORDER_CREATED, aggregateId: payload.orderId, payload },
      metadata: { correlationId: 'corr-1' },
      notification: { orderId: payload.orderId, kind: 'order-created', channel: 'email' },
      reason: '550 no such user',
      kind: 'permanent',
      attempts: 1,
      firstFailedAt: new Date('2026-11-24T12:00:01.000Z'),
      lastFailedAt: new Date('2026-11-24T12:00:01.000Z'),
    });
  });

  it('read as an unreadable message when they hold no event, whatever their kind', () => {
    const letter = readDeadLetter({ key: 'k', value: Buffer.from('not json'), headers: { 'x-trace': 't', 'dlq-reason': 'value is not JSON', 'dlq-kind': 'poison' } }, codecs, EVENT_TOPIC);
    expect(letter).to.deep.include({ message: { key: 'k', value: Buffer.from('not json'), headers: { 'x-trace': 't' } }, kind: 'poison', reason: 'value is not JSON' });
  });
});

describe('Dead-letter records of webhook deliveries', () => {
  it('name no notification the ledger could reset when they do not name the endpoint', () => {
    const { payload } = anEvent();
    const headers = {
      'event-type': 'order.created',
      'schema-version': '1',
      'content-type': 'application/json',
      'dlq-reason': 'HTTP 410',
      'dlq-kind': 'permanent',
      'dlq-notification-order-id': payload.orderId,
      'dlq-notification-kind': 'order-created',
      'dlq-notification-channel': 'webhook',
    };
    const letter = readDeadLetter({ key: payload.orderId, value: Buffer.from(JSON.stringify(payload)), headers }, codecs, EVENT_TOPIC);
    expect(letter).to.have.property('event');
    expect(letter).not.to.have.property('notification');
    const named = readDeadLetter({ key: payload.orderId, value: Buffer.from(JSON.stringify(payload)), headers: { ...headers, 'dlq-notification-endpoint': 'ep_0123456789abcdef01234567' } }, codecs, EVENT_TOPIC);
    expect(named).to.deep.include({ notification: { orderId: payload.orderId, kind: 'order-created', channel: 'webhook', endpointId: 'ep_0123456789abcdef01234567' } });
  });
});
