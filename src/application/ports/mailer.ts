/** What the customer is told about their order. */
export interface OrderEmail {
  readonly to: string;
  readonly orderId: string;
  readonly internalId: string;
  readonly itemIds: readonly string[];
  readonly createdAt: string;
  readonly correlationId?: string;
}

export interface SentEmail {
  readonly messageId: string;
  readonly response?: string;
}

/**
 * How a send failed, as far as retrying goes:
 * - `unavailable`: the mail server could not be reached; says nothing about this email.
 * - `auth`: the server refused our credentials; nothing will pass until someone fixes them.
 * - `transient`: a 4xx reply for this email; worth another try later.
 * - `permanent`: a 5xx reply for this email; another try will fail the same way.
 */
export type MailFailureKind = 'unavailable' | 'auth' | 'transient' | 'permanent';

export class MailDeliveryError extends Error {
  constructor(
    readonly kind: MailFailureKind,
    message: string,
    readonly responseCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Mailer {
  /** Resolves once the server accepted the email (250); rejects with MailDeliveryError. */
  send(email: OrderEmail): Promise<SentEmail>;
  /** Resolves when the server is reachable and takes our credentials. */
  verify(): Promise<void>;
}
