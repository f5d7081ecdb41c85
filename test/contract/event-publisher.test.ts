import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Kafka, logLevel } from 'kafkajs';
import { InMemoryEventPublisher } from '../../src/adapters/memory/in-memory-event-publisher.js';
import { InProcessEventChannel } from '../../src/adapters/memory/in-process-event-channel.js';
import { createKafka } from '../../src/adapters/kafka/kafka-client.js';
import { KafkaEventPublisher } from '../../src/adapters/kafka/kafka-event-publisher.js';
import { orderCreatedSchema } from '../../src/adapters/kafka/order-created-codec.js';
import type { EventPublisher } from '../../src/application/ports/event-publisher.js';
import type { OutboxEvent } from '../../src/application/ports/outbox.js';
import { Order } from '../../src/domain/order.js';
import { orderCreated } from '../../src/domain/order-created.js';
import { ensureKafka } from '../support/kafka.js';
import { silentLogger } from '../support/logs.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
const isOrderCreatedV1 = ajv.compile(orderCreatedSchema);

interface Received {
  key: string;
  headers: Record<string, string>;
  payload: unknown;
  partition?: number;
}

interface PublisherSubject {
  publisher: EventPublisher;
  topic: string;
  readBack(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

function anOrderCreatedEvent(topic: string, orderId = `o-${randomUUID()}`): OutboxEvent {
  const order = Order.create({ orderId, itemIds: ['sku-1'], email: 'ada@example.com' }, randomUUID(), new Date());
  return { topic, key: order.orderId, payload: orderCreated(order), headers: { 'schema-version': '1', 'correlation-id': `corr-${orderId}`, 'content-type': 'application/json' } };
}

function eventPublisherContract(makeSubject: () => Promise<PublisherSubject>): void {
  let subject: PublisherSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  it('publishes each event with its key, headers and a payload valid against schemas/order-created.v1.json', async () => {
    const events = [anOrderCreatedEvent(subject.topic), anOrderCreatedEvent(subject.topic)];
    expect(await subject.publisher.publish(events), 'nothing refused').to.deep.equal([]);
    const received = await subject.readBack(2);
    expect(received.map((r) => r.key).sort()).to.deep.equal(events.map((e) => e.key).sort());
    for (const message of received) {
      const sent = events.find((e) => e.key === message.key) as OutboxEvent;
      expect(message.headers).to.deep.equal(sent.headers);
      expect(message.payload).to.deep.equal(sent.payload);
      expect(isOrderCreatedV1(message.payload), ajv.errorsText(isOrderCreatedV1.errors)).to.equal(true);
    }
  });

  it('keeps the events of one key in publishing order', async () => {
    const key = `o-${randomUUID()}`;
    const events = [1, 2, 3].map((n) => ({ ...anOrderCreatedEvent(subject.topic, key), headers: { 'schema-version': '1', seq: String(n) } }));
    await subject.publisher.publish(events);
    expect((await subject.readBack(3)).map((r) => r.headers.seq)).to.deep.equal(['1', '2', '3']);
  });

  it('accepts an empty batch', async () => {
    expect(await subject.publisher.publish([])).to.deep.equal([]);
  });

  it('publishes a burst of the largest orders the api accepts, all with keys of one partition', async () => {
    const events = Array.from({ length: 60 }, (_, i) => aLargestOrderCreatedEvent(subject.topic, i));
    expect(await subject.publisher.publish(events)).to.deep.equal([]);
    const received = await subject.readBack(60);
    expect(new Set(received.map((r) => r.key))).to.deep.equal(new Set(events.map((e) => e.key)));
  });
}

/** An order-created event as large as the order rules allow: 100 items of 128 three-byte characters (~40 KB of JSON). */
function aLargestOrderCreatedEvent(topic: string, n: number): OutboxEvent {
  const wide = (seed: number) => Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x4e00 + ((seed * 131 + i) % 20000))).join('');
  const orderId = `${n}-${randomUUID()}`.padEnd(128, '一');
  const order = Order.create({ orderId, itemIds: Array.from({ length: 100 }, (_, i) => wide(n * 100 + i)), email: 'ada@example.com' }, randomUUID(), new Date());
  // One key for all: one partition, the case where one request grows largest.
  return { topic, key: 'one-partition', payload: orderCreated(order), headers: { 'schema-version': '1', 'content-type': 'application/json' } };
}

describe('EventPublisher contract: InMemoryEventPublisher', () =>
  eventPublisherContract(async () => {
    const publisher = new InMemoryEventPublisher();
    return {
      publisher,
      topic: 'order-created',
      readBack: async (count) => publisher.published.slice(0, count).map((e) => ({ key: e.key, headers: { ...e.headers }, payload: e.payload })),
      close: async () => undefined,
    };
  }));

describe('EventPublisher contract: InProcessEventChannel (the single-process mode)', () =>
  eventPublisherContract(async () => {
    const channel = new InProcessEventChannel(silentLogger(), { concurrency: 1, retryDelayMs: 10 });
    const received: Received[] = [];
    channel.consume(async (event) => {
      received.push({ key: event.key, headers: { ...event.headers }, payload: event.payload });
    });
    return {
      publisher: channel,
      topic: 'order-created',
      readBack: async (count) => {
        const deadline = Date.now() + 5000;
        while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        return received.slice(0, count);
      },
      close: () => channel.stop(),
    };
  }));

describe('EventPublisher contract: KafkaEventPublisher (real broker)', () => {
  eventPublisherContract(async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = new KafkaEventPublisher(createKafka({ brokers, clientId: 'contract-test' }, silentLogger()), [
      { topic, numPartitions: 3, replicationFactor: 1 },
    ]);
    const consumerKafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    return {
      publisher,
      topic,
      readBack: (count) => consumeFromStart(consumerKafka, topic, count),
      close: () => publisher.close(),
    };
  });

  it('publishes the others and lists the one the broker refuses for good (larger than the topic takes), in order', async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = new KafkaEventPublisher(createKafka({ brokers, clientId: 'contract-test' }, silentLogger()), [
      { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] },
    ]);
    try {
      const events = Array.from({ length: 7 }, (_, i) => ({ ...anOrderCreatedEvent(topic), headers: { seq: String(i) } }));
      // Random bytes: gzip cannot shrink it under the topic's limit.
      const tooLarge = { ...anOrderCreatedEvent(topic), payload: { blob: randomBytes(30_000).toString('base64') }, headers: { seq: 'large' } };
      const rejected = await publisher.publish([...events.slice(0, 3), tooLarge, ...events.slice(3)]);
      expect(rejected.map((r) => r.event)).to.deep.equal([tooLarge]);
      expect(rejected[0]?.reason).to.match(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/);
      const received = await consumeFromStart(new Kafka({ brokers, logLevel: logLevel.NOTHING }), topic, 7);
      expect(received.map((r) => r.headers.seq)).to.deep.equal(['0', '1', '2', '3', '4', '5', '6']);
      expect(await publisher.publish([anOrderCreatedEvent(topic)]), 'the producer goes on after a refusal').to.deep.equal([]);
    } finally {
      await publisher.close();
    }
  });

  it('puts every event of one orderId on the same partition', async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = new KafkaEventPublisher(createKafka({ brokers, clientId: 'contract-test' }, silentLogger()), [{ topic, numPartitions: 6, replicationFactor: 1 }]);
    try {
      const keys = Array.from({ length: 10 }, () => `o-${randomUUID()}`);
      await publisher.publish([...keys, ...keys].map((key) => anOrderCreatedEvent(topic, key)));
      const received = await consumeFromStart(new Kafka({ brokers, logLevel: logLevel.NOTHING }), topic, 20);
      for (const key of keys) expect(new Set(received.filter((r) => r.key === key).map((r) => r.partition)).size).to.equal(1);
      expect(new Set(received.map((r) => r.partition)).size).to.be.greaterThan(1);
    } finally {
      await publisher.close();
    }
  });
});

/** Reads `count` messages from the start of a topic with a throwaway consumer group. */
export async function consumeFromStart(kafka: Kafka, topic: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${count} messages arrived on ${topic} within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({
            key: message.key?.toString() ?? '',
            partition,
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
            payload: JSON.parse(message.value?.toString() ?? 'null'),
          });
          if (received.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}
