import { expect } from 'chai';
import type { Server } from 'node:http';
import { createHttpApp, type HttpAppDeps } from '../../src/adapters/http/http-app.js';
import { InMemoryRateLimiter } from '../../src/adapters/memory/in-memory-rate-limiter.js';
import { fixedClock, inMemoryOrders } from '../support/builders.js';
import { capturingLogger } from '../support/logs.js';

interface StateBody {
  success: true;
  data: { orderId: string; internalId: string; status: string; version: number; statusHistory: Record<string, unknown>[] };
  message: string;
}
interface ErrorBody {
  success: false;
  error: { code: string; message: string; details?: { field: string; message: string }[]; currentStatus?: string };
}

describe('HTTP API: POST /orders/{orderId}/status (in-memory adapters)', () => {
  let server: Server;
  let base: string;
  let subject: ReturnType<typeof inMemoryOrders>;
  let logs: ReturnType<typeof capturingLogger>;

  async function start(deps: Partial<HttpAppDeps> = {}): Promise<void> {
    subject = inMemoryOrders();
    logs = capturingLogger('api');
    const app = createHttpApp({ createOrder: subject.createOrder, getOrder: subject.getOrder, changeOrderStatus: subject.changeOrderStatus, healthChecks: [], logger: logs.logger, ...deps });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await subject.createOrder.execute({ orderId: 'A-1', itemIds: ['x'], email: 'ada@example.com', correlationId: 'c-0' });
    subject.store.outbox.splice(0);
  }
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const change = (body: unknown, orderId = 'A-1', headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/orders/${encodeURIComponent(orderId)}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
    expect(response.status).to.equal(status);
    const body = (await response.json()) as ErrorBody;
    expect(body.success).to.equal(false);
    expect(body.error.code).to.equal(code);
    expect(body.error.message).to.be.a('string').with.length.above(0);
    return body;
  }

  describe('without API keys', () => {
    beforeEach(() => start());

    it('answers 202 with the order\'s new state and stores one order.status-changed event with the correlation id', async () => {
      const response = await change({ status: 'shipped', carrier: ' DHL ', trackingUrl: 'https://track.example.com/p/1' }, 'A-1', { 'X-Correlation-Id': 'ship-1' });
      expect(response.status).to.equal(202);
      const body = (await response.json()) as StateBody;
      expect(body.success).to.equal(true);
      expect(body.message).to.equal('Status changed and event sent to queue');
      expect(body.data).to.deep.equal({
        orderId: 'A-1',
        internalId: subject.store.orders.get('A-1')?.internalId,
        status: 'shipped',
        version: 2,
        statusHistory: [
          { status: 'created', at: '2026-11-24T12:00:00.000Z' },
          { status: 'shipped', at: '2026-11-25T09:00:00.000Z', carrier: 'DHL', trackingUrl: 'https://track.example.com/p/1' },
        ],
      });
      expect(subject.store.outbox).to.have.length(1);
      expect(subject.store.outbox[0]?.event).to.deep.include({ type: 'order.status-changed', version: 1, aggregateId: 'A-1' });
      expect(subject.store.outbox[0]?.metadata).to.deep.equal({ correlationId: 'ship-1' });
      expect(logs.lines.find((l) => l.msg === 'order status changed')).to.include({ orderId: 'A-1', status: 'shipped', correlationId: 'ship-1' });
    });

    it('answers 200 with the current state to the same status again, storing no second event', async () => {
      expect((await change({ status: 'shipped' })).status).to.equal(202);
      const again = await change({ status: 'shipped', note: 'again' });
      expect(again.status).to.equal(200);
      const body = (await again.json()) as StateBody;
      expect(body.data).to.deep.include({ status: 'shipped', version: 2 });
      expect(body.data.statusHistory.map((h) => h.status)).to.deep.equal(['created', 'shipped']);
      expect(body.message).to.match(/already/);
      expect(subject.store.outbox).to.have.length(1);
    });

    it('answers 409 INVALID_TRANSITION naming the current status, and stores nothing', async () => {
      await change({ status: 'cancelled' });
      const body = await expectError(await change({ status: 'delivered' }), 409, 'INVALID_TRANSITION');
      expect(body.error.currentStatus).to.equal('cancelled');
      expect(body.error.message).to.contain('cancelled');
      expect(subject.store.outbox).to.have.length(1);
    });

    it('answers 404 for an unknown order, and for an orderId no order could have', async () => {
      await expectError(await change({ status: 'shipped' }, 'nope'), 404, 'ORDER_NOT_FOUND');
      await expectError(await change({ status: 'shipped' }, 'A\u0000'), 404, 'ORDER_NOT_FOUND');
    });

    const invalid: [string, unknown, string][] = [
      ['a missing status', {}, 'status'],
      ['an unknown status', { status: 'lost' }, 'status'],
      ['created as a status', { status: 'created' }, 'status'],
      ['a numeric status', { status: 2 }, 'status'],
      ['an http tracking URL', { status: 'shipped', trackingUrl: 'http://track.example.com/1' }, 'trackingUrl'],
      ['a tracking URL with user info', { status: 'shipped', trackingUrl: 'https://shop.example.com@evil.example/' }, 'trackingUrl'],
      ['a tracking URL of 2049 characters', { status: 'shipped', trackingUrl: `https://t.example.com/${'x'.repeat(2030)}` }, 'trackingUrl'],
      ['an empty note', { status: 'shipped', note: ' ' }, 'note'],
      ['a note of 501 characters', { status: 'shipped', note: 'n'.repeat(501) }, 'note'],
      ['a note with a control character', { status: 'shipped', note: 'a\u0007' }, 'note'],
      ['a carrier of 101 characters', { status: 'shipped', carrier: 'c'.repeat(101) }, 'carrier'],
      ['a null carrier', { status: 'shipped', carrier: null }, 'carrier'],
      ['an unknown field', { status: 'shipped', version: 3 }, 'version'],
    ];
    for (const [what, body, field] of invalid)
      it(`answers 400 naming ${field} for ${what}, and changes nothing`, async () => {
        const { error } = await expectError(await change(body), 400, 'VALIDATION_FAILED');
        expect(error.details?.map((d) => d.field)).to.include(field);
        for (const detail of error.details ?? []) expect(detail.message).to.be.a('string').with.length.above(0);
        expect(subject.store.outbox).to.have.length(0);
        expect(subject.store.orders.get('A-1')?.status).to.equal('created');
      });

    const messages: [string, Record<string, unknown>, { field: string; message: string }][] = [
      ['a numeric status', { status: 2 }, { field: 'status', message: 'must be string' }],
      ['a null carrier', { status: 'shipped', carrier: null }, { field: 'carrier', message: 'must be string' }],
      ['an unknown field', { status: 'shipped', version: 3 }, { field: 'version', message: 'is not an allowed field' }],
      ['an http tracking URL', { status: 'shipped', trackingUrl: 'http://track.example.com/1' }, { field: 'trackingUrl', message: 'must be an https:// URL with a host name, without spaces or quotes' }],
      ['a tracking URL of 2049 characters', { status: 'shipped', trackingUrl: `https://t.example.com/${'x'.repeat(2027)}` }, { field: 'trackingUrl', message: 'must be at most 2048 characters' }],
      ['a note of 501 characters', { status: 'shipped', note: 'n'.repeat(501) }, { field: 'note', message: 'must be at most 500 characters' }],
      ['a note of spaces', { status: 'shipped', note: '  ' }, { field: 'note', message: 'must not be empty' }],
      ['a carrier with a control character', { status: 'shipped', carrier: 'D\u0000HL' }, { field: 'carrier', message: 'must not contain control characters or unpaired surrogates' }],
    ];
    for (const [what, body, detail] of messages)
      it(`says "${detail.field} ${detail.message}" for ${what}, and nothing else`, async () => {
        const { error } = await expectError(await change(body), 400, 'VALIDATION_FAILED');
        expect(error.details).to.deep.equal([detail]);
      });

    it('answers 400 to a bad request for an unknown order too: the request is checked before the order is looked for', async () => {
      const { error } = await expectError(await change({ status: 'shipped', note: 'n'.repeat(501) }, 'nope'), 400, 'VALIDATION_FAILED');
      expect(error.details).to.deep.equal([{ field: 'note', message: 'must be at most 500 characters' }]);
    });

    it('says what a status must be and what a tracking URL must be', async () => {
      const { error } = await expectError(await change({ status: 'lost', trackingUrl: 'ftp://x' }), 400, 'VALIDATION_FAILED');
      expect(error.details).to.deep.include({ field: 'status', message: 'must be one of shipped, delivered, cancelled' });
      expect(error.details?.find((d) => d.field === 'trackingUrl')?.message).to.match(/https:\/\//);
    });

    it('answers 400 INVALID_JSON and 415 like POST /orders', async () => {
      await expectError(await change('{"status":'), 400, 'INVALID_JSON');
      await expectError(await fetch(`${base}/orders/A-1/status`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('answers 405 to another method on the route', async () => {
      await expectError(await fetch(`${base}/orders/A-1/status`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 405, 'METHOD_NOT_ALLOWED');
    });

    it('shows status and statusHistory on GET /orders/{orderId}', async () => {
      const before = (await (await fetch(`${base}/orders/A-1`)).json()) as { data: Record<string, unknown> };
      expect(before.data).to.deep.include({ status: 'created', statusHistory: [{ status: 'created', at: '2026-11-24T12:00:00.000Z' }] });
      await change({ status: 'shipped', note: 'On its way' });
      await change({ status: 'delivered' });
      const after = (await (await fetch(`${base}/orders/A-1`)).json()) as { data: Record<string, unknown> };
      expect(after.data).to.deep.include({
        status: 'delivered',
        statusHistory: [
          { status: 'created', at: '2026-11-24T12:00:00.000Z' },
          { status: 'shipped', at: '2026-11-25T09:00:00.000Z', note: 'On its way' },
          { status: 'delivered', at: '2026-11-25T09:00:00.000Z' },
        ],
      });
    });

    it('gives one 202 per transition to 50 concurrent requests, and stores as many events as 202s', async () => {
      const statuses = ['shipped', 'delivered', 'cancelled'] as const;
      const responses = await Promise.all(Array.from({ length: 50 }, (_, n) => change({ status: statuses[n % 3] })));
      const codes = responses.map((r) => r.status);
      const accepted = codes.filter((c) => c === 202).length;
      expect(accepted).to.be.within(1, 2);
      expect(codes.every((c) => c === 200 || c === 202 || c === 409)).to.equal(true);
      expect(subject.store.outbox).to.have.length(accepted);
      expect(subject.store.orders.get('A-1')?.version).to.equal(1 + accepted);
    });
  });

  describe('behind the callers\' rules of POST /orders', () => {
    const KEY = 'k3y-0ne-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=';

    it('answers 401 without one of the API keys, and changes nothing; 202 with one', async () => {
      await start({ apiKeys: [KEY] });
      const refused = await change({ status: 'shipped' });
      await expectError(refused, 401, 'UNAUTHORIZED');
      expect(refused.headers.get('www-authenticate')).to.equal('Bearer realm="ordermail"');
      expect(subject.store.orders.get('A-1')?.status).to.equal('created');
      expect((await change({ status: 'shipped' }, 'A-1', { authorization: `Bearer ${KEY}` })).status).to.equal(202);
    });

    it('answers 429 with Retry-After once the caller\'s bucket is empty, sharing the bucket of POST /orders', async () => {
      await start({ orderRateLimiter: new InMemoryRateLimiter({ perSecond: 0.5, burst: 2 }, fixedClock()) });
      const order = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: 'B-1', itemId: ['x'] }) });
      expect(order.status).to.equal(202);
      expect((await change({ status: 'shipped' })).status).to.equal(202);
      const limited = await change({ status: 'delivered' });
      await expectError(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).to.be.above(0);
      expect(subject.store.orders.get('A-1')?.status).to.equal('shipped');
    });
  });
});
