import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Script } from 'node:vm';
import { InMemoryWebhookEndpoints } from '../../src/adapters/memory/in-memory-webhook-endpoints.js';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { HttpLocalReceiver } from '../../src/adapters/webhook/http-local-receiver.js';
import { AdminOverview } from '../../src/application/admin-overview.js';
import type { AdminReadModel } from '../../src/application/ports/admin-read-model.js';
import { ListWebhookEndpoints } from '../../src/application/list-webhook-endpoints.js';
import { RegisterLocalReceiver } from '../../src/application/register-local-receiver.js';
import { RegisterWebhookEndpoint } from '../../src/application/register-webhook-endpoint.js';
import { RemoveWebhookEndpoint } from '../../src/application/remove-webhook-endpoint.js';
import { ReplayDeadLetter } from '../../src/application/replay-dead-letter.js';
import { RotateWebhookSecret } from '../../src/application/rotate-webhook-secret.js';
import { SetWebhookEndpointEnabled } from '../../src/application/set-webhook-endpoint-enabled.js';
import { NOTIFICATION_KINDS } from '../../src/domain/notification.js';
import { WEBHOOK_ENDPOINTS_MAX, WEBHOOK_EVENT_TYPE_LIST } from '../../src/domain/webhook-endpoint.js';
import { inMemoryOrders } from '../support/builders.js';
import { silentLogger } from '../support/logs.js';
import { CountingSecretGenerator, FakeAddressCheck, idOf, secretOf } from '../support/webhooks.js';

const TOKEN = 'unit-admin-token-0123456789';
const GRACE_MS = 86_400_000;
const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { ...bearer, 'content-type': 'application/json' };

const QUIET: AdminReadModel = {
  recentNotifications: async () => [],
  deadLetters: async () => [],
  activity: async () => ({ ordersLastMinute: 0, emailsLastMinute: 0, webhooksLastMinute: 0, outboxBacklog: 0, outboxParked: 0, byKind: NOTIFICATION_KINDS.map((kind) => ({ kind, sentLastMinute: 0, dead: 0 })) }),
};

/** The development receiver as `npm run receiver` is expected to behave on /secrets: it keeps what it is handed. */
class TestReceiver {
  readonly secrets: { endpointId: string; secret: string }[] = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/secrets') return void response.writeHead(404).end();
      this.secrets.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { endpointId: string; secret: string });
      response.writeHead(204).end();
    });
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('the admin API and page for webhook endpoints (in-memory adapters)', () => {
  let server: Server;
  let base: string;
  let endpoints: InMemoryWebhookEndpoints;
  let now: number;
  let receiver: TestReceiver;

  /** The api with the webhook administration; `receiverPort` turns on the local receiver's route (WEBHOOK_ALLOW_INSECURE=true). */
  async function start(options: { receiverPort?: number; webhooks?: boolean } = {}): Promise<void> {
    const orders = inMemoryOrders();
    endpoints = new InMemoryWebhookEndpoints();
    now = Date.parse('2026-11-25T12:00:00.000Z');
    const clock = { now: () => new Date(now) };
    const random = new CountingSecretGenerator();
    const logger = silentLogger();
    const allowInsecure = options.receiverPort !== undefined;
    const register = new RegisterWebhookEndpoint(endpoints, new FakeAddressCheck(), random, clock, logger, { allowInsecure });
    const setEnabled = new SetWebhookEndpointEnabled(endpoints, logger);
    const rotate = new RotateWebhookSecret(endpoints, random, clock, logger, { graceMs: GRACE_MS });
    const localReceiver =
      options.receiverPort === undefined ? undefined : new RegisterLocalReceiver(new HttpLocalReceiver({ port: options.receiverPort }), endpoints, register, setEnabled, rotate, logger);
    const webhooks = { register, list: new ListWebhookEndpoints(endpoints, clock), setEnabled, rotate, remove: new RemoveWebhookEndpoint(endpoints, logger), ...(localReceiver ? { localReceiver } : {}) };
    const app = createHttpApp({
      createOrder: orders.createOrder,
      getOrder: orders.getOrder,
      healthChecks: [],
      logger,
      admin: {
        token: TOKEN,
        overview: new AdminOverview(QUIET, undefined),
        replay: new ReplayDeadLetter(orders.ledger, logger),
        ...(options.webhooks === false ? {} : { webhooks }),
        now: () => now,
      },
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  beforeEach(() => {
    receiver = new TestReceiver();
  });
  afterEach(async () => {
    await receiver.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (path: string, body?: unknown, headers: Record<string, string> = json): Promise<Response> =>
    fetch(`${base}/admin/api/webhooks${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const registerOne = async (body: Record<string, unknown> = {}): Promise<{ endpoint: Record<string, unknown>; secret: string }> => {
    const response = await post('', { url: 'https://erp.example.com/hooks', events: ['order.created', 'order.shipped'], ...body });
    expect(response.status).to.equal(201);
    return (await response.json()) as { endpoint: Record<string, unknown>; secret: string };
  };
  const listed = async (): Promise<Record<string, unknown>[]> =>
    ((await (await fetch(`${base}/admin/api/webhooks`, { headers: bearer })).json()) as { endpoints: Record<string, unknown>[] }).endpoints;

  async function expectError(response: Response, status: number, code: string): Promise<{ code: string; message: string; details?: { field: string; message: string }[] }> {
    expect(response.status).to.equal(status);
    const { error } = (await response.json()) as { error: { code: string; message: string; details?: { field: string; message: string }[] } };
    expect(error.code).to.equal(code);
    return error;
  }

  async function signIn(): Promise<{ cookie: string; csrfToken: string; page: string }> {
    const exchange = await fetch(`${base}/admin?token=${TOKEN}`, { redirect: 'manual' });
    const cookie = (exchange.headers.getSetCookie().find((c) => c.includes('Path=/admin')) ?? '').split(';')[0] ?? '';
    const page = await (await fetch(`${base}/admin`, { headers: { cookie } })).text();
    return { cookie, csrfToken: /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1] ?? '', page };
  }

  describe('POST /admin/api/webhooks', () => {
    beforeEach(() => start());

    it('answers 201 with the endpoint and its secret, shown this once, and not to be cached', async () => {
      const response = await post('', { url: 'https://erp.example.com/hooks', events: ['order.shipped', 'order.created'], description: 'ERP' });
      expect(response.status).to.equal(201);
      expect(response.headers.get('cache-control')).to.equal('no-store');
      expect(await response.json()).to.deep.equal({
        endpoint: { id: idOf(1), url: 'https://erp.example.com/hooks', events: ['order.created', 'order.shipped'], enabled: true, description: 'ERP', createdAt: '2026-11-25T12:00:00.000Z' },
        secret: secretOf(2),
      });
    });

    it('answers 400 VALIDATION_FAILED naming each misshapen field, and the rules broken by the others', async () => {
      const shape = await expectError(await post('', { url: 5, events: 'order.created', colour: 'red' }), 400, 'VALIDATION_FAILED');
      expect(shape.details).to.deep.equal([
        { field: 'colour', message: 'is not an allowed field' },
        { field: 'url', message: 'must be string' },
        { field: 'events', message: 'must be array' },
      ]);
      const rules = await expectError(await post('', { url: 'http://erp.example.com/hooks', events: ['order.created', 'order.exploded'], description: 7 }), 400, 'VALIDATION_FAILED');
      expect(rules.details).to.deep.equal([
        { field: 'description', message: 'must be string' },
        { field: 'url', message: 'must use https (http only to localhost, when WEBHOOK_ALLOW_INSECURE=true)' },
        { field: 'events', message: 'must each be one of order.created, order.shipped, order.delivered, order.cancelled' },
      ]);
      const missing = await expectError(await post('', {}), 400, 'VALIDATION_FAILED');
      expect(missing.details).to.deep.equal([
        { field: 'url', message: 'is required' },
        { field: 'events', message: 'is required' },
      ]);
      expect(await listed()).to.deep.equal([]);
    });

    it('answers 400 naming url when the host points where deliveries may not go', async () => {
      const refused = await expectError(await post('', { url: 'https://intranet.example.com/hooks', events: ['order.created'] }), 400, 'VALIDATION_FAILED');
      expect(refused.details).to.deep.equal([{ field: 'url', message: 'host "intranet.example.com" resolves to 10.1.2.3, a private address' }]);
    });

    it('answers 400 INVALID_JSON, 400 for a body that is not an object, and 415 for another media type', async () => {
      await expectError(await post('', '{"url":'), 400, 'INVALID_JSON');
      expect((await expectError(await post('', ['https://erp.example.com/hooks']), 400, 'VALIDATION_FAILED')).details).to.deep.equal([{ field: '(body)', message: 'must be a JSON object' }]);
      await expectError(await post('', 'url=https://erp.example.com', { ...bearer, 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it(`answers 409 WEBHOOK_ENDPOINTS_FULL once ${WEBHOOK_ENDPOINTS_MAX} endpoints are registered`, async () => {
      for (let i = 0; i < WEBHOOK_ENDPOINTS_MAX; i++) await registerOne({ url: `https://erp.example.com/hooks/${i}` });
      const full = await expectError(await post('', { url: 'https://erp.example.com/hooks', events: ['order.created'] }), 409, 'WEBHOOK_ENDPOINTS_FULL');
      expect(full.message).to.equal(`At most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints can be registered: remove one before adding another`);
    });
  });

  describe('listing and changing endpoints', () => {
    beforeEach(() => start());

    it('lists the endpoints, the oldest first, without a secret', async () => {
      const first = await registerOne();
      now += 1000;
      const second = await registerOne({ url: 'https://crm.example.com/in', events: WEBHOOK_EVENT_TYPE_LIST });
      const response = await fetch(`${base}/admin/api/webhooks`, { headers: bearer });
      expect(response.headers.get('cache-control')).to.equal('no-store');
      const body = await response.text();
      expect(JSON.parse(body)).to.deep.equal({ endpoints: [first.endpoint, second.endpoint] });
      expect(body).not.to.contain('whsec_');
    });

    it('disables and enables an endpoint, answering with it as it is now', async () => {
      const { endpoint } = await registerOne();
      const disabled = await post(`/${endpoint.id as string}/disable`, undefined, bearer);
      expect(disabled.status).to.equal(200);
      expect(await disabled.json()).to.deep.equal({ endpoint: { ...endpoint, enabled: false } });
      expect(await endpoints.subscribersOf('order-created')).to.deep.equal([]);
      expect(await (await post(`/${endpoint.id as string}/enable`, undefined, bearer)).json()).to.deep.equal({ endpoint });
    });

    it('rotates the secret: the new one is answered once, and the list says until when the previous one signs', async () => {
      const { endpoint, secret } = await registerOne();
      const response = await post(`/${endpoint.id as string}/rotate-secret`, undefined, bearer);
      expect(response.status).to.equal(200);
      expect(response.headers.get('cache-control')).to.equal('no-store');
      const expiresAt = new Date(now + GRACE_MS).toISOString();
      expect(await response.json()).to.deep.equal({ secret: secretOf(3), previousSecretExpiresAt: expiresAt });
      expect(await listed()).to.deep.equal([{ ...endpoint, previousSecretExpiresAt: expiresAt }]);
      expect((await endpoints.get(endpoint.id as string))?.secrets).to.deep.equal({ current: secretOf(3), previous: { secret, expiresAt: new Date(expiresAt) } });
    });

    it('deletes an endpoint with 204, then answers 404 WEBHOOK_ENDPOINT_NOT_FOUND for it', async () => {
      const { endpoint } = await registerOne();
      const path = `${base}/admin/api/webhooks/${endpoint.id as string}`;
      const deleted = await fetch(path, { method: 'DELETE', headers: bearer });
      expect(deleted.status).to.equal(204);
      expect(await deleted.text()).to.equal('');
      expect(await listed()).to.deep.equal([]);
      await expectError(await fetch(path, { method: 'DELETE', headers: bearer }), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
    });

    it('answers 404 WEBHOOK_ENDPOINT_NOT_FOUND to an id it does not have, or that no endpoint can have', async () => {
      for (const id of [idOf(7), 'ep_short', 'A%00B']) {
        await expectError(await post(`/${id}/disable`, undefined, bearer), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
        await expectError(await post(`/${id}/enable`, undefined, bearer), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
        await expectError(await post(`/${id}/rotate-secret`, undefined, bearer), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
        await expectError(await fetch(`${base}/admin/api/webhooks/${id}`, { method: 'DELETE', headers: bearer }), 404, 'WEBHOOK_ENDPOINT_NOT_FOUND');
      }
    });
  });

  describe('authentication', () => {
    beforeEach(() => start());

    it('answers 401 to every webhook route without the admin token or a session, and changes nothing', async () => {
      const { endpoint } = await registerOne();
      const id = endpoint.id as string;
      const anonymous = { 'content-type': 'application/json' };
      await expectError(await fetch(`${base}/admin/api/webhooks`), 401, 'ADMIN_TOKEN_REQUIRED');
      await expectError(await post('', { url: 'https://erp.example.com/x', events: ['order.created'] }, anonymous), 401, 'ADMIN_TOKEN_REQUIRED');
      await expectError(await post(`/${id}/disable`, undefined, {}), 401, 'ADMIN_TOKEN_REQUIRED');
      await expectError(await post(`/${id}/rotate-secret`, undefined, { authorization: `Bearer ${TOKEN}x` }), 401, 'ADMIN_TOKEN_INVALID');
      await expectError(await fetch(`${base}/admin/api/webhooks/${id}`, { method: 'DELETE' }), 401, 'ADMIN_TOKEN_REQUIRED');
      await expectError(await post('/local-receiver', undefined, {}), 401, 'ADMIN_TOKEN_REQUIRED');
      expect(await listed()).to.deep.equal([endpoint]);
    });

    it('accepts the page\'s session with its CSRF token from its own origin, and refuses it without', async () => {
      const { cookie, csrfToken } = await signIn();
      const body = { url: 'https://erp.example.com/hooks', events: ['order.created'] };
      await expectError(await post('', body, { cookie, origin: base, 'content-type': 'application/json' }), 403, 'ADMIN_CSRF_TOKEN_INVALID');
      await expectError(await post('', body, { cookie, origin: 'http://evil.example', 'x-csrf-token': csrfToken, 'content-type': 'application/json' }), 403, 'ADMIN_CROSS_ORIGIN');
      expect(await listed()).to.deep.equal([]);
      const registered = await post('', body, { cookie, origin: base, 'x-csrf-token': csrfToken, 'content-type': 'application/json' });
      expect(registered.status).to.equal(201);
      expect((await fetch(`${base}/admin/api/webhooks`, { headers: { cookie } })).status).to.equal(200);
    });
  });

  describe('POST /admin/api/webhooks/local-receiver', () => {
    it('answers 404 unless insecure URLs are allowed (WEBHOOK_ALLOW_INSECURE=true)', async () => {
      await start();
      const error = await expectError(await post('/local-receiver', undefined, bearer), 404, 'NOT_FOUND');
      expect(error.message).to.contain('WEBHOOK_ALLOW_INSECURE=true');
      expect(await listed()).to.deep.equal([]);
    });

    it('registers the receiver for every event type and hands it the secret', async () => {
      const port = await receiver.start();
      await start({ receiverPort: port });
      const response = await post('/local-receiver', undefined, bearer);
      expect(response.status).to.equal(201);
      expect(response.headers.get('cache-control')).to.equal('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).to.deep.equal({
        endpoint: {
          id: idOf(1),
          url: `http://127.0.0.1:${port}/webhooks`,
          events: [...WEBHOOK_EVENT_TYPE_LIST],
          enabled: true,
          description: 'the local receiver (npm run receiver)',
          createdAt: '2026-11-25T12:00:00.000Z',
        },
        secret: secretOf(2),
        created: true,
        receiverTookSecret: true,
        message: 'The receiver has the secret: it verifies every delivery it gets.',
      });
      expect(receiver.secrets).to.deep.equal([{ endpointId: idOf(1), secret: secretOf(2) }]);
    });

    it('answers 200 with a new secret for the receiver registered already, and registers no second one', async () => {
      const port = await receiver.start();
      await start({ receiverPort: port });
      await post('/local-receiver', undefined, bearer);
      const again = await post('/local-receiver', undefined, bearer);
      expect(again.status).to.equal(200);
      expect(await again.json()).to.deep.include({ secret: secretOf(3), created: false, receiverTookSecret: true });
      expect((await listed()).map((e) => e.id)).to.deep.equal([idOf(1)]);
      expect(receiver.secrets.map((s) => s.secret)).to.deep.equal([secretOf(2), secretOf(3)]);
    });

    it('still answers with the secret when the receiver is not running, and says to start it', async () => {
      const port = await receiver.start();
      await receiver.stop();
      await start({ receiverPort: port });
      const response = await post('/local-receiver', undefined, bearer);
      expect(response.status).to.equal(201);
      const body = (await response.json()) as { secret: string; receiverTookSecret: boolean; message: string };
      expect(body).to.deep.include({ secret: secretOf(2), receiverTookSecret: false });
      expect(body.message).to.contain('npm run receiver');
    });
  });

  describe('the page', () => {
    it('has a Webhooks section with a register form offering every event type, and no inline script or style', async () => {
      await start();
      const { page } = await signIn();
      expect(page).to.contain('<section id="webhooks">').and.contain('<form class="webhook-form" id="webhook-form">').and.contain('id="webhook-secret" hidden');
      for (const type of WEBHOOK_EVENT_TYPE_LIST) expect(page).to.contain(`<input type="checkbox" name="events" value="${type}" checked>`);
      expect(page).not.to.contain('id="local-receiver"');
      expect(page).not.to.match(/<script>|<style>|\sstyle=|\son[a-z]+=/);
    });

    it('offers the one-click registration of the local receiver in development only', async () => {
      const port = await receiver.start();
      await start({ receiverPort: port });
      expect((await signIn()).page).to.contain('<button type="button" id="local-receiver">Register the local receiver (npm run receiver)</button>');
    });

    it('has no Webhooks section, and no webhook routes, when the api is built without them', async () => {
      await start({ webhooks: false });
      expect((await signIn()).page).not.to.contain('id="webhooks"');
      await expectError(await fetch(`${base}/admin/api/webhooks`, { headers: bearer }), 404, 'NOT_FOUND');
    });

    it('serves a script that parses, and drives the section through the admin API with the CSRF token', async () => {
      await start();
      const { cookie } = await signIn();
      const script = await (await fetch(`${base}/admin/app.js`, { headers: { cookie } })).text();
      expect(() => new Script(script)).not.to.throw();
      expect(script).to.contain("'/admin/api/webhooks'").and.contain("'X-CSRF-Token': csrfToken").and.contain('/rotate-secret').and.contain('/local-receiver').and.contain('window.confirm(');
    });
  });
});
