import { expect } from 'chai';
import type { Server } from 'node:http';
import fc from 'fast-check';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { PgNotificationLedger } from '../../src/adapters/postgres/pg-notification-ledger.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { RandomIdGenerator } from '../../src/adapters/system/random-id-generator.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { CreateOrder } from '../../src/application/create-order.js';
import { GetOrder } from '../../src/application/get-order.js';
import { Order } from '../../src/domain/order.js';
import { serverDatabase, type TestDatabase } from '../support/databases.js';
import { silentLogger } from '../support/logs.js';

const ANSWERS = new Set([202, 400, 409, 413, 415]);
const NASTY = ["' OR 1=1 --", "'); DROP TABLE orders; --", 'A-1\r\nBcc: victim@example.com', '\u0000', '\u202e\u200b', '𝕆𝕣𝕕𝕖𝕣', '<script>alert(1)</script>', '${jndi:ldap://x}', '../../etc/passwd', '%00', '\ud800', 'A-\udfffB'];

const nastyString = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
  fc.nat({ max: 70_000 }).map((n) => 'x'.repeat(n)),
);
const deep = fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown);
const field = fc.oneof(nastyString, fc.anything(), deep, fc.array(nastyString, { maxLength: 120 }), fc.constant(undefined));
const orderishObject = fc.record({ orderId: field, itemId: field, email: field, extra: fc.option(field), constructor: fc.option(nastyString) }, { requiredKeys: [] });
// A "__proto__" key cannot be put in an object literal (it sets the prototype), so it goes into the JSON text.
const orderish = fc.tuple(orderishObject, fc.option(fc.jsonValue(), { nil: undefined })).map(([order, proto]) => {
  const json = JSON.stringify(order);
  if (proto === undefined) return json;
  const key = `"__proto__":${JSON.stringify(proto)}`;
  return json === '{}' ? `{${key}}` : `{${key},${json.slice(1)}`;
});

interface Request {
  body: string;
  contentType: string | undefined;
}

const request: fc.Arbitrary<Request> = fc.oneof(
  { weight: 5, arbitrary: orderish.map((json) => ({ body: json, contentType: 'application/json' })) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => ({ body: JSON.stringify(v), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.tuple(orderish, fc.nat()).map(([json, cut]) => ({ body: json.slice(0, cut % (json.length + 1)), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary' }), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', undefined, 'application/json; charset=latin1', 'application/merge-patch+json')).map(([body, contentType]) => ({ body, contentType })) },
  { weight: 1, arbitrary: fc.record({ orderId: nastyString, itemId: fc.array(nastyString, { minLength: 1, maxLength: 3 }), email: fc.option(fc.emailAddress(), { nil: undefined }) }).map((o) => ({ body: JSON.stringify(o), contentType: 'application/json' })) },
);

describe('Hostile input to POST /orders (fast-check, real PostgreSQL)', function () {
  this.timeout(300_000);
  let db: TestDatabase;
  let server: Server;
  let base: string;

  before(async () => {
    db = await serverDatabase();
    const orders = new PgOrderRepository(db.database);
    const app = createHttpApp({
      createOrder: new CreateOrder(orders, new RandomIdGenerator(), new SystemClock()),
      getOrder: new GetOrder(orders, new PgNotificationLedger(db.database)),
      healthChecks: [],
      logger: silentLogger(),
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.close();
    await db.close();
  });

  it('answers 5,000 generated bodies with 202, 400, 409, 413 or 415 in the error shape, never a 500, and stores nothing invalid', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType }) => {
        const response = await fetch(`${base}/orders`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        const answer = (await response.json()) as { success: boolean; error?: { code: string; message: string } };
        expect(ANSWERS.has(response.status), `status ${response.status} for ${body.slice(0, 200)}`).to.equal(true);
        if (response.status !== 202) {
          expect(answer.success).to.equal(false);
          expect(answer.error?.code).to.be.a('string');
          expect(answer.error?.message).to.be.a('string');
        }
      }),
      { numRuns: 5000 },
    );
    console.log(`      answers: ${[...seen].sort().map(([status, n]) => `${status}×${n}`).join(', ')}`);
    expect((await fetch(`${base}/health`)).status, 'the server is still up').to.equal(200);

    const { rows } = await db.database.query<{ order_id: string; item_ids: string[]; email: string | null; events: string | number }>(
      `SELECT o.order_id, o.item_ids, o.email, (SELECT count(*) FROM outbox WHERE key = o.order_id) AS events FROM orders o`,
    );
    for (const row of rows) {
      expect(Order.check({ orderId: row.order_id, itemIds: row.item_ids, ...(row.email ? { email: row.email } : {}) }), `stored ${row.order_id}`).to.deep.equal([]);
      expect(Number(row.events)).to.equal(1);
    }
  });

  it('answers 1,000 generated order paths on GET /orders/{orderId} with 200, 404 or 400 (405 where dot segments make it /orders), never a 500', async () => {
    const segment = fc.oneof(
      nastyString.map((text) => encodeURIComponent(text.slice(0, 2000).replace(/[\ud800-\udfff]/gu, '\ufffd'))),
      fc.constantFrom('%ED%A0%80', 'A%ED%BF%BFB', '%C0%80', '%FF', '%E0%A4%A', '%25', '%2F'),
      fc.string({ unit: fc.constantFrom('%', '0', 'A', 'e', 'D', 'F', 'x', '/', '.'), maxLength: 30 }),
    ).filter((path) => path.length > 0); // GET /orders/ is another route (405)
    await fc.assert(
      fc.asyncProperty(segment, async (path) => {
        const response = await fetch(`${base}/orders/${path}`);
        expect([200, 400, 404, 405], `status ${response.status} for ${path.slice(0, 200)}`).to.include(response.status);
        expect(((await response.json()) as { success: boolean }).success).to.equal(response.status === 200);
      }),
      { numRuns: 1000 },
    );
  });
});
