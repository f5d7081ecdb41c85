import type { NotificationState } from '../../domain/notification.js';
import type { NotificationLedger } from '../../application/ports/notification-ledger.js';

export class InMemoryNotificationLedger implements NotificationLedger {
  readonly states = new Map<string, NotificationState>();

  async stateOf(orderId: string): Promise<NotificationState | null> {
    return this.states.get(orderId) ?? null;
  }
}
