import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { InMemoryMailer } from '../../src/adapters/memory/in-memory-mailer.js';
import { BOUNCE_DOMAIN, EmbeddedInbox } from '../../src/adapters/smtp/embedded-inbox.js';
import { SmtpMailer } from '../../src/adapters/smtp/smtp-mailer.js';
import { MailDeliveryError, type EmailMessage, type Mailer, type MailFailureKind } from '../../src/application/ports/mailer.js';
import type { EmailTemplates } from '../../src/application/ports/email-templates.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { ORDER_CREATED } from '../../src/domain/order-created.js';
import { builtInTemplates } from '../support/email-templates.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';

interface MailerSubject {
  mailer: Mailer;
  /** Messages delivered so far, by recipient and Message-ID. */
  delivered(): { to: string; messageId: string }[];
  /** Makes the next send to `to` fail the way the kind describes. */
  failNext(kind: MailFailureKind, to: string): Promise<void>;
  close(): Promise<void>;
}

interface AnOrder {
  readonly to: string;
  readonly orderId: string;
  readonly internalId: string;
  readonly itemIds: readonly string[];
  readonly createdAt: string;
  readonly correlationId?: string;
}

let templates: EmailTemplates;
before(async () => {
  templates = await builtInTemplates();
});

/** An order's confirmation, rendered by the built-in templates; the order's facts ride along for the assertions. */
const anEmail = (overrides: Partial<AnOrder> = {}): EmailMessage & AnOrder => {
  const order: AnOrder = {
    to: `c-${randomUUID().slice(0, 8)}@example.com`,
    orderId: `o-${randomUUID().slice(0, 8)}`,
    internalId: randomUUID(),
    itemIds: ['sku-1', 'sku-2'],
    createdAt: '2026-11-24T12:00:00.000Z',
    correlationId: 'corr-1',
    ...overrides,
  };
  const payload = { id: order.internalId, orderId: order.orderId, itemId: order.itemIds, createdAt: order.createdAt };
  const addressing = { to: order.to, messageId: notificationMessageId({ kind: 'order-created', internalId: payload.id }, 'shop.test'), ...(order.correlationId ? { correlationId: order.correlationId } : {}) };
  return { ...order, ...templates.render(orderConfirmation({ ...ORDER_CREATED, aggregateId: payload.orderId, payload }), addressing) };
};

/** `failures`: the ways this server can be made to fail (the embedded inbox knows two). */
function mailerContract(makeSubject: () => Promise<MailerSubject>, failures: readonly MailFailureKind[] = ['transient', 'permanent', 'unavailable', 'auth', 'refused']): void {
  let subject: MailerSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  it('delivers an email and answers with its Message-ID', async () => {
    const email = anEmail();
    const sent = await subject.mailer.send(email);
    expect(sent.messageId).to.match(/^<.+@.+>$/);
    expect(subject.delivered()).to.deep.include({ to: email.to, messageId: sent.messageId });
  });

  it("sends every copy of one email with the Message-ID the application gave it (derived from the order's internal id)", async () => {
    const email = anEmail();
    const first = await subject.mailer.send(email);
    const second = await subject.mailer.send({ ...email, to: 'someone-else@example.com' });
    expect(second.messageId).to.equal(first.messageId);
    expect(first.messageId).to.equal(email.messageId);
    expect(first.messageId).to.contain(email.internalId);
    expect(subject.delivered()).to.deep.include({ to: 'someone-else@example.com', messageId: email.messageId });
  });

  for (const kind of failures) {
    it(`reports a ${kind} failure as such`, async () => {
      const email = anEmail();
      await subject.failNext(kind, email.to);
      const error = await subject.mailer.send(email).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(MailDeliveryError);
      expect((error as MailDeliveryError).kind).to.equal(kind);
    });
  }

  it('verifies a reachable server', async () => {
    await subject.mailer.verify();
  });
}

describe('Mailer contract: InMemoryMailer', () =>
  mailerContract(async () => {
    const mailer = new InMemoryMailer();
    return {
      mailer,
      delivered: () => mailer.sent.map((m) => ({ to: m.to, messageId: m.messageId })),
      failNext: async (kind) => {
        if (kind === 'unavailable') {
          mailer.reachable = false;
          return;
        }
        mailer.failNext(kind, 1, { transient: 421, permanent: 550, auth: 535, refused: 550 }[kind]);
      },
      close: async () => undefined,
    };
  }));

describe('Mailer contract: SmtpMailer on the embedded inbox (the single-process mode)', () =>
  mailerContract(
    async () => {
      const inbox = await EmbeddedInbox.start(0);
      const mailer = new SmtpMailer({ url: inbox.smtpUrl, from: 'Shop <orders@shop.test>' });
      const bouncing = new Set<string>();
      return {
        mailer: { send: (email) => mailer.send(bouncing.has(email.to) ? { ...email, to: email.to.replace(/@.*/, `@${BOUNCE_DOMAIN}`) } : email), verify: () => mailer.verify() },
        delivered: () => inbox.messages().flatMap((m) => m.to.map((to) => ({ to, messageId: `<${m.messageId.replace(/^<|>$/g, '')}>` }))),
        failNext: async (kind, to) => {
          if (kind === 'permanent') bouncing.add(to);
          if (kind === 'unavailable') await inbox.stop();
        },
        close: async () => {
          mailer.close();
          await inbox.stop().catch(() => undefined);
        },
      };
    },
    ['permanent', 'unavailable'],
  ));

describe('Mailer contract: SmtpMailer (real SMTP server)', () => {
  mailerContract(async () => {
    const server = await SmtpTestServer.start();
    let mailer = new SmtpMailer({ url: server.url, from: 'Shop <orders@shop.test>' });
    return {
      get mailer() {
        return mailer;
      },
      delivered: () => server.messages.flatMap((m) => m.to.map((to) => ({ to, messageId: m.messageId }))),
      failNext: async (kind, to) => {
        if (kind === 'transient') server.script({ to, code: 421, times: 1 });
        if (kind === 'permanent') server.script({ to, code: 550, message: '5.1.1 unknown mailbox', times: 1 });
        if (kind === 'unavailable') await server.refuseConnections();
        if (kind === 'refused') server.script({ at: 'mail', code: 550, message: '5.4.5 Daily user sending quota exceeded', times: 1 });
        if (kind === 'auth') {
          server.requireAuth({ fail: true });
          mailer.close();
          const withUser = new URL(server.url);
          withUser.username = 'shop';
          withUser.password = 'wrong';
          mailer = new SmtpMailer({ url: withUser.toString(), from: 'Shop <orders@shop.test>' });
        }
      },
      close: async () => {
        mailer.close();
        await server.stop();
      },
    };
  });

  describe('the email itself', () => {
    let server: SmtpTestServer;
    let mailer: SmtpMailer;
    beforeEach(async () => {
      server = await SmtpTestServer.start();
      mailer = new SmtpMailer({ url: server.url, from: 'Shop <orders@shop.test>' });
    });
    afterEach(async () => {
      mailer.close();
      await server.stop();
    });

    it('carries text and HTML bodies with the order, its items, created time and reference, HTML-escaped', async () => {
      const email = anEmail({ itemIds: ['<script>alert(1)</script>', 'Tom & "Jerry"'] });
      await mailer.send(email);
      const [message] = server.messages;
      expect(message?.raw).to.match(/Content-Type: text\/plain/i);
      expect(message?.raw).to.match(/Content-Type: text\/html/i);
      const decoded = decodeQuotedPrintable(message?.raw ?? '');
      expect(decoded).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(decoded).to.contain('Tom &amp; &quot;Jerry&quot;');
      expect(decoded).to.not.match(/<li><script>/);
      expect(decoded).to.contain(email.internalId);
      expect(decoded).to.contain(email.orderId);
      expect(message?.headers['x-correlation-id']).to.equal('corr-1');
      expect(message?.headers['x-order-id']).to.equal(email.orderId);
      expect(message?.headers['content-language']).to.equal('en');
    });

    it('keeps header injection out of the subject and headers', async () => {
      await mailer.send(anEmail({ orderId: 'A-1\r\nBcc: victim@example.com', correlationId: 'x\r\nX-Evil: 1' }));
      const [message] = server.messages;
      expect(message?.headers.bcc).to.equal(undefined);
      expect(message?.headers['x-evil']).to.equal(undefined);
      expect(message?.to).to.have.length(1);
      expect(message?.subject).to.equal('Order A-1 Bcc: victim@example.com received');
    });

    it('keeps header injection out of a message rendered by anyone, not only by our templates', async () => {
      const raw: EmailMessage = {
        to: 'ada@example.com',
        subject: 'Hi\r\nBcc: victim@example.com',
        text: 'hello',
        html: '<p>hello</p>',
        messageId: '<m-1@shop.test>\r\nX-Evil: 1',
        headers: { 'X-Order-Id': 'A-1\r\nX-Evil: 2', 'X-Bad\r\nName': 'x' },
      };
      await mailer.send(raw);
      const [message] = server.messages;
      expect(message?.headers.bcc).to.equal(undefined);
      expect(message?.headers['x-evil']).to.equal(undefined);
      expect(message?.to).to.have.length(1);
      expect(message?.subject).to.equal('Hi Bcc: victim@example.com');
      expect(message?.headers['x-order-id']).to.equal('A-1 X-Evil: 2');
    });

    it('reports a connection dropped in the middle of DATA as the server being unavailable', async () => {
      server.dropMidData(1);
      const error = await mailer.send(anEmail()).catch((e: unknown) => e);
      expect((error as MailDeliveryError).kind).to.equal('unavailable');
    });

    it('throttles to SMTP_RATE_LIMIT messages per second', async () => {
      const throttled = new SmtpMailer({ url: server.url, from: 'Shop <orders@shop.test>', rateLimit: 2 });
      try {
        const started = Date.now();
        await Promise.all(Array.from({ length: 5 }, () => throttled.send(anEmail())));
        expect(Date.now() - started, '5 messages at 2/s cannot all leave within the first second').to.be.greaterThan(1000);
        expect(server.messages).to.have.length(5);
      } finally {
        throttled.close();
      }
    });
  });
});

function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('The embedded inbox keeps a bounded amount of mail', () => {
  let inbox: EmbeddedInbox;
  let mailer: SmtpMailer;
  beforeEach(async () => {
    // Room for one email of the built-in templates (about 12 KiB), not for the one with 400 items.
    inbox = await EmbeddedInbox.start(0, { maxMessageBytes: 32 * 1024, maxMessages: 3 });
    mailer = new SmtpMailer({ url: inbox.smtpUrl, from: 'Shop <orders@shop.test>' });
  });
  afterEach(async () => {
    mailer.close();
    await inbox.stop();
  });

  it('refuses a message over INBOX_MAX_MESSAGE_BYTES with 552 and keeps nothing of it', async () => {
    const error = await mailer.send(anEmail({ itemIds: Array.from({ length: 400 }, (_, i) => `sku-${'x'.repeat(20)}-${i}`) })).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MailDeliveryError);
    expect((error as MailDeliveryError).responseCode).to.equal(552);
    expect((error as MailDeliveryError).kind).to.equal('permanent');
    expect(inbox.messages()).to.have.length(0);
  });

  it('keeps the newest INBOX_MAX_MESSAGES messages and drops the oldest', async () => {
    const emails = Array.from({ length: 5 }, () => anEmail());
    for (const email of emails) await mailer.send(email);
    expect(inbox.messages().map((m) => m.to[0])).to.deep.equal(emails.slice(2).reverse().map((e) => e.to));
  });
});
