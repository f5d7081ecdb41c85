import type { Logger } from './ports/logger.js';
import { sleep } from './sleep.js';

/** The notifier's periodic work, as the sweeper drives it: send what is due, keep this process's leases alive. */
export interface DueNotifications {
  /** Resolves with how many were taken (at most `limit`). */
  execute(limit: number): Promise<number>;
}
export interface LeaseRenewal {
  execute(): Promise<void>;
}

export interface RetrySweeperOptions {
  /** Well within the lease time, so that a lease never lapses while its email is being sent. */
  readonly renewEveryMs: number;
  /** How many due notifications one sweep takes; a full batch is followed by the next sweep at once. */
  readonly batchSize?: number;
  /** The pause after a sweep that found less than a full batch. */
  readonly sweepEveryMs?: number;
  /** The pause after a sweep that failed (the ledger away). */
  readonly pauseAfterFailureMs?: number;
}

const RETRY_BATCH = 50;
const RETRY_SWEEP_MS = 250;
const PAUSE_AFTER_FAILURE_MS = 2000;

/**
 * Sends the emails whose retry is due or whose turn has come (queued behind an earlier one of their order),
 * takes over the ones a crashed notifier left behind, and renews the leases of this process's sends.
 */
export class RetrySweeper {
  readonly name = 'retry-sweeper';
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private renewing?: Promise<void>;
  private readonly batchSize: number;
  private readonly sweepEveryMs: number;
  private readonly pauseAfterFailureMs: number;

  constructor(
    private readonly sendDue: DueNotifications,
    private readonly renewLeases: LeaseRenewal,
    private readonly logger: Logger,
    private readonly options: RetrySweeperOptions,
  ) {
    this.batchSize = options.batchSize ?? RETRY_BATCH;
    this.sweepEveryMs = options.sweepEveryMs ?? RETRY_SWEEP_MS;
    this.pauseAfterFailureMs = options.pauseAfterFailureMs ?? PAUSE_AFTER_FAILURE_MS;
  }

  async start(): Promise<void> {
    this.running = this.sweepLoop();
    this.renewing = this.renewLoop();
  }

  /** Stops both loops; resolves once the sweep and the renewal under way are over. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.running, this.renewing]);
  }

  // Its own loop, so that a sweep waiting on slow sends never lets their leases lapse.
  private async renewLoop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await sleep(this.options.renewEveryMs, signal);
      try {
        await this.renewLeases.execute();
      } catch (error) {
        this.logger.warn('lease renewal failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async sweepLoop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        const taken = await this.sendDue.execute(this.batchSize);
        if (taken < this.batchSize) await sleep(this.sweepEveryMs, signal);
      } catch (error) {
        this.logger.warn('retry sweep failed', { error: error instanceof Error ? error.message : String(error) });
        await sleep(this.pauseAfterFailureMs, signal);
      }
    }
  }
}
