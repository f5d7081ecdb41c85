import type { DomainEvent, EventKind } from '../../domain/domain-event.js';
import type { NotificationKind } from '../../domain/notification.js';

/** Where an email goes and how it is recognised: decided by the sender, the same for every template. */
export interface Addressing {
  readonly to: string;
  /** Deterministic (`notificationMessageId`): every send of one notification carries the same. */
  readonly messageId: string;
  readonly correlationId?: string;
}

/** The same notification always gets the same Message-ID, so a duplicate after a crash is recognisable. */
export function notificationMessageId(notification: { readonly kind: NotificationKind; readonly internalId: string }, domain: string): string {
  return `<${notification.kind}-${notification.internalId}@${domain}>`;
}

/**
 * The payload of the event a template expects; another kind of event here is a bug of the reaction that
 * built the notification (thrown, so the notification is dead-lettered as poison).
 */
export function payloadOf<P extends object>(event: DomainEvent, kind: EventKind): P {
  if (event.type !== kind.type || event.version !== kind.version)
    throw new Error(`this template renders ${kind.type} version ${kind.version}, not ${event.type} version ${event.version}`);
  return event.payload as P;
}
