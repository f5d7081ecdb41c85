import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { isLoopbackPeer, WebhookReceiver } from '../../scripts/webhook-receiver.js';
import { HttpWebhookSender, webhookUserAgent } from '../../src/adapters/webhook/http-webhook-sender.js';
import { WebhookDeliveryError, type WebhookRequest } from '../../src/application/ports/webhook-sender.js';

const aSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const ENDPOINT_ID = `ep_${'a1'.repeat(12)}`;

describe('The local webhook receiver (npm run receiver)', () => {
  let receiver: WebhookReceiver;
  let lines: string[];
  let now: number;
  const sender = new HttpWebhookSender({ allowInsecure: true, userAgent: webhookUserAgent('test') });
  const start = async (options: { secrets?: Record<string, string>; failForMs?: number } = {}): Promise<void> => {
    receiver = await WebhookReceiver.start({ port: 0, print: (line) => lines.push(line), now: () => now, ...options });
  };
  const aDelivery = (secrets: string[], overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({
    url: receiver.url,
    id: `msg_${randomUUID()}`,
    timestamp: new Date(),
    body: JSON.stringify({ type: 'order.shipped', timestamp: new Date().toISOString(), data: { orderId: 'A-17', status: 'shipped' } }),
    secrets,
    ...overrides,
  });
  const handOver = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> =>
    fetch(`http://127.0.0.1:${receiver.port}/secrets`, { method: 'POST', headers, body: JSON.stringify(body) });

  beforeEach(() => {
    lines = [];
    now = Date.parse('2026-11-24T12:00:00.000Z');
  });
  afterEach(() => receiver.stop());
  after(() => sender.close());

  it('answers 204 to a verified delivery and prints its id, type, order and status', async () => {
    const secret = aSecret();
    await start({ secrets: { '--secret #1': secret } });
    const delivery = aDelivery([secret]);
    expect(await sender.send(delivery)).to.deep.equal({ status: 204 });
    expect(lines).to.deep.equal([`2026-11-24T12:00:00.000Z  verified (--secret #1)  ${delivery.id}  order.shipped  order A-17  status shipped`]);
  });

  it('answers 401 to a delivery signed with another secret, and says why', async () => {
    await start({ secrets: { WEBHOOK_SECRET: aSecret() } });
    const delivery = aDelivery([aSecret()]);
    const error = await sender.send(delivery).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(WebhookDeliveryError);
    expect(error).to.include({ kind: 'rejected', status: 401 });
    expect(lines).to.deep.equal([`2026-11-24T12:00:00.000Z  NOT VERIFIED (No matching signature found)  ${delivery.id}  order.shipped  order A-17  status shipped`]);
  });

  it('answers 401 to a delivery whose body was changed after signing', async () => {
    const secret = aSecret();
    await start({ secrets: { WEBHOOK_SECRET: secret } });
    const delivery = aDelivery([secret]);
    const tampered = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(delivery.timestamp.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(delivery.id, delivery.timestamp, delivery.body),
      },
      body: delivery.body.replace('shipped', 'cancelled'),
    });
    expect(tampered.status).to.equal(401);
    expect(lines[0]).to.contain('NOT VERIFIED (No matching signature found)');
  });

  it('says it knows no secret yet, rather than accepting anything', async () => {
    await start();
    const error = await sender.send(aDelivery([aSecret()])).catch((e: unknown) => e);
    expect(error).to.include({ kind: 'rejected', status: 401 });
    expect(lines[0]).to.contain('NOT VERIFIED (no secret known: pass --secret whsec_…, set WEBHOOK_SECRET, or register this receiver from the admin page)');
  });

  it('recognises a repeated webhook-id: 204 again, printed as a duplicate', async () => {
    const secret = aSecret();
    await start({ secrets: { WEBHOOK_SECRET: secret } });
    const delivery = aDelivery([secret]);
    await sender.send(delivery);
    expect(await sender.send({ ...delivery, timestamp: new Date() })).to.deep.equal({ status: 204 });
    expect(lines).to.have.length(2);
    expect(lines[1]).to.equal(`2026-11-24T12:00:00.000Z  verified (WEBHOOK_SECRET), duplicate  ${delivery.id}  order.shipped  order A-17  status shipped`);
  });

  it('takes a secret handed over from this machine, beside the ones it knows, and verifies with it', async () => {
    await start({ secrets: { WEBHOOK_SECRET: aSecret() } });
    const secret = aSecret();
    expect((await handOver({ endpointId: ENDPOINT_ID, secret })).status).to.equal(204);
    expect(lines).to.deep.equal([`2026-11-24T12:00:00.000Z  secret for ${ENDPOINT_ID} received (2 known)`]);
    const delivery = aDelivery([secret]);
    await sender.send(delivery);
    expect(lines[1]).to.equal(`2026-11-24T12:00:00.000Z  verified (${ENDPOINT_ID})  ${delivery.id}  order.shipped  order A-17  status shipped`);
  });

  it('refuses a handed-over secret that a browser sends, that is not JSON, or that is not a whsec_ secret', async () => {
    await start();
    expect((await handOver({ endpointId: ENDPOINT_ID, secret: aSecret() }, { 'content-type': 'application/json', origin: 'https://evil.example' })).status).to.equal(403);
    expect((await handOver({ endpointId: ENDPOINT_ID, secret: aSecret() }, { 'content-type': 'text/plain' })).status).to.equal(415);
    expect((await handOver({ endpointId: ENDPOINT_ID, secret: 'hunter2' })).status).to.equal(400);
    expect((await handOver({ secret: aSecret() })).status).to.equal(400);
    expect(receiver.secrets.size).to.equal(0);
  });

  it('takes secrets from loopback peers only', () => {
    for (const peer of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) expect(isLoopbackPeer(peer), peer).to.equal(true);
    for (const peer of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', '2001:db8::1', undefined, 'nonsense']) expect(isLoopbackPeer(peer), String(peer)).to.equal(false);
  });

  it('answers 503 for the first --fail-for seconds, then takes the delivery', async () => {
    const secret = aSecret();
    await start({ secrets: { WEBHOOK_SECRET: secret }, failForMs: 30_000 });
    const delivery = aDelivery([secret]);
    const error = await sender.send(delivery).catch((e: unknown) => e);
    expect(error).to.include({ kind: 'failed', status: 503 });
    expect(lines[0]).to.equal(`2026-11-24T12:00:00.000Z  503 (--fail-for, 30 s left)  ${delivery.id}  order.shipped  order A-17  status shipped`);
    now += 30_000;
    expect(await sender.send(delivery)).to.deep.equal({ status: 204 });
    expect(lines[1]).to.contain('verified (WEBHOOK_SECRET)  ');
  });

  it('answers 404 off /webhooks and 405 to anything but POST', async () => {
    await start();
    expect((await fetch(`http://127.0.0.1:${receiver.port}/`)).status).to.equal(404);
    expect((await fetch(receiver.url)).status).to.equal(405);
  });
});
