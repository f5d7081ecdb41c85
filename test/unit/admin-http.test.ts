import { expect } from 'chai';
import type { Server } from 'node:http';
import { ADMIN_SESSION_TTL_MS } from '../../src/adapters/http/admin-session.js';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { AdminOverview } from '../../src/application/admin-overview.js';
import { ReplayDeadLetter } from '../../src/application/replay-dead-letter.js';
import { confirmationKey, confirmationOf, inMemoryOrders } from '../support/builders.js';
import { silentLogger } from '../support/logs.js';

const TOKEN = 'unit-admin-token-0123456789';
const NO_ACTIVITY = { ordersLastMinute: 0, emailsLastMinute: 0, outboxBacklog: 0, outboxParked: 0 };

describe('the admin page and its API (in-memory adapters)', () => {
  let server: Server;
  let base: string;
  let now: number;
  let ledger: ReturnType<typeof inMemoryOrders>['ledger'];

  async function start(trustedProxyCount = 0): Promise<void> {
    const subject = inMemoryOrders();
    ledger = subject.ledger;
    now = Date.parse('2026-11-24T12:00:00.000Z');
    const readModel = { recentOrders: async () => [], deadLetters: async () => [], activity: async () => NO_ACTIVITY };
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
});
