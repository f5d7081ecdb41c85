import nodemailer, { type Transporter } from 'nodemailer';
import pThrottle from 'p-throttle';
import { MailDeliveryError, type Mailer, type MailFailureKind, type OrderEmail, type SentEmail } from '../../application/ports/mailer.js';
import { headerSafe, renderOrderEmail } from './order-email-template.js';

export interface SmtpSettings {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 (TLS). */
  readonly url: string;
  readonly from: string;
  /** Messages per second; unset means unlimited. */
  readonly rateLimit?: number;
  readonly maxConnections?: number;
}

const UNREACHABLE = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETLS', 'EPROTOCOL']);

/** Sends order emails through a pooled nodemailer transport. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly messageIdDomain: string;
  private readonly deliver: (mail: Parameters<Transporter['sendMail']>[0]) => Promise<unknown>;

  constructor(private readonly settings: SmtpSettings) {
    const rate = settings.rateLimit;
    // nodemailer's own pool limit lets the first burst through on every fresh connection; p-throttle does not.
    const deliver = (mail: Parameters<Transporter['sendMail']>[0]) => this.transport.sendMail(mail);
    this.deliver = rate ? pThrottle({ limit: 1, interval: Math.max(1, Math.round(1000 / rate)), strict: true })(deliver) : deliver;
    this.transport = nodemailer.createTransport({
      url: settings.url,
      pool: true,
      maxConnections: settings.maxConnections ?? 5,
      maxMessages: 500,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as Parameters<typeof nodemailer.createTransport>[0]);
    this.messageIdDomain = /@([^>\s]+)>?\s*$/.exec(settings.from)?.[1] ?? 'ordermail.local';
  }

  /** The same order always gets the same Message-ID, so a duplicate after a crash is recognisable. */
  messageIdFor(internalId: string): string {
    return `<order-${internalId}@${this.messageIdDomain}>`;
  }

  async send(email: OrderEmail): Promise<SentEmail> {
    const { subject, text, html } = renderOrderEmail(email);
    const messageId = this.messageIdFor(email.internalId);
    try {
      const info = await this.deliver({
        from: this.settings.from,
        to: email.to,
        subject,
        text,
        html,
        messageId,
        headers: {
          'X-Order-Id': headerSafe(email.orderId),
          ...(email.correlationId ? { 'X-Correlation-Id': headerSafe(email.correlationId) } : {}),
        },
      });
      return { messageId, response: String((info as { response?: string }).response ?? '') };
    } catch (error) {
      throw classify(error);
    }
  }

  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (error) {
      throw classify(error);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** Sorts nodemailer's errors into what the notifier does about them. */
export function classify(error: unknown): MailDeliveryError {
  const { code, responseCode, message } = error as { code?: string; responseCode?: number; message?: string };
  const text = message ?? String(error);
  let kind: MailFailureKind;
  if (code === 'EAUTH' || responseCode === 530 || responseCode === 534 || responseCode === 535) kind = 'auth';
  else if (typeof responseCode === 'number' && responseCode >= 500) kind = 'permanent';
  else if (typeof responseCode === 'number' && responseCode >= 400) kind = 'transient';
  else if (code && UNREACHABLE.has(code)) kind = 'unavailable';
  else if (code === 'EENVELOPE' || code === 'EMESSAGE') kind = 'permanent'; // refused before reaching the server, e.g. a malformed address
  else kind = 'transient';
  return new MailDeliveryError(kind, text, responseCode, { cause: error });
}
