import type { MailCircuit } from './mail-circuit.js';
import type { ClaimOptions, NotificationSender } from './notification-sender.js';
import type { NotificationsInFlight } from './notifications-in-flight.js';
import type { NotificationLedger } from './ports/notification-ledger.js';

/**
 * Sends the emails whose retry is due, whose previous holder died, or whose turn has come (queued behind an
 * earlier email of their order, now finished). While the mail circuit is open, only its one trial. Webhook
 * deliveries are not taken here: they have their own dispatcher.
 */
export class SendDueNotifications {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly sender: NotificationSender,
    private readonly circuit: MailCircuit,
    private readonly inFlight: NotificationsInFlight,
    private readonly options: ClaimOptions,
  ) {}

  /** Resolves with how many were taken. */
  async execute(limit: number): Promise<number> {
    if (this.circuit.state.open) return this.tryOne();
    const jobs = await this.ledger.claimDue(limit, this.options.owner, this.options.leaseMs, 'email');
    // A job of our own whose lease ran out while the ledger was unreachable is still being handled here.
    await Promise.all(jobs.filter((job) => !this.inFlight.has(job.notification)).map((job) => this.sender.send(job)));
    return jobs.length;
  }

  /** While the circuit is open, sends the one trial email it allows, if any: its MAIL FROM tells whether sending works again. */
  private async tryOne(): Promise<number> {
    const trial = this.circuit.takeTrial();
    if (!trial) return 0;
    try {
      const [job] = await this.ledger.claimDue(1, this.options.owner, this.options.leaseMs, 'email');
      if (!job) {
        this.circuit.nothingToTry();
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
