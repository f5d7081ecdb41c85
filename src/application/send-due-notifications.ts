import type { MailProviders, ProviderTrial } from './mail-providers.js';
import type { ClaimOptions, NotificationSender } from './notification-sender.js';
import type { NotificationsInFlight } from './notifications-in-flight.js';
import type { NotificationLedger } from './ports/notification-ledger.js';

/**
 * Sends the emails whose retry is due, whose previous holder died, or whose turn has come (queued behind an
 * earlier email of their order, now finished). While no provider takes mail, only the one trial a provider's
 * half-open circuit allows; a trial of a provider ahead of the one in use (the primary, refusing us a while ago)
 * goes first, alone, so that sending can come back to it. Webhook deliveries are not taken here: they have their
 * own dispatcher.
 */
export class SendDueNotifications {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly sender: NotificationSender,
    private readonly providers: MailProviders,
    private readonly inFlight: NotificationsInFlight,
    private readonly options: ClaimOptions,
  ) {}

  /** Resolves with how many were taken. */
  async execute(limit: number): Promise<number> {
    const trial = this.providers.takeTrial();
    if (trial) return this.tryOne(trial);
    if (!this.providers.active()) return 0;
    const jobs = await this.ledger.claimDue(limit, this.options.owner, this.options.leaseMs, 'email');
    // A job of our own whose lease ran out while the ledger was unreachable is still being handled here.
    await Promise.all(jobs.filter((job) => !this.inFlight.has(job.notification)).map((job) => this.sender.send(job)));
    return jobs.length;
  }

  /** Sends the one trial email a provider's half-open circuit allows, if one is due: its MAIL FROM tells whether that provider takes mail again. */
  private async tryOne(trial: ProviderTrial): Promise<number> {
    try {
      const [job] = await this.ledger.claimDue(1, this.options.owner, this.options.leaseMs, 'email');
      if (!job) {
        trial.provider.circuit.nothingToTry();
        return 0;
      }
      // Still being sent here (its lease ran out while the ledger was unreachable): not a second time.
      if (this.inFlight.has(job.notification)) return 0;
      await this.sender.send(job, trial);
      return 1;
    } finally {
      trial.end();
    }
  }
}
