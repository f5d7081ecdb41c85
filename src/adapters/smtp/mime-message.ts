import MailComposer from 'nodemailer/lib/mail-composer';
import type { EmailMessage } from '../../application/ports/mailer.js';

/** What nodemailer composes an email of: the application's message, from the sender SmtpMailer is set up with. */
export type MimeFields = EmailMessage & { readonly from: string };

/** An email as the bytes that go after DATA (RFC 5322, CRLF), and the addresses of MAIL FROM and RCPT TO. */
export interface MimeMessage {
  readonly envelope: { readonly from: string | false; readonly to: string[] };
  readonly raw: Buffer;
}

/**
 * Composes an email once, into one Buffer: the same MIME tree, headers and encodings nodemailer's sendMail makes of
 * these fields (its MailComposer), so the message can be signed whole and written to the connection in one piece.
 */
export async function composeMessage(fields: MimeFields): Promise<MimeMessage> {
  const node = new MailComposer({ ...fields, headers: fields.headers as Record<string, string> }).compile();
  const { from, to } = node.getEnvelope();
  return { envelope: { from, to }, raw: await node.build() };
}
