import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { EventCodecs } from '../../src/adapters/kafka/event-codec.js';
import { createKafka, ensureTopics } from '../../src/adapters/kafka/kafka-client.js';
import { KafkaEventConsumer } from '../../src/adapters/kafka/kafka-event-consumer.js';
import { orderCreatedCodec } from '../../src/adapters/kafka/order-created-codec.js';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { DispatchEvent } from '../../src/application/dispatch-event.js';
import { ALWAYS_OPEN } from '../../src/application/gate.js';
import type { Reaction } from '../../src/application/reaction.js';
import { RejectPoison } from '../../src/application/reject-poison.js';
import { ORDER_CREATED, type OrderCreatedEvent } from '../../src/domain/order-created.js';
import { ensureKafka } from '../support/kafka.js';
import { silentLogger } from '../support/logs.js';
import { eventually } from '../support/processes.js';

/** Records the order it handles events in, taking longer for earlier events so that later ones would overtake them if they could. */
class RecordingReaction implements Reaction<OrderCreatedEvent> {
  readonly handles = ORDER_CREATED;
  readonly handled = new Map<string, string[]>();
  readonly overlaps: string[] = [];
  private readonly inHand = new Set<string>();
  mostAtOnce = 0;

  async react(event: OrderCreatedEvent): Promise<void> {
    const { aggregateId, payload } = event;
    if (this.inHand.has(aggregateId)) this.overlaps.push(payload.id);
    this.inHand.add(aggregateId);
    this.mostAtOnce = Math.max(this.mostAtOnce, this.inHand.size);
    const sequence = Number(payload.itemId[0]);
    await new Promise((resolve) => setTimeout(resolve, sequence % 2 === 0 ? 15 : 1));
    this.inHand.delete(aggregateId);
    this.handled.set(aggregateId, [...(this.handled.get(aggregateId) ?? []), payload.id]);
  }
}

describe('KafkaEventConsumer on a real broker: the events of one order in their order', function () {
  this.timeout(60_000);

  it('handles 20 events of one key one after the other in offset order, while other keys of the partition run beside them', async () => {
    const brokers = await ensureKafka();
    const topic = `event-order-${randomUUID().slice(0, 8)}`;
    const kafka = createKafka({ brokers: brokers.split(','), clientId: 'event-order-test' }, silentLogger());
    const reaction = new RecordingReaction();
    const deadLetters = new InMemoryDeadLetters();
    const dispatch = new DispatchEvent([reaction], new RejectPoison(deadLetters, { now: () => new Date() }, silentLogger()), silentLogger());
    const topics = [{ topic, numPartitions: 1, replicationFactor: 1 }];
    const consumer = new KafkaEventConsumer(kafka, new EventCodecs([orderCreatedCodec(topic)]), dispatch, ALWAYS_OPEN, { groupId: `event-order-${topic}`, concurrency: 1, batchConcurrency: 8, topics }, silentLogger());

    // One busy order (20 events) interleaved with three quieter ones (5 each), all on the one partition.
    const sent = new Map<string, string[]>();
    const messages: { key: string; value: string; headers: Record<string, string> }[] = [];
    const busy = ['hot', 'hot', 'cold-a', 'hot', 'cold-b', 'hot', 'hot', 'cold-c'];
    for (let round = 0; messages.length < 35; round++) {
      const orderId = busy[round % busy.length] as string;
      const events = sent.get(orderId) ?? [];
      if (events.length >= (orderId === 'hot' ? 20 : 5)) continue;
      const id = randomUUID();
      sent.set(orderId, [...events, id]);
      const payload = { id, orderId, itemId: [String(events.length)], createdAt: new Date().toISOString() };
      messages.push({ key: orderId, value: JSON.stringify(payload), headers: { 'event-type': 'order.created', 'schema-version': '1', 'content-type': 'application/json' } });
    }
    expect(sent.get('hot')).to.have.length(20);

    const producer = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
    // All on the partition before the consumer starts, so that they come in batches of many chunks.
    await ensureTopics(kafka, topics);
    await producer.connect();
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();
    await consumer.start();
    try {
      await eventually(async () => [...reaction.handled.values()].flat().length === messages.length, `${messages.length} events handled`, 30_000);
    } finally {
      await consumer.stop();
    }

    expect(deadLetters.letters).to.deep.equal([]);
    expect(reaction.overlaps, 'events handled while another of their order was').to.deep.equal([]);
    for (const [orderId, ids] of sent) expect(reaction.handled.get(orderId), `the events of ${orderId}`).to.deep.equal(ids);
    expect(reaction.mostAtOnce, 'other orders handled beside the busy one').to.be.greaterThan(1);
  });
});
