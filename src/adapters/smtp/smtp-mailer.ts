import nodemailer, { type Transporter } from 'nodemailer';
import pThrottle from 'p-throttle';
import { MailDeliveryError, type EmailMessage, type Mailer, type MailFailureKind, type SentEmail } from '../../application/ports/mailer.js';
import { headerSafe } from '../../application/templates/email-text.js';
import type { DkimSettings } from './dkim-key.js';
import { dkimSigner, type MessageSigner } from './dkim-signing.js';
import { composeMessage } from './mime-message.js';

export interface SmtpSettings {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 (TLS). */
  readonly url: string;
  readonly from: string;
  /** Messages per second; unset means unlimited. */
  readonly rateLimit?: number;
  readonly maxConnections?: number;
  /** Signs every message (DKIM_DOMAIN, DKIM_SELECTOR, DKIM_PRIVATE_KEY); unset = unsigned. */
  readonly dkim?: DkimSettings;
}

/** The key under which a send carries its progress to the stream plugin. */
const PROGRESS = 'ordermailProgress';

const UNREACHABLE = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETLS', 'EPROTOCOL']);

/** RFC 5322 field names: printable ASCII without the colon. */
const HEADER_NAME = /^[!-9;-~]{1,76}$/;

/** Delivers rendered emails through a pooled nodemailer transport; what they say is the application's business. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
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
    this.sign = settings.dkim ? dkimSigner(settings.dkim) : undefined;
    // Marks a send whose whole (signed) message was read into the connection: only the final dot and its reply follow.
    this.transport.use('stream', (mail, done) => {
      const progress = (mail.data as Record<string, unknown>)[PROGRESS] as { bodySent: boolean } | undefined;
      if (progress)
        mail.message.processFunc((input) => {
          input.once('end', () => (progress.bodySent = true));
          return input;
        });
      done();
    });
  }

  private readonly sign?: MessageSigner;

  async send(message: EmailMessage): Promise<SentEmail> {
    // Whoever rendered it, no value breaks out of its header line.
    const messageId = headerSafe(message.messageId, 998);
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const name of Object.keys(message.headers)) if (HEADER_NAME.test(name)) headers[name] = headerSafe(message.headers[name] as string);
    const progress = { bodySent: false };
    try {
      // Composed and signed here, whole, then handed to nodemailer as it goes out: one buffer, not a stream of small pieces.
      const composed = await composeMessage({ from: this.settings.from, to: message.to, subject: headerSafe(message.subject, 998), text: message.text, html: message.html, messageId, headers });
      const raw = this.sign ? await this.sign(composed.raw) : composed.raw;
      const info = await this.deliver({ envelope: composed.envelope, raw, messageId, ...({ [PROGRESS]: progress } as object) } as Parameters<Transporter['sendMail']>[0]);
      return { messageId, response: String((info as { response?: string }).response ?? '') };
    } catch (error) {
      throw classify(error, progress.bodySent);
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

/** The commands of the session before any recipient is named: a refusal there is a refusal of us. */
const SENDER_STAGES = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'MAIL FROM']);
/** RFC 3463 X.4.5 "mail system congestion": how providers say a sending quota or rate is used up (550 5.4.5). */
const QUOTA = /^[45]\d\d[ -][45]\.4\.5\b/;

/**
 * Sorts nodemailer's errors into what the notifier does about them, by the SMTP command that failed
 * (nodemailer's `command`) and the reply code:
 *
 * | stage                                   | 4xx                       | 5xx                      | no reply            |
 * |-----------------------------------------|---------------------------|--------------------------|---------------------|
 * | credentials (EAUTH, 530/534/535)        | auth                      | auth                     | auth                |
 * | connect, greeting (EHLO/HELO), STARTTLS | unavailable (421), else refused | refused            | unavailable         |
 * | MAIL FROM                               | refused                   | refused                  | unavailable         |
 * | any reply with X.4.5 (sending quota)    | refused                   | refused                  |                     |
 * | RCPT TO, DATA                           | transient                 | permanent (503: transient) | unavailable       |
 * | after the final dot                     | transient                 | permanent                | unavailable, outcome unknown |
 * | before the server (bad address, API)    |                           |                          | permanent           |
 */
export function classify(error: unknown, bodySent = false): MailDeliveryError {
  const { code, command, responseCode, response, message } = error as { code?: string; command?: string; responseCode?: number; response?: string; message?: string };
  const text = message ?? String(error);
  const replied = typeof responseCode === 'number' && responseCode >= 400;
  const rateLimited = replied && typeof response === 'string' && QUOTA.test(response);
  let kind: MailFailureKind;
  if (code === 'EAUTH' || responseCode === 530 || responseCode === 534 || responseCode === 535) kind = 'auth';
  else if (rateLimited) kind = 'refused';
  // 'CONN' is the greeting only with EPROTOCOL ("Invalid greeting"); a 421 later in the session comes as ECONNECTION.
  else if (replied && command !== undefined && (SENDER_STAGES.has(command) || (command === 'CONN' && code === 'EPROTOCOL'))) kind = responseCode === 421 && command !== 'MAIL FROM' ? 'unavailable' : 'refused';
  else if (replied && responseCode >= 500 && responseCode !== 503) kind = 'permanent';
  else if (replied) kind = 'transient';
  else if (code && UNREACHABLE.has(code)) kind = 'unavailable';
  else if (code === 'EENVELOPE' || code === 'EMESSAGE') kind = 'permanent'; // refused before reaching the server, e.g. a malformed address
  else kind = 'transient';
  const outcomeUnknown = kind === 'unavailable' && bodySent && !replied;
  return new MailDeliveryError(kind, text, typeof responseCode === 'number' ? responseCode : undefined, { cause: error, outcomeUnknown, rateLimited: kind === 'refused' && rateLimited });
}
