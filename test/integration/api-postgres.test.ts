import { expect } from 'chai';
import type { Server } from 'node:http';
import pg from 'pg';
import { NodePgDatabase } from '../../src/adapters/postgres/sql-database.js';
import { databaseHealthCheck } from '../../src/adapters/postgres/database-health.js';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { migrate } from '../../src/adapters/postgres/migrations.js';
import { PgAdminReadModel } from '../../src/adapters/postgres/pg-admin-read-model.js';
import { PgNotificationLedger } from '../../src/adapters/postgres/pg-notification-ledger.js';
import { PgOrderRepository } from '../../src/adapters/postgres/pg-order-repository.js';
import { RandomIdGenerator } from '../../src/adapters/system/random-id-generator.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { AdminOverview } from '../../src/application/admin-overview.js';
import { ChangeOrderStatus } from '../../src/application/change-order-status.js';
import { CreateOrder } from '../../src/application/create-order.js';
import { ReplayDeadLetter } from '../../src/application/replay-dead-letter.js';
import { GetOrder } from '../../src/application/get-order.js';
import { confirmationKey, confirmationOf } from '../support/builders.js';
import { silentLogger } from '../support/logs.js';
import { createTestDatabase, ensurePostgres } from '../support/postgres.js';
import { eventually } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const ADMIN_TOKEN = 'admin-secret';

describe('The order API on PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let pool: NodePgDatabase;
  let server: Server;
  let base: string;

  before(async () => {
    database = await createTestDatabase();
    const admin = new URL(await ensurePostgres());
    proxy = await TcpProxy.start({ host: admin.hostname, port: Number(admin.port || 5432) });
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    pool = new NodePgDatabase({ connectionString: viaProxy.toString(), max: 10, logger: silentLogger() });
    await migrate(pool);
    const orders = new PgOrderRepository(pool);
    const app = createHttpApp({
      createOrder: new CreateOrder(orders, new RandomIdGenerator(), new SystemClock()),
      getOrder: new GetOrder(orders, new PgNotificationLedger(pool)),
      changeOrderStatus: new ChangeOrderStatus(orders, new RandomIdGenerator(), new SystemClock()),
      healthChecks: [databaseHealthCheck(pool, 'server')],
      logger: silentLogger(),
      admin: { token: ADMIN_TOKEN, overview: new AdminOverview(new PgAdminReadModel(pool), undefined), replay: new ReplayDeadLetter(new PgNotificationLedger(pool), silentLogger()) },
    });
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    server.close();
    await pool.end();
    await proxy.close();
    await database.drop();
  });

  const post = (body: unknown): Promise<Response> =>
    fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>(sql, params)).rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  it('answers exactly one 202 and 49 409s to 50 concurrent POSTs of one orderId, storing one row and one event', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => post({ orderId: 'race-pg', itemId: ['sku-1'] })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).to.have.length(1);
    expect(statuses.filter((s) => s === 409)).to.have.length(49);
    const conflict = (await responses.find((r) => r.status === 409)?.json()) as { error: { code: string }; data: { orderId: string } };
    expect(conflict.error.code).to.equal('ORDER_DUPLICATE');
    expect(conflict.data.orderId).to.equal('race-pg');
    expect(await count(`SELECT count(*) AS n FROM orders WHERE order_id = 'race-pg'`)).to.equal(1);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE key = 'race-pg'`)).to.equal(1);
  });

  const changeStatus = (orderId: string, body: unknown): Promise<Response> =>
    fetch(`${base}/orders/${orderId}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('gives one winner per transition to 50 concurrent status changes of one order, and stores exactly one event per accepted change', async () => {
    expect((await post({ orderId: 'status-race', itemId: ['sku-1'], email: 'ada@example.com' })).status).to.equal(202);
    const statuses = ['shipped', 'delivered', 'cancelled'] as const;
    const responses = await Promise.all(Array.from({ length: 50 }, (_, n) => changeStatus('status-race', { status: statuses[n % 3] })));
    const codes = responses.map((r) => r.status);
    expect(codes.filter((c) => ![200, 202, 409].includes(c)), 'only 200, 202 and 409').to.deep.equal([]);
    const accepted = codes.filter((c) => c === 202).length;
    // created → shipped → delivered, or created → (shipped →) cancelled: one or two changes, never more.
    expect(accepted).to.be.within(1, 2);
    const history = (await (await fetch(`${base}/orders/status-race`)).json()) as { data: { status: string; statusHistory: { status: string }[] } };
    const path = history.data.statusHistory.map((h) => h.status);
    expect(path).to.have.length(1 + accepted);
    expect([['created', 'shipped'], ['created', 'cancelled'], ['created', 'shipped', 'delivered'], ['created', 'shipped', 'cancelled']]).to.deep.include(path);
    expect(await count(`SELECT count(*) AS n FROM order_status_changes WHERE order_id = 'status-race'`)).to.equal(accepted);
    expect(await count(`SELECT count(DISTINCT sequence) AS n FROM order_status_changes WHERE order_id = 'status-race'`)).to.equal(accepted);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE key = 'status-race' AND type = 'order.status-changed'`)).to.equal(accepted);
    expect(await count(`SELECT version AS n FROM orders WHERE order_id = 'status-race'`)).to.equal(1 + accepted);
    for (const response of responses.filter((r) => r.status === 409)) {
      const body = (await response.json()) as { error: { code: string; currentStatus: string } };
      expect(body.error.code).to.equal('INVALID_TRANSITION');
      expect(path).to.include(body.error.currentStatus);
    }
  });

  it('answers one 202 and 49 200s to 50 concurrent requests of the same status, storing one event', async () => {
    expect((await post({ orderId: 'status-same', itemId: ['sku-1'] })).status).to.equal(202);
    const codes = (await Promise.all(Array.from({ length: 50 }, () => changeStatus('status-same', { status: 'shipped', carrier: 'DHL' })))).map((r) => r.status);
    expect(codes.filter((c) => c === 202)).to.have.length(1);
    expect(codes.filter((c) => c === 200)).to.have.length(49);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE key = 'status-same' AND type = 'order.status-changed'`)).to.equal(1);
    expect(await count(`SELECT count(*) AS n FROM order_status_changes WHERE order_id = 'status-same'`)).to.equal(1);
  });

  it('shows the notification status from the ledger on GET /orders/{orderId}', async () => {
    await post({ orderId: 'ledger-1', itemId: ['a'], email: 'ada@example.com' });
    const pending = (await (await fetch(`${base}/orders/ledger-1`)).json()) as { data: { notification: { status: string } } };
    expect(pending.data.notification.status).to.equal('pending');
    const ledger = new PgNotificationLedger(pool);
    const order = (await (await fetch(`${base}/orders/ledger-1`)).json()) as { data: { internalId: string; createdAt: string } };
    await ledger.claim(confirmationOf({ id: order.data.internalId, orderId: 'ledger-1', itemId: ['a'], createdAt: order.data.createdAt }), {}, 'test', 60_000);
    await ledger.markSent(confirmationKey('ledger-1'), 'test', '<m@x>');
    const sent = (await (await fetch(`${base}/orders/ledger-1`)).json()) as { data: { notification: { status: string; sentAt: string } } };
    expect(sent.data.notification.status).to.equal('sent');
    expect(sent.data.notification.sentAt).to.match(/^\d{4}-\d\d-\d\dT/);
  });

  it('stores text beyond the basic plane intact, and answers 400 and 404, never 500, to text PostgreSQL cannot store', async () => {
    const accepted = await post({ orderId: 'emoji-😀-ü', itemId: ['𝄞-sku'] });
    expect(accepted.status).to.equal(202);
    const found = (await (await fetch(`${base}/orders/${encodeURIComponent('emoji-😀-ü')}`)).json()) as { data: { itemId: string[] } };
    expect(found.data.itemId).to.deep.equal(['𝄞-sku']);
    for (const body of [{ orderId: 'A\ud800', itemId: ['x'] }, { orderId: 'lone-item', itemId: ['\udc00'] }]) {
      const rejected = await post(body);
      expect(rejected.status, JSON.stringify(body)).to.equal(400);
      expect(((await rejected.json()) as { error: { code: string } }).error.code).to.equal('VALIDATION_FAILED');
    }
    for (const path of ['%00', 'A%0Ab', '%ED%A0%80', '%E0%A4%A', 'x'.repeat(300)]) {
      const response = await fetch(`${base}/orders/${path}`);
      expect(response.status, path).to.be.oneOf([400, 404]);
      expect(((await response.json()) as { success: boolean }).success).to.equal(false);
    }
    expect(await count(`SELECT count(*) AS n FROM orders WHERE order_id = 'lone-item'`)).to.equal(0);
  });

  it('answers 404, never 500, to a dead-letter replay of an id PostgreSQL cannot store, and 409 to one that is not dead', async () => {
    const replay = (path: string): Promise<Response> =>
      fetch(`${base}/admin/api/dead-letters/${path}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    for (const path of ['%00', 'A%00B', 'A%0Ab', '%C2%85', '%20', 'x'.repeat(300)]) {
      const response = await replay(path);
      expect(response.status, path).to.equal(404);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).to.equal('ORDER_NOT_FOUND');
    }
    // Not valid percent-encoding: the router leaves the text as it came, an id no order has.
    for (const path of ['%ED%A0%80', '%E0%A4%A', 'never-ordered']) expect((await replay(path)).status, path).to.equal(409);
  });

  it('answers 202 when the connection dies after the order committed, once PostgreSQL answers again', async () => {
    proxy.swallowReplies = true; // the INSERT reaches PostgreSQL and commits; its acknowledgement is lost
    const pending = post({ orderId: 'ack-lost', itemId: ['a'] });
    await eventually(async () => (await count(`SELECT count(*) AS n FROM orders WHERE order_id = 'ack-lost'`)) === 1, 'the order to commit');
    await proxy.down();
    proxy.swallowReplies = false;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.up();
    const response = await pending;
    expect(response.status).to.equal(202);
    expect(((await response.json()) as { data: { orderId: string } }).data.orderId).to.equal('ack-lost');
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE key = 'ack-lost'`)).to.equal(1);
  });

  it('answers 503 with outcome "unknown" when the connection dies mid-write and PostgreSQL stays away', async () => {
    proxy.swallowReplies = true;
    try {
      const pending = post({ orderId: 'in-doubt', itemId: ['a'] });
      await eventually(async () => (await count(`SELECT count(*) AS n FROM orders WHERE order_id = 'in-doubt'`)) === 1, 'the order to commit');
      await proxy.down();
      const response = await pending;
      expect(response.status).to.equal(503);
      const body = (await response.json()) as { error: { code: string; message: string; outcome?: string } };
      expect(body.error.code).to.equal('SERVICE_UNAVAILABLE');
      expect(body.error.outcome).to.equal('unknown');
      expect(body.error.message).to.contain('retry the same request');
    } finally {
      proxy.swallowReplies = false;
      await proxy.up();
    }
    const retried = await post({ orderId: 'in-doubt', itemId: ['a'] });
    expect(retried.status, 'the retry finds it stored').to.equal(409);
  });

  it('answers 503 without driver text while PostgreSQL is unreachable, and recovers by itself', async () => {
    await proxy.down();
    try {
      const started = Date.now();
      const response = await post({ orderId: 'during-outage', itemId: ['a'] });
      expect(response.status).to.equal(503);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).to.equal('SERVICE_UNAVAILABLE');
      expect(body.error.message).to.equal('postgres is unavailable');
      expect(Date.now() - started, 'answers instead of hanging').to.be.lessThan(10_000);
      const health = await fetch(`${base}/health`);
      expect(health.status).to.equal(503);
      const postgres = ((await health.json()) as { checks: { postgres: { status: string; error: string } } }).checks.postgres;
      expect(postgres.status).to.equal('fail');
      expect(postgres.error, 'no hosts or ports in /health').to.match(/^unreachable( \([A-Z0-9]+\))?$/);
    } finally {
      await proxy.up();
    }
    const after = await post({ orderId: 'after-outage', itemId: ['a'] });
    expect(after.status).to.equal(202);
    expect(await count(`SELECT count(*) AS n FROM orders WHERE order_id = 'during-outage'`)).to.equal(0);
  });
});
