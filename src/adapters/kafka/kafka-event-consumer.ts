import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { DispatchEvent } from '../../application/dispatch-event.js';
import type { Gate } from '../../application/gate.js';
import { HealthCheckFailure, type HealthCheck } from '../../application/ports/health-check.js';
import type { Logger } from '../../application/ports/logger.js';
import type { EventCodecs } from './event-codec.js';
import { ensureTopics, publicKafkaReason, type TopicSpec } from './kafka-client.js';
import { headersToStrings } from './kafka-dead-letters.js';
import { handleInKeyOrder } from './key-ordered-batch.js';

/**
 * Messages of a partition's batch taken at a time. 32 rather than 8 since the claims, the recipient cap and the
 * sent records share statements (StatementBatcher): bigger chunks make fewer, fuller transactions (0.86 instead
 * of 1.16 per order in `npm run bench -- --smoke` on 2026-11-26) and an email waits for fewer rounds. The
 * SMTP pool (5 connections per provider) still bounds the sends at once, so a chunk may wait on it for a while:
 * the consumer heartbeats while it does. At a crash, up to partitions × this
 * many emails are in flight: the bound of the post-250 window's duplicates.
 */
export const BATCH_CONCURRENCY = 32;

const HEARTBEAT_INTERVAL_MS = 1000;

export interface ConsumerSettings {
  readonly groupId: string;
  /** Partitions handled at once by this process. */
  readonly concurrency: number;
  /** Messages of one partition's batch taken at a time: their keys run in parallel, each key's messages in order. */
  readonly batchConcurrency: number;
  /** Created when missing, so the notifier may start before the first order. */
  readonly topics: readonly TopicSpec[];
}

/**
 * Reads the topics of its codecs, decodes each record by its type and version, and hands it to the dispatch
 * table; it holds every topic back while the gate is closed. An offset is committed only once its message
 * was handled: the email accepted, recognised as already sent, durably scheduled for retry in the ledger, or
 * dead-lettered (poison included: unreadable, or an unknown type or version). Only a dependency that is away
 * (the database, the broker for the dead letter) leaves it uncommitted, and the batch is handled again in place.
 */
export class KafkaEventConsumer {
  private consumer?: Consumer;
  private connected = false;
  private lastError?: string;
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly codecs: EventCodecs,
    private readonly dispatch: DispatchEvent,
    private readonly gate: Gate,
    private readonly settings: ConsumerSettings,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.settings.groupId,
      // A notifier that dies gives its partitions up after 10 s rather than kafkajs's 30 s; eachBatch
      // heartbeats during and after every chunk, so a chunk waiting long on the SMTP pool keeps its partitions.
      sessionTimeout: 10_000,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      allowAutoTopicCreation: false,
      // Reconnects forever with a capped backoff: an unreachable broker is an outage, not a reason to exit.
      retry: { initialRetryTime: 500, maxRetryTime: 10_000, retries: Number.MAX_SAFE_INTEGER, restartOnFailure: async () => true },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.connected = true;
      this.lastError = undefined;
      this.logger.info('joined consumer group', { groupId: payload.groupId, assigned: payload.memberAssignment });
      if (!this.gate.isOpen) consumer.pause(this.subscribed());
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.connected = false;
      this.lastError = payload.error.message;
      this.logger.warn('consumer crashed, restarting', { error: payload.error.message, restart: payload.restart });
      // kafkajs gives up on errors it deems final; an outage of ours is never final, so start over.
      if (!payload.restart && !this.stopped) this.connectInBackground(consumer);
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      this.connected = false;
    });
    this.unsubscribe = this.gate.onChange((isOpen) => {
      if (isOpen) consumer.resume(this.subscribed());
      else consumer.pause(this.subscribed());
    });
    this.connectInBackground(consumer);
  }

  /** Finishes the messages in flight, commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.consumer?.disconnect();
  }

  healthCheck(): HealthCheck {
    return {
      name: 'kafka-consumer',
      critical: false,
      check: async () => {
        if (!this.connected) throw new HealthCheckFailure(this.lastError ? publicKafkaReason(this.lastError) : 'not connected to the consumer group yet');
        return { groupId: this.settings.groupId, topic: this.codecs.topics.join(', ') };
      },
    };
  }

  /** Resolves once the message is handled or dead-lettered; throws only while a dependency is away (redelivered in place). */
  private async handle(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const headers = headersToStrings(message.headers);
    const source = { topic, partition, offset: message.offset };
    const decoded = this.codecs.decode(topic, message.value, headers);
    await this.dispatch.execute(decoded.ok ? { ...decoded, source } : { ...decoded, message: { key: message.key?.toString() ?? null, value: message.value, headers }, source });
  }

  private subscribed(): { topic: string }[] {
    return this.codecs.topics.map((topic) => ({ topic }));
  }

  private connectInBackground(consumer: Consumer): void {
    const attempt = async (delayMs: number): Promise<void> => {
      if (this.stopped) return;
      try {
        await ensureTopics(this.kafka, this.settings.topics);
        await consumer.connect();
        await consumer.subscribe({ topics: this.codecs.topics, fromBeginning: true });
        await consumer.run({
          autoCommit: true,
          autoCommitInterval: 1000,
          autoCommitThreshold: 100,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.settings.concurrency,
          // Orders are independent, so their events are handled in parallel; the events of one order are
          // handled in their order (see handleInKeyOrder).
          eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
            handleInKeyOrder({
              messages: batch.messages,
              chunkSize: this.settings.batchConcurrency,
              handle: (message) => this.handle(batch.topic, batch.partition, message),
              resolveOffset,
              heartbeat,
              heartbeatEveryMs: HEARTBEAT_INTERVAL_MS,
              goOn: () => isRunning() && !isStale(),
            }),
        });
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.logger.warn('cannot reach Kafka yet, retrying', { error: this.lastError, retryInMs: delayMs });
        await consumer.disconnect().catch(() => undefined);
        setTimeout(() => void attempt(Math.min(delayMs * 2, 30_000)), delayMs).unref();
      }
    };
    void attempt(1000);
  }
}
