/** Where an order's email stands; `pending` until a notifier has looked at it. */
export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'dead' | 'skipped';

export interface NotificationState {
  readonly status: NotificationStatus;
  readonly attempts: number;
  readonly lastError?: string;
  readonly sentAt?: Date;
  readonly messageId?: string;
}

export const PENDING: NotificationState = { status: 'pending', attempts: 0 };
