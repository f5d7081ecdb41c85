import type { NotificationFailureKind } from '../domain/notification.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { MailDeliveryError, type Mailer, type MailFailureKind } from './ports/mailer.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import { sleep } from './sleep.js';

export type CircuitState =
  | { readonly open: false }
  | { readonly open: true; readonly kind: MailFailureKind; readonly failureKind: NotificationFailureKind; readonly reason: string; readonly since: Date };

/** Leave to send one real email while the circuit is open; say how it went, or `end()` it undecided. */
export interface Trial {
  end(): void;
}

/**
 * Stops all sending through one provider while its mail server is unreachable, refuses our credentials or refuses mail from
 * us (a quota, a 5xx at MAIL FROM), so none of that costs an order a retry or sends it to the dead-letter
 * topic. It probes until sending can work again: verify() (connect, EHLO, AUTH) is proof enough for an
 * outage or bad credentials; a refusal shows only at MAIL FROM, so once verify() passes one real email
 * is let through as the trial (half-open), and only its MAIL FROM being accepted closes the circuit.
 */
export class MailCircuit {
  private current: CircuitState = { open: false };
  private readonly listeners = new Set<(state: CircuitState) => void>();
  private probing?: Promise<void>;
  private readonly stopping = new AbortController();
  private trial: 'none' | 'offered' | 'running' = 'none';
  private openings = 0;
  /** A refusal alerts once, until an email passes again: trials refused in between stay quiet. */
  private refusalAlerted = false;

  constructor(
    private readonly mailer: Mailer,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly probeIntervalMs: { min: number; max: number } = { min: 1000, max: 15_000 },
    private readonly metrics: Metrics = NO_METRICS,
    /** Which provider this circuit guards, as /metrics names it (`primary`, `fallback-1`…; never an address). */
    private readonly provider = 'primary',
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  onChange(listener: (state: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  trip(error: MailDeliveryError): void {
    const { kind, message: reason, responseCode, failureKind } = error;
    if (this.stopping.signal.aborted) return;
    if (this.current.open) {
      // A trial that failed the same way, or a worse cause found while probing: no new alert for the same one.
      if (this.trial === 'running') this.trial = 'none';
      if (this.current.kind === kind) return;
      this.current = { ...this.current, kind, failureKind, reason };
      this.announce(kind, reason, responseCode);
      return;
    }
    this.current = { open: true, kind, failureKind, reason, since: this.clock.now() };
    this.openings += 1;
    this.metrics.mailCircuitOpened(kind, this.provider);
    this.announce(kind, reason, responseCode);
    this.probing = this.probeUntilClosed();
    this.emit();
  }

  /** How many times the circuit has opened: a send notes it when it starts, so that its result can be dated. */
  get generation(): number {
    return this.openings;
  }

  /**
   * The server took MAIL FROM (or the whole email) of a send that started in `generation`: sending works,
   * whatever became of that email. A send that started before the circuit last opened proves nothing about now.
   */
  sendingWorks(generation: number): void {
    if (generation < this.openings) return;
    this.refusalAlerted = false;
    if (this.trial === 'running') this.trial = 'none';
    if (this.current.open) this.close('SMTP server takes mail again: sending resumed');
  }

  /** The one trial email of a half-open circuit, when it is on offer now; undefined otherwise. */
  takeTrial(): Trial | undefined {
    if (!this.current.open || this.trial !== 'offered') return undefined;
    this.trial = 'running';
    return {
      end: () => {
        if (this.trial === 'running') this.trial = 'none';
      },
    };
  }

  /** Nothing is waiting to be tried: close, and let the next email be the test (a refusal opens it again, quietly). */
  nothingToTry(): void {
    if (this.trial === 'running') this.trial = 'none';
    if (this.current.open) this.close('SMTP server takes connections again and nothing is waiting: sending resumed');
  }

  /** Waits while the circuit is open; resolves at once when it is closed. */
  async whenClosed(signal?: AbortSignal): Promise<void> {
    while (this.current.open && !signal?.aborted) await sleep(100, signal);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.probing;
  }

  private announce(kind: MailFailureKind, reason: string, responseCode?: number): void {
    if (kind === 'auth') this.logger.error('SMTP authentication failed: sending stopped until the credentials work', { alert: true, reason });
    else if (kind === 'refused') {
      if (this.refusalAlerted) return;
      this.refusalAlerted = true;
      this.logger.error('SMTP server refuses mail from us: sending paused, one email at a time tries again', { alert: true, reason, responseCode });
    } else this.logger.warn('SMTP server unreachable: sending paused, probing', { reason });
  }

  private close(message: string): void {
    if (!this.current.open) return;
    const downForMs = this.clock.now().getTime() - this.current.since.getTime();
    this.current = { open: false };
    this.trial = 'none';
    this.logger.info(message, { downForMs });
    this.emit();
  }

  private async probeUntilClosed(): Promise<void> {
    for (let attempt = 0; this.current.open && !this.stopping.signal.aborted; attempt++) {
      await sleep(Math.min(this.probeIntervalMs.max, this.probeIntervalMs.min * 2 ** Math.min(attempt, 10)), this.stopping.signal);
      if (this.stopping.signal.aborted || !this.current.open) return;
      try {
        await this.mailer.verify();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof MailDeliveryError && (error.kind === 'auth' || error.kind === 'refused')) this.trip(error);
        else this.logger.debug('SMTP probe failed', { error: reason });
        continue;
      }
      if (this.current.open && this.current.kind !== 'refused') {
        this.close('SMTP server reachable again: sending resumed');
        return;
      }
      // Half-open: the next due email goes out alone; its MAIL FROM decides.
      this.trial = 'offered';
      while (!this.trialSettled() && this.current.open && !this.stopping.signal.aborted) await sleep(50, this.stopping.signal);
      this.trial = 'none';
    }
  }

  private trialSettled(): boolean {
    return this.trial === 'none';
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
