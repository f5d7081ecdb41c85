import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { DeadLetter } from '../../application/ports/dead-letters.js';
import type { EventCodecs } from './event-codec.js';
import { headersToStrings, readDeadLetter } from './kafka-dead-letters.js';

/**
 * Reads the dead-letter topic from its start to its current end, once, outside any lasting consumer group,
 * each record as the letter it was written from (see readDeadLetter).
 */
export async function readDeadLetters(kafka: Kafka, topic: string, reading: { codecs: EventCodecs; eventTopic: string }, handle: (letter: DeadLetter) => Promise<void>): Promise<number> {
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
            const record = { key: message.key?.toString() ?? null, value: message.value, headers: headersToStrings(message.headers) };
            await handle(readDeadLetter(record, reading.codecs, reading.eventTopic));
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
