import { expect } from 'chai';
import type { Server } from 'node:http';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { HealthCheckFailure, type HealthCheck } from '../../src/application/ports/health-check.js';
import { anOrderBody, confirmationKey, confirmationOf, inMemoryOrders } from '../support/builders.js';
import { capturingLogger } from '../support/logs.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('HTTP API contract (in-memory adapters)', () => {
  let server: Server;
  let base: string;
  let subject: ReturnType<typeof inMemoryOrders>;
  let logs: ReturnType<typeof capturingLogger>;
  let checks: HealthCheck[];

  beforeEach(async () => {
    subject = inMemoryOrders();
    logs = capturingLogger('api');
    checks = [{ name: 'storage', critical: true, check: async () => ({ kind: 'memory' }) }];
    const app = createHttpApp({ createOrder: subject.createOrder, getOrder: subject.getOrder, healthChecks: checks, logger: logs.logger });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  async function expectError(response: Response, status: number, code: string): Promise<{ error: { code: string; message: string; details?: { field: string; message: string }[] } }> {
    expect(response.status).to.equal(status);
    expect(response.headers.get('content-type')).to.match(/application\/json/);
    const body = (await response.json()) as { success: boolean; error: { code: string; message: string; details?: { field: string; message: string }[] } };
    expect(body.success).to.equal(false);
    expect(body.error.code).to.equal(code);
    expect(body.error.message).to.be.a('string').with.length.above(0);
    return body;
  }

  const nothingStored = (): void => {
    expect(subject.store.orders.size).to.equal(0);
    expect(subject.store.outbox).to.have.length(0);
  };

  describe('POST /orders', () => {
    it('answers 202 with the order, the message and a Location header', async () => {
      const response = await post({ orderId: 'A-1001', itemId: ['sku-1', 'sku-2'], email: 'ada@example.com' });
      expect(response.status).to.equal(202);
      expect(response.headers.get('location')).to.equal('/orders/A-1001');
      const body = (await response.json()) as { success: boolean; data: Record<string, unknown>; message: string };
      expect(Object.keys(body).sort()).to.deep.equal(['data', 'message', 'success']);
      expect(body.success).to.equal(true);
      expect(body.message).to.equal('Order created and event sent to queue');
      expect(Object.keys(body.data).sort()).to.deep.equal(['createdAt', 'internalId', 'itemId', 'orderId']);
      expect(body.data.internalId).to.match(UUID_V4);
      expect(body.data.orderId).to.equal('A-1001');
      expect(body.data.itemId).to.deep.equal(['sku-1', 'sku-2']);
      expect(body.data.createdAt).to.equal('2026-11-24T12:00:00.000Z');
    });

    it('stores the order with one order.created event carrying the correlation id', async () => {
      await post({ orderId: 'A-1', itemId: ['x'], email: 'ada@example.com' }, { 'X-Correlation-Id': 'checkout-42' });
      expect(subject.store.outbox).to.have.length(1);
      const [stored] = subject.store.outbox;
      expect(stored?.event).to.deep.include({ type: 'order.created', version: 1, aggregateId: 'A-1' });
      expect(stored?.metadata).to.deep.equal({ correlationId: 'checkout-42' });
      const order = subject.store.orders.get('A-1');
      expect(stored?.event.payload).to.deep.equal({ id: order?.internalId, orderId: 'A-1', itemId: ['x'], email: 'ada@example.com', createdAt: '2026-11-24T12:00:00.000Z' });
    });

    it('trims the whitespace around orderId', async () => {
      const response = await post(anOrderBody({ orderId: '  A-2  ' }));
      expect(response.status).to.equal(202);
      expect(response.headers.get('location')).to.equal('/orders/A-2');
    });

    it('accepts an order without email', async () => {
      expect((await post({ orderId: 'A-3', itemId: ['x'] })).status).to.equal(202);
    });

    it('takes the customer\'s locale, answers and stores it canonical, and carries it in order.created', async () => {
      const response = await post({ orderId: 'A-4', itemId: ['x'], locale: 'de-de' });
      expect(response.status).to.equal(202);
      expect(((await response.json()) as { data: Record<string, unknown> }).data).to.include({ locale: 'de-DE' });
      expect(subject.store.orders.get('A-4')?.locale).to.equal('de-DE');
      expect(subject.store.outbox[0]?.event.payload).to.include({ locale: 'de-DE' });
      const lookup = (await (await fetch(`${base}/orders/A-4`)).json()) as { data: Record<string, unknown> };
      expect(lookup.data).to.include({ locale: 'de-DE' });
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['a missing orderId', { orderId: undefined }, 'orderId'],
      ['an empty orderId', { orderId: '' }, 'orderId'],
      ['a blank orderId', { orderId: '   ' }, 'orderId'],
      ['a numeric orderId', { orderId: 42 }, 'orderId'],
      ['an orderId of 129 characters', { orderId: 'x'.repeat(129) }, 'orderId'],
      ['an orderId with a control character', { orderId: 'A\u0000B' }, 'orderId'],
      ['an orderId with an unpaired surrogate', { orderId: 'A\ud800' }, 'orderId'],
      ['an item with an unpaired surrogate', { itemId: ['\udc00x'] }, 'itemId[0]'],
      ['a missing itemId', { itemId: undefined }, 'itemId'],
      ['an empty itemId list', { itemId: [] }, 'itemId'],
      ['101 items', { itemId: Array.from({ length: 101 }, (_, i) => `s${i}`) }, 'itemId'],
      ['an itemId that is a string', { itemId: 'sku-1' }, 'itemId'],
      ['an empty item', { itemId: ['ok', ''] }, 'itemId[1]'],
      ['an item of 129 characters', { itemId: ['x'.repeat(129)] }, 'itemId[0]'],
      ['a numeric item', { itemId: [7] }, 'itemId[0]'],
      ['an item with a newline', { itemId: ['a\nb'] }, 'itemId[0]'],
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['an email of 255 characters', { email: `${'a'.repeat(243)}@example.com` }, 'email'],
      ['a null email', { email: null }, 'email'],
      ['a locale that is no BCP 47 tag', { locale: 'de_DE' }, 'locale'],
      ['a locale of 36 characters', { locale: `de-${'abcdefgh-'.repeat(3)}abcdefg` }, 'locale'],
      ['a numeric locale', { locale: 49 }, 'locale'],
      ['an unknown field', { price: 10 }, 'price'],
      ['a __proto__ key', JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>, '__proto__'],
      ['a constructor key', { constructor: 'x' }, 'constructor'],
    ];
    for (const [what, override, field] of invalid) {
      it(`answers 400 naming ${field} for ${what}, and stores nothing`, async () => {
        const body = { ...anOrderBody(), ...override };
        for (const key of Object.keys(override)) if (override[key] === undefined) delete body[key];
        const raw = what === 'a __proto__ key' ? `{"orderId":"A-9","itemId":["x"],"__proto__":{"admin":true}}` : JSON.stringify(body);
        const { error } = await expectError(await post(raw), 400, 'VALIDATION_FAILED');
        expect(error.details?.map((d) => d.field)).to.include(field);
        nothingStored();
      });
    }

    it('names every bad field at once: the shape\'s problems and the rules broken by the well-shaped fields', async () => {
      const { error } = await expectError(await post({ orderId: '', itemId: ['ok', ''], email: 'bad', extra: true }), 400, 'VALIDATION_FAILED');
      expect(error.details).to.have.deep.members([
        { field: 'extra', message: 'is not an allowed field' },
        { field: 'orderId', message: 'must not be empty' },
        { field: 'itemId[1]', message: 'must not be empty' },
        { field: 'email', message: 'must be a valid email address' },
      ]);
    });

    it('checks the rules of a list once its items are all strings', async () => {
      const { error } = await expectError(await post({ orderId: 'A-1', itemId: [1, ''] }), 400, 'VALIDATION_FAILED');
      expect(error.details).to.deep.equal([{ field: 'itemId[0]', message: 'must be string' }]);
    });

    const messages: [string, Record<string, unknown>, { field: string; message: string }][] = [
      ['a missing orderId', { orderId: undefined }, { field: 'orderId', message: 'is required' }],
      ['a numeric orderId', { orderId: 7 }, { field: 'orderId', message: 'must be string' }],
      ['an itemId that is a string', { itemId: 'sku-1' }, { field: 'itemId', message: 'must be array' }],
      ['an unknown field', { price: 10 }, { field: 'price', message: 'is not an allowed field' }],
      ['an orderId of 129 characters', { orderId: 'o'.repeat(129) }, { field: 'orderId', message: 'must be at most 128 characters' }],
      ['an orderId with a control character', { orderId: 'A\u0007' }, { field: 'orderId', message: 'must not contain control characters or unpaired surrogates' }],
      ['an empty itemId list', { itemId: [] }, { field: 'itemId', message: 'must hold 1 to 100 items' }],
      ['101 items', { itemId: Array.from({ length: 101 }, (_, i) => `s${i}`) }, { field: 'itemId', message: 'must hold 1 to 100 items' }],
      ['an itemId of 129 characters', { itemId: ['a', 'b', 'c', 'i'.repeat(129)] }, { field: 'itemId[3]', message: 'must be at most 128 characters' }],
      ['an item with a control character', { itemId: ['a\u0085b'] }, { field: 'itemId[0]', message: 'must not contain control characters or unpaired surrogates' }],
      ['a bad email', { email: 'ada@example' }, { field: 'email', message: 'must be a valid email address' }],
      ['an email of 255 characters', { email: `${'a'.repeat(243)}@example.com` }, { field: 'email', message: 'must be at most 254 characters' }],
      ['a locale with an underscore', { locale: 'de_DE' }, { field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }],
    ];
    for (const [what, override, detail] of messages)
      it(`says "${detail.field} ${detail.message}" for ${what}, and nothing else`, async () => {
        const body: Record<string, unknown> = { ...anOrderBody(), ...override };
        for (const key of Object.keys(override)) if (override[key] === undefined) delete body[key];
        const { error } = await expectError(await post(body), 400, 'VALIDATION_FAILED');
        expect(error.details).to.deep.equal([detail]);
        nothingStored();
      });

    it('answers 400 to a body that is not an object', async () => {
      await expectError(await post('[1,2]'), 400, 'VALIDATION_FAILED');
      await expectError(await post('"text"'), 400, 'VALIDATION_FAILED');
      await expectError(await post('null'), 400, 'VALIDATION_FAILED');
      nothingStored();
    });

    it('answers 400 INVALID_JSON to malformed and to empty bodies', async () => {
      await expectError(await post('{"orderId": "A-1", '), 400, 'INVALID_JSON');
      await expectError(await post(''), 400, 'INVALID_JSON');
      nothingStored();
    });

    it('answers 415 to a body that is not JSON, or has no content type', async () => {
      await expectError(await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectError(await fetch(`${base}/orders`, { method: 'POST', body: new Uint8Array([123, 125]) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      nothingStored();
    });

    it('answers 415 to a declared charset other than UTF-8, and reads utf-8 declared in any case, quoted or not', async () => {
      const latin1 = Buffer.from(JSON.stringify({ ...anOrderBody(), orderId: 'caf\u00e9' }), 'latin1');
      for (const contentType of ['application/json; charset=latin1', 'application/json; charset="ISO-8859-1"', 'application/json;charset=utf-16le']) {
        const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': contentType }, body: latin1 });
        await expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      nothingStored();
      for (const [n, contentType] of ['application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"', 'application/json; CHARSET=Utf8'].entries()) {
        const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ ...anOrderBody(), orderId: `utf8-${n}` }) });
        expect(response.status, contentType).to.equal(202);
      }
    });

    it('answers 413 to a body over 64 KiB', async () => {
      await expectError(await post({ ...anOrderBody(), padding: 'x'.repeat(70 * 1024) }), 413, 'PAYLOAD_TOO_LARGE');
      nothingStored();
    });

    it('answers 409 with the existing order when the orderId is taken', async () => {
      const first = (await (await post({ orderId: 'A-5', itemId: ['x'] })).json()) as { data: unknown };
      const body = await expectError(await post({ orderId: 'A-5', itemId: ['other'] }), 409, 'ORDER_DUPLICATE');
      expect((body as unknown as { data: unknown }).data).to.deep.equal(first.data);
      expect(subject.store.outbox).to.have.length(1);
    });

    it('gives exactly one 202 and 49 409s to 50 concurrent POSTs of one new orderId', async () => {
      const statuses = (await Promise.all(Array.from({ length: 50 }, () => post({ orderId: 'race', itemId: ['x'] })))).map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).to.have.length(1);
      expect(statuses.filter((s) => s === 409)).to.have.length(49);
      expect(subject.store.outbox).to.have.length(1);
    });
  });

  describe('GET /orders/{orderId}', () => {
    it('answers 200 with the order and a pending notification', async () => {
      await post({ orderId: 'A-7', itemId: ['x'], email: 'ada@example.com' });
      const response = await fetch(`${base}/orders/A-7`);
      expect(response.status).to.equal(200);
      const body = (await response.json()) as { success: boolean; data: Record<string, unknown> };
      expect(body.success).to.equal(true);
      expect(body.data).to.deep.include({
        orderId: 'A-7',
        itemId: ['x'],
        email: 'a•••@example.com',
        notification: { status: 'pending', attempts: 0 },
        notifications: [{ kind: 'order-created', channel: 'email', status: 'pending', attempts: 0 }],
      });
    });

    it('lists every notification of the order in the order of its events, each by kind and channel, failures by kind only, never the SMTP provider', async () => {
      await post({ orderId: 'A-10', itemId: ['x'], email: 'ada@example.com' });
      const order = subject.store.orders.get('A-10');
      if (!order) throw new Error('not stored');
      const confirmation = confirmationOf({ id: order.internalId, orderId: 'A-10', itemId: ['x'], createdAt: order.createdAt.toISOString() });
      await subject.ledger.claim(confirmation, {}, 'n', 60_000);
      await subject.ledger.markSent(confirmation, 'n', '<order-created-x@shop.test>', 'mail-a.example:587');
      const shipped = { ...confirmation, kind: 'order-shipped' as const };
      await subject.ledger.claim(shipped, {}, 'n', 60_000);
      await subject.ledger.scheduleRetry(shipped, 'n', { attempts: 1, kind: 'temporary-failure', error: '450 <ada@example.com> busy at mx.example:25', dueAt: new Date(Date.now() + 60_000) });
      const text = await (await fetch(`${base}/orders/A-10`)).text();
      const body = JSON.parse(text) as { data: { notification: Record<string, unknown>; notifications: Record<string, unknown>[] } };
      expect(body.data.notification).to.include({ status: 'sent', attempts: 0 });
      expect(body.data.notifications.map(({ sentAt, ...rest }) => ({ ...rest, sentAt: typeof sentAt }))).to.deep.equal([
        { kind: 'order-created', channel: 'email', status: 'sent', attempts: 0, sentAt: 'string' },
        { kind: 'order-shipped', channel: 'email', status: 'failed', attempts: 1, failureKind: 'temporary-failure', sentAt: 'undefined' },
      ]);
      expect(text).to.not.contain('mx.example').and.not.contain('ada@').and.not.contain('mail-a.example');
    });

    it('lists each webhook delivery with the id of its endpoint, beside the emails, failures by kind only', async () => {
      await post({ orderId: 'A-11', itemId: ['x'], email: 'ada@example.com' });
      const order = subject.store.orders.get('A-11');
      if (!order) throw new Error('not stored');
      const confirmation = confirmationOf({ id: order.internalId, orderId: 'A-11', itemId: ['x'], createdAt: order.createdAt.toISOString() });
      const [a, b] = ['ep_aaaaaaaaaaaaaaaaaaaaaaaa', 'ep_bbbbbbbbbbbbbbbbbbbbbbbb'];
      await subject.ledger.claim(confirmation, {}, 'n', 60_000);
      await subject.ledger.enqueue([a, b].map((endpointId) => ({ ...confirmation, channel: 'webhook' as const, endpointId })), {});
      await subject.ledger.claimDue(10, 'w', 60_000, 'webhook');
      await subject.ledger.markSent({ ...confirmation, channel: 'webhook', endpointId: a }, 'w', 'msg_1');
      await subject.ledger.scheduleRetry({ ...confirmation, channel: 'webhook', endpointId: b }, 'w', {
        attempts: 1,
        kind: 'endpoint-unreachable',
        error: 'connect ECONNREFUSED 203.0.113.7:443 (https://hooks.shop.example/orders)',
        dueAt: new Date(Date.now() + 60_000),
      });
      const text = await (await fetch(`${base}/orders/A-11`)).text();
      const body = JSON.parse(text) as { data: { notification: Record<string, unknown>; notifications: Record<string, unknown>[] } };
      expect(body.data.notification).to.deep.equal({ status: 'sending', attempts: 0 });
      expect(body.data.notifications.map(({ sentAt, ...rest }) => ({ ...rest, sentAt: typeof sentAt }))).to.deep.equal([
        { kind: 'order-created', channel: 'email', status: 'sending', attempts: 0, sentAt: 'undefined' },
        { kind: 'order-created', channel: 'webhook', endpointId: a, status: 'sent', attempts: 0, sentAt: 'string' },
        { kind: 'order-created', channel: 'webhook', endpointId: b, status: 'failed', attempts: 1, failureKind: 'endpoint-unreachable', sentAt: 'undefined' },
      ]);
      expect(text).to.not.contain('203.0.113.7').and.not.contain('hooks.shop.example').and.not.contain('msg_1');
    });

    it('shows a failure by its kind only, never its text, with the attempts so far', async () => {
      await post({ orderId: 'A-8', itemId: ['x'], email: 'ada@example.com' });
      const order = subject.store.orders.get('A-8');
      if (!order) throw new Error('not stored');
      await subject.ledger.claim(confirmationOf({ id: order.internalId, orderId: 'A-8', itemId: ['x'], createdAt: order.createdAt.toISOString() }), {}, 'n', 60_000);
      await subject.ledger.scheduleRetry(confirmationKey('A-8'), 'n', { attempts: 2, kind: 'temporary-failure', error: '450 4.2.1 <ada@example.com> mailbox busy at mx.example:25', dueAt: new Date(Date.now() + 60_000) });
      const body = (await (await fetch(`${base}/orders/A-8`)).json()) as { data: { notification: Record<string, unknown> } };
      expect(body.data.notification).to.deep.equal({ status: 'failed', attempts: 2, failureKind: 'temporary-failure' });
    });

    it('shows the full address to a caller holding an API key, and still no failure text', async () => {
      const key = 'a-test-api-key-of-32-characters!';
      const keyed = createHttpApp({ createOrder: subject.createOrder, getOrder: subject.getOrder, healthChecks: checks, logger: logs.logger, apiKeys: [key] });
      const keyedServer = keyed.listen(0);
      await new Promise((resolve) => keyedServer.once('listening', resolve));
      try {
        await post({ orderId: 'A-9', itemId: ['x'], email: 'ada@example.com' });
        const response = await fetch(`http://127.0.0.1:${(keyedServer.address() as { port: number }).port}/orders/A-9`, { headers: { authorization: `Bearer ${key}` } });
        const body = (await response.json()) as { data: Record<string, unknown> };
        expect(body.data).to.deep.include({ email: 'ada@example.com', notification: { status: 'pending', attempts: 0 } });
      } finally {
        await new Promise<void>((resolve) => keyedServer.close(() => resolve()));
      }
    });

    it('answers 404 for an unknown order', async () => {
      await expectError(await fetch(`${base}/orders/nope`), 404, 'ORDER_NOT_FOUND');
    });
  });

  describe('routing', () => {
    it('answers 404 as JSON to an unknown route', async () => {
      await expectError(await fetch(`${base}/nothing-here`), 404, 'NOT_FOUND');
    });

    it('answers 405 as JSON to a wrong method', async () => {
      const deleted = await fetch(`${base}/orders`, { method: 'DELETE' });
      expect(deleted.headers.get('allow')).to.equal('POST');
      await expectError(deleted, 405, 'METHOD_NOT_ALLOWED');
      await expectError(await fetch(`${base}/orders`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 405, 'METHOD_NOT_ALLOWED');
      await expectError(await fetch(`${base}/orders/A-1`, { method: 'POST' }), 405, 'METHOD_NOT_ALLOWED');
    });
  });

  describe('GET /health and /ready', () => {
    it('answers 200 with every check', async () => {
      const response = await fetch(`${base}/health`);
      expect(response.status).to.equal(200);
      expect(await response.json()).to.deep.equal({ status: 'ok', checks: { storage: { status: 'ok', critical: true, kind: 'memory' } } });
    });

    it('answers 503 naming the failing critical check', async () => {
      checks.push({ name: 'postgres', critical: true, check: () => Promise.reject(new HealthCheckFailure('unreachable (ECONNREFUSED)', { pool: 0 })) });
      const response = await fetch(`${base}/health`);
      expect(response.status).to.equal(503);
      const body = (await response.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
      expect(body.status).to.equal('fail');
      expect(body.checks.postgres).to.deep.equal({ status: 'fail', critical: true, pool: 0, error: 'unreachable (ECONNREFUSED)' });
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).to.equal(503);
      expect(((await ready.json()) as { failing: string[] }).failing).to.deep.equal(['postgres']);
    });

    it('shows a failure that is not a HealthCheckFailure as failing, and logs its text instead', async () => {
      checks.push({ name: 'smtp', critical: false, check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:2651')) });
      const body = JSON.stringify(await (await fetch(`${base}/ready`)).json());
      expect(body).to.contain('"smtp":{"status":"fail","critical":false,"error":"failing"}');
      expect(body).to.not.contain('2651');
      expect(logs.lines.find((l) => l.msg === 'health check failed')).to.include({ level: 'warn', check: 'smtp' }).and.to.have.property('error').that.contains('127.0.0.1:2651');
    });

    it('stays 200 but degraded when only a non-critical dependency fails', async () => {
      checks.push({ name: 'kafka', critical: false, check: () => Promise.reject(new Error('broker down')) });
      const response = await fetch(`${base}/health`);
      expect(response.status).to.equal(200);
      expect(((await response.json()) as { status: string }).status).to.equal('degraded');
    });
  });

  describe('correlation ids and logs', () => {
    it('echoes X-Correlation-Id, or X-Request-Id, and generates one when absent or unsafe', async () => {
      expect((await post(anOrderBody(), { 'X-Correlation-Id': 'abc-123' })).headers.get('x-correlation-id')).to.equal('abc-123');
      expect((await post(anOrderBody(), { 'X-Request-Id': 'req-9' })).headers.get('x-correlation-id')).to.equal('req-9');
      expect((await post(anOrderBody())).headers.get('x-correlation-id')).to.match(UUID_V4);
      expect((await post(anOrderBody(), { 'X-Correlation-Id': 'bad id with spaces' })).headers.get('x-correlation-id')).to.match(UUID_V4);
    });

    it('logs one JSON line per request with the correlation id and the orderId', async () => {
      await post({ orderId: 'A-log', itemId: ['x'] }, { 'X-Correlation-Id': 'corr-log' });
      const accepted = logs.lines.find((l) => l.msg === 'order accepted');
      expect(accepted).to.include({ level: 'info', service: 'ordermail', role: 'api', correlationId: 'corr-log', orderId: 'A-log' });
      expect(accepted?.time).to.match(/^\d{4}-\d\d-\d\dT/);
      const access = logs.lines.find((l) => l.msg === 'http request');
      expect(access).to.include({ method: 'POST', path: '/orders', status: 202, correlationId: 'corr-log', orderId: 'A-log' });
    });
  });

  it('serves its OpenAPI document', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).to.equal(200);
    expect(((await response.json()) as { openapi: string }).openapi).to.equal('3.1.0');
  });
});
