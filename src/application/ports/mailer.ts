import type { NotificationFailureKind } from '../../domain/notification.js';

/** A rendered email: the application chose its template, its words and its identity; the mailer only delivers it. */
export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Deterministic, chosen by the application: every send of one notification carries the same, so a duplicate is recognisable. */
  readonly messageId: string;
  /** Further headers (X-Order-Id, X-Correlation-Id); the mailer keeps every value on one line. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface SentEmail {
  readonly messageId: string;
  readonly response?: string;
}

/**
 * How a send failed, as far as retrying goes:
 * - `unavailable`: the mail server could not be reached; says nothing about this email.
 * - `auth`: the server refused our credentials; nothing will pass until someone fixes them.
 * - `refused`: the server refuses mail from us, whoever it is for (a 4xx/5xx at connect, greeting or
 *   MAIL FROM, or a sending quota); says nothing about this email, nothing passes until it lifts.
 * - `transient`: a 4xx reply for this email (RCPT TO, DATA); worth another try later.
 * - `permanent`: a 5xx reply for this email (RCPT TO, DATA); another try will fail the same way.
 */
export const MAIL_FAILURE_KINDS = ['unavailable', 'auth', 'refused', 'transient', 'permanent'] as const;
export type MailFailureKind = (typeof MAIL_FAILURE_KINDS)[number];

/** The failures that stop all sending (the mail circuit opens): they say nothing about one email. */
export const CIRCUIT_OPENING_KINDS = ['unavailable', 'auth', 'refused'] as const satisfies readonly MailFailureKind[];

export class MailDeliveryError extends Error {
  constructor(
    readonly kind: MailFailureKind,
    message: string,
    readonly responseCode?: number,
    options?: {
      cause?: unknown;
      /** The connection was lost after the whole message went out: the server may have accepted it. */
      outcomeUnknown?: boolean;
      /** The server says our sending quota or rate is used up (RFC 3463 X.4.5). */
      rateLimited?: boolean;
    },
  ) {
    super(message, options);
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
    this.rateLimited = options?.rateLimited ?? false;
  }

  readonly outcomeUnknown: boolean;
  readonly rateLimited: boolean;

  /** The failure as the ledger records it for callers: no address, host or server text. */
  get failureKind(): NotificationFailureKind {
    if (this.rateLimited) return 'rate-limited';
    return FAILURE_KIND_OF[this.kind];
  }
}

const FAILURE_KIND_OF: Record<MailFailureKind, NotificationFailureKind> = {
  unavailable: 'smtp-unreachable',
  auth: 'auth-failed',
  refused: 'sender-refused',
  transient: 'temporary-failure',
  permanent: 'recipient-rejected',
};

export interface Mailer {
  /** Resolves once the server accepted the email (250), with the Message-ID it was given; rejects with MailDeliveryError. */
  send(message: EmailMessage): Promise<SentEmail>;
  /** Resolves when the server is reachable and takes our credentials. */
  verify(): Promise<void>;
}
