import { keyOf, notificationId, type NotificationKey } from '../domain/notification.js';

/**
 * The notifications this process is sending now: their leases are renewed, and the sweeper leaves them
 * alone. One registry per process, shared by the use cases that send, sweep and renew.
 */
export class NotificationsInFlight {
  private readonly keys = new Map<string, NotificationKey>();

  add(key: NotificationKey): void {
    this.keys.set(notificationId(key), keyOf(key));
  }

  delete(key: NotificationKey): void {
    this.keys.delete(notificationId(key));
  }

  has(key: NotificationKey): boolean {
    return this.keys.has(notificationId(key));
  }

  list(): NotificationKey[] {
    return [...this.keys.values()];
  }
}
