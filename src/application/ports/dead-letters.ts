import type { NotificationKey } from '../../domain/notification.js';
import type { DomainEvent } from '../../domain/domain-event.js';
import type { EventSource } from './notification-ledger.js';
import type { EventMetadata } from './outbox.js';

/**
 * Why a message was dead-lettered:
 * - `poison`: not a usable event (unreadable, an unknown type or version), or a bug while handling it.
 * - `permanent`: the server refused this email for good (5xx at RCPT TO or DATA).
 * - `retries-exhausted`: it kept failing for a reason of its own (4xx, connection lost) after every retry.
 * - `outcome-unknown`: the connection was lost after the final dot twice; the server may have both copies.
 */
export const DEAD_LETTER_KINDS = ['poison', 'permanent', 'retries-exhausted', 'outcome-unknown'] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

/** The notification a dead letter is about, when one was attempted. */
export type DeadNotification = NotificationKey;

/** A message as it arrived, byte for byte: kept only when it could not be read as an event. */
export interface RawMessage {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

interface DeadLetterFacts {
  readonly reason: string;
  readonly kind: DeadLetterKind;
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  readonly source?: EventSource;
}

/** A decoded event that could not be handled; its notification's, when one was attempted. */
export interface DeadEvent extends DeadLetterFacts {
  readonly event: DomainEvent;
  readonly metadata: EventMetadata;
  readonly notification?: DeadNotification;
}

/** A message that could not be decoded at all: there is no event, so its bytes are what is kept. */
export interface UnreadableMessage extends DeadLetterFacts {
  readonly message: RawMessage;
}

/** The adapter chooses the envelope: a Kafka record like the original, a table row. */
export type DeadLetter = DeadEvent | UnreadableMessage;

export const isDeadEvent = (letter: DeadLetter): letter is DeadEvent => 'event' in letter;

/** What operators and logs call the letter by: its order, or the key it came with. */
export const deadLetterKey = (letter: DeadLetter): string | null => (isDeadEvent(letter) ? (letter.notification?.orderId ?? letter.event.aggregateId) : letter.message.key);

export interface DeadLetters {
  /** Resolves once the dead letter is durably stored. */
  publish(letter: DeadLetter): Promise<void>;
}
