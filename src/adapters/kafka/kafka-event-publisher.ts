import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { DependencyUnavailableError } from '../../application/errors.js';
import type { EventPublisher, RejectedEvent } from '../../application/ports/event-publisher.js';
import { HealthCheckFailure, type HealthCheck } from '../../application/ports/health-check.js';
import type { OutgoingEvent } from '../../application/ports/outbox.js';
import type { EventCodecs, KafkaRecord } from './event-codec.js';
import { brokerRefusal, ensureTopics, publicKafkaReason, type TopicSpec } from './kafka-client.js';

export type KafkaCompression = 'gzip' | 'none';

export interface PublisherSettings {
  /** Upper bound of one produce request's records, before compression; lowered to 90 % of the topics' max.message.bytes. */
  readonly maxRequestBytes: number;
  /** gzip is the codec kafkajs carries itself and every broker reads. */
  readonly compression: KafkaCompression;
  readonly publishTimeoutMs?: number;
}

export const DEFAULT_PUBLISHER_SETTINGS: PublisherSettings = { maxRequestBytes: 512 * 1024, compression: 'gzip' };

// Per record, besides key, value and headers: lengths, offsets, timestamps, attributes (record format v2).
const RECORD_OVERHEAD_BYTES = 64;

interface Encoded<E> {
  readonly event: E;
  readonly topic: string;
  readonly message: Message;
  readonly bytes: number;
}

/**
 * Publishes each event in the envelope its codec gives it (topic, key, headers, JSON value); an event no
 * codec here knows is refused for good, like a record the broker refuses. Publishes with an idempotent producer and acks from all in-sync replicas; connects (and creates topics)
 * lazily. Every produce request stays under a byte bound, so a burst of large events never makes a request
 * the broker refuses; an event it still refuses for good is isolated (the request is split until it stands
 * alone) and returned, and the rest is published.
 */
export class KafkaEventPublisher implements EventPublisher {
  private connected?: Producer;
  private connecting?: Promise<Producer>;
  private lastError?: string;
  private maxRequestBytes: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly codecs: EventCodecs,
    private readonly topics: readonly TopicSpec[],
    private readonly settings: PublisherSettings = DEFAULT_PUBLISHER_SETTINGS,
  ) {
    this.maxRequestBytes = settings.maxRequestBytes;
  }

  async publish<E extends OutgoingEvent>(events: readonly E[]): Promise<readonly RejectedEvent<E>[]> {
    const rejected: RejectedEvent<E>[] = [];
    if (events.length === 0) return rejected;
    const encoded: Encoded<E>[] = [];
    for (const outgoing of events) {
      const record = this.codecs.encode(outgoing.event, outgoing.metadata);
      if (record) encoded.push(encode(outgoing, record));
      else rejected.push({ event: outgoing, reason: `no codec for ${outgoing.event.type} version ${outgoing.event.version}: this relay is older than the api that wrote it; unpark it once the relay is upgraded` });
    }
    try {
      await this.producer();
      for (const request of this.requests(encoded)) await this.send(request, rejected);
      this.lastError = undefined;
      return rejected;
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
        if (this.lastError) throw new HealthCheckFailure(publicKafkaReason(this.lastError));
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
      const brokerLimit = await ensureTopics(this.kafka, this.topics);
      if (brokerLimit !== undefined) this.maxRequestBytes = Math.min(this.settings.maxRequestBytes, Math.floor(brokerLimit * 0.9));
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

  /** Consecutive runs of events, each under the byte bound (an event larger than the bound goes alone). */
  private *requests<E>(encoded: readonly Encoded<E>[]): Generator<Encoded<E>[]> {
    let request: Encoded<E>[] = [];
    let bytes = 0;
    for (const item of encoded) {
      if (request.length > 0 && bytes + item.bytes > this.maxRequestBytes) {
        yield request;
        request = [];
        bytes = 0;
      }
      request.push(item);
      bytes += item.bytes;
    }
    if (request.length > 0) yield request;
  }

  /** Sends one request; a refusal for good is narrowed down by halves to the events that cause it. */
  private async send<E extends OutgoingEvent>(request: readonly Encoded<E>[], rejected: RejectedEvent<E>[]): Promise<void> {
    try {
      await this.sendBatch(request);
    } catch (error) {
      const refusal = brokerRefusal(error);
      if (refusal === undefined) throw error;
      const [only] = request;
      if (request.length === 1 && only) {
        rejected.push({ event: only.event, reason: `${refusal}: ${only.bytes} bytes to topic ${only.topic}` });
        return;
      }
      const half = Math.ceil(request.length / 2);
      await this.send(request.slice(0, half), rejected);
      await this.send(request.slice(half), rejected);
    }
  }

  private async sendBatch(request: readonly Encoded<OutgoingEvent>[]): Promise<void> {
    const producer = await this.producer();
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of request) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    await withTimeout(
      producer.sendBatch({
        acks: -1,
        compression: this.settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      }),
      this.settings.publishTimeoutMs ?? 15_000,
    );
  }

  private async reset(): Promise<void> {
    const producer = this.connected;
    this.connected = undefined;
    await producer?.disconnect().catch(() => undefined);
  }
}

function encode<E extends OutgoingEvent>(event: E, record: KafkaRecord): Encoded<E> {
  const { topic, key, value } = record;
  const headers = { ...record.headers };
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(key) + Buffer.byteLength(value);
  for (const [name, text] of Object.entries(headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(text) + 2;
  return { event, topic, message: { key, value, headers }, bytes };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
