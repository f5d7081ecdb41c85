import type { Clock } from './ports/clock.js';
import { deadLetterKey, type DeadEvent, type DeadLetters, type UnreadableMessage } from './ports/dead-letters.js';
import type { Logger } from './ports/logger.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';

type Facts = 'kind' | 'attempts' | 'firstFailedAt' | 'lastFailedAt';

/** An unreadable message with its bytes, or a decoded event nothing here could handle. */
export type PoisonLetter = Omit<UnreadableMessage, Facts> | Omit<DeadEvent, Facts>;

/** Dead-letters a message nothing here can handle (unreadable: with its raw bytes; an unknown event, a failure of its own: the event), with an alert. */
export class RejectPoison {
  constructor(
    private readonly deadLetters: DeadLetters,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** @throws DependencyUnavailableError when the dead letter cannot be stored: the message is retried in place, never skipped. */
  async execute(letter: PoisonLetter): Promise<void> {
    const now = this.clock.now();
    const dead = { ...letter, kind: 'poison', attempts: 0, firstFailedAt: now, lastFailedAt: now } as const;
    await this.deadLetters.publish(dead);
    this.metrics.deadLettered('poison');
    this.logger.error('poison message dead-lettered', { alert: true, reason: letter.reason, key: deadLetterKey(dead), source: letter.source });
  }
}
