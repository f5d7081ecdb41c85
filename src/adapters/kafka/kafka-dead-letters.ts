import type { Producer } from 'kafkajs';
import { DependencyUnavailableError } from '../../application/errors.js';
import type { DeadLetter, DeadLetters } from '../../application/ports/dead-letters.js';

/** Dead letters keep the original value and headers byte for byte; what went wrong travels in `dlq-*` headers. */
export class KafkaDeadLetters implements DeadLetters {
  constructor(
    private readonly producer: () => Promise<Producer>,
    private readonly topic: string,
  ) {}

  /** @throws DependencyUnavailableError whatever went wrong: a dead letter not stored is retried, never skipped. */
  async publish(letter: DeadLetter): Promise<void> {
    try {
      await this.send(letter);
    } catch (error) {
      throw new DependencyUnavailableError('kafka', { cause: error });
    }
  }

  private async send(letter: DeadLetter): Promise<void> {
    const producer = await this.producer();
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: [
        {
          key: letter.key,
          value: letter.value,
          headers: {
            ...letter.headers,
            'dlq-reason': letter.reason,
            'dlq-kind': letter.kind,
            'dlq-attempts': String(letter.attempts),
            'dlq-first-failed-at': letter.firstFailedAt.toISOString(),
            'dlq-last-failed-at': letter.lastFailedAt.toISOString(),
            ...(letter.source
              ? { 'dlq-source-topic': letter.source.topic, 'dlq-source-partition': String(letter.source.partition), 'dlq-source-offset': letter.source.offset }
              : {}),
          },
        },
      ],
    });
  }
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
