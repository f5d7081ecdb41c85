import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import type { DKIMResult } from 'mailauth';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { dkimRecordName, dkimRecordValue, dkimZoneFileLine, generateDkimKey, type DkimKeyType } from '../../src/adapters/smtp/dkim-key.js';
import { SmtpMailer } from '../../src/adapters/smtp/smtp-mailer.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { MailProviders } from '../../src/application/mail-providers.js';
import { NotificationSender } from '../../src/application/notification-sender.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import { MailDeliveryError } from '../../src/application/ports/mailer.js';
import { SendNotification } from '../../src/application/send-notification.js';
import type { OrderCreated } from '../../src/domain/order-created.js';
import { confirmationOf, statusUpdateOf } from '../support/builders.js';
import { capturingLogger } from '../support/logs.js';
import { SmtpTestServer, type RecordedMessage } from '../support/smtp-test-server.js';
import { builtInTemplates } from '../support/email-templates.js';

const DOMAIN = 'shop.test';
const FROM = `Shop <orders@${DOMAIN}>`;

/** A DNS that knows one name, `<selector>._domainkey.shop.test`, and answers it with the record `npm run dkim` prints, cut into TXT strings as a zone file holds it. */
function publishedAt(name: string, zoneFileLine: string): (domain: string, type: string) => Promise<string[][]> {
  const strings = [...zoneFileLine.matchAll(/"([^"]*)"/g)].map((match) => match[1] as string);
  return async (domain, type) => {
    if (domain === name && type === 'TXT') return [strings];
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${domain}`), { code: 'ENOTFOUND' });
  };
}

/** The message as a receiver gets it, with the header and body split at the first empty line. */
function split(raw: string): { header: string; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  return { header: raw.slice(0, at + 2), body: raw.slice(at + 2) };
}

const anEvent = (): OrderCreated => ({ id: randomUUID(), orderId: `o-${randomUUID().slice(0, 8)}`, itemId: ['sku-1', 'Tom & "Jerry"'], email: 'ada@example.com', createdAt: new Date().toISOString() });

for (const type of ['rsa', 'ed25519'] as const satisfies readonly DkimKeyType[]) {
  describe(`DKIM: every email SmtpMailer sends is signed (${type === 'rsa' ? 'RSA-2048, rsa-sha256' : 'Ed25519, ed25519-sha256'})`, () => {
    const selector = `${type}-2026-11`;
    const key = generateDkimKey(type);
    const settings = { domainName: DOMAIN, keySelector: selector };
    const resolver = publishedAt(dkimRecordName(settings), dkimZoneFileLine(settings, dkimRecordValue(key.publicKey)));
    const verify = async (raw: string): Promise<DKIMResult[]> => (await dkimVerify(Buffer.from(raw), { resolver })).results;

    let server: SmtpTestServer;
    let mailer: SmtpMailer;
    let circuit: MailCircuit;
    let sendNotification: SendNotification;

    beforeEach(async () => {
      server = await SmtpTestServer.start();
      mailer = new SmtpMailer({ url: server.url, from: FROM, dkim: { ...settings, privateKey: key.privateKeyPem } });
      const logs = capturingLogger('notifier');
      const ledger = new InMemoryNotificationLedger();
      circuit = new MailCircuit(mailer, new SystemClock(), logs.logger, { min: 20, max: 100 });
      const options = { maxRetries: 5, retryBaseMs: 20, leaseMs: 60_000, owner: 'notifier-a', messageIdDomain: DOMAIN };
      const sender = new NotificationSender(ledger, MailProviders.single(mailer, circuit), await builtInTemplates(), new InMemoryDeadLetters(), new SystemClock(), logs.logger, new NotificationsInFlight(), options);
      sendNotification = new SendNotification(ledger, sender, logs.logger, options);
    });
    afterEach(async () => {
      await circuit.stop();
      mailer.close();
      await server.stop();
    });

    /** Sends an order's confirmation and its shipping email through the notifier's sender; the messages as the server took them. */
    async function sendTwoEmails(): Promise<{ event: OrderCreated; messages: RecordedMessage[] }> {
      const event = anEvent();
      expect(await sendNotification.execute(confirmationOf(event), {})).to.equal('sent');
      const shipped = statusUpdateOf(event.orderId, 'shipped', event.id);
      expect(await sendNotification.execute(shipped, {})).to.equal('sent');
      await server.waitFor(2);
      return { event, messages: server.messages };
    }

    it(`verifies with mailauth against the TXT record published at ${selector}._domainkey.${DOMAIN}: pass, d=${DOMAIN}, aligned with From`, async () => {
      const { messages } = await sendTwoEmails();
      for (const message of messages) {
        const results = await verify(message.raw);
        expect(results, 'one signature').to.have.length(1);
        const [result] = results as [DKIMResult];
        expect(result.status.result, result.info).to.equal('pass');
        // mailauth's result names the algorithm `algo` and the canonicalization `format` (its typings say otherwise).
        expect(result).to.deep.include({ signingDomain: DOMAIN, selector, algo: `${type}-sha256`, format: 'relaxed/relaxed' });
        expect(result.status.aligned).to.equal(DOMAIN);
      }
    });

    it('fails verification when a byte of the body is changed on the way', async () => {
      const { event, messages } = await sendTwoEmails();
      const { header, body } = split((messages[0] as RecordedMessage).raw);
      expect(body).to.contain(event.orderId);
      const [result] = await verify(header + body.replace(event.orderId, event.orderId.replace('o-', '0-')));
      expect(result?.status.result).to.not.equal('pass');
      expect(result?.status.comment).to.equal('body hash did not verify');
    });

    it('fails verification when a signed header (the Subject) is changed on the way', async () => {
      const { event, messages } = await sendTwoEmails();
      const raw = (messages[0] as RecordedMessage).raw;
      expect(raw).to.contain(`Subject: Order ${event.orderId} received`);
      const [result] = await verify(raw.replace(`Subject: Order ${event.orderId} received`, `Subject: Order ${event.orderId} refunded`));
      expect(result?.status.result).to.equal('fail');
    });

    it('fails verification against another key published under the selector', async () => {
      const { messages } = await sendTwoEmails();
      const other = generateDkimKey(type);
      const [result] = (await dkimVerify(Buffer.from((messages[0] as RecordedMessage).raw), { resolver: publishedAt(dkimRecordName(settings), dkimZoneFileLine(settings, dkimRecordValue(other.publicKey))) })).results;
      expect(result?.status.result).to.equal('fail');
    });

    it('carries the headers of transactional mail: Auto-Submitted, a stable Message-ID, Date and MIME-Version, the last three signed with From, To and Subject', async () => {
      const { event, messages } = await sendTwoEmails();
      expect(messages.map((m) => m.messageId)).to.deep.equal([`<order-created-${event.id}@${DOMAIN}>`, `<order-shipped-${event.id}@${DOMAIN}>`]);
      for (const message of messages) {
        expect(message.headers['auto-submitted']).to.equal('auto-generated');
        expect(message.headers['mime-version']).to.equal('1.0');
        expect(Date.parse(message.headers.date ?? ''), 'Date').to.be.within(Date.now() - 60_000, Date.now() + 1000);
        const signed = /^DKIM-Signature:[\s\S]*?\bh=([^;]+);/im.exec(split(message.raw).header)?.[1]?.replace(/\s+/g, '').toLowerCase().split(':');
        expect(signed).to.include.members(['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type']);
      }
    });

    it('still tells a connection cut before the message went out from one cut after it (signing reads the message first)', async () => {
      // Cut 100 ms after RCPT TO: time enough for the signer to read the whole message, so a mark set on the unsigned copy would show.
      server.dropAtRcpt(1, 100);
      const before = await mailer.send({ to: 'ada@example.com', subject: 's', text: 't', html: '<p>t</p>', messageId: `<m-${randomUUID()}@${DOMAIN}>`, headers: {} }).catch((e: unknown) => e);
      expect(before).to.be.instanceOf(MailDeliveryError);
      expect(before).to.include({ kind: 'unavailable', outcomeUnknown: false });
      server.dropAfterData(1);
      const after = await mailer.send({ to: 'ada@example.com', subject: 's', text: 't', html: '<p>t</p>', messageId: `<m-${randomUUID()}@${DOMAIN}>`, headers: {} }).catch((e: unknown) => e);
      expect(after).to.include({ kind: 'unavailable', outcomeUnknown: true });
      expect((await verify((server.messages[0] as RecordedMessage).raw))[0]?.status.result).to.equal('pass');
    });
  });
}
