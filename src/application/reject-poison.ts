import type { Clock } from './ports/clock.js';
import type { DeadLetter, DeadLetters } from './ports/dead-letters.js';
import type { Logger } from './ports/logger.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';

export type PoisonLetter = Omit<DeadLetter, 'kind' | 'attempts' | 'firstFailedAt' | 'lastFailedAt'>;

/** Dead-letters a message nothing here can handle (unreadable, an unknown event, a failure of its own), with its raw bytes and an alert. */
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
    await this.deadLetters.publish({ ...letter, kind: 'poison', attempts: 0, firstFailedAt: now, lastFailedAt: now });
    this.metrics.deadLettered('poison');
    this.logger.error('poison message dead-lettered', { alert: true, reason: letter.reason, key: letter.key, source: letter.source });
  }
}
