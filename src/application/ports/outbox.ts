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
  readonly count: number;
  readonly oldestCreatedAt?: Date;
}

export interface Outbox {
  /**
   * Claims up to `limit` unpublished events (never the ones another relay holds), hands them to
   * `publish`, and marks them published only when it resolves. A failed or interrupted publish
   * leaves them unpublished for the next try. Resolves with the number published.
   */
  relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<void>): Promise<number>;
  backlog(): Promise<OutboxBacklog>;
  /** Resolves when new events may be waiting, or after `timeoutMs` at the latest. */
  waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void>;
}
