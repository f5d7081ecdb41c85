import type { ClaimOptions } from './notification-sender.js';
import type { NotificationsInFlight } from './notifications-in-flight.js';
import type { NotificationLedger } from './ports/notification-ledger.js';

/** Extends the leases of the notifications this process is sending now; run it well within the lease time. */
export class RenewNotificationLeases {
  constructor(
    private readonly ledger: NotificationLedger,
    private readonly inFlight: NotificationsInFlight,
    private readonly options: ClaimOptions,
  ) {}

  async execute(): Promise<void> {
    const keys = this.inFlight.list();
    if (keys.length > 0) await this.ledger.renew(keys, this.options.owner, this.options.leaseMs);
  }
}
