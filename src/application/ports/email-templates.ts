import { DomainError } from '../../domain/errors.js';
import type { Notification, NotificationKind } from '../../domain/notification.js';
import type { Addressing } from '../templates/template.js';
import type { EmailMessage } from './mailer.js';

/**
 * The shop's email templates, compiled once at start-up: the email of a notification, in its customer's
 * language (or the nearest one there are templates for), addressed as the sender decided.
 */
export interface EmailTemplates {
  /** Whether a template renders this kind; a notification of a kind without one is dead-lettered, to be replayed once one ships. */
  renders(kind: NotificationKind): boolean;
  /** @throws EmailRenderError when a template fails on this notification: it is poison (dead-lettered, not retried) */
  render(notification: Notification, addressing: Addressing): EmailMessage;
}

/** A template failed on one notification (a value it did not expect): names the template file (and line) and why. */
export class EmailRenderError extends DomainError {
  readonly code = 'EMAIL_RENDER_FAILED';
  constructor(
    /** The file, and where in it: `templates/order-shipped/en.txt.eta:2`. */
    readonly templateFile: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`the email template ${templateFile} failed: ${reason}`, options);
  }
}
