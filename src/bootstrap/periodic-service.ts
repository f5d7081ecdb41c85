import type { Logger } from '../application/ports/logger.js';
import { beforeDeadline } from '../application/deadline.js';
import type { Service } from './tokens.js';

/** How often housekeeping runs (pruning old rows of the outbox, the rate limits, the recipient quota). */
export const HOUSEKEEPING_EVERY_MS = 60_000;

/** Runs `work` every `everyMs` while the role runs (housekeeping); a failure is logged and tried again next time. */
export class PeriodicService implements Service {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly everyMs: number,
    private readonly work: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      // A run still going (a slow database) is not joined by another.
      this.running ??= this.work()
        .catch((error: unknown) => this.logger.warn(`${this.name} failed; trying again later`, { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          this.running = undefined;
        });
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(deadline: number): Promise<void> {
    clearInterval(this.timer);
    if (this.running) await beforeDeadline(this.running, deadline);
  }
}
