import { kindKey, type DomainEvent, type EventKind } from '../domain/domain-event.js';
import type { Logger } from './ports/logger.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import type { Delivery, Reaction } from './reaction.js';

/**
 * A kind of event this process reads but deliberately does nothing with (it is another process's, or a
 * fact nobody here needs to act on): a row of the dispatch table like any reaction, so that such an event
 * is acknowledged, counted and logged at debug, never dead-lettered. A kind in no row at all stays poison.
 */
export class IgnoreEvent implements Reaction {
  constructor(
    readonly handles: EventKind,
    private readonly logger: Logger,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  async react(event: DomainEvent, delivery: Delivery): Promise<void> {
    this.metrics.eventIgnored(kindKey(event));
    this.logger.debug('event ignored: nothing here reacts to it, by design', {
      eventType: event.type,
      version: event.version,
      orderId: event.aggregateId,
      ...(delivery.correlationId ? { correlationId: delivery.correlationId } : {}),
      ...(delivery.source ? { source: delivery.source } : {}),
    });
  }
}
