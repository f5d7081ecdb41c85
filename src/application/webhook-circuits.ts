import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { NO_METRICS, type Metrics } from './ports/metrics.js';
import type { WebhookDeliveryError } from './ports/webhook-sender.js';

export interface WebhookCircuitOptions {
  /** Consecutive failures of an endpoint (unreachable, 408, 5xx) that open its circuit; a 429 opens it at once. */
  readonly failuresToOpen: number;
  /** How long a circuit stays open before one delivery is let through as its trial: doubles each time the trial fails. */
  readonly openMs: { readonly min: number; readonly max: number };
}

export const WEBHOOK_CIRCUIT_DEFAULTS: WebhookCircuitOptions = { failuresToOpen: 3, openMs: { min: 1000, max: 30_000 } };

/** The one delivery an open circuit lets through: ended on every path (`end()` is a no-op once a result came). */
export interface WebhookTrial {
  end(): void;
}

/** Whether a delivery to an endpoint may go now: as usual, as the one trial of an open circuit, or not before `until`. */
export type Admission =
  | { readonly allowed: true; readonly trial?: WebhookTrial }
  | { readonly allowed: false; readonly until: Date; readonly reason: string };

type Circuit =
  | { readonly open: false; readonly failures: number }
  | { readonly open: true; readonly until: number; readonly since: number; readonly openings: number; readonly trialRunning: boolean; readonly reason: string; readonly trialNumber?: number };

/**
 * One circuit per webhook endpoint, in this process: an endpoint that is down pauses its own deliveries
 * (they wait in the ledger without using up their retries) and nobody else's. After the open time, one
 * delivery goes as the trial: 2xx closes the circuit, another failure opens it for twice as long.
 */
export class WebhookCircuits {
  private readonly circuits = new Map<string, Circuit>();
  /** Numbers each trial, so that ending one never ends a later one. */
  private trials = 0;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: WebhookCircuitOptions = WEBHOOK_CIRCUIT_DEFAULTS,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /**
   * Lets a delivery go, or says until when it may not. Past an open circuit's open time, the first caller gets
   * the trial: it must `end()` it whatever happens (a result reported through reachable/failed ends it too).
   */
  admit(endpointId: string): Admission {
    const circuit = this.circuits.get(endpointId);
    if (!circuit?.open) return { allowed: true };
    const now = this.clock.now().getTime();
    if (circuit.trialRunning || now < circuit.until) return { allowed: false, until: this.pausedUntil(circuit, now), reason: circuit.reason };
    const trialNumber = ++this.trials;
    this.circuits.set(endpointId, { ...circuit, trialRunning: true, trialNumber });
    return { allowed: true, trial: { end: () => this.trialEnded(endpointId, trialNumber) } };
  }

  /** Until when a delivery to this endpoint is not to be tried (now when its circuit is closed); changes nothing. */
  openUntil(endpointId: string): Date {
    const circuit = this.circuits.get(endpointId);
    const now = this.clock.now().getTime();
    return circuit?.open ? this.pausedUntil(circuit, now) : new Date(now);
  }

  private pausedUntil(circuit: Circuit & { readonly open: true }, now: number): Date {
    return new Date(Math.max(circuit.until, now + this.options.openMs.min));
  }

  /** The endpoints whose deliveries are not to be taken now: open, and not due for a trial. */
  paused(): string[] {
    const now = this.clock.now().getTime();
    return [...this.circuits].filter(([, circuit]) => circuit.open && (circuit.trialRunning || now < circuit.until)).map(([id]) => id);
  }

  /** The endpoint answered (2xx, or a 4xx that is about the delivery): it is reachable. */
  reachable(endpointId: string): void {
    const circuit = this.circuits.get(endpointId);
    if (circuit?.open) this.logger.info('webhook endpoint reachable again: deliveries resumed', { endpointId, downForMs: this.clock.now().getTime() - circuit.since });
    if (circuit) this.circuits.delete(endpointId);
  }

  /**
   * A delivery failed in a way that says the endpoint is away or overloaded. Resolves with whether its circuit
   * is open now (the failure then does not count against the delivery).
   */
  failed(endpointId: string, error: WebhookDeliveryError, trial: boolean): boolean {
    const now = this.clock.now().getTime();
    const circuit = this.circuits.get(endpointId) ?? { open: false, failures: 0 };
    const reason = error.message;
    const retryAfterMs = error.retryAfterMs ?? 0;
    if (circuit.open) {
      if (!trial) return true;
      const openings = circuit.openings + 1;
      this.circuits.set(endpointId, { ...circuit, openings, trialRunning: false, reason, until: now + Math.max(this.openTime(openings), retryAfterMs) });
      this.logger.debug('webhook endpoint trial failed: deliveries stay paused', { endpointId, reason });
      return true;
    }
    const failures = circuit.failures + 1;
    if (failures < this.options.failuresToOpen && error.status !== 429) {
      this.circuits.set(endpointId, { open: false, failures });
      return false;
    }
    this.circuits.set(endpointId, { open: true, since: now, openings: 1, trialRunning: false, reason, until: now + Math.max(this.openTime(1), retryAfterMs) });
    this.metrics.webhookCircuitOpened(endpointId);
    this.logger.warn('webhook endpoint unreachable: its deliveries are paused, and tried again one at a time', { endpointId, reason, failures });
    return true;
  }

  /** A trial that ended without an answer either way (the process is stopping, a bug, the ledger away): the next delivery may try. */
  private trialEnded(endpointId: string, trialNumber: number): void {
    const circuit = this.circuits.get(endpointId);
    if (circuit?.open && circuit.trialRunning && circuit.trialNumber === trialNumber) this.circuits.set(endpointId, { ...circuit, trialRunning: false });
  }

  private openTime(openings: number): number {
    const { min, max } = this.options.openMs;
    return Math.min(max, min * 2 ** Math.min(openings - 1, 16));
  }
}
