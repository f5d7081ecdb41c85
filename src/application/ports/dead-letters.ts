import type { EventSource } from './notification-ledger.js';

/**
 * Why a message was dead-lettered:
 * - `poison`: not a usable order-created event, or a bug while handling it.
 * - `permanent`: the server refused this email for good (5xx at RCPT TO or DATA).
 * - `retries-exhausted`: it kept failing for a reason of its own (4xx, connection lost) after every retry.
 * - `outcome-unknown`: the connection was lost after the final dot twice; the server may have both copies.
 */
export const DEAD_LETTER_KINDS = ['poison', 'permanent', 'retries-exhausted', 'outcome-unknown'] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

export interface DeadLetter {
  readonly key: string | null;
  /** The original message value, byte for byte. */
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly kind: DeadLetterKind;
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  readonly source?: EventSource;
}

export interface DeadLetters {
  /** Resolves once the dead letter is durably stored. */
  publish(letter: DeadLetter): Promise<void>;
}
