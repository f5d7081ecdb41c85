import { expect } from 'chai';
import { scryptSync } from 'node:crypto';
import type { Server } from 'node:http';
import type Koa from 'koa';
import { clientAddress } from '../../src/adapters/http/callers.js';
import { createHttpApp, type HttpAppDeps } from '../../src/adapters/http/http-app.js';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.js';
import { DependencyUnavailableError } from '../../src/application/errors.js';
import type { RateLimiter } from '../../src/application/ports/rate-limiter.js';
import { anOrderBody, fixedClock, inMemoryOrders } from '../support/builders.js';
import { capturingLogger } from '../support/logs.js';

const KEY = 'k3y-0ne-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=';
const NEXT_KEY = 'k3y-tw0-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=';
// Written out here rather than imported: the id is part of the log format operators search for.
const keyIdOf = (key: string): string => scryptSync(key, 'ordermail api key id', 4).toString('hex');

interface ErrorBody {
  success: boolean;
  error: { code: string; message: string };
}

describe('Callers: API keys and the rate limit on POST /orders', () => {
  let server: Server | undefined;
  let base: string;
  let subject: ReturnType<typeof inMemoryOrders>;
  let logs: ReturnType<typeof capturingLogger>;

  async function start(deps: Partial<HttpAppDeps> = {}, extend?: (app: Koa) => void): Promise<void> {
    subject = inMemoryOrders();
    logs = capturingLogger('api');
    const app = createHttpApp({ createOrder: subject.createOrder, getOrder: subject.getOrder, healthChecks: [], logger: logs.logger, ...deps });
    extend?.(app);
    server = app.listen(0);
    await new Promise((resolve) => server?.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const post = (headers: Record<string, string> = {}, body: unknown = anOrderBody()): Promise<Response> =>
    fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

  async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
    expect(response.status).to.equal(status);
    expect(response.headers.get('content-type')).to.match(/application\/json/);
    const body = (await response.json()) as ErrorBody;
    expect(body.success).to.equal(false);
    expect(body.error.code).to.equal(code);
    expect(body.error.message).to.be.a('string').with.length.above(0);
    return body;
  }

  describe('with API_KEYS set', () => {
    const metrics = { httpRequest: () => undefined, exposition: async () => ({ contentType: 'text/plain', body: '' }) };
    beforeEach(() => start({ apiKeys: [KEY, NEXT_KEY], metrics }));

    it('answers 401 with WWW-Authenticate to a POST /orders without a key, and stores nothing', async () => {
      const response = await post();
      await expectError(response, 401, 'UNAUTHORIZED');
      expect(response.headers.get('www-authenticate')).to.equal('Bearer realm="ordermail"');
      expect(subject.store.orders.size).to.equal(0);
    });

    it('answers 401 naming an invalid token to a wrong key, a key in another scheme, or a prefix of a key', async () => {
      for (const authorization of ['Bearer wrong-key-wrong-key-wrong-key', `Basic ${KEY}`, `Bearer ${KEY.slice(0, -1)}`, `Bearer ${KEY}x`]) {
        const response = await post({ authorization });
        await expectError(response, 401, 'UNAUTHORIZED');
        expect(response.headers.get('www-authenticate'), authorization).to.match(/^Bearer realm="ordermail"/);
      }
      expect((await post(bearer('wrong-key'))).headers.get('www-authenticate')).to.contain('error="invalid_token"');
      expect(subject.store.orders.size).to.equal(0);
    });

    it('accepts an order from a caller with any of the keys (rotation), whatever the case of "Bearer"', async () => {
      expect((await post(bearer(KEY))).status).to.equal(202);
      expect((await post(bearer(NEXT_KEY))).status).to.equal(202);
      expect((await post({ authorization: `bearer ${KEY}` })).status).to.equal(202);
    });

    it('answers 401 to GET /orders/{orderId} without a key, whether the order exists or not', async () => {
      await post(bearer(KEY), anOrderBody({ orderId: 'A-1' }));
      await expectError(await fetch(`${base}/orders/A-1`), 401, 'UNAUTHORIZED');
      await expectError(await fetch(`${base}/orders/nope`), 401, 'UNAUTHORIZED');
      expect((await fetch(`${base}/orders/A-1`, { headers: bearer(NEXT_KEY) })).status).to.equal(200);
      expect((await fetch(`${base}/orders/nope`, { headers: bearer(KEY) })).status).to.equal(404);
    });

    it('keeps /health, /ready, /metrics and /openapi.json open', async () => {
      for (const path of ['/health', '/ready', '/metrics', '/openapi.json']) expect((await fetch(`${base}${path}`)).status, path).to.equal(200);
    });

    it('never logs a key, wrong or right; the access log names the key by its id', async () => {
      await post(bearer(KEY), anOrderBody({ orderId: 'logged' }));
      await post(bearer(`${NEXT_KEY}-wrong`));
      await fetch(`${base}/orders/logged`, { headers: bearer(NEXT_KEY) });
      const text = JSON.stringify(logs.lines);
      for (const secret of [KEY, NEXT_KEY, KEY.slice(0, 12), NEXT_KEY.slice(0, 12)]) expect(text).to.not.contain(secret);
      const access = logs.lines.filter((line) => line.msg === 'http request');
      expect(access.map((line) => [line.status, line.apiKeyId])).to.deep.equal([
        [202, keyIdOf(KEY)],
        [401, undefined],
        [200, keyIdOf(NEXT_KEY)],
      ]);
    });
  });

  describe('without API_KEYS', () => {
    it('lets everyone order and look up, whatever Authorization they send', async () => {
      await start();
      expect((await post()).status).to.equal(202);
      expect((await post(bearer('anything'))).status).to.equal(202);
      expect((await post({ authorization: 'Basic eDp5' })).status).to.equal(202);
    });
  });

  it('tells later code who called as ctx.state.caller: a key by its id, or anonymous', async () => {
    await start({ apiKeys: [KEY] }, (app) =>
      app.use((ctx) => {
        ctx.body = ctx.state.caller;
      }),
    );
    const callerWith = async (headers: Record<string, string>) => (await fetch(`${base}/whoami`, { headers })).json();
    expect(await callerWith(bearer(KEY))).to.deep.equal({ kind: 'key', id: keyIdOf(KEY) });
    expect(await callerWith(bearer('wrong'))).to.deep.equal({ kind: 'anonymous' });
    expect(await callerWith({})).to.deep.equal({ kind: 'anonymous' });
  });

  describe('the rate limit on POST /orders', () => {
    const limiter = (burst: number) => new InMemoryRateLimiter({ perSecond: 0.5, burst }, fixedClock());

    it('answers 429 with Retry-After in seconds once the burst is spent, and stores nothing', async () => {
      await start({ orderRateLimiter: limiter(2) });
      expect((await post()).status).to.equal(202);
      expect((await post()).status).to.equal(202);
      const refused = await post(undefined, anOrderBody({ orderId: 'too-many' }));
      const body = await expectError(refused, 429, 'RATE_LIMITED');
      expect(refused.headers.get('retry-after')).to.equal('2');
      expect(body.error.message).to.contain('2 s');
      expect(subject.store.orders.has('too-many')).to.equal(false);
      expect(logs.lines.filter((l) => l.msg === 'http request').at(-1)).to.deep.include({ status: 429, error: 'RATE_LIMITED' });
    });

    it('gives every key a bucket of its own', async () => {
      await start({ apiKeys: [KEY, NEXT_KEY], orderRateLimiter: limiter(1) });
      expect((await post(bearer(KEY))).status).to.equal(202);
      expect((await post(bearer(KEY))).status).to.equal(429);
      expect((await post(bearer(NEXT_KEY))).status).to.equal(202);
    });

    it('answers 401 before taking a token, so callers without a key cannot spend a key holder\u2019s tokens', async () => {
      const taken: string[] = [];
      const counting: RateLimiter = { take: async (client) => (taken.push(client), { allowed: true }), prune: async () => 0 };
      await start({ apiKeys: [KEY], orderRateLimiter: counting });
      await post();
      await post(bearer('wrong'));
      await post(bearer(KEY));
      expect(taken).to.deep.equal([`key:${keyIdOf(KEY)}`]);
    });

    it('ignores X-Forwarded-For without trusted proxies, and tells clients apart by it behind one', async () => {
      await start({ orderRateLimiter: limiter(1) });
      expect((await post({ 'x-forwarded-for': '198.51.100.1' })).status).to.equal(202);
      expect((await post({ 'x-forwarded-for': '198.51.100.2' })).status).to.equal(429);
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      await start({ orderRateLimiter: limiter(1), trustedProxyCount: 1 });
      expect((await post({ 'x-forwarded-for': '198.51.100.1' })).status).to.equal(202);
      expect((await post({ 'x-forwarded-for': '198.51.100.2' })).status).to.equal(202);
      expect((await post({ 'x-forwarded-for': '203.0.113.9, 198.51.100.1' })).status).to.equal(429);
    });

    it('answers 503 with Retry-After, not 500, when the limiter cannot reach its store', async () => {
      const away: RateLimiter = { take: async () => Promise.reject(new DependencyUnavailableError('postgres')), prune: async () => 0 };
      await start({ orderRateLimiter: away });
      const response = await post();
      await expectError(response, 503, 'SERVICE_UNAVAILABLE');
      expect(response.headers.get('retry-after')).to.equal('5');
      expect(subject.store.orders.size).to.equal(0);
    });
  });

  describe('clientAddress', () => {
    const spec: [string, string | undefined, string, number, string][] = [
      ['the socket address without trusted proxies, X-Forwarded-For ignored', '192.0.2.7', '198.51.100.1', 0, '192.0.2.7'],
      ['the rightmost entry behind one proxy', '10.0.0.1', '203.0.113.5, 198.51.100.1', 1, '198.51.100.1'],
      ['the second entry from the right behind two proxies', '10.0.0.1', '203.0.113.5, 198.51.100.1, 10.0.0.9', 2, '198.51.100.1'],
      ['the leftmost entry when there are fewer entries than proxies', '10.0.0.1', '198.51.100.1', 3, '198.51.100.1'],
      ['the socket address when the header is absent', '10.0.0.1', '', 1, '10.0.0.1'],
      ['the socket address when the chosen entry is not an address', '10.0.0.1', 'junk, x', 1, '10.0.0.1'],
      ['an IPv4 address mapped into IPv6 as plain IPv4', '::ffff:192.0.2.7', '', 0, '192.0.2.7'],
      ['an IPv6 address as it is', '2001:db8::1', '', 0, '2001:db8::1'],
    ];
    for (const [what, socket, forwardedFor, proxies, expected] of spec)
      it(`takes ${what}`, () => {
        expect(clientAddress(socket, forwardedFor, proxies)).to.equal(expected);
      });
  });
});
