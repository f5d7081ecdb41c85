import { expect } from 'chai';
import type { Server } from 'node:http';
import { ADMIN_SESSION_TTL_MS } from '../../src/adapters/http/admin-session.js';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { AdminOverview } from '../../src/application/admin-overview.js';
import type { AdminReadModel, NotificationFilter, NotificationSummary } from '../../src/application/ports/admin-read-model.js';
import { ReplayDeadLetter } from '../../src/application/replay-dead-letter.js';
import { PreviewEmail } from '../../src/application/preview-email.js';
import { EmailRenderError, type EmailTemplates } from '../../src/application/ports/email-templates.js';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, type Notification, type NotificationKey } from '../../src/domain/notification.js';
import { confirmationKey, confirmationOf, inMemoryOrders, statusUpdateOf } from '../support/builders.js';
import { builtInTemplates } from '../support/email-templates.js';
import { silentLogger } from '../support/logs.js';

const TOKEN = 'unit-admin-token-0123456789';
const NO_ACTIVITY = { ordersLastMinute: 0, emailsLastMinute: 0, webhooksLastMinute: 0, outboxBacklog: 0, outboxParked: 0, byKind: NOTIFICATION_KINDS.map((kind) => ({ kind, sentLastMinute: 0, dead: 0 })) };

/** A read model that answers what a test put in it and remembers the filters it was asked with. */
class CannedReadModel implements AdminReadModel {
  notifications: NotificationSummary[] = [];
  readonly filters: NotificationFilter[] = [];

  async recentNotifications(filter: NotificationFilter, limit: number): Promise<NotificationSummary[]> {
    this.filters.push(filter);
    return this.notifications
      .filter((n) => (filter.status ?? n.status) === n.status && (filter.kind ?? n.kind) === n.kind && (filter.channel ?? n.channel) === n.channel)
      .slice(0, limit);
  }

  async deadLetters(): Promise<[]> {
    return [];
  }

  async activity(): Promise<typeof NO_ACTIVITY> {
    return NO_ACTIVITY;
  }
}

describe('the admin page and its API (in-memory adapters)', () => {
  let server: Server;
  let base: string;
  let now: number;
  let ledger: ReturnType<typeof inMemoryOrders>['ledger'];
  let readModel: CannedReadModel;

  async function start(trustedProxyCount = 0, templates?: EmailTemplates): Promise<void> {
    const subject = inMemoryOrders();
    ledger = subject.ledger;
    now = Date.parse('2026-11-24T12:00:00.000Z');
    readModel = new CannedReadModel();
    const app = createHttpApp({
      createOrder: subject.createOrder,
      getOrder: subject.getOrder,
      healthChecks: [],
      logger: silentLogger(),
      admin: {
        token: TOKEN,
        overview: new AdminOverview(readModel, undefined),
        replay: new ReplayDeadLetter(ledger, silentLogger()),
        inbox: { messages: () => [{ id: 1, receivedAt: new Date(now), to: ['ada@example.com'], subject: 'Order A-1 received', messageId: '<1@x>', text: 'hi', html: '<p style="color:red">hi</p>' }] },
        trustedProxyCount,
        now: () => now,
        ...(templates ? { preview: new PreviewEmail(templates) } : {}),
      },
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function deadLetter(orderId: string): Promise<void> {
    await ledger.claim(confirmationOf({ id: `id-${orderId}`, orderId, itemId: ['x'], createdAt: new Date(now).toISOString() }), {}, 'test', 60_000);
    await ledger.markDead(confirmationKey(orderId), 'test', { attempts: 1, kind: 'recipient-rejected', error: '550 unknown mailbox' });
  }

  /** Sends the shipping email of `orderId` to the dead letters, after its confirmation went out. */
  async function deadStatusUpdate(orderId: string): Promise<NotificationKey> {
    await ledger.claim(confirmationOf({ id: `id-${orderId}`, orderId, itemId: ['x'], createdAt: new Date(now).toISOString() }), {}, 'test', 60_000);
    await ledger.markSent(confirmationKey(orderId), 'test', `<order-created-${orderId}@x>`);
    const shipped = statusUpdateOf(orderId, 'shipped');
    expect((await ledger.claim(shipped, {}, 'test', 60_000)).claimed).to.equal(true);
    await ledger.markDead(shipped, 'test', { attempts: 3, kind: 'recipient-rejected', error: '550 mailbox full' });
    return { orderId, kind: shipped.kind, channel: shipped.channel };
  }

  /** Exchanges ?token= for the session cookie, as a browser does. */
  async function signIn(headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string; csrfToken: string }> {
    const exchange = await fetch(`${base}/admin?token=${TOKEN}`, { redirect: 'manual', headers });
    const setCookie = exchange.headers.getSetCookie().find((c) => c.includes('Path=/admin')) ?? '';
    const cookie = setCookie.split(';')[0] ?? '';
    const page = await (await fetch(`${base}/admin`, { headers: { cookie } })).text();
    const csrfToken = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1] ?? '';
    return { cookie, setCookie, csrfToken };
  }

  const replay = (orderId: string, headers: Record<string, string>): Promise<Response> =>
    fetch(`${base}/admin/api/dead-letters/${orderId}/replay`, { method: 'POST', headers });

  async function expectError(response: Response, status: number, code: string): Promise<void> {
    expect(response.status).to.equal(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).to.equal(code);
  }

  describe('signing in', () => {
    beforeEach(() => start());

    it('exchanges ?token= for a session cookie and redirects to the same path without the token', async () => {
      const response = await fetch(`${base}/admin?token=${TOKEN}`, { redirect: 'manual' });
      expect(response.status).to.equal(302);
      expect(response.headers.get('location')).to.equal('/admin');
      expect(response.headers.get('cache-control')).to.equal('no-store');
    });

    it('sets a signed, expiring, HttpOnly, SameSite=Strict cookie on /admin that does not hold the token', async () => {
      const { setCookie, cookie } = await signIn();
      expect(setCookie).to.match(/^ordermail_admin=v1\.\d+\.[\w-]{22}\.[\w-]{43}; Max-Age=43200; Path=\/admin; HttpOnly; SameSite=Strict$/);
      expect(cookie).not.to.contain(TOKEN);
      const expiry = Number(cookie.split('.')[1]) * 1000;
      expect(expiry).to.equal(now + ADMIN_SESSION_TTL_MS);
    });

    it('marks the cookie Secure when a trusted proxy says the request came over HTTPS', async () => {
      server.close();
      await start(1);
      expect((await signIn({ 'x-forwarded-proto': 'https' })).setCookie).to.match(/; Secure$/);
    });

    it('ignores X-Forwarded-Proto without a trusted proxy (TRUSTED_PROXY_COUNT=0)', async () => {
      expect((await signIn({ 'x-forwarded-proto': 'https' })).setCookie).not.to.contain('Secure');
    });

    it('answers 401 to a wrong ?token= and sets no cookie', async () => {
      const response = await fetch(`${base}/admin?token=${TOKEN}x`, { redirect: 'manual' });
      await expectError(response, 401, 'ADMIN_TOKEN_INVALID');
      expect(response.headers.getSetCookie()).to.deep.equal([]);
    });

    it('answers 401 without a session or a token', async () => {
      await expectError(await fetch(`${base}/admin/api/overview`), 401, 'ADMIN_TOKEN_REQUIRED');
    });

    it('answers 401 to a tampered cookie', async () => {
      const { cookie } = await signIn();
      const [name, value = ''] = cookie.split('=');
      const parts = value.split('.');
      const later = `${name}=${[parts[0], String(Number(parts[1]) + 3600), parts[2], parts[3]].join('.')}`;
      await expectError(await fetch(`${base}/admin/api/overview`, { headers: { cookie: later } }), 401, 'ADMIN_TOKEN_REQUIRED');
      await expectError(await fetch(`${base}/admin/api/overview`, { headers: { cookie: `${name}=${TOKEN}` } }), 401, 'ADMIN_TOKEN_REQUIRED');
    });

    it('ends the session after 12 hours', async () => {
      const { cookie } = await signIn();
      now += ADMIN_SESSION_TTL_MS - 1000;
      expect((await fetch(`${base}/admin/api/overview`, { headers: { cookie } })).status).to.equal(200);
      now += 1000;
      await expectError(await fetch(`${base}/admin/api/overview`, { headers: { cookie } }), 401, 'ADMIN_TOKEN_REQUIRED');
    });

    it('accepts Authorization: Bearer <ADMIN_TOKEN> and refuses a wrong one', async () => {
      expect((await fetch(`${base}/admin/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(200);
      await expectError(await fetch(`${base}/admin/api/overview`, { headers: { authorization: `Bearer ${TOKEN.slice(1)}` } }), 401, 'ADMIN_TOKEN_INVALID');
    });
  });

  describe('a state-changing request (replay)', () => {
    beforeEach(() => start());

    it('is accepted from the page itself: same origin and the session\'s CSRF token', async () => {
      const { cookie, csrfToken } = await signIn();
      await deadLetter('D-1');
      const response = await replay('D-1', { cookie, origin: base, 'x-csrf-token': csrfToken });
      expect(response.status).to.equal(202);
      expect((await ledger.stateOf(confirmationKey('D-1')))?.status).to.equal('failed');
    });

    it('is accepted on Sec-Fetch-Site: same-origin when there is no Origin', async () => {
      const { cookie, csrfToken } = await signIn();
      expect((await replay('D-2', { cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': csrfToken })).status).to.equal(409);
    });

    it('answers 403 to another origin, even with the CSRF token', async () => {
      const { cookie, csrfToken } = await signIn();
      await deadLetter('D-3');
      await expectError(await replay('D-3', { cookie, origin: 'http://evil.example', 'x-csrf-token': csrfToken }), 403, 'ADMIN_CROSS_ORIGIN');
      await expectError(await replay('D-3', { cookie, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrfToken }), 403, 'ADMIN_CROSS_ORIGIN');
      expect((await ledger.stateOf(confirmationKey('D-3')))?.status).to.equal('dead');
    });

    it('answers 403 to a session request with neither Origin nor Sec-Fetch-Site', async () => {
      const { cookie, csrfToken } = await signIn();
      await expectError(await replay('D-4', { cookie, 'x-csrf-token': csrfToken }), 403, 'ADMIN_CROSS_ORIGIN');
    });

    it('answers 403 without the CSRF token, or with another session\'s', async () => {
      const { cookie } = await signIn();
      const other = await signIn();
      await expectError(await replay('D-5', { cookie, origin: base }), 403, 'ADMIN_CSRF_TOKEN_INVALID');
      await expectError(await replay('D-5', { cookie, origin: base, 'x-csrf-token': other.csrfToken }), 403, 'ADMIN_CSRF_TOKEN_INVALID');
    });

    it('needs neither from a script with the bearer token, which no browser sends on its own', async () => {
      await deadLetter('D-6');
      expect((await replay('D-6', { authorization: `Bearer ${TOKEN}` })).status).to.equal(202);
    });
  });

  describe('the list of notifications', () => {
    beforeEach(() => start());
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const overview = async (query = ''): Promise<{ notifications: Record<string, unknown>[]; filter: NotificationFilter }> =>
      (await (await fetch(`${base}/admin/api/overview${query}`, { headers: bearer })).json()) as { notifications: Record<string, unknown>[]; filter: NotificationFilter };
    const shipped: NotificationSummary = {
      orderId: 'L-1',
      kind: 'order-shipped',
      channel: 'email',
      status: 'dead',
      attempts: 3,
      lastError: '550 5.2.2 mailbox full (mx.example.net:25)',
      failureKind: 'recipient-rejected',
      createdAt: new Date('2026-11-25T09:00:01.000Z'),
      orderStatus: 'delivered',
    };
    const confirmation: NotificationSummary = {
      orderId: 'L-1',
      kind: 'order-created',
      channel: 'email',
      status: 'sent',
      attempts: 0,
      sentAt: new Date('2026-11-24T12:00:02.000Z'),
      messageId: '<order-created-id-L-1@shop.example>',
      provider: 'mail-b.example.com:465',
      createdAt: new Date('2026-11-24T12:00:01.000Z'),
      orderStatus: 'delivered',
    };

    it('lists one row per notification with its key, state, error text, Message-ID, the provider that took it and the order\'s status', async () => {
      readModel.notifications = [shipped, confirmation];
      const { notifications } = await overview();
      expect(notifications).to.deep.equal([
        { ...shipped, createdAt: '2026-11-25T09:00:01.000Z' },
        { ...confirmation, createdAt: '2026-11-24T12:00:01.000Z', sentAt: '2026-11-24T12:00:02.000Z' },
      ]);
      expect(readModel.filters).to.deep.equal([{}]);
    });

    it('narrows the list by status and by kind, and says which filter it applied', async () => {
      readModel.notifications = [shipped, confirmation];
      const dead = await overview('?status=dead');
      expect(dead.notifications.map((n) => n.kind)).to.deep.equal(['order-shipped']);
      const created = await overview('?kind=order-created&status=');
      expect(created.notifications.map((n) => n.kind)).to.deep.equal(['order-created']);
      expect(created.filter).to.deep.equal({ kind: 'order-created' });
      await overview('?status=sent&kind=order-shipped');
      expect(readModel.filters.slice(-1)).to.deep.equal([{ status: 'sent', kind: 'order-shipped' }]);
    });

    it('lists the endpoint of a webhook delivery, and narrows the list by channel', async () => {
      const { provider: _provider, ...sent } = confirmation; // a webhook delivery has an endpoint, not an SMTP provider
      const delivery: NotificationSummary = { ...sent, channel: 'webhook', endpointId: 'ep_0123456789abcdef01234567', messageId: 'msg_2Q1' };
      readModel.notifications = [delivery, shipped, confirmation];
      const webhooks = await overview('?channel=webhook');
      expect(webhooks.notifications).to.deep.equal([{ ...delivery, createdAt: '2026-11-24T12:00:01.000Z', sentAt: '2026-11-24T12:00:02.000Z' }]);
      expect(webhooks.filter).to.deep.equal({ channel: 'webhook' });
      const emails = await overview('?channel=email&kind=order-created');
      expect(emails.notifications.map((n) => [n.kind, n.channel])).to.deep.equal([['order-created', 'email']]);
      expect(emails.notifications[0]).not.to.have.property('endpointId');
    });

    it('answers 400 VALIDATION_FAILED to a status, kind or channel the domain does not have, without asking the read model', async () => {
      for (const query of ['?status=lost', '?kind=order-exploded', '?kind=order-created&kind=order-shipped', '?status=SENT', '?channel=sms', '?channel=email&channel=webhook']) {
        const response = await fetch(`${base}/admin/api/overview${query}`, { headers: bearer });
        expect(response.status, query).to.equal(400);
        const body = (await response.json()) as { error: { code: string; details: { field: string }[] } };
        expect(body.error.code).to.equal('VALIDATION_FAILED');
        expect(body.error.details.map((d) => d.field)).to.have.length(1);
      }
      expect(readModel.filters).to.deep.equal([]);
    });

    it('offers every status, kind and channel as a filter on the page', async () => {
      const { cookie } = await signIn();
      const page = await (await fetch(`${base}/admin`, { headers: { cookie } })).text();
      for (const kind of NOTIFICATION_KINDS) expect(page).to.contain(`<option value="${kind}">`);
      for (const channel of NOTIFICATION_CHANNELS) expect(page).to.contain(`<option value="${channel}">`);
      expect(page).to.contain('<option value="dead">').and.contain('<tbody id="notifications">');
    });
  });

  describe('replaying a notification', () => {
    beforeEach(() => start());
    const bearer = { authorization: `Bearer ${TOKEN}` };
    /** POST …/{path}/replay, `?query` after it: `W-1/order-created/webhook?endpoint=ep_…`. */
    const replayNotification = (pathAndQuery: string, headers: Record<string, string> = bearer): Promise<Response> => {
      const [path, query] = pathAndQuery.split('?');
      return fetch(`${base}/admin/api/notifications/${path}/replay${query === undefined ? '' : `?${query}`}`, { method: 'POST', headers });
    };

    it('replays a dead shipping email by its key, and leaves the order\'s other notifications alone', async () => {
      const key = await deadStatusUpdate('R-1');
      const response = await replayNotification('R-1/order-shipped/email');
      expect(response.status).to.equal(202);
      expect(await response.json()).to.deep.equal({ success: true, outcome: 'reset' });
      expect((await ledger.stateOf(key))?.status).to.equal('failed');
      expect((await ledger.stateOf(confirmationKey('R-1')))?.status).to.equal('sent');
    });

    it('replays from the page\'s session with the CSRF token, and refuses it from another origin', async () => {
      const key = await deadStatusUpdate('R-2');
      const { cookie, csrfToken } = await signIn();
      await expectError(await replayNotification('R-2/order-shipped/email', { cookie, origin: 'http://evil.example', 'x-csrf-token': csrfToken }), 403, 'ADMIN_CROSS_ORIGIN');
      await expectError(await replayNotification('R-2/order-shipped/email', { cookie, origin: base }), 403, 'ADMIN_CSRF_TOKEN_INVALID');
      expect((await ledger.stateOf(key))?.status).to.equal('dead');
      expect((await replayNotification('R-2/order-shipped/email', { cookie, origin: base, 'x-csrf-token': csrfToken })).status).to.equal(202);
      expect((await ledger.stateOf(key))?.status).to.equal('failed');
    });

    it('answers 409 to a notification that is not dead: the sent confirmation, or one the ledger never saw', async () => {
      await deadStatusUpdate('R-3');
      const sent = await replayNotification('R-3/order-created/email');
      expect(sent.status).to.equal(409);
      expect(await sent.json()).to.deep.equal({ success: false, outcome: 'not-dead' });
      expect((await replayNotification('R-3/order-delivered/email')).status).to.equal(409);
    });

    it('answers 400 VALIDATION_FAILED to a kind or channel the domain does not have, and leaves the ledger alone', async () => {
      const key = await deadStatusUpdate('R-4');
      for (const [path, fields] of [
        ['R-4/order-exploded/email', ['kind']],
        ['R-4/order-shipped/sms', ['channel']],
        ['R-4/ORDER-SHIPPED/email', ['kind']],
        ['R-4/shipped/fax', ['kind', 'channel']],
      ] as const) {
        const response = await replayNotification(path);
        expect(response.status, path).to.equal(400);
        const body = (await response.json()) as { error: { code: string; details: { field: string }[] } };
        expect(body.error.code, path).to.equal('VALIDATION_FAILED');
        expect(body.error.details.map((d) => d.field), path).to.deep.equal(fields);
      }
      expect((await ledger.stateOf(key))?.status).to.equal('dead');
    });

    it('answers 404 ORDER_NOT_FOUND to an id no order can have', async () => {
      await expectError(await replayNotification('A%00B/order-shipped/email'), 404, 'ORDER_NOT_FOUND');
    });

    /** Two deliveries of the confirmation of `orderId`, one per endpoint, both dead. */
    async function deadDeliveries(orderId: string, endpointIds: readonly string[]): Promise<Notification[]> {
      const email = confirmationOf({ id: `id-${orderId}`, orderId, itemId: ['x'], createdAt: new Date(now).toISOString() });
      const deliveries = endpointIds.map((endpointId): Notification => ({ ...email, channel: 'webhook', endpointId }));
      await ledger.enqueue(deliveries, {});
      await ledger.claimDue(10, 'dispatcher', 60_000, 'webhook');
      for (const delivery of deliveries) await ledger.markDead(delivery, 'dispatcher', { attempts: 1, kind: 'endpoint-rejected', error: 'HTTP 410' });
      return deliveries;
    }

    it('replays a dead webhook delivery by its endpoint, and leaves the delivery to another endpoint dead', async () => {
      const [toA, toB] = await deadDeliveries('W-1', ['ep_aaaaaaaaaaaaaaaaaaaaaaaa', 'ep_bbbbbbbbbbbbbbbbbbbbbbbb']);
      const response = await replayNotification('W-1/order-created/webhook?endpoint=ep_aaaaaaaaaaaaaaaaaaaaaaaa');
      expect(response.status).to.equal(202);
      expect((await ledger.stateOf(toA as Notification))?.status).to.equal('failed');
      expect((await ledger.stateOf(toB as Notification))?.status).to.equal('dead');
      expect((await replayNotification('W-1/order-created/webhook?endpoint=ep_cccccccccccccccccccccccc')).status, 'an endpoint it was never sent to').to.equal(409);
    });

    it('answers 400 VALIDATION_FAILED naming `endpoint` when a webhook replay lacks a valid one or an email replay has one', async () => {
      const [delivery] = await deadDeliveries('W-2', ['ep_aaaaaaaaaaaaaaaaaaaaaaaa']);
      await deadStatusUpdate('W-2');
      for (const [path, message] of [
        ['W-2/order-created/webhook', /required/],
        ['W-2/order-created/webhook?endpoint=', /endpoint id/],
        ['W-2/order-created/webhook?endpoint=ep_AAAAAAAAAAAAAAAAAAAAAAAA', /endpoint id/],
        ['W-2/order-created/webhook?endpoint=https%3A%2F%2Fshop.example%2Fhook', /endpoint id/],
        ['W-2/order-created/webhook?endpoint=ep_aaaaaaaaaaaaaaaaaaaaaaaa&endpoint=ep_bbbbbbbbbbbbbbbbbbbbbbbb', /endpoint id/],
        ['W-2/order-shipped/email?endpoint=ep_aaaaaaaaaaaaaaaaaaaaaaaa', /absent/],
      ] as const) {
        const response = await replayNotification(path);
        expect(response.status, path).to.equal(400);
        const body = (await response.json()) as { error: { code: string; details: { field: string; message: string }[] } };
        expect(body.error.code, path).to.equal('VALIDATION_FAILED');
        expect(body.error.details.map((d) => d.field), path).to.deep.equal(['endpoint']);
        expect(body.error.details[0]?.message, path).to.match(message);
      }
      expect((await ledger.stateOf(delivery as Notification))?.status).to.equal('dead');
      expect((await ledger.stateOf({ orderId: 'W-2', kind: 'order-shipped', channel: 'email' }))?.status).to.equal('dead');
    });

    it('still replays an order\'s confirmation at the former address, for scripts', async () => {
      await deadLetter('R-5');
      expect((await fetch(`${base}/admin/api/dead-letters/R-5/replay`, { method: 'POST', headers: bearer })).status).to.equal(202);
      expect((await ledger.stateOf(confirmationKey('R-5')))?.status).to.equal('failed');
    });
  });

  describe('headers', () => {
    beforeEach(() => start());

    it('sends nosniff and no-referrer on JSON responses, errors included', async () => {
      for (const response of [await fetch(`${base}/health`), await fetch(`${base}/orders/A-404`), await fetch(`${base}/admin/api/overview`)]) {
        expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(response.headers.get('referrer-policy')).to.equal('no-referrer');
        expect(response.headers.get('x-frame-options')).to.equal('DENY');
      }
    });

    it('serves the admin page with a policy that allows no inline script and no framing', async () => {
      const { cookie } = await signIn();
      const response = await fetch(`${base}/admin`, { headers: { cookie } });
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).to.contain("script-src 'self'").and.contain("frame-ancestors 'none'").and.not.contain('unsafe-inline');
      expect(response.headers.get('x-frame-options')).to.equal('DENY');
      expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(response.headers.get('referrer-policy')).to.equal('no-referrer');
      const page = await response.text();
      expect(page).to.match(/<script src="\/admin\/app\.js"><\/script>/);
      expect(page).not.to.match(/<script>|<style>|\sstyle=|\son[a-z]+=/);
      const script = await fetch(`${base}/admin/app.js`, { headers: { cookie } });
      expect(script.headers.get('content-type')).to.match(/^application\/javascript/);
    });

    it('has no email preview where no templates are loaded', async () => {
      const { cookie } = await signIn();
      expect(await (await fetch(`${base}/admin`, { headers: { cookie } })).text()).to.not.include('id="preview"');
      expect((await fetch(`${base}/admin/api/preview/order-created`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(404);
    });

    it('serves the inbox under /admin with scripts off, and redirects its former address there', async () => {
      const { cookie } = await signIn();
      const response = await fetch(`${base}/admin/inbox`, { headers: { cookie } });
      expect(response.status).to.equal(200);
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).to.contain("frame-ancestors 'none'").and.not.contain('script-src');
      expect(response.headers.get('x-frame-options')).to.equal('DENY');
      const moved = await fetch(`${base}/inbox?token=${TOKEN}`, { redirect: 'manual' });
      expect(moved.headers.get('location')).to.equal(`/admin/inbox?token=${TOKEN}`);
    });
  });

  describe('the email preview', () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    beforeEach(async () => start(0, await builtInTemplates()));

    it('renders a kind for the sample order in the language asked for, as JSON', async () => {
      const response = await fetch(`${base}/admin/api/preview/order-created?lang=de-de`, { headers: bearer });
      expect(response.status).to.equal(200);
      expect(response.headers.get('cache-control')).to.equal('no-store');
      const preview = (await response.json()) as Record<string, string>;
      expect(preview).to.include({ kind: 'order-created', locale: 'de-DE', language: 'de', subject: 'Bestellung A-1001 eingegangen' });
      expect(preview.text).to.include('Bestellt am: 24. November 2026 um 12:00 UTC');
      expect(preview.html).to.match(/^<!doctype html>/i).and.include('Vielen Dank für Ihre Bestellung A-1001');
      const byDefault = (await (await fetch(`${base}/admin/api/preview/order-shipped?lang=`, { headers: bearer })).json()) as Record<string, string>;
      expect(byDefault).to.include({ language: 'en', subject: 'Order A-1001 has shipped' }).and.not.have.property('locale');
    });

    it('serves the HTML alone for the page\'s frame: framed by our own pages only, sandboxed, no script', async () => {
      const response = await fetch(`${base}/admin/preview/order-shipped?lang=de`, { headers: bearer });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
      expect(response.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).to.contain("frame-ancestors 'self'").and.contain('sandbox').and.contain("default-src 'none'").and.not.contain('script-src');
      expect(await response.text()).to.include('Ihre Bestellung A-1001 ist unterwegs');
    });

    it('shows a section on the admin page that frames the preview from our own origin', async () => {
      const { cookie } = await signIn();
      const response = await fetch(`${base}/admin`, { headers: { cookie } });
      expect(response.headers.get('content-security-policy')).to.contain("frame-src 'self'");
      const page = await response.text();
      expect(page).to.include('id="preview-form"').and.include('<iframe sandbox');
      for (const kind of NOTIFICATION_KINDS) expect(page).to.include(`<option value="${kind}">`);
      expect((await fetch(`${base}/admin/api/preview/order-delivered`, { headers: { cookie } })).status, 'the page\'s session may preview').to.equal(200);
    });

    it('needs the admin token like the rest of the admin API', async () => {
      await expectError(await fetch(`${base}/admin/api/preview/order-created`), 401, 'ADMIN_TOKEN_REQUIRED');
      await expectError(await fetch(`${base}/admin/preview/order-created`), 401, 'ADMIN_TOKEN_REQUIRED');
    });

    it('answers 400 VALIDATION_FAILED to a kind the domain does not have and to a language that is no BCP 47 tag', async () => {
      const kind = await fetch(`${base}/admin/api/preview/order-lost`, { headers: bearer });
      expect(kind.status).to.equal(400);
      expect(((await kind.json()) as { error: { details: unknown } }).error.details).to.deep.equal([{ field: 'kind', message: `must be one of ${NOTIFICATION_KINDS.join(', ')}` }]);
      const lang = await fetch(`${base}/admin/api/preview/order-created?lang=de_DE`, { headers: bearer });
      expect(((await lang.json()) as { error: { details: unknown } }).error.details).to.deep.equal([{ field: 'lang', message: 'must be a BCP 47 language tag such as de or de-DE' }]);
    });
  });

  describe('a template that fails on the sample order', () => {
    beforeEach(() =>
      start(0, {
        renders: () => true,
        render: () => {
          throw new EmailRenderError('templates/order-created/en.txt.eta:2', 'TypeError: x is undefined');
        },
      }),
    );

    it('answers 422 EMAIL_RENDER_FAILED naming the template and why', async () => {
      const response = await fetch(`${base}/admin/api/preview/order-created`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).to.equal(422);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error).to.deep.equal({ code: 'EMAIL_RENDER_FAILED', message: 'the email template templates/order-created/en.txt.eta:2 failed: TypeError: x is undefined' });
    });
  });
});
