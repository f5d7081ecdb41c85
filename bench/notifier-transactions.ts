// `npx tsx bench/notifier-transactions.ts [--orders=1000] [--concurrency=32]` (after `npm run build`): PostgreSQL
// transactions and CPU per order (api) and per email (relay + notifier), on a fresh database. See README, "Operations".
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { ensureKafka } from '../test/support/kafka.js';
import { createTestDatabase, ensurePostgres } from '../test/support/postgres.js';
import { startRole, type RunningProcess } from '../test/support/processes.js';
import { SmtpTestServer } from '../test/support/smtp-test-server.js';

const argument = (name: string, fallback: number): number => {
  const given = process.argv.find((a) => a.startsWith(`--${name}=`));
  return given ? Number(given.slice(name.length + 3)) : fallback;
};
const ORDERS = argument('orders', 1000);
const CONCURRENCY = argument('concurrency', 32);
// A backend that went idle reports its counters within PGSTAT_IDLE_INTERVAL (10 s); one that exits, at once.
const STATS_SETTLE_MS = 11_000;
const TICKS_PER_SECOND = 100;
const IDLE_MS = 30_000;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) of a process, from /proc; 0 once it is gone. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

interface Snapshot {
  commits: number;
  rollbacks: number;
  statements?: number;
  backends: Map<number, number>;
}

class Observer {
  private constructor(
    private readonly admin: pg.Client,
    private readonly name: string,
    private readonly statementsAvailable: boolean,
  ) {}

  /** Watches `name` from a session on another database, so watching adds nothing to its counters. */
  static async open(adminUrl: string, name: string): Promise<Observer> {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_stat_statements' AND current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'",
    );
    return new Observer(admin, name, rows[0]?.n === 1);
  }

  async snapshot(): Promise<Snapshot> {
    await this.admin.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.admin.query<{ xact_commit: string; xact_rollback: string }>('SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1', [this.name]);
    const { rows: pids } = await this.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.name]);
    let statements: number | undefined;
    if (this.statementsAvailable) {
      const { rows: calls } = await this.admin.query<{ n: string }>(
        'SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1',
        [this.name],
      );
      statements = Number(calls[0]?.n ?? 0);
    }
    return {
      commits: Number(rows[0]?.xact_commit ?? 0),
      rollbacks: Number(rows[0]?.xact_rollback ?? 0),
      ...(statements === undefined ? {} : { statements }),
      backends: new Map(pids.map(({ pid }) => [pid, cpuSeconds(pid)])),
    };
  }

  close(): Promise<void> {
    return this.admin.end();
  }
}

/** CPU the database's backends spent between two snapshots: backends seen at the end, from 0 when new. */
const backendCpu = (from: Snapshot, to: Snapshot): number => [...to.backends].reduce((sum, [pid, cpu]) => sum + cpu - (from.backends.get(pid) ?? 0), 0);

async function postOrders(base: string, prefix: string): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ORDERS) {
      const orderId = `${prefix}-${next++}`;
      const response = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId, itemId: ['sku-1'], email: `${orderId.toLowerCase()}@example.com` }),
      });
      if (response.status !== 202) throw new Error(`POST /orders ${orderId}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function main(): Promise<void> {
  const adminUrl = await ensurePostgres();
  const [database, brokers, smtp] = await Promise.all([createTestDatabase('ordermail_bench'), ensureKafka(), SmtpTestServer.start()]);
  const name = new URL(database.url).pathname.slice(1);
  const observer = await Observer.open(adminUrl, name);
  const topic = `bench-${name.slice(-8)}`;
  const env = {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `notifier-${topic}`,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Shop <orders@shop.test>',
    OPS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  const running: RunningProcess[] = [];
  const start = (role: string, extra: Record<string, string> = {}): RunningProcess => {
    const child = startRole(role, { ...env, ...extra }, [], 'dist');
    running.push(child);
    return child;
  };
  try {
    // The api alone (its relay off): what one order costs to accept.
    const api = start('api', { PORT: '0', RELAY_ENABLED: 'false', LOG_LEVEL: 'info' });
    const listening = await api.waitForLine((l) => l.msg === 'http server listening', 'the api to listen');
    await pause(STATS_SETTLE_MS);
    const apiFrom = await observer.snapshot();
    const apiCpuFrom = cpuSeconds(api.child.pid);
    const apiStarted = Date.now();
    await postOrders(`http://127.0.0.1:${String(listening.port)}`, `b${Date.now().toString(36)}`);
    const apiSeconds = (Date.now() - apiStarted) / 1000;
    const apiCpu = cpuSeconds(api.child.pid) - apiCpuFrom;
    const apiBackends = await observer.snapshot();
    await api.stop('SIGTERM');
    await pause(1000);
    const apiTo = await observer.snapshot();

    // The notifier, idle and settled, then the relay hands it the orders' events.
    const notifier = start('notifier', { LOG_LEVEL: 'info' });
    await notifier.waitForLine((l) => l.msg === 'joined consumer group', 'the notifier to join its group', 60_000);
    await pause(STATS_SETTLE_MS);
    // What the idle notifier does anyway (the sweeper, the webhook dispatcher, lease renewal): subtracted below.
    const idleFrom = await observer.snapshot();
    await pause(IDLE_MS);
    const mailFrom = await observer.snapshot();
    const idlePerSecond = (mailFrom.commits + mailFrom.rollbacks - idleFrom.commits - idleFrom.rollbacks) / (IDLE_MS / 1000);
    const notifierCpuFrom = cpuSeconds(notifier.child.pid);
    const mailStarted = Date.now();
    const relay = start('relay');
    while (smtp.messages.length < ORDERS) {
      if (Date.now() - mailStarted > 600_000) throw new Error(`only ${smtp.messages.length} of ${ORDERS} emails after 10 minutes`);
      await pause(50);
    }
    const mailSeconds = (Date.now() - mailStarted) / 1000;
    // The last markSent lands after the email: give it a moment before reading CPU and stopping.
    await pause(500);
    const notifierCpu = cpuSeconds(notifier.child.pid) - notifierCpuFrom;
    const relayCpu = cpuSeconds(relay.child.pid);
    const mailBackends = await observer.snapshot();
    await relay.stop('SIGTERM');
    await notifier.stop('SIGTERM');
    await pause(1000);
    const mailTo = await observer.snapshot();
    const ledger = new pg.Client({ connectionString: database.url });
    await ledger.connect();
    const { rows } = await ledger.query<{ sent: number }>("SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent FROM notifications");
    await ledger.end();

    const per = (value: number): number => Number((value / ORDERS).toFixed(3));
    const statementsOf = (from: Snapshot, to: Snapshot): number | null => (from.statements === undefined || to.statements === undefined ? null : per(to.statements - from.statements));
    const result = {
      orders: ORDERS,
      concurrency: CONCURRENCY,
      emailsReceived: smtp.messages.length,
      ledgerSent: rows[0]?.sent ?? 0,
      api: {
        seconds: apiSeconds,
        transactionsPerOrder: per(apiTo.commits + apiTo.rollbacks - apiFrom.commits - apiFrom.rollbacks),
        rollbacksPerOrder: per(apiTo.rollbacks - apiFrom.rollbacks),
        statementsPerOrder: statementsOf(apiFrom, apiTo),
        apiCpuMsPerOrder: per(apiCpu * 1000),
        postgresCpuMsPerOrder: per(backendCpu(apiFrom, apiBackends) * 1000),
      },
      relayAndNotifier: {
        seconds: mailSeconds,
        emailsPerSecond: Math.round(ORDERS / mailSeconds),
        transactionsPerEmail: per(mailTo.commits + mailTo.rollbacks - mailFrom.commits - mailFrom.rollbacks),
        idleTransactionsPerSecond: Number(idlePerSecond.toFixed(2)),
        transactionsPerEmailBeyondIdle: per(mailTo.commits + mailTo.rollbacks - mailFrom.commits - mailFrom.rollbacks - idlePerSecond * mailSeconds),
        rollbacksPerEmail: per(mailTo.rollbacks - mailFrom.rollbacks),
        statementsPerEmail: statementsOf(mailFrom, mailTo),
        notifierCpuMsPerEmail: per(notifierCpu * 1000),
        relayCpuMsPerEmail: per(relayCpu * 1000),
        postgresCpuMsPerEmail: per(backendCpu(mailFrom, mailBackends) * 1000),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    if (result.emailsReceived !== ORDERS || result.ledgerSent !== ORDERS) process.exitCode = 1;
  } finally {
    await Promise.all(running.map((child) => child.stop('SIGKILL').catch(() => null)));
    await observer.close();
    await smtp.stop();
    await database.drop();
  }
}

await main();
