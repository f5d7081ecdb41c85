import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import { DependencyUnavailableError } from '../../application/errors.js';
import type { EventPublisher } from '../../application/ports/event-publisher.js';
import type { HealthCheck } from '../../application/ports/health-check.js';
import type { OutboxEvent } from '../../application/ports/outbox.js';
import { ensureTopics, publicKafkaReason, type TopicSpec } from './kafka-client.js';

/** Publishes with an idempotent producer and acks from all in-sync replicas; connects (and creates topics) lazily. */
export class KafkaEventPublisher implements EventPublisher {
  private connected?: Producer;
  private connecting?: Promise<Producer>;
  private lastError?: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: readonly TopicSpec[],
    private readonly publishTimeoutMs = 15_000,
  ) {}

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const byTopic = new Map<string, OutboxEvent[]>();
    for (const event of events) byTopic.set(event.topic, [...(byTopic.get(event.topic) ?? []), event]);
    try {
      const producer = await this.producer();
      await withTimeout(
        producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((e) => ({ key: e.key, value: JSON.stringify(e.payload), headers: { ...e.headers } })),
          })),
        }),
        this.publishTimeoutMs,
      );
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      await this.reset();
      throw new DependencyUnavailableError('kafka', { cause: error });
    }
  }

  /** Connects and creates the topics now, so they exist before the first order; a failure is only recorded, the relay retries. */
  async connect(): Promise<void> {
    try {
      await this.producer();
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
    }
  }

  healthCheck(): HealthCheck {
    return {
      name: 'kafka',
      critical: false,
      check: async () => {
        if (this.lastError) throw new Error(publicKafkaReason(this.lastError));
        return { connected: this.connected !== undefined };
      },
    };
  }

  async close(): Promise<void> {
    await this.reset();
  }

  /** The connected producer, for other adapters that publish beside the events (dead letters). */
  producer(): Promise<Producer> {
    if (this.connected) return Promise.resolve(this.connected);
    this.connecting ??= (async () => {
      await ensureTopics(this.kafka, this.topics);
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      });
      await producer.connect();
      this.connected = producer;
      return producer;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async reset(): Promise<void> {
    const producer = this.connected;
    this.connected = undefined;
    await producer?.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
