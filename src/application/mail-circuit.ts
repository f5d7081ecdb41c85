import type { Logger } from './ports/logger.js';
import { MailDeliveryError, type Mailer, type MailFailureKind } from './ports/mailer.js';
import { sleep } from './sleep.js';

export type CircuitState = { readonly open: false } | { readonly open: true; readonly kind: MailFailureKind; readonly reason: string; readonly since: Date };

/**
 * Stops all sending while the mail server is unreachable or refuses our credentials, so an outage
 * costs no order a retry and sends nothing to the dead-letter topic; probes until the server is back.
 */
export class MailCircuit {
  private current: CircuitState = { open: false };
  private readonly listeners = new Set<(state: CircuitState) => void>();
  private probing?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly probeIntervalMs: { min: number; max: number } = { min: 1000, max: 15_000 },
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  onChange(listener: (state: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  trip(kind: MailFailureKind, reason: string): void {
    if (this.current.open || this.stopping.signal.aborted) return;
    this.current = { open: true, kind, reason, since: new Date() };
    if (kind === 'auth')
      this.logger.error('SMTP authentication failed: sending stopped until the credentials work', { alert: true, reason });
    else this.logger.warn('SMTP server unreachable: sending paused, probing', { reason });
    this.probing = this.probeUntilClosed();
    this.emit();
  }

  /** Waits while the circuit is open; resolves at once when it is closed. */
  async whenClosed(signal?: AbortSignal): Promise<void> {
    while (this.current.open && !signal?.aborted) await sleep(100, signal);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.probing;
  }

  private async probeUntilClosed(): Promise<void> {
    for (let attempt = 0; this.current.open && !this.stopping.signal.aborted; attempt++) {
      await sleep(Math.min(this.probeIntervalMs.max, this.probeIntervalMs.min * 2 ** Math.min(attempt, 10)), this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      try {
        await this.mailer.verify();
        const downForMs = this.current.open ? Date.now() - this.current.since.getTime() : 0;
        this.current = { open: false };
        this.logger.info('SMTP server reachable again: sending resumed', { downForMs });
        this.emit();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof MailDeliveryError && error.kind === 'auth' && this.current.open && this.current.kind !== 'auth') {
          this.current = { ...this.current, kind: 'auth', reason };
          this.logger.error('SMTP authentication failed: sending stopped until the credentials work', { alert: true, reason });
        } else this.logger.debug('SMTP probe failed', { error: reason });
      }
    }
  }

  private emit(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.current);
      } catch (error) {
        // A listener that cannot follow (a consumer not connected yet) must not keep the circuit from probing.
        this.logger.warn('circuit listener failed', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
