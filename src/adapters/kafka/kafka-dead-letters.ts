import { isNotificationChannel, isNotificationKind } from '../../domain/notification.js';
import { createHash } from 'node:crypto';
import { CompressionTypes, type Producer } from 'kafkajs';
import { DependencyUnavailableError } from '../../application/errors.js';
import { DEAD_LETTER_KINDS, isDeadEvent, type DeadLetter, type DeadLetterKind, type DeadLetters, type DeadNotification, type RawMessage } from '../../application/ports/dead-letters.js';
import type { EventSource } from '../../application/ports/notification-ledger.js';
import type { DomainEvent } from '../../domain/domain-event.js';
import { ORDER_CREATED } from '../../domain/order-created.js';
import { EVENT_TYPE_HEADER, type EventCodecs } from './event-codec.js';
import { jsonRecord } from './json-event-codec.js';
import { brokerRefusal } from './kafka-client.js';

/** What is kept of a letter the dead-letter topic refuses whole: enough to find and identify the original. */
const KEPT_VALUE_BYTES = 16 * 1024;
const KEPT_HEADER_BYTES = 256;
const KEPT_KEY_BYTES = 1024;

/**
 * A dead letter is a record like the original one, so that operators and dlq-replay read it as an event: a
 * decoded event is encoded by its codec (topic key, JSON value, event-type and schema-version headers), an
 * unreadable message is kept byte for byte. What went wrong, and which notification it was, travel in
 * `dlq-*` headers. A letter larger than the topic takes (a hand-made message near the broker's limit, plus
 * our headers) is stored cut down, with the original's size and SHA-256, so that it can never block the
 * partition it came from.
 */
export class KafkaDeadLetters implements DeadLetters {
  constructor(
    private readonly producer: () => Promise<Producer>,
    private readonly topic: string,
    private readonly codecs: EventCodecs,
  ) {}

  /** @throws DependencyUnavailableError when Kafka is away: a dead letter not stored is retried, never skipped. */
  async publish(letter: DeadLetter): Promise<void> {
    const original = this.recordOf(letter);
    try {
      await this.send(original.key, original.value, { ...original.headers, ...dlqHeaders(letter) });
    } catch (error) {
      const refusal = brokerRefusal(error);
      if (refusal === undefined) throw new DependencyUnavailableError('kafka', { cause: error });
      await this.publishCutDown(letter, original, refusal);
    }
  }

  /** The record the letter is about: the original bytes, or its event as this process would publish it. */
  private recordOf(letter: DeadLetter): RawMessage {
    if (!isDeadEvent(letter)) return letter.message;
    // An event no codec here writes (none today: every dead event was decoded or written by this process): the generic JSON envelope.
    const record = this.codecs.encode(letter.event, letter.metadata) ?? jsonRecord(letter.event, letter.metadata);
    return { key: record.key, value: Buffer.from(record.value), headers: record.headers };
  }

  private async publishCutDown(letter: DeadLetter, original: RawMessage, refusal: string): Promise<void> {
    const kept = Object.entries(original.headers).filter(([name, text]) => Buffer.byteLength(name) + Buffer.byteLength(text) <= KEPT_HEADER_BYTES).slice(0, 32);
    const headers = {
      ...Object.fromEntries(kept),
      ...dlqHeaders(letter),
      'dlq-cut-down': refusal,
      'dlq-original-value-bytes': String(original.value?.length ?? 0),
      'dlq-original-value-sha256': createHash('sha256').update(original.value ?? Buffer.alloc(0)).digest('hex'),
      'dlq-original-headers-dropped': String(Object.keys(original.headers).length - kept.length),
    };
    const key = original.key === null ? null : Buffer.from(original.key).subarray(0, KEPT_KEY_BYTES);
    try {
      await this.send(key, original.value?.subarray(0, KEPT_VALUE_BYTES) ?? null, headers);
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
  const notification = isDeadEvent(letter) ? letter.notification : undefined;
  return {
    'dlq-reason': letter.reason.slice(0, 2000),
    'dlq-kind': letter.kind,
    'dlq-attempts': String(letter.attempts),
    'dlq-first-failed-at': letter.firstFailedAt.toISOString(),
    'dlq-last-failed-at': letter.lastFailedAt.toISOString(),
    ...(letter.source
      ? { 'dlq-source-topic': letter.source.topic, 'dlq-source-partition': String(letter.source.partition), 'dlq-source-offset': letter.source.offset }
      : {}),
    ...(notification
      ? {
          'dlq-notification-order-id': notification.orderId,
          'dlq-notification-kind': notification.kind,
          ...(notification.channel === undefined ? {} : { 'dlq-notification-channel': notification.channel }),
          ...(notification.endpointId === undefined ? {} : { 'dlq-notification-endpoint': notification.endpointId }),
        }
      : {}),
  };
}

/**
 * A record of the dead-letter topic read back as the letter it was written from: its event when one of the
 * codecs reads it, its bytes otherwise (and always when it was cut down).
 * @param eventTopic what a record that names neither its type nor its source topic was read from.
 */
export function readDeadLetter(record: RawMessage, codecs: EventCodecs, eventTopic: string): DeadLetter {
  const { headers } = record;
  const original = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('dlq-')));
  const source = sourceOf(headers);
  const facts = {
    reason: headers['dlq-reason'] ?? '',
    kind: DEAD_LETTER_KINDS.find((kind) => kind === headers['dlq-kind']) ?? ('poison' satisfies DeadLetterKind),
    attempts: Number.parseInt(headers['dlq-attempts'] ?? '0', 10) || 0,
    firstFailedAt: dateOf(headers['dlq-first-failed-at']),
    lastFailedAt: dateOf(headers['dlq-last-failed-at']),
    ...(source ? { source } : {}),
  };
  const decoded = headers['dlq-cut-down'] === undefined ? codecs.decode(source?.topic ?? eventTopic, record.value, original) : undefined;
  if (!decoded?.ok) return { ...facts, message: { key: record.key, value: record.value, headers: original } };
  const notification = notificationOf(headers) ?? legacyNotificationOf(decoded.event, original);
  return { ...facts, event: decoded.event, metadata: decoded.metadata, ...(notification ? { notification } : {}) };
}

function notificationOf(headers: Readonly<Record<string, string>>): DeadNotification | undefined {
  const orderId = headers['dlq-notification-order-id'];
  const kind = headers['dlq-notification-kind'];
  if (orderId === undefined || kind === undefined) return undefined;
  const channel = headers['dlq-notification-channel'] ?? 'email';
  const endpointId = headers['dlq-notification-endpoint'];
  // A kind or channel this version does not know (a newer notifier wrote it) is no notification it can reset,
  // nor is a webhook delivery that does not name its endpoint.
  if (!isNotificationKind(kind) || !isNotificationChannel(channel) || (channel === 'webhook' && endpointId === undefined)) return undefined;
  return { orderId, kind, channel, ...(endpointId === undefined ? {} : { endpointId }) };
}

/**
 * Dead letters written before they named their notification: the ones with an event and no event-type
 * header were all an order's confirmation email (the only notification there was).
 */
function legacyNotificationOf(event: DomainEvent, headers: Readonly<Record<string, string>>): DeadNotification | undefined {
  return headers[EVENT_TYPE_HEADER] === undefined && event.type === ORDER_CREATED.type ? { orderId: event.aggregateId, kind: 'order-created', channel: 'email' } : undefined;
}

function sourceOf(headers: Readonly<Record<string, string>>): EventSource | undefined {
  const topic = headers['dlq-source-topic'];
  const partition = Number.parseInt(headers['dlq-source-partition'] ?? '', 10);
  const offset = headers['dlq-source-offset'];
  return topic === undefined || offset === undefined || Number.isNaN(partition) ? undefined : { topic, partition, offset };
}

/** A timestamp header; an unreadable one (a record made by hand) reads as the epoch rather than an Invalid Date. */
function dateOf(text: string | undefined): Date {
  const at = new Date(text ?? '');
  return Number.isNaN(at.getTime()) ? new Date(0) : at;
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
