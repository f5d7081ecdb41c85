import { fork } from 'node:child_process';
import net from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { SmtpMailer } from '../../src/adapters/smtp/smtp-mailer.js';
import { FileEmailTemplates } from '../../src/adapters/templates/file-email-templates.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { BUILT_IN_TEMPLATES_DIR } from '../../src/bootstrap/modules/email-templates-module.js';
import { ORDER_CREATED } from '../../src/domain/order-created.js';
import { cpuPerOp } from './measure.js';

// CPU of the notifier's side of an SMTP send (compose, sign, write), per email: the server runs in another process.
const sink = fork(new URL('./smtp-sink.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
const port = await new Promise<number>((resolve) => sink.once('message', (message) => resolve((message as { port: number }).port)));

const templates = await FileEmailTemplates.load({ builtInDir: BUILT_IN_TEMPLATES_DIR, shop: { name: 'ordermail', brandColor: '#2b6cb0' }, defaultLocale: 'en', timeZone: 'UTC' });
const payload = { id: '0b9d6c1e-4a7f-4d2b-9c3e-5f1a2b3c4d5e', orderId: 'order-1', itemId: ['sku-1', 'sku-2', 'sku-3'], createdAt: '2026-11-24T12:00:00.000Z' };
const rendered = templates.render(orderConfirmation({ ...ORDER_CREATED, aggregateId: payload.orderId, payload }), {
  to: 'customer@example.com',
  messageId: notificationMessageId({ kind: 'order-created', internalId: payload.id }, 'shop.test'),
  correlationId: 'corr-1',
});
const email = { ...rendered, headers: { ...rendered.headers, 'Auto-Submitted': 'auto-generated' } };

const pem = (type: 'rsa' | 'ed25519') =>
  (type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519')).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const variants = [
  { name: 'send, unsigned', dkim: undefined },
  { name: 'send, DKIM rsa-sha256', dkim: { domainName: 'shop.test', keySelector: 'mail', privateKey: pem('rsa') } },
  { name: 'send, DKIM ed25519-sha256', dkim: { domainName: 'shop.test', keySelector: 'mail', privateKey: pem('ed25519') } },
];
// Socket writes per email, counted on every socket of this process (the mailer's only).
let writes = 0;
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (this: net.Socket, ...args: Parameters<net.Socket['write']>) {
  writes++;
  return write.apply(this, args);
} as net.Socket['write'];
const concurrency = 5;
for (const { name, dkim } of variants) {
  const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: 'Shop <orders@shop.test>', maxConnections: concurrency, ...(dkim ? { dkim } : {}) });
  const writesBefore = writes;
  await cpuPerOp(`${name} (${concurrency} at a time)`, 600, async (count) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) await mailer.send(email);
      }),
    );
  }, 9);
  console.log(`  ${((writes - writesBefore) / (600 * 9 + 120)).toFixed(1)} socket writes per email (SMTP commands included)`);
  mailer.close();
}
sink.disconnect();
