import type { RejectedEvent } from './event-publisher.js';

/** An event waiting to be published, written in the same transaction as the state it describes. */
export interface OutboxEvent {
  readonly topic: string;
  readonly key: string;
  readonly payload: object;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PendingEvent extends OutboxEvent {
  readonly id: string;
  readonly createdAt: Date;
  readonly attempts: number;
}

export interface OutboxBacklog {
  /** Events waiting to be published (parked ones excluded). */
  readonly count: number;
  readonly oldestCreatedAt?: Date;
  /** Events the broker refused for good, set aside until an operator looks at them. */
  readonly parked: number;
}

export interface RelayedBatch {
  readonly published: number;
  readonly parked: readonly RejectedEvent<PendingEvent>[];
}

export interface Outbox {
  /**
   * Claims up to `limit` unpublished events (never the ones another relay holds), hands them to
   * `publish`, and when it resolves marks them published, except the ones it returns, which are parked:
   * kept, never handed over again, and counted in the backlog's `parked`. A failed or interrupted publish
   * leaves them all unpublished for the next try.
   */
  relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<readonly RejectedEvent<PendingEvent>[]>): Promise<RelayedBatch>;
  backlog(): Promise<OutboxBacklog>;
  /**
   * Resolves when new events may be waiting (including any announced while nobody was waiting), or
   * after `timeoutMs` at the latest.
   */
  waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Deletes up to `limit` events published before `before`; resolves with how many. Parked and unpublished ones stay. */
  prune(before: Date, limit: number): Promise<number>;
}
