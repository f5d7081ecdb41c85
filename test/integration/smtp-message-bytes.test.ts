import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { SmtpMailer } from '../../src/adapters/smtp/smtp-mailer.js';
import type { EmailMessage } from '../../src/application/ports/mailer.js';
import { headerSafe } from '../../src/application/templates/email-text.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import type { Notification } from '../../src/domain/notification.js';
import { confirmationOf, statusUpdateOf } from '../support/builders.js';
import { builtInTemplates } from '../support/email-templates.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';

const FROM = 'Shop <orders@shop.test>';
const HEADER_NAME = /^[!-9;-~]{1,76}$/;

/**
 * The message as nodemailer streamed it from the fields SmtpMailer gave sendMail before it composed messages itself:
 * the reference every composed message must equal, byte for byte.
 */
function sendTheWayNodemailerDid(transport: Transporter, message: EmailMessage): Promise<unknown> {
  return transport.sendMail({
    from: FROM,
    to: message.to,
    subject: headerSafe(message.subject, 998),
    text: message.text,
    html: message.html,
    messageId: headerSafe(message.messageId, 998),
    headers: Object.fromEntries(Object.entries(message.headers).filter(([name]) => HEADER_NAME.test(name)).map(([name, value]) => [name, headerSafe(value)])),
  });
}

/** What differs between two sends of one message by design: the MIME boundaries (random) and the Date (the clock). */
const normalised = (raw: string): string =>
  raw
    .replace(/_NmP-[0-9a-f]+-Part_\d+/g, '_NmP-BOUNDARY')
    .replace(/^Date: .*\r\n/m, 'Date: DATE\r\n');

describe('SmtpMailer: the message it composes whole is the message nodemailer streamed', () => {
  let server: SmtpTestServer;
  let mailer: SmtpMailer;
  let reference: Transporter;

  before(async () => {
    server = await SmtpTestServer.start();
    mailer = new SmtpMailer({ url: server.url, from: FROM });
    reference = nodemailer.createTransport({ url: server.url });
  });
  after(async () => {
    mailer.close();
    reference.close();
    await server.stop();
  });

  const rendered = async (notification: Notification, correlationId?: string): Promise<EmailMessage> => {
    const message = (await builtInTemplates()).render(notification, {
      to: 'ada@example.com',
      messageId: notificationMessageId(notification, 'shop.test'),
      ...(correlationId ? { correlationId } : {}),
    });
    return { ...message, headers: { ...message.headers, 'Auto-Submitted': 'auto-generated' } };
  };
  const order = () => ({ id: randomUUID(), orderId: `o-${randomUUID().slice(0, 8)}`, itemId: ['sku-1', 'Tom & "Jerry"'], email: 'ada@example.com', createdAt: '2026-11-24T12:00:00.000Z' });

  const cases: [string, () => Promise<EmailMessage>][] = [
    ['an order confirmation as the notifier sends it', () => rendered(confirmationOf(order()), 'corr-1')],
    ['a shipping email', async () => rendered(statusUpdateOf(`o-${randomUUID().slice(0, 8)}`, 'shipped'))],
    [
      'odd content: non-ASCII and long headers, a refused header name, lines that need dot-stuffing and folding, bare line feeds',
      async () => ({
        to: 'Ädä Lovelace <ada@example.com>',
        subject: `Bestellung “${'ü'.repeat(90)}” \r\n Bcc: evil@example.com`,
        text: `.leading dot\n..two\r\n${'x'.repeat(1200)}\nend.\n.`,
        html: `<p>\n.dot</p>\n<p>${'ß'.repeat(500)}</p>`,
        messageId: `<m-${randomUUID()}@shop.test>`,
        headers: {
          'X-Order-Id': 'ü-1',
          'List-Unsubscribe': `<https://shop.test/unsubscribe/${'a'.repeat(150)}>, <mailto:unsubscribe@shop.test>`,
          'Content-Language': 'de',
          'Auto-Submitted': 'auto-generated',
          'Bad Name': 'dropped',
          'X-Injected': 'one\r\nBcc: evil@example.com',
        },
      }),
    ],
  ];

  for (const [name, make] of cases)
    it(`sends ${name} with the same bytes, boundaries and Date aside`, async () => {
      const message = await make();
      const at = server.messages.length;
      await mailer.send(message);
      await sendTheWayNodemailerDid(reference, message);
      await server.waitFor(at + 2);
      const [composed, streamed] = server.messages.slice(at);
      expect(composed?.to).to.deep.equal(streamed?.to);
      expect(composed?.from).to.equal(streamed?.from);
      expect(composed?.raw).to.contain('\r\nDate: ');
      expect(normalised(composed?.raw ?? '')).to.equal(normalised(streamed?.raw ?? ''));
    });
});
