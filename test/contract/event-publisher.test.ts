import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Kafka, logLevel } from 'kafkajs';
import { InMemoryEventPublisher } from '../../src/adapters/memory/in-memory-event-publisher.js';
import { InProcessEventChannel } from '../../src/adapters/memory/in-process-event-channel.js';
import { EventCodecs } from '../../src/adapters/kafka/event-codec.js';
import { createKafka, type TopicSpec } from '../../src/adapters/kafka/kafka-client.js';
import { KafkaEventPublisher } from '../../src/adapters/kafka/kafka-event-publisher.js';
import { orderCreatedCodec, orderCreatedSchema } from '../../src/adapters/kafka/order-created-codec.js';
import type { EventPublisher } from '../../src/application/ports/event-publisher.js';
import type { EventMetadata, OutgoingEvent } from '../../src/application/ports/outbox.js';
import type { DomainEvent } from '../../src/domain/domain-event.js';
import { Order } from '../../src/domain/order.js';
import { orderCreatedEvent } from '../../src/domain/order-created.js';
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

/** What a consumer of the publisher gets back: the event and its metadata, however it travelled. */
interface Delivered {
  event: DomainEvent;
  metadata: EventMetadata;
}

interface PublisherSubject {
  publisher: EventPublisher;
  readBack(count: number): Promise<Delivered[]>;
  close(): Promise<void>;
}

function anOrderCreatedEvent(orderId = `o-${randomUUID()}`): OutgoingEvent {
  const order = Order.create({ orderId, itemIds: ['sku-1'], email: 'ada@example.com' }, randomUUID(), new Date());
  return { event: orderCreatedEvent(order), metadata: { correlationId: `corr-${orderId}` } };
}

function eventPublisherContract(makeSubject: () => Promise<PublisherSubject>): void {
  let subject: PublisherSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  it('delivers each event whole (type, version, key, payload valid against schemas/order-created.v1.json) with its metadata', async () => {
    const events = [anOrderCreatedEvent(), anOrderCreatedEvent()];
    expect(await subject.publisher.publish(events), 'nothing refused').to.deep.equal([]);
    const received = await subject.readBack(2);
    expect(received.map((r) => r.event.aggregateId).sort()).to.deep.equal(events.map((e) => e.event.aggregateId).sort());
    for (const delivered of received) {
      const sent = events.find((e) => e.event.aggregateId === delivered.event.aggregateId) as OutgoingEvent;
      expect(delivered.event).to.deep.equal(sent.event);
      expect(delivered.metadata).to.deep.equal(sent.metadata);
      expect(isOrderCreatedV1(delivered.event.payload), ajv.errorsText(isOrderCreatedV1.errors)).to.equal(true);
    }
  });

  it('keeps the events of one key in publishing order', async () => {
    const key = `o-${randomUUID()}`;
    const events = [1, 2, 3].map((n) => ({ ...anOrderCreatedEvent(key), metadata: { correlationId: `seq-${n}` } }));
    await subject.publisher.publish(events);
    expect((await subject.readBack(3)).map((r) => r.metadata.correlationId)).to.deep.equal(['seq-1', 'seq-2', 'seq-3']);
  });

  it('accepts an empty batch', async () => {
    expect(await subject.publisher.publish([])).to.deep.equal([]);
  });

  it('publishes a burst of the largest orders the api accepts, all with keys of one partition', async () => {
    const events = Array.from({ length: 60 }, (_, i) => aLargestOrderCreatedEvent(i));
    expect(await subject.publisher.publish(events)).to.deep.equal([]);
    const received = await subject.readBack(60);
    expect(new Set(received.map((r) => r.metadata.correlationId))).to.deep.equal(new Set(events.map((e) => e.metadata.correlationId)));
  });
}

/** An order-created event as large as the order rules allow: 100 items of 128 three-byte characters (~40 KB of JSON). */
function aLargestOrderCreatedEvent(n: number): OutgoingEvent {
  const wide = (seed: number) => Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x4e00 + ((seed * 131 + i) % 20000))).join('');
  const orderId = `${n}-${randomUUID()}`.padEnd(128, '一');
  const order = Order.create({ orderId, itemIds: Array.from({ length: 100 }, (_, i) => wide(n * 100 + i)), email: 'ada@example.com' }, randomUUID(), new Date());
  // One key for all: one partition, the case where one request grows largest.
  return { event: { ...orderCreatedEvent(order), aggregateId: 'one-partition' }, metadata: { correlationId: `large-${n}` } };
}

describe('EventPublisher contract: InMemoryEventPublisher', () =>
  eventPublisherContract(async () => {
    const publisher = new InMemoryEventPublisher();
    return {
      publisher,
      readBack: async (count) => publisher.published.slice(0, count).map(({ event, metadata }) => ({ event, metadata })),
      close: async () => undefined,
    };
  }));

describe('EventPublisher contract: InProcessEventChannel (the single-process mode)', () =>
  eventPublisherContract(async () => {
    const channel = new InProcessEventChannel(silentLogger(), { concurrency: 1, retryDelayMs: 10 });
    const received: Delivered[] = [];
    channel.consume({
      execute: async (decoded) => {
        if (decoded.ok) received.push({ event: decoded.event, metadata: decoded.metadata });
      },
    });
    return {
      publisher: channel,
      readBack: async (count) => {
        const deadline = Date.now() + 5000;
        while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        return received.slice(0, count);
      },
      close: () => channel.stop(),
    };
  }));

describe('EventPublisher contract: KafkaEventPublisher (real broker)', () => {
  const publisherOn = (brokers: string[], topic: string, spec: Partial<TopicSpec> = {}) =>
    new KafkaEventPublisher(createKafka({ brokers, clientId: 'contract-test' }, silentLogger()), new EventCodecs([orderCreatedCodec(topic)]), [
      { topic, numPartitions: 3, replicationFactor: 1, ...spec },
    ]);

  eventPublisherContract(async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = publisherOn(brokers, topic);
    const codecs = new EventCodecs([orderCreatedCodec(topic)]);
    const consumerKafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    return {
      publisher,
      readBack: async (count) =>
        (await consumeFromStart(consumerKafka, topic, count)).map((record) => {
          const decoded = codecs.decode(topic, Buffer.from(JSON.stringify(record.payload)), record.headers);
          if (!decoded.ok) throw new Error(decoded.reason);
          return { event: decoded.event, metadata: decoded.metadata };
        }),
      close: () => publisher.close(),
    };
  });

  it("writes the envelope of the event's codec: its topic, the orderId as key, the type, schema version, content type and correlation id as headers", async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = publisherOn(brokers, topic);
    try {
      const sent = anOrderCreatedEvent();
      expect(await publisher.publish([sent])).to.deep.equal([]);
      const [record] = await consumeFromStart(new Kafka({ brokers, logLevel: logLevel.NOTHING }), topic, 1);
      expect(record?.key).to.equal(sent.event.aggregateId);
      expect(record?.headers).to.deep.equal({ 'event-type': 'order.created', 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': sent.metadata.correlationId });
      expect(record?.payload).to.deep.equal(sent.event.payload);
    } finally {
      await publisher.close();
    }
  });

  it('refuses for good an event no codec knows (another type or version), and publishes the others', async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = publisherOn(brokers, topic);
    try {
      const [before, after] = [anOrderCreatedEvent(), anOrderCreatedEvent()];
      const newer = { ...anOrderCreatedEvent(), event: { ...anOrderCreatedEvent().event, version: 2 } };
      const unknown = { ...anOrderCreatedEvent(), event: { ...anOrderCreatedEvent().event, type: 'order.teleported' } };
      const rejected = await publisher.publish([before as OutgoingEvent, newer, unknown, after as OutgoingEvent]);
      expect(rejected).to.deep.equal([
        { event: newer, reason: 'no codec for order.created version 2: this relay is older than the api that wrote it; unpark it once the relay is upgraded' },
        { event: unknown, reason: 'no codec for order.teleported version 1: this relay is older than the api that wrote it; unpark it once the relay is upgraded' },
      ]);
      const received = await consumeFromStart(new Kafka({ brokers, logLevel: logLevel.NOTHING }), topic, 2);
      expect(received.map((r) => r.key).sort()).to.deep.equal([before?.event.aggregateId, after?.event.aggregateId].sort());
    } finally {
      await publisher.close();
    }
  });

  it('publishes the others and lists the one the broker refuses for good (larger than the topic takes), in order', async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = publisherOn(brokers, topic, { numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] });
    try {
      const events = Array.from({ length: 7 }, (_, i) => ({ ...anOrderCreatedEvent(), metadata: { correlationId: String(i) } }));
      // Random bytes: gzip cannot shrink it under the topic's limit.
      const large = anOrderCreatedEvent();
      const tooLarge = { event: { ...large.event, payload: { blob: randomBytes(30_000).toString('base64') } }, metadata: { correlationId: 'large' } };
      const rejected = await publisher.publish([...events.slice(0, 3), tooLarge, ...events.slice(3)]);
      expect(rejected.map((r) => r.event)).to.deep.equal([tooLarge]);
      expect(rejected[0]?.reason).to.match(/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/);
      const received = await consumeFromStart(new Kafka({ brokers, logLevel: logLevel.NOTHING }), topic, 7);
      expect(received.map((r) => r.headers['correlation-id'])).to.deep.equal(['0', '1', '2', '3', '4', '5', '6']);
      expect(await publisher.publish([anOrderCreatedEvent()]), 'the producer goes on after a refusal').to.deep.equal([]);
    } finally {
      await publisher.close();
    }
  });

  it('puts every event of one orderId on the same partition', async () => {
    const brokers = (await ensureKafka()).split(',');
    const topic = `contract-${randomUUID()}`;
    const publisher = publisherOn(brokers, topic, { numPartitions: 6 });
    try {
      const keys = Array.from({ length: 10 }, () => `o-${randomUUID()}`);
      await publisher.publish([...keys, ...keys].map((key) => anOrderCreatedEvent(key)));
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
