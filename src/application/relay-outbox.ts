import type { Clock } from './ports/clock.js';
import type { EventPublisher } from './ports/event-publisher.js';
import type { Logger } from './ports/logger.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import type { Outbox } from './ports/outbox.js';
import { sleep } from './sleep.js';

export interface RelayOptions {
  readonly batchSize: number;
  /** Longest wait between two looks at the outbox when no notification arrives. */
  readonly pollIntervalMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** After a wake-up, wait this long so one publish carries the orders committed meanwhile (Kafka's linger.ms). */
  readonly lingerMs?: number;
  /** Published events are deleted once this old; unset keeps them forever. */
  readonly retentionMs?: number;
}

/** Rows deleted per statement (small steps, no long locks), and the longest one pruning round may take. */
const PRUNE_BATCH = 1000;
const PRUNE_BUDGET_MS = 10_000;

export interface RelayState {
  /** `open` while the broker keeps failing: the relay only probes it, after a backoff. */
  readonly circuit: 'closed' | 'open';
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  readonly lastPublishedAt?: Date;
}

/** Moves committed outbox events to the broker, at least once, in commit order per key. */
export class RelayOutbox {
  private state: RelayState = { circuit: 'closed', consecutiveFailures: 0 };

  constructor(
    private readonly outbox: Outbox,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  get status(): RelayState {
    return this.state;
  }

  /** Publishes one batch; resolves with the number of events handled (published or parked). */
  async execute(): Promise<number> {
    let publishSeconds = 0;
    const { published, parked } = await this.outbox.relay(this.options.batchSize, async (events) => {
      const started = performance.now();
      const rejected = await this.publisher.publish(events);
      publishSeconds = (performance.now() - started) / 1000;
      return rejected;
    });
    if (published > 0) {
      this.metrics.eventsRelayed(published, publishSeconds);
      this.logger.debug('outbox events published', { count: published });
    }
    for (const { event: pending, reason } of parked) {
      this.metrics.eventParked();
      // The api bounds every event well below what the broker takes: a parked event is a bug (or, when no codec
      // knows its kind, a relay older than the api that wrote it), never a customer's fault.
      this.logger.error('outbox event cannot be published: parked, the events behind it go on', {
        alert: true,
        outboxId: pending.id,
        key: pending.event.aggregateId,
        type: pending.event.type,
        version: pending.event.version,
        reason,
      });
    }
    return published + parked.length;
  }

  /**
   * Deletes published events older than the retention, a batch at a time, for at most PRUNE_BUDGET_MS
   * (a large backlog of old rows is worked off over several rounds); resolves with how many. Runs beside
   * the relay loop, never in it: publishing does not wait for housekeeping.
   */
  async prune(): Promise<number> {
    if (this.options.retentionMs === undefined) return 0;
    const before = new Date(this.clock.now().getTime() - this.options.retentionMs);
    const until = performance.now() + PRUNE_BUDGET_MS;
    let deleted = 0;
    for (;;) {
      const count = await this.outbox.prune(before, PRUNE_BATCH);
      deleted += count;
      if (count < PRUNE_BATCH || performance.now() >= until) break;
    }
    if (deleted > 0) this.logger.info('published outbox events past their retention deleted', { count: deleted });
    return deleted;
  }

  /** Relays until `signal` aborts; a failing broker opens the circuit instead of ending the loop. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const handled = await this.execute();
        this.recordSuccess(handled);
        if (handled < this.options.batchSize) {
          await this.outbox.waitForEvents(this.options.pollIntervalMs, signal);
          if (this.options.lingerMs) await sleep(this.options.lingerMs, signal);
        }
      } catch (error) {
        if (signal.aborted) break;
        await sleep(this.recordFailure(error), signal);
      }
    }
  }

  private recordSuccess(published: number): void {
    if (this.state.circuit === 'open') this.logger.info('outbox relay recovered, circuit closed');
    this.state = {
      circuit: 'closed',
      consecutiveFailures: 0,
      lastPublishedAt: published > 0 ? this.clock.now() : this.state.lastPublishedAt,
    };
  }

  /** Returns how long to back off before the next probe. */
  private recordFailure(error: unknown): number {
    const failures = this.state.consecutiveFailures + 1;
    const message = describeError(error);
    const ceiling = Math.min(this.options.maxBackoffMs, this.options.minBackoffMs * 2 ** (failures - 1));
    const backoffMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.state = { ...this.state, circuit: 'open', consecutiveFailures: failures, lastError: message };
    const log = failures === 1 || failures % 10 === 0 ? this.logger.warn : this.logger.debug;
    log.call(this.logger, 'outbox relay failed, circuit open', { error: message, consecutiveFailures: failures, backoffMs });
    return backoffMs;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}
