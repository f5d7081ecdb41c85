import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { ensureKafka } from './kafka.js';
import { createTestDatabase } from './postgres.js';
import { startRole, type RunningProcess } from './processes.js';
import { SmtpTestServer } from './smtp-test-server.js';

/** api + notifier processes on a fresh database, fresh topics and a scriptable SMTP server. */
export class NotifierStack {
  readonly processes: RunningProcess[] = [];
  base = '';

  private constructor(
    readonly database: { url: string; drop: () => Promise<void> },
    readonly brokers: string,
    readonly smtp: SmtpTestServer,
    readonly pool: pg.Pool,
    readonly topic: string,
    private readonly extraEnv: Record<string, string>,
  ) {}

  static async start(extraEnv: Record<string, string> = {}): Promise<NotifierStack> {
    const [database, brokers, smtp] = await Promise.all([createTestDatabase(), ensureKafka(), SmtpTestServer.start()]);
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    pool.on('error', () => undefined);
    const stack = new NotifierStack(database, brokers, smtp, pool, `orders-${randomUUID().slice(0, 8)}`, extraEnv);
    const api = stack.spawn('api', { PORT: '0' });
    const listening = await api.waitForLine((l) => l.msg === 'http server listening', 'the api to listen');
    stack.base = `http://127.0.0.1:${String(listening.port)}`;
    return stack;
  }

  get deadLetterTopic(): string {
    return `${this.topic}.dlq`;
  }

  env(): Record<string, string> {
    return {
      DATABASE_URL: this.database.url,
      KAFKA_BROKERS: this.brokers,
      KAFKA_TOPIC: this.topic,
      KAFKA_GROUP_ID: `notifier-${this.topic}`,
      SMTP_URL: this.smtp.url,
      MAIL_FROM: 'Shop <orders@shop.test>',
      NOTIFY_RETRY_BASE_MS: '100',
      NOTIFY_LEASE_MS: '3000',
      OPS_PORT: '0',
      RELAY_POLL_INTERVAL_MS: '200',
      ...this.extraEnv,
    };
  }

  spawn(role: string, env: Record<string, string> = {}, args: string[] = []): RunningProcess {
    const process = startRole(role, { ...this.env(), ...env }, args);
    this.processes.push(process);
    return process;
  }

  async startNotifier(env: Record<string, string> = {}): Promise<RunningProcess> {
    const notifier = this.spawn('notifier', env);
    await notifier.waitForLine((l) => l.msg === 'joined consumer group', 'the notifier to join its group', 60_000);
    return notifier;
  }

  /** POSTs an order and expects a 202. */
  async order(orderId: string, email = `${orderId.toLowerCase()}@example.com`, itemId: string[] = ['sku-1']): Promise<{ internalId: string }> {
    const response = await fetch(`${this.base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': `corr-${orderId}` },
      body: JSON.stringify({ orderId, itemId, email }),
    });
    expect(response.status, `POST /orders ${orderId}`).to.equal(202);
    return ((await response.json()) as { data: { internalId: string } }).data;
  }

  async status(orderId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ status: string }>('SELECT status FROM notifications WHERE order_id = $1', [orderId]);
    return rows[0]?.status;
  }

  /** Emails received per order (by the X-Order-Id header). */
  emailsByOrder(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.smtp.messages) counts.set(m.headers['x-order-id'] ?? '', (counts.get(m.headers['x-order-id'] ?? '') ?? 0) + 1);
    return counts;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGKILL')));
    await this.pool.end();
    await this.smtp.stop();
    await this.database.drop();
  }
}
