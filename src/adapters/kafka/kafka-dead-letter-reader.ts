import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { StoredDeadLetter } from '../../application/replay-dead-letter.js';
import { ORDER_CREATED, type OrderCreatedEvent } from '../../domain/order-created.js';
import { headersToStrings } from './kafka-dead-letters.js';
import { decodeOrderCreated } from './order-created-codec.js';

/** Reads the dead-letter topic from its start to its current end, once, outside any lasting consumer group. */
export async function readDeadLetters(kafka: Kafka, topic: string, handle: (letter: StoredDeadLetter) => Promise<void>): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  if (remaining.size === 0) return 0;

  const consumer = kafka.consumer({ groupId: `ordermail-dlq-replay-${randomBytes(4).toString('hex')}`, allowAutoTopicCreation: false });
  let read = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const headers = headersToStrings(message.headers);
            const decoded = decodeOrderCreated(message.value, headers);
            // Only order.created is replayed (the ledger keeps one notification per order); anything else stays poison.
            const event = decoded.ok && decoded.event.type === ORDER_CREATED.type ? (decoded.event as OrderCreatedEvent).payload : undefined;
            await handle({ key: message.key?.toString() ?? null, headers, ...(event ? { event } : {}) });
            read += 1;
            const end = remaining.get(partition);
            if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}
