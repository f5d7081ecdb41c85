import type { NotificationFailure } from '../domain/notification.js';
import type { Gate } from './gate.js';
import type { MailCircuit, Trial } from './mail-circuit.js';
import type { Logger } from './ports/logger.js';
import type { Mailer } from './ports/mailer.js';

/** One SMTP provider: its mailer, and the circuit that stops sending through it while it cannot take mail. */
export interface MailProvider {
  /** Its host:port, never its credentials: what the logs, the ledger and the admin page say. */
  readonly name: string;
  /** Its place in the list, `primary` or `fallback-N`: what /metrics and /health say, which never show an address. */
  readonly label: string;
  readonly mailer: Mailer;
  readonly circuit: MailCircuit;
}

/** The one email a provider's half-open circuit lets through, and the provider it must go through. */
export interface ProviderTrial extends Trial {
  readonly provider: MailProvider;
}

/** What /metrics and /health call the provider at `index` of the list. */
export const providerLabel = (index: number): string => (index === 0 ? 'primary' : `fallback-${index}`);

/**
 * The SMTP providers, in the order they are tried (SMTP_URL, then SMTP_FALLBACK_URL), each with its own circuit
 * probing on its own. A send goes through the first one whose circuit is closed, so the primary is used again as
 * soon as its probe closes its circuit; the notifier holds back only while every provider is down.
 */
export class MailProviders {
  readonly all: readonly MailProvider[];
  /** Open while some provider can take mail: what feeds the notifier events holds back only while all are down. */
  readonly gate: Gate;
  private readonly unsubscribe: (() => void)[] = [];
  private inUse: MailProvider | undefined;

  constructor(
    providers: readonly Omit<MailProvider, 'label'>[],
    private readonly logger?: Logger,
  ) {
    if (providers.length === 0) throw new Error('MailProviders needs at least one provider');
    this.all = providers.map((provider, index) => ({ ...provider, label: providerLabel(index) }));
    this.gate = new AnyClosedGate(this);
    this.inUse = this.active();
    if (this.all.length > 1) for (const { circuit } of this.all) this.unsubscribe.push(circuit.onChange(() => this.sayWhichIsUsed()));
  }

  /** One provider, the primary: a notifier without fallback. */
  static single(mailer: Mailer, circuit: MailCircuit, name = 'smtp'): MailProviders {
    return new MailProviders([{ name, mailer, circuit }]);
  }

  get primary(): MailProvider {
    return this.all[0] as MailProvider;
  }

  /** The first provider whose circuit is closed; undefined while every one is open. */
  active(): MailProvider | undefined {
    return this.all.find((provider) => !provider.circuit.state.open);
  }

  /**
   * The trial email of a provider ahead of the one in use (of any, while none is) whose half-open circuit offers
   * one: its MAIL FROM tells whether it takes mail from us again. Providers behind the one in use are not needed.
   */
  takeTrial(): ProviderTrial | undefined {
    for (const provider of this.all) {
      if (!provider.circuit.state.open) return undefined;
      const trial = provider.circuit.takeTrial();
      if (trial) return { provider, end: () => trial.end() };
    }
    return undefined;
  }

  /** Why nothing can be sent now, as the ledger records a deferral: the primary's failure. */
  whyNoneTakesMail(): NotificationFailure {
    const state = this.all.map((provider) => provider.circuit.state).find((candidate) => candidate.open);
    return state?.open ? { kind: state.failureKind, error: state.reason } : { kind: 'smtp-unreachable', error: 'no SMTP provider takes mail now' };
  }

  async stop(): Promise<void> {
    for (const stop of this.unsubscribe) stop();
    await Promise.all(this.all.map((provider) => provider.circuit.stop()));
  }

  /** One line each time the emails change provider: a failover, the way back, or none left. */
  private sayWhichIsUsed(): void {
    const now = this.active();
    if (now === this.inUse) return;
    const before = this.inUse;
    this.inUse = now;
    const change = { from: before?.name ?? null, to: now?.name ?? null };
    if (!now) this.logger?.warn('no SMTP provider takes mail: sending paused until one does', change);
    else if (now === this.primary) this.logger?.info('emails go through the primary SMTP provider again', change);
    else this.logger?.warn('emails fail over to another SMTP provider', { ...change, label: now.label });
  }
}

/** Open while any provider's circuit is closed. */
class AnyClosedGate implements Gate {
  constructor(private readonly providers: MailProviders) {}

  get isOpen(): boolean {
    return this.providers.active() !== undefined;
  }

  onChange(listener: (isOpen: boolean) => void): () => void {
    let wasOpen = this.isOpen;
    const stops = this.providers.all.map(({ circuit }) =>
      circuit.onChange(() => {
        const isOpen = this.isOpen;
        if (isOpen === wasOpen) return;
        wasOpen = isOpen;
        listener(isOpen);
      }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }
}
