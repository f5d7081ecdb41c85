import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { expect } from 'chai';
import pg from 'pg';
import { ensureKafka, readTopic } from '../support/kafka.js';
import { createTestDatabase } from '../support/postgres.js';
import { startRole, type RunningProcess } from '../support/processes.js';

const CLIENTS = 8;
const SHUTDOWN_TIMEOUT_MS = 10_000;

interface Outcome {
  readonly orderId: string;
  readonly client: number;
  readonly status?: number;
  readonly connection?: string;
  readonly error?: string;
}

/** One POST /orders on the client's keep-alive connection: its answer, or the connection error it got. */
function post(base: string, agent: Agent, client: number, orderId: string): Promise<Outcome> {
  const body = JSON.stringify({ orderId, itemId: ['sku-1'] });
  return new Promise((resolve) => {
    const req = request(`${base}/orders`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ orderId, client, status: res.statusCode ?? 0, connection: String(res.headers.connection ?? '') }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ orderId, client, error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ orderId, client, error: error.code ?? error.message }));
    req.end(body);
  });
}

describe('The api stopping under keep-alive load (SIGTERM)', function () {
  this.timeout(120_000);
  let database: { url: string; drop: () => Promise<void> };
  let api: RunningProcess | undefined;
  let client: pg.Client;

  before(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  after(async () => {
    await api?.stop('SIGKILL');
    await client.end();
    await database.drop();
  });

  it('answers every request it read, closes keep-alive connections, publishes every stored order, and exits 0 within the deadline', async () => {
    const brokers = await ensureKafka();
    const topic = `shutdown-${randomUUID().slice(0, 8)}`;
    api = startRole('api', { DATABASE_URL: database.url, KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, PORT: '0', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    const listening = await api.waitForLine((l) => l.msg === 'http server listening', 'the api to listen', 60_000);
    const base = `http://127.0.0.1:${String(listening.port)}`;

    const outcomes: Outcome[] = [];
    let accepted = 0;
    let refused = 0;
    // Each client posts as fast as it can on one keep-alive connection, until the api refuses connections.
    const clients = Array.from({ length: CLIENTS }, async (_, index) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let n = 0; ; n++) {
          const outcome = await post(base, agent, index, `c${index}-${n}`);
          if (outcome.error === 'ECONNREFUSED') {
            refused++;
            return;
          }
          outcomes.push(outcome);
          if (outcome.status === 202) accepted++;
        }
      } finally {
        agent.destroy();
      }
    });
    const warmedUp = Date.now() + 30_000;
    while (accepted < 300 && Date.now() < warmedUp) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(accepted, 'orders accepted before SIGTERM').to.be.at.least(300);

    const signalled = Date.now();
    const exitCode = await api.stop('SIGTERM');
    const stoppedInMs = Date.now() - signalled;
    await Promise.all(clients);

    const lines = api.lines;
    const stopping = lines.findIndex((l) => l.msg === 'stopping');
    const answeredAfterSignal = new Set(lines.slice(stopping).filter((l) => l.msg === 'http request' && typeof l.orderId === 'string').map((l) => l.orderId as string));
    const afterSignal = outcomes.filter((o) => answeredAfterSignal.has(o.orderId) && o.status !== undefined);
    const withoutClose = afterSignal.filter((o) => o.connection !== 'close');
    const errors = outcomes.filter((o) => o.error !== undefined);
    const ok = outcomes.filter((o) => o.status === 202).map((o) => o.orderId);
    const stored = (await client.query<{ order_id: string }>('SELECT order_id FROM orders')).rows.map((r) => r.order_id);
    const published = new Set((await readTopic(brokers, topic)).map((m) => m.key));
    const storedSet = new Set(stored);
    const report = {
      exitCode,
      stoppedInMs,
      accepted: ok.length,
      answeredAfterSignal: afterSignal.length,
      answeredAfterSignalWithoutClose: withoutClose.length,
      connectionErrors: errors.length,
      refused,
      stored: stored.length,
      storedNotPublished: stored.filter((id) => !published.has(id)).length,
      relayLastFlush: lines.find((l) => l.msg === 'last flush published the orders accepted while stopping')?.count ?? 0,
    };
    console.log(`      shutdown under load: ${JSON.stringify(report)}`);

    expect(ok.filter((id) => !storedSet.has(id)), 'every 202 is stored').to.deep.equal([]);
    expect(stored.filter((id) => !published.has(id)), 'every stored order is published').to.deep.equal([]);
    expect(withoutClose.map((o) => o.orderId), 'every answer after SIGTERM carries Connection: close').to.deep.equal([]);
    expect(afterSignal.length, 'at most one answer per keep-alive connection after SIGTERM').to.be.at.most(CLIENTS);
    expect(errors.filter((o) => !['ECONNRESET', 'EPIPE'].includes(o.error ?? '')), 'only connection errors').to.deep.equal([]);
    expect(errors.filter((o) => storedSet.has(o.orderId)).map((o) => o.orderId), 'a request that got a connection error was not read').to.deep.equal([]);
    expect(exitCode, `exit status (stopped in ${stoppedInMs} ms)`).to.equal(0);
    expect(stoppedInMs).to.be.below(SHUTDOWN_TIMEOUT_MS);
  });
});
