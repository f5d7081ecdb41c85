// Prints the events on a topic, one JSON line each (`npm run topic [-- <topic>]`), then exits.
// Brokers: KAFKA_BROKERS (default 127.0.0.1:9092); topic: the argument, KAFKA_TOPIC, or order-created.
import { readTopic } from '../test/support/kafka.js';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const topic = process.argv[2] ?? process.env.KAFKA_TOPIC ?? 'order-created';
const messages = await readTopic(brokers, topic);
for (const { partition, offset, key, headers, value } of messages) {
  let payload: unknown = value?.toString('utf8') ?? null;
  try {
    payload = JSON.parse(payload as string);
  } catch {
    // not JSON (a poison message): shown as text
  }
  process.stdout.write(`${JSON.stringify({ topic, partition, offset, key, headers, value: payload })}\n`);
}
process.stderr.write(`${messages.length} message(s) on ${topic} at ${brokers}\n`);
