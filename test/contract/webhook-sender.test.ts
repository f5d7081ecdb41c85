import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { InMemoryWebhookSender } from '../../src/adapters/memory/in-memory-webhook-sender.js';
import type { HostLookup } from '../../src/adapters/webhook/address-rules.js';
import { HttpWebhookSender, webhookUserAgent, type HttpWebhookSenderOptions } from '../../src/adapters/webhook/http-webhook-sender.js';
import { WebhookDeliveryError, type WebhookFailureKind, type WebhookRequest, type WebhookSender } from '../../src/application/ports/webhook-sender.js';
import { closedPort, dribble, endlessBody, hangUp, silence, status, WebhookTestServer } from '../support/webhook-test-server.js';

const aSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** A delivery as the application builds it; the URL is the subject's unless given. */
const aDelivery = (url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({
  url,
  id: `msg_${randomUUID()}`,
  timestamp: new Date(),
  body: JSON.stringify({ type: 'order.shipped', timestamp: '2026-11-24T12:00:00.000Z', data: { orderId: `A-${randomUUID().slice(0, 8)}`, status: 'shipped' } }),
  secrets: [aSecret()],
  ...overrides,
});

const failureOf = async (sending: Promise<unknown>): Promise<WebhookDeliveryError> => {
  const error = await sending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(WebhookDeliveryError);
  return error as WebhookDeliveryError;
};

interface SenderSubject {
  readonly sender: WebhookSender;
  /** Where a delivery reaches the subject's endpoint. */
  readonly url: string;
  /** What the endpoint received, in order: webhook-id, webhook-timestamp (seconds) and body. */
  received(): { id: string; timestamp: number; body: string }[];
  /** Makes the next delivery fail the way the kind describes. */
  failNext(kind: WebhookFailureKind): void;
  close(): Promise<void>;
}

function webhookSenderContract(makeSubject: () => Promise<SenderSubject>): void {
  let subject: SenderSubject;
  beforeEach(async () => {
    subject = await makeSubject();
  });
  afterEach(() => subject.close());

  it('delivers a request with its id, timestamp and body, and answers with the 2xx status', async () => {
    const delivery = aDelivery(subject.url);
    const answer = await subject.sender.send(delivery);
    expect(answer.status).to.be.within(200, 299);
    expect(subject.received()).to.deep.equal([{ id: delivery.id, timestamp: Math.floor(delivery.timestamp.getTime() / 1000), body: delivery.body }]);
  });

  for (const kind of ['unreachable', 'failed', 'rejected', 'address-refused'] as const) {
    it(`reports ${kind} as such, and delivers the next attempt`, async () => {
      const delivery = aDelivery(subject.url);
      subject.failNext(kind);
      const error = await failureOf(subject.sender.send(delivery));
      expect(error.kind).to.equal(kind);
      expect(error.message).to.not.contain(delivery.secrets[0]?.slice('whsec_'.length));
      await subject.sender.send(delivery);
      expect(subject.received().map((received) => received.id)).to.include(delivery.id);
    });
  }
}

describe('WebhookSender contract: InMemoryWebhookSender', () =>
  webhookSenderContract(async () => {
    const sender = new InMemoryWebhookSender();
    return {
      sender,
      url: 'https://hooks.example.com/webhooks',
      received: () => sender.sent.map((request) => ({ id: request.id, timestamp: Math.floor(request.timestamp.getTime() / 1000), body: request.body })),
      failNext: (kind) => sender.failNext(kind),
      close: async () => undefined,
    };
  }));

describe('WebhookSender contract: HttpWebhookSender (real HTTP server)', () =>
  webhookSenderContract(async () => {
    const server = await WebhookTestServer.start();
    // The endpoint's name resolves to the test server, until a failure script points it elsewhere (a DNS change).
    let nextAddress: string | undefined;
    const lookup: HostLookup = async () => {
      const address = nextAddress ?? '127.0.0.1';
      nextAddress = undefined;
      return [{ address, family: 4 }];
    };
    const sender = new HttpWebhookSender({ allowInsecure: true, userAgent: webhookUserAgent('0.0.0-test'), lookup });
    return {
      sender,
      url: server.url('/webhooks', 'hooks.shop.test'),
      received: () => server.received.map((request) => ({ id: String(request.headers['webhook-id']), timestamp: Number(request.headers['webhook-timestamp']), body: request.body })),
      failNext: (kind) => {
        if (kind === 'unreachable') server.answerNext(hangUp);
        if (kind === 'failed') server.answerNext(status(503));
        if (kind === 'rejected') server.answerNext(status(404));
        if (kind === 'address-refused') nextAddress = '10.0.0.5';
      },
      close: async () => {
        sender.close();
        await server.close();
      },
    };
  }));

describe('HttpWebhookSender', () => {
  let server: WebhookTestServer;
  const senders: HttpWebhookSender[] = [];
  /** A sender to the test server on 127.0.0.1, which only an insecure sender may call. */
  const aSender = (options: Partial<HttpWebhookSenderOptions> = {}): HttpWebhookSender => {
    const sender = new HttpWebhookSender({ allowInsecure: true, userAgent: webhookUserAgent('1.2.3'), ...options });
    senders.push(sender);
    return sender;
  };
  beforeEach(async () => {
    server = await WebhookTestServer.start();
  });
  afterEach(async () => {
    for (const sender of senders.splice(0)) sender.close();
    await server.close();
  });

  describe('the request', () => {
    it('posts JSON with the Standard Webhooks headers, our User-Agent and the extra headers', async () => {
      const delivery = aDelivery(server.url(), { timestamp: new Date('2026-11-24T12:00:00.999Z'), headers: { 'x-correlation-id': 'corr-7' } });
      await aSender().send(delivery);
      const [received] = server.received;
      expect(received).to.include({ method: 'POST', path: '/webhooks', body: delivery.body });
      expect(received?.headers).to.include({
        'content-type': 'application/json',
        'user-agent': 'ordermail/1.2.3 (+webhooks)',
        'webhook-id': delivery.id,
        'webhook-timestamp': '1795521600',
        'x-correlation-id': 'corr-7',
      });
      expect(received?.headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
    });

    it('signs so that the receiver verifies it with the standardwebhooks library, with either secret of a rotation', async () => {
      const current = aSecret();
      const previous = aSecret();
      const delivery = aDelivery(server.url(), { secrets: [current, previous] });
      await aSender().send(delivery);
      const [received] = server.received;
      const headers = received?.headers as Record<string, string>;
      expect(headers['webhook-signature']?.split(' ')).to.have.length(2);
      for (const secret of [current, previous]) expect(new Webhook(secret).verify(received?.body ?? '', headers)).to.deep.equal(JSON.parse(delivery.body));
      expect(() => new Webhook(aSecret()).verify(received?.body ?? '', headers)).to.throw('No matching signature found');
      const tampered = (received?.body ?? '').replace('shipped', 'cancelled');
      expect(() => new Webhook(current).verify(tampered, headers)).to.throw('No matching signature found');
    });

    it('keeps its own headers over extra ones of the same name, and refuses an extra header that would break its line', async () => {
      const delivery = aDelivery(server.url(), { headers: { 'Webhook-Id': 'forged', 'Content-Type': 'text/plain' } });
      await aSender().send(delivery);
      expect(server.received[0]?.headers).to.include({ 'webhook-id': delivery.id, 'content-type': 'application/json' });
      const error = await failureOf(aSender().send(aDelivery(server.url(), { headers: { 'x-correlation-id': 'a\r\nx-evil: 1' } })));
      expect(error.kind).to.equal('rejected');
      expect(error.message).to.match(/^the request could not be built: /);
      expect(server.received).to.have.length(1);
    });

    it('refuses a body over its bound without sending anything', async () => {
      const error = await failureOf(aSender({ maxRequestBytes: 1024 }).send(aDelivery(server.url(), { body: JSON.stringify({ data: 'x'.repeat(2000) }) })));
      expect(error.kind).to.equal('rejected');
      expect(error.message).to.match(/the body is \d+ bytes, more than the 1024 a delivery may carry/);
      expect(server.received).to.deep.equal([]);
    });

    it('refuses a secret it cannot sign with, without quoting it', async () => {
      const error = await failureOf(aSender().send(aDelivery(server.url(), { secrets: ['whsec_!!not-base64!!'] })));
      expect(error.kind).to.equal('rejected');
      expect(error.message).to.equal('signing secret #1 is not a whsec_ base64 secret');
      expect(server.received).to.deep.equal([]);
    });
  });

  describe('the answer', () => {
    it('tries a 500 again, and the next attempt of the same delivery goes through', async () => {
      server.answerNext(status(500, {}, 'database down'));
      const sender = aSender();
      const delivery = aDelivery(server.url());
      const error = await failureOf(sender.send(delivery));
      expect(error).to.include({ kind: 'failed', status: 500, retryAfterMs: undefined });
      expect(error.message).to.equal('the endpoint answered 500 Internal Server Error: database down');
      expect((await sender.send(delivery)).status).to.equal(204);
      expect(server.received.map((received) => received.headers['webhook-id'])).to.deep.equal([delivery.id, delivery.id]);
    });

    it('reads Retry-After in seconds off a 429', async () => {
      server.answerNext(status(429, { 'retry-after': '120' }));
      const error = await failureOf(aSender().send(aDelivery(server.url())));
      expect(error).to.include({ kind: 'failed', status: 429, retryAfterMs: 120_000 });
    });

    it('reads Retry-After as an HTTP date off a 429', async () => {
      server.answerNext(status(429, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }));
      const error = await failureOf(aSender().send(aDelivery(server.url())));
      expect(error.kind).to.equal('failed');
      expect(error.retryAfterMs).to.be.within(118_000, 120_000);
    });

    it('waits at most an hour, whatever Retry-After says', async () => {
      server.answerNext(status(503, { 'retry-after': '86400' }));
      expect((await failureOf(aSender().send(aDelivery(server.url())))).retryAfterMs).to.equal(3_600_000);
    });

    for (const code of [503, 408]) {
      it(`tries a ${code} again`, async () => {
        server.answerNext(status(code));
        const error = await failureOf(aSender().send(aDelivery(server.url())));
        expect(error).to.include({ kind: 'failed', status: code });
        expect(error.message).to.contain(`answered ${code}`);
      });
    }

    for (const code of [410, 404, 400, 401]) {
      it(`rejects the delivery for good on a ${code}`, async () => {
        server.answerNext(status(code, {}, 'no such hook'));
        const error = await failureOf(aSender().send(aDelivery(server.url())));
        expect(error).to.include({ kind: 'rejected', status: code });
        expect(error.message).to.match(new RegExp(`^the endpoint answered ${code} .*: no such hook$`));
      });
    }

    for (const code of [301, 302, 307, 308]) {
      it(`rejects a ${code} redirect and never requests its Location`, async () => {
        server.answerNext(status(code, { location: server.url('/elsewhere') }));
        const error = await failureOf(aSender().send(aDelivery(server.url())));
        expect(error).to.include({ kind: 'rejected', status: code });
        expect(error.message).to.contain(`a redirect to ${server.url('/elsewhere')}: redirects are not followed`);
        expect(server.received.map((received) => received.path)).to.deep.equal(['/webhooks']);
      });
    }

    it('takes a 2xx with a huge body as delivered, reading only the start of it', async () => {
      server.answerNext(endlessBody);
      const started = Date.now();
      const answer = await aSender({ timeoutMs: 5_000 }).send(aDelivery(server.url()));
      expect(answer.status).to.equal(200);
      expect(Date.now() - started).to.be.below(5_000);
    });

    it('quotes only the printable start of what a refusing endpoint said', async () => {
      server.answerNext(status(422, {}, `bad\r\n\u0000${'y'.repeat(10_000)}`));
      const error = await failureOf(aSender().send(aDelivery(server.url())));
      expect(error.message).to.match(/^the endpoint answered 422 Unprocessable Entity: bad y{196}…$/);
    });
  });

  describe('the connection', () => {
    it('calls an endpoint unreachable when it does not answer within the timeout', async () => {
      server.answerNext(silence);
      const started = Date.now();
      const error = await failureOf(aSender({ timeoutMs: 400 }).send(aDelivery(server.url())));
      expect(error.kind).to.equal('unreachable');
      expect(error.message).to.equal('no answer within 400 ms');
      expect(Date.now() - started).to.be.within(350, 2_000);
    });

    it('takes a 2xx as delivered as soon as its status arrives, whatever its body does after (it is dropped)', async () => {
      server.answerNext(dribble(50));
      const started = Date.now();
      expect(await aSender({ timeoutMs: 2_000 }).send(aDelivery(server.url()))).to.deep.equal({ status: 200 });
      expect(Date.now() - started, 'not waiting for the body').to.be.below(1_000);
    });

    it('calls an endpoint unreachable when its refusal does not complete within the timeout', async () => {
      server.answerNext(dribble(50, 503));
      const started = Date.now();
      const error = await failureOf(aSender({ timeoutMs: 400 }).send(aDelivery(server.url())));
      expect(error.kind).to.equal('unreachable');
      expect(error.message).to.equal('the answer did not complete within 400 ms');
      expect(Date.now() - started).to.be.within(350, 2_000);
    });

    it('calls a closed port unreachable', async () => {
      const port = await closedPort();
      const error = await failureOf(aSender().send(aDelivery(`http://127.0.0.1:${port}/webhooks`)));
      expect(error.kind).to.equal('unreachable');
      expect(error.message).to.contain('ECONNREFUSED');
    });

    it('calls a host that does not resolve unreachable: DNS may come back', async () => {
      const lookup: HostLookup = async (hostname) => {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      };
      const error = await failureOf(aSender({ lookup }).send(aDelivery('https://gone.shop.test/webhooks')));
      expect(error.kind).to.equal('unreachable');
      expect(error.message).to.equal('host "gone.shop.test" does not resolve (ENOTFOUND); tried again, DNS may come back');
    });

    it('tries once more on a fresh connection when a kept-alive one was closed without an answer', async () => {
      const sender = aSender();
      await sender.send(aDelivery(server.url()));
      server.answerNext(hangUp);
      const delivery = aDelivery(server.url());
      expect((await sender.send(delivery)).status).to.equal(204);
      expect(server.received.slice(1).map((received) => received.headers['webhook-id'])).to.deep.equal([delivery.id, delivery.id]);
    });

    it('calls an endpoint unreachable when a fresh connection is dropped too', async () => {
      const sender = aSender();
      await sender.send(aDelivery(server.url()));
      server.answerNext(hangUp, hangUp);
      const error = await failureOf(sender.send(aDelivery(server.url())));
      expect(error.kind).to.equal('unreachable');
      expect(server.received).to.have.length(3);
    });
  });

  describe('where it may connect', () => {
    for (const address of ['10.255.255.1', '169.254.169.254', '[fd00::1]', '[::ffff:192.168.0.1]']) {
      it(`refuses the literal address ${address} without connecting`, async () => {
        const started = Date.now();
        const error = await failureOf(aSender({ allowInsecure: false, timeoutMs: 5_000 }).send(aDelivery(`https://${address}/webhooks`)));
        expect(error.kind).to.equal('address-refused');
        expect(error.message).to.match(/^the endpoint URL resolves to .+, a (private|link-local) address.*: webhooks may only call public addresses$/);
        expect(Date.now() - started).to.be.below(1_000);
      });
    }

    it('refuses the metadata address even when insecure addresses are allowed', async () => {
      const error = await failureOf(aSender({ allowInsecure: true }).send(aDelivery('http://169.254.169.254/latest/meta-data')));
      expect(error.kind).to.equal('address-refused');
    });

    it('refuses a name that resolves to loopback (localhost) unless insecure addresses are allowed', async () => {
      const error = await failureOf(aSender({ allowInsecure: false }).send(aDelivery(server.url('/webhooks', 'localhost'))));
      expect(error.kind).to.equal('address-refused');
      expect(error.message).to.match(/^host "localhost" resolves to (127\.0\.0\.1|::1), a loopback address: webhooks may only call public addresses/);
      expect(server.received).to.deep.equal([]);
      expect((await aSender({ allowInsecure: true }).send(aDelivery(server.url('/webhooks', 'localhost')))).status).to.equal(204);
      expect(server.received).to.have.length(1);
    });

    it('refuses a name whose addresses changed to a private one since it was registered, at connect time', async () => {
      let addresses = ['127.0.0.1'];
      const sender = aSender({ lookup: async () => addresses.map((address) => ({ address, family: 4 })) });
      await sender.send(aDelivery(server.url('/webhooks', 'hooks.shop.test')));
      sender.close();
      addresses = ['127.0.0.1', '192.168.1.20'];
      const error = await failureOf(sender.send(aDelivery(server.url('/webhooks', 'hooks.shop.test'))));
      expect(error.kind).to.equal('address-refused');
      expect(error.message).to.contain('host "hooks.shop.test" resolves to 192.168.1.20, a private address');
      expect(server.received).to.have.length(1);
    });
  });
});
