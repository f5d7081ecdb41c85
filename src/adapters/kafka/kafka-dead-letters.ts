import { createHash } from 'node:crypto';
import { CompressionTypes, type Producer } from 'kafkajs';
import { DependencyUnavailableError } from '../../application/errors.js';
import type { DeadLetter, DeadLetters } from '../../application/ports/dead-letters.js';
import { brokerRefusal } from './kafka-client.js';

/** What is kept of a letter the dead-letter topic refuses whole: enough to find and identify the original. */
const KEPT_VALUE_BYTES = 16 * 1024;
const KEPT_HEADER_BYTES = 256;
const KEPT_KEY_BYTES = 1024;

/**
 * Dead letters keep the original value and headers byte for byte; what went wrong travels in `dlq-*` headers.
 * A letter larger than the topic takes (a hand-made message near the broker's limit, plus our headers) is
 * stored cut down, with the original's size and SHA-256, so that it can never block the partition it came from.
 */
export class KafkaDeadLetters implements DeadLetters {
  constructor(
    private readonly producer: () => Promise<Producer>,
    private readonly topic: string,
  ) {}

  /** @throws DependencyUnavailableError when Kafka is away: a dead letter not stored is retried, never skipped. */
  async publish(letter: DeadLetter): Promise<void> {
    try {
      await this.send(letter.key, letter.value, { ...letter.headers, ...dlqHeaders(letter) });
    } catch (error) {
      const refusal = brokerRefusal(error);
      if (refusal === undefined) throw new DependencyUnavailableError('kafka', { cause: error });
      await this.publishCutDown(letter, refusal);
    }
  }

  private async publishCutDown(letter: DeadLetter, refusal: string): Promise<void> {
    const kept = Object.entries(letter.headers).filter(([name, text]) => Buffer.byteLength(name) + Buffer.byteLength(text) <= KEPT_HEADER_BYTES).slice(0, 32);
    const headers = {
      ...Object.fromEntries(kept),
      ...dlqHeaders(letter),
      'dlq-cut-down': refusal,
      'dlq-original-value-bytes': String(letter.value?.length ?? 0),
      'dlq-original-value-sha256': createHash('sha256').update(letter.value ?? Buffer.alloc(0)).digest('hex'),
      'dlq-original-headers-dropped': String(Object.keys(letter.headers).length - kept.length),
    };
    const key = letter.key === null ? null : Buffer.from(letter.key).subarray(0, KEPT_KEY_BYTES);
    try {
      await this.send(key, letter.value?.subarray(0, KEPT_VALUE_BYTES) ?? null, headers);
    } catch (error) {
      throw new DependencyUnavailableError('kafka', { cause: error });
    }
  }

  private async send(key: string | Buffer | null, value: Buffer | null, headers: Record<string, string>): Promise<void> {
    const producer = await this.producer();
    await producer.send({ topic: this.topic, acks: -1, compression: CompressionTypes.GZIP, messages: [{ key, value, headers }] });
  }
}

function dlqHeaders(letter: DeadLetter): Record<string, string> {
  return {
    'dlq-reason': letter.reason.slice(0, 2000),
    'dlq-kind': letter.kind,
    'dlq-attempts': String(letter.attempts),
    'dlq-first-failed-at': letter.firstFailedAt.toISOString(),
    'dlq-last-failed-at': letter.lastFailedAt.toISOString(),
    ...(letter.source
      ? { 'dlq-source-topic': letter.source.topic, 'dlq-source-partition': String(letter.source.partition), 'dlq-source-offset': letter.source.offset }
      : {}),
  };
}

/** kafkajs headers are Buffers (or arrays of them); ours are strings. */
export function headersToStrings(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const single = Array.isArray(value) ? value[value.length - 1] : value;
    if (single !== undefined) result[name] = single.toString();
  }
  return result;
}
