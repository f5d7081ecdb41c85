import { beforeDeadline, PAST_DEADLINE } from './deadline.js';
import type { Logger } from './ports/logger.js';
import type { RelayOutbox } from './relay-outbox.js';

/** What the relay service drives: the relay loop, and one batch at a time for the last flush. */
type Relay = Pick<RelayOutbox, 'run' | 'execute'>;

/** The relay loop as a role's service; stopped after HTTP (see roles.ts), it flushes once more what HTTP accepted while draining. */
export class RelayService {
  readonly name = 'relay';
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly relay: Relay,
    private readonly batchSize: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.running = this.relay.run(this.stopping.signal);
  }

  /** Stops the loop, then publishes what is left, batch after batch, until a batch is not full or `deadline` (a Date.now() time) comes. */
  async stop(deadline: number): Promise<void> {
    this.stopping.abort();
    if ((await beforeDeadline(this.running ?? Promise.resolve(), deadline)) === PAST_DEADLINE) {
      this.logger.warn('the relay loop did not stop by the shutdown deadline; unpublished events wait in the outbox for the next relay');
      return;
    }
    try {
      let flushed = 0;
      for (;;) {
        const published = await beforeDeadline(this.relay.execute(), deadline);
        if (published === PAST_DEADLINE) {
          this.logger.warn('last flush stopped at the shutdown deadline; the rest waits in the outbox for the next relay', { flushed });
          return;
        }
        flushed += published;
        if (published < this.batchSize) break;
      }
      if (flushed > 0) this.logger.info('last flush published the orders accepted while stopping', { count: flushed });
    } catch (error) {
      this.logger.warn('last flush failed; the events wait in the outbox for the next relay', { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
