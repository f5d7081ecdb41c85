import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import pg from 'pg';
import { kafkaScript, readTopic } from './kafka.js';
import { createTestDatabase } from './postgres.js';
import { eventually, startRole, type RunningProcess } from './processes.js';
import { SmtpTestServer, type RecordedMessage } from './smtp-test-server.js';

const run = promisify(execFile);

export interface FaultStackOptions {
  readonly apis?: number;
  readonly notifiers?: number;
  /** Run the relay as its own process instead of inside the apis. */
  readonly separateRelay?: boolean;
  /** A second SMTP server, the fallback provider (SMTP_FALLBACK_URL): `fallbackSmtp`. */
  readonly fallbackSmtp?: boolean;
  readonly env?: Record<string, string>;
  /** The PostgreSQL server (an admin URL) to make the stack's database on; by default the tests' own. */
  readonly postgres?: string;
}

export interface Report {
  accepted: number;
  /** Emailed orders that had been accepted with a 202. */
  emailed: number;
  /** Requests whose outcome is unknown (cut off without an answer, or a 503 with outcome "unknown"), and how many of those were stored and emailed after all. */
  unanswered: number;
  emailedUnanswered: number;
  duplicates: number;
  deadLetters: number;
  drainMs: number;
}

/** The whole system as separate processes (two apis, two notifiers, optionally a relay) on a dedicated Kafka. */
export class FaultStack {
  readonly apis: RunningProcess[] = [];
  readonly notifiers: RunningProcess[] = [];
  relay?: RunningProcess;
  readonly accepted = new Set<string>();
  /** When each accepted order's 202 came back (epoch milliseconds). */
  readonly acceptedAt = new Map<string, number>();
  readonly refused: number[] = [];
  /** Requests whose outcome nobody knows (the api died with them in flight, or PostgreSQL went away mid-write). */
  readonly unanswered = new Set<string>();
  private readonly all: RunningProcess[] = [];
  private bases: string[] = [];
  private next = 0;
  private sequence = 0;

  private constructor(
    readonly database: { url: string; drop: () => Promise<void> },
    readonly brokers: string,
    readonly smtp: SmtpTestServer,
    readonly topic: string,
    private readonly options: FaultStackOptions,
    readonly fallbackSmtp?: SmtpTestServer,
  ) {}

  static async start(brokers: string, options: FaultStackOptions = {}): Promise<FaultStack> {
    const [database, smtp, fallbackSmtp] = await Promise.all([createTestDatabase('ordermail_faults', options.postgres ? { server: options.postgres } : {}), SmtpTestServer.start(), options.fallbackSmtp ? SmtpTestServer.start() : undefined]);
    const stack = new FaultStack(database, brokers, smtp, `faults-${Date.now()}`, options, fallbackSmtp);
    for (let i = 0; i < (options.apis ?? 2); i++) await stack.startApi();
    if (options.separateRelay) stack.relay = stack.spawn('relay');
    for (let i = 0; i < (options.notifiers ?? 2); i++) await stack.startNotifier();
    return stack;
  }

  env(): Record<string, string> {
    return {
      DATABASE_URL: this.database.url,
      KAFKA_BROKERS: this.brokers,
      KAFKA_TOPIC: this.topic,
      KAFKA_GROUP_ID: `notifier-${this.topic}`,
      SMTP_URL: this.smtp.url,
      ...(this.fallbackSmtp ? { SMTP_FALLBACK_URL: this.fallbackSmtp.url } : {}),
      MAIL_FROM: 'Shop <orders@shop.test>',
      NOTIFY_RETRY_BASE_MS: '200',
      NOTIFY_LEASE_MS: '5000',
      OPS_PORT: '0',
      RELAY_ENABLED: this.options.separateRelay ? 'false' : 'true',
      ...this.options.env,
    };
  }

  spawn(role: string, env: Record<string, string> = {}): RunningProcess {
    const process = startRole(role, { ...this.env(), ...env }, [], 'dist');
    this.all.push(process);
    return process;
  }

  async startApi(): Promise<RunningProcess> {
    const api = this.spawn('api', { PORT: '0' });
    const line = await api.waitForLine((l) => l.msg === 'http server listening', 'an api to listen');
    this.apis.push(api);
    this.bases.push(`http://127.0.0.1:${String(line.port)}`);
    return api;
  }

  async startNotifier(): Promise<RunningProcess> {
    const notifier = this.spawn('notifier');
    await notifier.waitForLine((l) => l.msg === 'joined consumer group', 'a notifier to join', 90_000);
    this.notifiers.push(notifier);
    return notifier;
  }

  /** Kills an api and takes it out of the rotation. */
  async killApi(index: number): Promise<void> {
    const [api] = this.apis.splice(index, 1);
    this.bases.splice(index, 1);
    await api?.stop('SIGKILL');
  }

  /** Posts orders round-robin over the apis at `rate` per second for `durationMs`; 202s are remembered. */
  async flow(rate: number, durationMs: number, email: (n: number) => string = (n) => `c${n}@example.com`): Promise<void> {
    const started = Date.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; Date.now() - started < durationMs; i++) {
      const due = started + (i * 1000) / rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const n = this.sequence++;
      const orderId = `F-${n}`;
      const base = this.nextBase();
      pending.push(
        fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': `c-${orderId}` }, body: JSON.stringify({ orderId, itemId: ['sku'], email: email(n) }), signal: AbortSignal.timeout(15_000) })
          .then(async (response) => {
            const body = (await response.json().catch(() => ({}))) as { error?: { outcome?: string } };
            if (response.status === 202) this.accept(orderId);
            else this.refused.push(response.status);
            // A 503 with outcome "unknown": the database went away after the order reached it; stored or not.
            if (body.error?.outcome === 'unknown') this.unanswered.add(orderId);
          })
          .catch(() => {
            this.refused.push(0);
            this.unanswered.add(orderId);
          }),
      );
    }
    await Promise.all(pending);
  }

  /** The address of one of the apis, in turn. */
  nextBase(): string {
    return this.bases[this.next++ % this.bases.length] as string;
  }

  private accept(orderId: string): void {
    this.accepted.add(orderId);
    this.acceptedAt.set(orderId, Date.now());
  }

  /** A request to one of the apis, in turn; resolves with the status and the JSON body. */
  async request(method: 'GET' | 'POST', path: string, body?: object): Promise<{ status: number; body: Record<string, unknown> }> {
    const base = this.nextBase();
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'x-correlation-id': `c-${method}-${Date.now()}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Creates an order (a 202 expected) and resolves with its internal id, the right-hand part of its Message-IDs. */
  async order(orderId: string, email = `${orderId.toLowerCase()}@example.com`): Promise<string> {
    const { status, body } = await this.request('POST', '/orders', { orderId, itemId: ['sku-1'], email });
    expect(status, `POST /orders ${orderId}: ${JSON.stringify(body)}`).to.equal(202);
    this.accept(orderId);
    return (body.data as { internalId: string }).internalId;
  }

  /** Moves an order to another status; a 202 expected. */
  async changeStatus(orderId: string, change: { status: string; carrier?: string; trackingUrl?: string; note?: string }): Promise<void> {
    const { status, body } = await this.request('POST', `/orders/${encodeURIComponent(orderId)}/status`, change);
    expect(status, `POST /orders/${orderId}/status ${change.status}: ${JSON.stringify(body)}`).to.equal(202);
  }

  /** Every email the SMTP servers took, the fallback's after the primary's. */
  get messages(): RecordedMessage[] {
    return [...this.smtp.messages, ...(this.fallbackSmtp?.messages ?? [])];
  }

  /** Resolves once the emails taken by the SMTP servers, together, satisfy `done`. */
  private waitForEmails(done: (messages: readonly RecordedMessage[]) => boolean, timeoutMs: number): Promise<unknown> {
    if (!this.fallbackSmtp) return this.smtp.waitFor(done, timeoutMs);
    return eventually(async () => done(this.messages), 'the emails taken by the primary and the fallback SMTP server', timeoutMs);
  }

  /** Waits until every accepted order (but the expected dead ones) has its email; resolves with the report. */
  async drained(since: number, expectDead: (orderId: string) => boolean = () => false, timeoutMs = 120_000): Promise<Report> {
    const expected = [...this.accepted].filter((id) => !expectDead(id));
    await this.waitForEmails((messages) => {
      const emailed = new Set(messages.map((m) => m.headers['x-order-id']));
      return expected.every((id) => emailed.has(id));
    }, timeoutMs)
      .catch(async (error: Error) => {
        throw new Error(`${error.message.slice(0, 300)}…\n${await this.whereOrdersAre()}\nLast warnings of each process:\n${this.warnings()}`, { cause: error });
      });
    const drainMs = Date.now() - since;
    const crashed = this.apis.filter((api) => api.child.exitCode !== null || api.child.signalCode !== null);
    expect(crashed.map((api) => api.stderr.join('').slice(-500)), 'apis that died by themselves').to.deep.equal([]);
    // A dead letter is published before the ledger says dead, so once all are dead the topic holds them all.
    const expectedDead = [...this.accepted].filter(expectDead);
    await eventually(async () => (await Promise.all(expectedDead.map((id) => this.notificationStatus(id)))).every((status) => status === 'dead'), 'the marked orders to be dead-lettered', timeoutMs);
    const messages = this.messages;
    const emailedOrders = new Set(messages.map((m) => m.headers['x-order-id'] ?? ''));
    expect([...emailedOrders].filter((id) => !this.accepted.has(id) && !this.unanswered.has(id)), 'emails for orders that were never accepted').to.deep.equal([]);
    // One notification of an order is one subject (its kind's): the emails of one order about one thing.
    const perNotification = new Map<string, number>();
    for (const m of messages) {
      const notification = `${m.headers['x-order-id'] ?? ''}\u0000${m.subject}`;
      perNotification.set(notification, (perNotification.get(notification) ?? 0) + 1);
    }
    const perMessageId = countByMessageId(messages);
    const duplicates = [...perMessageId.values()].reduce((sum, n) => sum + n - 1, 0);
    // A second email about one thing must repeat its Message-ID (derived from the kind and the internal id), so receivers can drop it.
    expect([...perNotification.values()].reduce((sum, n) => sum + n - 1, 0), 'duplicates that do not share their Message-ID').to.equal(duplicates);
    const deadLetters = (await readTopic(this.brokers, `${this.topic}.dlq`)).length;
    const emailedUnanswered = [...emailedOrders].filter((id) => this.unanswered.has(id)).length;
    return { accepted: this.accepted.size, emailed: emailedOrders.size - emailedUnanswered, unanswered: this.unanswered.size, emailedUnanswered, duplicates, deadLetters, drainMs };
  }

  /** Where the orders wait: the outbox backlog and the ledger's statuses. */
  private async whereOrdersAre(): Promise<string> {
    const client = new pg.Client({ connectionString: this.database.url });
    try {
      await client.connect();
      const outbox = await client.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
      const ledger = await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM notifications GROUP BY status');
      return `outbox unpublished: ${outbox.rows[0]?.n}; ledger: ${ledger.rows.map((r) => `${r.status} ${r.n}`).join(', ')}`;
    } catch (error) {
      return `database not readable: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private warnings(): string {
    return this.all
      .map((p, i) => `#${i}: ${p.lines.filter((l) => l.level !== 'info' && l.level !== 'debug').slice(-6).map((l) => JSON.stringify(l)).join('\n    ')}${p.stderr.join('').slice(-500)}`)
      .join('\n');
  }

  /** The status of an order's email of that kind (its webhook deliveries are rows of their own). */
  async notificationStatus(orderId: string, kind = 'order-created'): Promise<string | undefined> {
    return (await this.query<{ status: string }>("SELECT status FROM notifications WHERE order_id = $1 AND kind = $2 AND channel = 'email'", [orderId, kind]))[0]?.status;
  }

  /** One query on the stack's database, on a connection of its own. */
  async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((p) => p.stop('SIGKILL')));
    await this.smtp.stop();
    await this.fallbackSmtp?.stop();
    await this.database.drop().catch(() => undefined);
  }
}

/** How many times each Message-ID arrived, whichever server took it. */
export function countByMessageId(messages: readonly RecordedMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
  return counts;
}

/**
 * A PostgreSQL cluster of the fault suite's own, made with Debian's cluster tools (pg_createcluster) on its
 * own port, so that crashing it (`restart`) breaks no connection of the tests running beside it.
 */
export class PrivateCluster {
  private constructor(
    private readonly version: string,
    private readonly name: string,
    readonly adminUrl: string,
  ) {}

  static async create(port = process.env.ORDERMAIL_TEST_FAULTS_PG_PORT ?? '5499'): Promise<PrivateCluster> {
    const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
    if (versions.length === 0) throw new Error('The PostgreSQL restart test needs Debian\'s PostgreSQL cluster tools (apt-get install postgresql); none are installed here.');
    const version = versions.sort().at(-1) as string;
    const cluster = new PrivateCluster(version, `ordermail_faults_${port}`, `postgres://postgres@127.0.0.1:${port}/postgres`);
    await cluster.drop(); // left by an interrupted run
    try {
      await run('pg_createcluster', [version, cluster.name, '-p', port, '--', '--auth=trust']);
      await cluster.ctl('start');
    } catch (error) {
      throw new Error(`Could not make a PostgreSQL cluster of the fault suite's own on port ${port} (set ORDERMAIL_TEST_FAULTS_PG_PORT for another): ${(error as Error).message}`, { cause: error });
    }
    return cluster;
  }

  /** Restarts it the way a crash would (immediate mode). */
  restart(): Promise<void> {
    return this.ctl('restart', '-m', 'immediate');
  }

  async drop(): Promise<void> {
    if (existsSync(`/etc/postgresql/${this.version}/${this.name}`)) await run('pg_dropcluster', ['--stop', this.version, this.name]);
  }

  private async ctl(...args: string[]): Promise<void> {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', this.version, this.name, ...args]);
  }
}

export { kafkaScript };
