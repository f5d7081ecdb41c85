import { canonicalLocale, LOCALE_RULES } from '../domain/locale.js';
import { ValidationError } from '../domain/errors.js';
import type { NotificationKind } from '../domain/notification.js';
import type { EmailTemplates } from './ports/email-templates.js';
import { sampleNotification } from './templates/sample-notifications.js';
import { notificationMessageId } from './templates/template.js';

/** A template rendered for a made-up order, as `npm run preview` writes it and the admin page shows it. */
export interface EmailPreview {
  readonly kind: NotificationKind;
  /** The locale asked for, canonical; absent: the shop's default. */
  readonly locale?: string;
  /** The locale of the templates that rendered it, after the fallbacks (de-DE → de → DEFAULT_LOCALE → en). */
  readonly language: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** Renders the email of a kind for the sample order, exactly as the notifier would render it for a real one. */
export class PreviewEmail {
  constructor(private readonly templates: EmailTemplates) {}

  /** @throws ValidationError for a locale that is not a BCP 47 tag; EmailRenderError when a template fails on the sample */
  execute(kind: NotificationKind, locale?: string): EmailPreview {
    const canonical = locale === undefined ? undefined : canonicalLocale(locale.trim());
    if (locale !== undefined && canonical === undefined) throw new ValidationError([{ field: 'lang', message: LOCALE_RULES.message }]);
    const notification = sampleNotification(kind, canonical);
    const email = this.templates.render(notification, { to: notification.email ?? 'ada@example.com', messageId: notificationMessageId(notification, 'preview.invalid') });
    return {
      kind,
      ...(canonical === undefined ? {} : { locale: canonical }),
      language: email.headers['Content-Language'] ?? '',
      subject: email.subject,
      html: email.html,
      text: email.text,
    };
  }
}
