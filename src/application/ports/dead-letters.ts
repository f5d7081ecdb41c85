import type { EventSource } from './notification-ledger.js';

export interface DeadLetter {
  readonly key: string | null;
  /** The original message value, byte for byte. */
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly kind: 'poison' | 'permanent' | 'retries-exhausted';
  readonly attempts: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  readonly source?: EventSource;
}

export interface DeadLetters {
  /** Resolves once the dead letter is durably stored. */
  publish(letter: DeadLetter): Promise<void>;
}
