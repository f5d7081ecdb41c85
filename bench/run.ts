// `npm run bench [-- --smoke | --cpu-prof | --perf] [--label <name>]`: starts the stack as production runs it and measures it.
// See README, "Benchmarks". The load (generator + SMTP sink) runs in its own process, bench/load.ts.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { ensureKafka } from '../test/support/kafka.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startRole, type RunningProcess } from '../test/support/processes.js';
import { collectProfile, type ProfileSummary } from './cpu-profile.js';
import { CpuSampler, kafkaPid, PG_GROUPS } from './cpu-sampler.js';
import { PerfRecorder, perfReport, summarisePerf, type PerfGroup } from './perf-profile.js';
import type { EmailsResult, LoadCommand, LoadReply, Percentiles, SendResult } from './load-protocol.js';
import { laterRunStart, nextStep, type Outcome } from './ramp.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { values: flags } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, 'cpu-prof': { type: 'boolean', default: false }, perf: { type: 'boolean', default: false }, label: { type: 'string' } }, strict: true });
const smoke = flags.smoke;
/**
 * Profile-only run: the CPU step and nothing else, its processes under `node --cpu-prof` (each thread's own view,
 * waits for a core included), or with --perf under Linux perf (what ran on the cores, every process and the kernel).
 * The smoke profiles too, to exercise it.
 */
const profileOnly = (flags['cpu-prof'] || flags.perf) && !smoke;
if (flags.perf && (smoke || flags['cpu-prof'])) throw new Error('--perf runs alone: not with --smoke or --cpu-prof (node --cpu-prof would be sampled by perf too)');
const profiling = flags['cpu-prof'] || smoke;

const PLAN = smoke
  ? { warmupSeconds: 2, warmupRate: 100, cpuSeconds: 10, apiSeconds: 5, endToEndSeconds: 5, stepSeconds: 10, grid: [200], runs: 1, pgbenchSeconds: 3 }
  : { warmupSeconds: 30, warmupRate: 200, cpuSeconds: 30, apiSeconds: 30, endToEndSeconds: 30, stepSeconds: 30, grid: [200, 400, 600, 800, 1000, 1200, 1600], runs: 3, pgbenchSeconds: 20 };
const CPU_RATE = 400;
/** PostgreSQL (15+) flushes an idle backend's statistics after 10 s: pg_stat_database is read after this much quiet. */
const STATS_FLUSH_MS = 11_000;
/** A step is sustained only if every email arrives within this after the generator stops. */
const EMAIL_GRACE_MS = 5_000;
/** After a step that fell behind, the backlog drains before the next one starts. */
const DRAIN_MS = 180_000;
const ORDERMAIL = ['api', 'relay', 'notifier'] as const;
const COUNTED = [...ORDERMAIL, PG_GROUPS.bench, PG_GROUPS.shared, 'kafka'] as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;
/** Problems that make the run fail (exit 1) once the results are written: a broken bench must not pass quietly. */
const problems: string[] = [];

/** The load process: sends orders and receives the emails, on the orchestrator's commands. */
class LoadProcess {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: LoadReply) => void>();

  private constructor(
    readonly child: ChildProcess,
    readonly smtpPort: number,
  ) {
    child.on('message', (reply: LoadReply) => {
      if (reply.type === 'ready') return;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  static async start(nodeArgs: readonly string[]): Promise<LoadProcess> {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL('./load.ts', import.meta.url))], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<LoadReply>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`the load process exited (${code}) before it was ready`)));
    });
    if (ready.type !== 'ready') throw new Error(`the load process said ${ready.type} before ready`);
    const load = new LoadProcess(child, ready.smtpPort);
    child.once('exit', (code) => {
      for (const resolve of load.pending.values()) resolve({ type: 'stopped', id: 0, duplicates: -1, unknown: -1, duplicateSample: [`the load process exited (${code})`] });
    });
    return load;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  async send(base: string, prefix: string, rate: number, durationMs: number): Promise<SendResult> {
    const reply = await this.request({ type: 'send', id: this.nextId++, base, prefix, rate, durationMs });
    if (reply.type !== 'sent') throw new Error(`load process: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  async emails(prefix: string, deadline: number): Promise<EmailsResult> {
    const reply = await this.request({ type: 'emails', id: this.nextId++, prefix, deadline });
    if (reply.type !== 'emails') throw new Error(`load process: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  async stop(): Promise<{ duplicates: number; unknown: number; duplicateSample: readonly string[] }> {
    const exited = once(this.child, 'exit');
    const reply = await this.request({ type: 'stop', id: this.nextId++ });
    await exited;
    if (reply.type !== 'stopped') throw new Error(`load process: ${JSON.stringify(reply)}`);
    return reply;
  }

  private request(command: LoadCommand): Promise<LoadReply> {
    return new Promise((resolve) => {
      this.pending.set(command.id, resolve);
      this.child.send(command);
    });
  }
}

interface StepResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: SendResult;
  /** The emails that had arrived 5 s after the generator stopped. */
  readonly onTime: EmailsResult;
  /** The emails once the backlog, if any, had drained. */
  readonly all: EmailsResult;
  /** The last email's arrival − the generator's stop; null when some had not arrived within 5 s. */
  readonly lastEmailAfterStopMs: number | null;
  readonly sustained: boolean;
  readonly cpuMs: Record<string, number>;
  readonly cpuMsPerOrder: Record<string, number>;
}

/** The bench's stack and instruments, once started. */
interface Bench {
  readonly base: string;
  readonly load: LoadProcess;
  readonly sampler: CpuSampler;
  readonly monitor: pg.Client;
  readonly database: { readonly name: string; readonly url: string };
  readonly statementsAvailable: boolean;
  readonly processes: ReadonlyMap<string, RunningProcess>;
}

const logsShown = new Map<string, number>();

/** The warnings and errors ordermail logged since the last call, one line per distinct message: why a step went wrong. */
function newLogProblems(processes: ReadonlyMap<string, RunningProcess>): string[] {
  const found: string[] = [];
  for (const [name, running] of processes) {
    const lines = running.lines.slice(logsShown.get(name) ?? 0);
    logsShown.set(name, running.lines.length);
    const counts = new Map<string, number>();
    for (const line of lines) {
      if (line.level !== 'warn' && line.level !== 'error') continue;
      const text = `${String(line.msg)}${line.error === undefined ? '' : `: ${String(line.error).split('\n')[0]}`}`;
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    for (const [text, n] of counts) found.push(`${name} logged ${n}× ${text.slice(0, 300)}`);
  }
  return found;
}

function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
}

/** Per process, plus the total of what an operator runs (ordermail, PostgreSQL, Kafka); the load and the orchestrator stand apart. */
function perOrder(cpuMs: Record<string, number>, orders: number): Record<string, number> {
  const share = (ms: number): number => round(ms / Math.max(1, orders));
  const result = Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, share(ms)]));
  return { ...result, total: share(COUNTED.reduce((sum, name) => sum + (cpuMs[name] ?? 0), 0)) };
}

/** Sends at `rate` for `seconds`, waits for the emails, and judges the step by the sustained-rate rule. */
async function step(bench: Bench, prefix: string, rate: number, seconds: number): Promise<StepResult> {
  const before = await bench.sampler.snapshot();
  const sent = await bench.load.send(bench.base, prefix, rate, seconds * 1000);
  const onTime = await bench.load.emails(prefix, sent.lastSentAt + EMAIL_GRACE_MS);
  const all = onTime.emailed >= onTime.accepted ? onTime : await bench.load.emails(prefix, Date.now() + DRAIN_MS);
  const cpuMs = cpuDelta(before, await bench.sampler.snapshot());
  const lastEmailAfterStopMs = onTime.emailed >= onTime.accepted ? Math.max(0, Math.round(onTime.lastEmailAt - sent.lastSentAt)) : null;
  const sustained = sent.accepted >= 0.99 * sent.sent && sent.achievedRate >= 0.95 * rate && lastEmailAfterStopMs !== null;
  for (const line of newLogProblems(bench.processes)) console.log(`    ${line}`);
  // 503 is the api shedding load (its pool's wait ran out): a result. Any other refusal is the bench or ordermail broken.
  const refusals = Object.entries(sent.otherStatuses).filter(([status]) => status !== '503');
  if (refusals.length > 0) problems.push(`${prefix}: answers other than 202 and 503: ${refusals.map(([status, n]) => `${n}×${status}`).join(', ')}`);
  if (all.emailed < all.accepted) problems.push(`${prefix}: ${all.accepted - all.emailed} of ${all.accepted} accepted orders never emailed (waited ${DRAIN_MS / 1000} s)`);
  return { rate, seconds, sent, onTime, all, lastEmailAfterStopMs, sustained, cpuMs, cpuMsPerOrder: perOrder(cpuMs, sent.accepted) };
}

/**
 * Where an order's time goes between its 202 and its email, from PostgreSQL's own timestamps (one clock, the
 * statements' transaction start): `relay`, the order's insert → its event marked published (after Kafka's ack);
 * `toClaim`, marked published → the notifier's claim (the consumer may claim before the relay marks: then < 0);
 * `claimToSent`, the claim → the sent record (recipient cap, rendering, SMTP, the batched markSent). ms, p50/p99.
 */
async function stagesOf(bench: Bench, prefix: string): Promise<Record<'relay' | 'toClaim' | 'claimToSent', { p50: number; p99: number }>> {
  const client = new pg.Client({ connectionString: bench.database.url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<'relay' | 'to_claim' | 'claim_to_sent', number[]>>(
      `SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM o.published_at - o.created_at) * 1000) AS relay,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM n.created_at - o.published_at) * 1000) AS to_claim,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM n.sent_at - n.created_at) * 1000) AS claim_to_sent
         FROM outbox o JOIN notifications n ON n.order_id = o.key AND n.channel = 'email'
        WHERE o.key LIKE $1 AND o.type = 'order.created' AND n.sent_at IS NOT NULL`,
      [`${prefix}-%`],
    );
    const row = rows[0];
    const pair = (values: number[] | undefined) => ({ p50: Math.round(values?.[0] ?? NaN), p99: Math.round(values?.[1] ?? NaN) });
    return { relay: pair(row?.relay), toClaim: pair(row?.to_claim), claimToSent: pair(row?.claim_to_sent) };
  } finally {
    await client.end();
  }
}

function describe(result: StepResult): string {
  const { sent } = result;
  const others = Object.entries(sent.otherStatuses).map(([status, n]) => `${n}×${status}`).concat(sent.errors > 0 ? [`${sent.errors} errors (${sent.firstError})`] : []);
  const emails = result.lastEmailAfterStopMs === null ? `${result.onTime.accepted - result.onTime.emailed} emails missing 5 s after the stop` : `last email ${result.lastEmailAfterStopMs} ms after the stop`;
  return `${result.rate}/s: ${sent.accepted}/${sent.sent} × 202${others.length ? ` (${others.join(', ')})` : ''}, ${sent.achievedRate}/s achieved, ${emails}; API p99 ${sent.api.p99.toFixed(1)} ms, ordermail+PG+Kafka ${result.cpuMsPerOrder.total} CPU-ms/order`;
}

interface PgCounters {
  readonly transactions: number;
  /** pg_stat_statements calls by query, when the extension is loaded. */
  readonly statements?: ReadonlyMap<string, { readonly query: string; readonly calls: number }>;
}

async function pgCounters(bench: Bench): Promise<PgCounters> {
  const { rows } = await bench.monitor.query<{ xacts: string }>('SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = $1', [bench.database.name]);
  const transactions = Number(rows[0]?.xacts ?? NaN);
  if (!bench.statementsAvailable) return { transactions };
  const client = new pg.Client({ connectionString: bench.database.url });
  await client.connect();
  try {
    const result = await client.query<{ queryid: string; query: string; calls: string }>(
      `SELECT queryid::text, query, calls FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'`,
    );
    return { transactions, statements: new Map(result.rows.map((row) => [row.queryid, { query: row.query, calls: Number(row.calls) }])) };
  } finally {
    await client.end();
  }
}

/**
 * CPU-ms per order at 400/s, with the idle floor measured first; and PostgreSQL's transactions and statements
 * per order, each read after the statistics of the quiet before and after were flushed.
 */
async function measureCpu(bench: Bench, seconds: number, perfFile?: string) {
  const idleStart = await bench.sampler.snapshot();
  await sleep(STATS_FLUSH_MS);
  const idleMs = cpuDelta(idleStart, await bench.sampler.snapshot());
  const pgBefore = await pgCounters(bench);
  const perf = perfFile ? await PerfRecorder.start(perfFile) : undefined;
  const result = await step(bench, 'cpu', CPU_RATE, seconds).finally(() => perf?.stop());
  console.log(`  CPU @${CPU_RATE}/s: ${describe(result)}`);
  await sleep(STATS_FLUSH_MS);
  const pgAfter = await pgCounters(bench);
  const orders = result.sent.accepted;
  const statements = pgAfter.statements && pgBefore.statements
    ? [...pgAfter.statements].map(([id, s]) => ({ query: s.query.replace(/\s+/g, ' ').slice(0, 200), calls: s.calls - (pgBefore.statements?.get(id)?.calls ?? 0) })).filter((s) => s.calls > 0).sort((a, b) => b.calls - a.calls)
    : undefined;
  return {
    rate: CPU_RATE,
    seconds,
    orders,
    windowMs: Math.round(Math.max(result.all.lastEmailAt, result.sent.lastAnsweredAt) - result.sent.startedAt),
    step: result,
    cpuMs: Object.fromEntries(Object.entries(result.cpuMs).map(([name, ms]) => [name, Math.round(ms)])),
    cpuMsPerOrder: result.cpuMsPerOrder,
    idleFloorMsPerSecond: Object.fromEntries(Object.entries(idleMs).map(([name, ms]) => [name, round(ms / (STATS_FLUSH_MS / 1000), 1)])),
    pgTransactionsPerOrder: round((pgAfter.transactions - pgBefore.transactions) / Math.max(1, orders)),
    pgStatementsPerOrder: statements ? round(statements.reduce((sum, s) => sum + s.calls, 0) / Math.max(1, orders)) : ('unavailable' as const),
    pgTopStatements: statements?.slice(0, 15).map((s) => ({ ...s, perOrder: round(s.calls / Math.max(1, orders)) })),
  };
}

/** One run of the ramp, from the grid's `start` index (see `nextStep`). */
async function sustainedRun(bench: Bench, run: number, start: number) {
  const steps: StepResult[] = [];
  const outcomes: Outcome[] = [];
  for (let index = nextStep(PLAN.grid.length, start, outcomes); index !== undefined; index = nextStep(PLAN.grid.length, start, outcomes)) {
    if (steps.length > 0) await sleep(2000);
    const rate = PLAN.grid[index] as number;
    const result = await step(bench, `r${run}s${rate}`, rate, PLAN.stepSeconds);
    steps.push(result);
    outcomes.push({ index, sustained: result.sustained });
    console.log(`  run ${run}, ${result.sustained ? 'sustained' : 'NOT sustained'} ${describe(result)}`);
  }
  const highest = Math.max(0, ...steps.filter((s) => s.sustained).map((s) => s.rate));
  return {
    highestSustained: highest,
    steps: steps.map((s) => ({
      rate: s.rate,
      sustained: s.sustained,
      sent: s.sent.sent,
      accepted: s.sent.accepted,
      otherStatuses: s.sent.otherStatuses,
      errors: s.sent.errors,
      achievedRate: s.sent.achievedRate,
      lastEmailAfterStopMs: s.lastEmailAfterStopMs,
      emailsMissingAfterGrace: s.onTime.accepted - s.onTime.emailed,
      apiP99Ms: s.sent.api.p99,
      endToEndP99Ms: s.all.endToEnd.p99,
      cpuMsPerOrder: s.cpuMsPerOrder,
    })),
  };
}

/** PostgreSQL's own ceiling for the same order + outbox insert transaction (pgbench, 8 clients). */
function pgbenchCeiling(url: string, duration: number): number | null {
  const script = fileURLToPath(new URL('./order-insert.pgbench.sql', import.meta.url));
  const result = spawnSync('pgbench', ['-n', '-c', '8', '-j', '2', '-T', String(duration), '-f', script, url], { encoding: 'utf8' });
  const tps = /tps = ([\d.]+)/.exec(result.stdout ?? '');
  if (!tps) {
    console.log(`  pgbench unavailable or failed: ${(result.stderr || result.error?.message || '').trim().split('\n')[0]}`);
    return null;
  }
  return Number(tps[1]);
}

function chart(series: { name: string; p: Percentiles }[]): string {
  const labels = ['p50', 'p99', 'p99.9'] as const;
  const top = Math.max(1, ...series.flatMap((s) => [s.p.p50, s.p.p99, s.p.p999]));
  const width = 720;
  const rowHeight = 26;
  const height = 60 + series.length * (labels.length * rowHeight + 16);
  const scale = (v: number): number => (Math.log10(1 + v) / Math.log10(1 + top)) * (width - 260);
  let y = 40;
  const bars = series
    .map((s) => {
      const group = [`<text x="10" y="${y}" font-weight="600">${s.name}</text>`];
      y += 8;
      for (const label of labels) {
        const value = label === 'p50' ? s.p.p50 : label === 'p99' ? s.p.p99 : s.p.p999;
        group.push(
          `<text x="20" y="${y + 16}">${label}</text><rect x="80" y="${y + 4}" width="${scale(value).toFixed(1)}" height="16" fill="${label === 'p50' ? '#2b6cb0' : label === 'p99' ? '#b7791f' : '#c53030'}"/><text x="${(86 + scale(value)).toFixed(1)}" y="${y + 16}">${value.toFixed(1)} ms</text>`,
        );
        y += rowHeight;
      }
      y += 16;
      return group.join('');
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="13"><rect width="100%" height="100%" fill="#fff"/><text x="10" y="20" font-size="15" font-weight="600">ordermail latency (log scale)</text>${bars}</svg>`;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ready(url: string, processes: readonly RunningProcess[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const exited = processes.find((p) => p.child.exitCode !== null);
    if (exited) throw new Error(`a process exited during start-up:\n${exited.stderr.join('').slice(-2000)}`);
    if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} did not become ready within 60 s`);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The thread group (process) a thread belongs to, while it runs; undefined once it is gone. */
function processOf(tid: number): number | undefined {
  try {
    const match = /^Tgid:\s+(\d+)$/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** perf's samples summed by the bench's groups (api, relay, notifier, load, orchestrator, kafka, pg), idle and perf itself apart. */
function perfSummary(file: string, pids: ReadonlyMap<string, number>): { groups: PerfGroup[]; report: string } {
  const report = perfReport(file);
  const totals = perfReport(file, 'pid,dso', 0);
  const byPid = new Map([...pids].map(([name, pid]) => [pid, name]));
  // Both reports name the same few hundred threads over thousands of lines: /proc is read once for each.
  const processes = new Map<number, number | undefined>();
  const groupOf = (tid: number, command: string): string | undefined => {
    if (tid === 0) return undefined;
    if (!processes.has(tid)) processes.set(tid, processOf(tid));
    const owner = byPid.get(processes.get(tid) ?? tid);
    if (owner) return owner;
    if (command.startsWith('postgres')) return 'pg (every PostgreSQL process)';
    return command === 'perf' ? 'perf (the recorder)' : 'other';
  };
  return { groups: summarisePerf(report, groupOf, 15, totals), report };
}

async function main(): Promise<void> {
  const machine = {
    cores: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    loadAverageBefore: os.loadavg().map((l) => round(l, 2)),
  };
  const mode = smoke ? 'smoke' : profileOnly ? (flags.perf ? 'perf' : 'cpu-prof') : 'full';
  console.log(`ordermail benchmark (${mode}): building, starting PostgreSQL, Kafka, the load process, an api, a relay and a notifier`);
  console.log(`  machine: ${machine.cores} cores (${machine.model}), load average before ${machine.loadAverageBefore.join(' / ')}`);
  if (machine.loadAverageBefore[0] as number > machine.cores * 0.5) console.log('  the machine is busy already: these figures will not be comparable');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });

  const profileDirs = new Map<string, string>();
  // perf's recording of the whole machine; removed with the map files node wrote for it, however the run ends.
  const perfDir = flags.perf ? mkdtempSync(join(os.tmpdir(), 'ordermail-bench-perf-')) : undefined;
  const nodeArgsFor = (name: string): string[] => {
    // perf reads the names of JIT-compiled JavaScript from /tmp/perf-<pid>.map, which this flag has node write.
    if (flags.perf) return ['--perf-basic-prof-only-functions'];
    if (!profiling) return [];
    const dir = mkdtempSync(join(os.tmpdir(), `ordermail-bench-${name}-`));
    profileDirs.set(name, dir);
    return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  };

  const [database, brokers, load] = await Promise.all([createTestDatabase('ordermail_bench'), ensureKafka(), LoadProcess.start(nodeArgsFor('load'))]);
  const databaseName = new URL(database.url).pathname.slice(1);
  const adminUrl = new URL(database.url);
  adminUrl.pathname = '/postgres';
  const monitor = new pg.Client({ connectionString: adminUrl.toString() });
  await monitor.connect();
  const processes = new Map<string, RunningProcess>();
  let loadStopped: Awaited<ReturnType<LoadProcess['stop']>> | undefined;
  try {
    const preload = (await monitor.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries')).rows[0]?.shared_preload_libraries ?? '';
    const pgVersion = (await monitor.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
    let statementsAvailable = preload.includes('pg_stat_statements');
    if (statementsAvailable) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      statementsAvailable = await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').then(() => true, (error: Error) => (console.log(`  pg_stat_statements: ${error.message}`), false));
      await client.end();
    }
    console.log(`  PostgreSQL ${pgVersion}; pg_stat_statements ${statementsAvailable ? 'loaded' : 'not preloaded: statements per order unavailable (see README)'}`);

    const topic = `bench-${Date.now()}`;
    const env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `bench-${topic}`,
      SMTP_URL: `smtp://127.0.0.1:${load.smtpPort}`,
      // At warn, as a busy production would run: readiness is polled instead of read from the logs.
      LOG_LEVEL: 'warn',
      OPS_PORT: '0',
      DATABASE_POOL_SIZE: '20',
      // One caller sends everything here: the per-caller limit (still checked, in PostgreSQL) must not cap the load.
      RATE_LIMIT_ORDERS_PER_SECOND: '1000000',
    };
    const [apiPort, opsPort] = await Promise.all([freePort(), freePort()]);
    const base = `http://127.0.0.1:${apiPort}`;
    // The relay runs on its own (--role=relay), so that its CPU is told apart from the api's.
    processes.set('api', startRole('api', { ...env, PORT: String(apiPort), RELAY_ENABLED: 'false' }, [], 'dist', nodeArgsFor('api')));
    processes.set('relay', startRole('relay', env, [], 'dist', nodeArgsFor('relay')));
    processes.set('notifier', startRole('notifier', { ...env, OPS_PORT: String(opsPort) }, [], 'dist', nodeArgsFor('notifier')));
    await ready(`${base}/ready`, [...processes.values()]);
    await ready(`http://127.0.0.1:${opsPort}/ready`, [...processes.values()]);

    const cacheDir = process.env.ORDERMAIL_CACHE ?? join(ROOT, '.cache');
    const kafka = kafkaPid(brokers, cacheDir);
    if (kafka === undefined) console.log(`  Kafka at ${brokers} was not started by scripts/kafka/kafka.sh under ${cacheDir}: its CPU is not counted`);
    const pids = new Map<string, number>([...[...processes].map(([name, p]): [string, number] => [name, p.child.pid as number]), ['load', load.pid], ['orchestrator', process.pid]]);
    if (kafka !== undefined) pids.set('kafka', kafka);
    const sampler = await CpuSampler.start(pids, monitor, databaseName);
    if (!sampler.readsPostgres) console.log('  PostgreSQL runs elsewhere (its /proc is not readable here): its CPU is not counted');
    const bench: Bench = { base, load, sampler, monitor, database: { name: databaseName, url: database.url }, statementsAvailable, processes };

    // Warm-up: every part answers, and every email arrives, or nothing after this means anything.
    const warm = await load.send(base, 'warm', PLAN.warmupRate, PLAN.warmupSeconds * 1000);
    const warmEmails = await load.emails('warm', Date.now() + 30_000);
    if (warm.accepted < 0.99 * warm.sent || warm.accepted === 0 || warmEmails.emailed < warmEmails.accepted)
      throw new Error(`warm-up: ${warm.accepted}/${warm.sent} answered 202 (${JSON.stringify(warm.otherStatuses)}, ${warm.errors} errors: ${warm.firstError ?? ''}), ${warmEmails.emailed} emailed within 30 s`);
    console.log(`  warm-up: ${warm.accepted} of ${warm.sent} orders accepted, all of them emailed`);
    // What autovacuum does within its first rounds in a running system: statistics of the tables as they are now.
    // The plans each connection cached while the tables were new and empty (a sequential scan is cheapest there)
    // are made again with them; without this, they would stay in use for the whole run, every statement scanning its
    // whole table (auto_explain showed it: UPDATE outbox … WHERE id = ANY($1) reading 500-900 pages for 10 rows).
    const analyzer = new pg.Client({ connectionString: database.url });
    await analyzer.connect();
    await analyzer.query('ANALYZE').finally(() => analyzer.end());
    for (const line of newLogProblems(processes)) console.log(`    ${line}`);

    const perfFile = perfDir ? join(perfDir, 'perf.data') : undefined;
    const cpu = await measureCpu(bench, PLAN.cpuSeconds, perfFile);
    // Read while every process still runs: perf reports threads, and /proc tells whose they are.
    const perf = perfFile ? perfSummary(perfFile, pids) : undefined;
    let api500: StepResult | undefined;
    let e2e100: StepResult | undefined;
    let e2eStages: Awaited<ReturnType<typeof stagesOf>> | undefined;
    const runs: Awaited<ReturnType<typeof sustainedRun>>[] = [];
    let ceiling: number | null = null;
    if (!profileOnly) {
      api500 = await step(bench, 'a500', 500, PLAN.apiSeconds);
      console.log(`  API @500/s: p50 ${api500.sent.api.p50.toFixed(2)} ms, p99 ${api500.sent.api.p99.toFixed(2)} ms, p99.9 ${api500.sent.api.p999.toFixed(2)} ms (${describe(api500)})`);
      e2e100 = await step(bench, 'e100', 100, PLAN.endToEndSeconds);
      console.log(`  end to end @100/s (202 → SMTP 250): p50 ${e2e100.all.endToEnd.p50.toFixed(1)} ms, p99 ${e2e100.all.endToEnd.p99.toFixed(1)} ms (${e2e100.all.emailed}/${e2e100.all.accepted} emailed)`);
      e2eStages = await stagesOf(bench, 'e100');
      console.log(`  where it goes (PostgreSQL's timestamps, p50/p99 ms): insert → published ${e2eStages.relay.p50}/${e2eStages.relay.p99}, published → claimed ${e2eStages.toClaim.p50}/${e2eStages.toClaim.p99}, claimed → sent ${e2eStages.claimToSent.p50}/${e2eStages.claimToSent.p99}`);
      if (e2e100.sent.accepted < 0.99 * e2e100.sent.sent) problems.push(`at 100/s only ${e2e100.sent.accepted} of ${e2e100.sent.sent} orders were answered 202`);
      for (let run = 1; run <= PLAN.runs; run++) {
        runs.push(await sustainedRun(bench, run, runs[0] ? laterRunStart(PLAN.grid, runs[0].highestSustained) : 0));
        await sleep(2000);
      }
      ceiling = pgbenchCeiling(database.url, PLAN.pgbenchSeconds);
    }
    sampler.stop();

    // Stopping: the api first, so the relay and the notifier finish what it accepted; then the sink.
    const exits: Record<string, number | null> = {};
    for (const [name, running] of processes) {
      if (running.child.exitCode !== null) problems.push(`--role=${name} exited during the bench (${running.child.exitCode}):\n${running.stderr.join('').slice(-2000)}`);
      exits[name] = await running.stop('SIGTERM');
      if (exits[name] !== 0) problems.push(`--role=${name} exited ${exits[name]} on SIGTERM:\n${running.stderr.join('').slice(-2000)}`);
    }
    loadStopped = await load.stop();
    if (loadStopped.duplicates !== 0) problems.push(`${loadStopped.duplicates} duplicate emails, e.g. ${loadStopped.duplicateSample.join(', ')}`);
    if (loadStopped.unknown !== 0) problems.push(`${loadStopped.unknown} emails for orders the generator never sent`);
    for (const name of [...ORDERMAIL, 'load', 'orchestrator', ...(sampler.readsPostgres ? [PG_GROUPS.bench] : [])])
      if (!((cpu.cpuMs[name] ?? 0) > 0)) problems.push(`no CPU time read for ${name}: the sampler is broken`);
    // Group commit lets one transaction carry up to 64 orders, so less than one per order is right; but every order
    // passes at least three batched statements (its insert, its claim, its sent record): fewer means unread counters.
    if (!(cpu.pgTransactionsPerOrder >= 3 / 64)) problems.push(`${cpu.pgTransactionsPerOrder} PostgreSQL transactions per order: pg_stat_database was not read right`);

    const date = new Date().toISOString().slice(0, 10);
    const name = `${flags.label ?? date}${smoke ? '-smoke' : profileOnly ? `-${mode}` : ''}`;
    const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(resultsDir, { recursive: true });
    let profiles: Record<string, ProfileSummary> | undefined;
    if (profiling) {
      const to = join(resultsDir, `${flags.label ?? date}${smoke ? '-smoke' : ''}-profiles`);
      mkdirSync(to, { recursive: true });
      profiles = Object.fromEntries([...profileDirs].map(([role, dir]) => [role, collectProfile(role, dir, to, ROOT)]));
      for (const dir of profileDirs.values()) rmSync(dir, { recursive: true, force: true });
      console.log(`  profiles: ${to}`);
    }

    const highs = runs.map((r) => r.highestSustained);
    const sustained = runs.length === 0 ? undefined : {
      rule: `a step of ${PLAN.stepSeconds} s is sustained when ≥ 99 % of requests are answered 202, the 202s come at ≥ 95 % of the offered rate, and every email arrives within ${EMAIL_GRACE_MS / 1000} s after the generator stops`,
      grid: PLAN.grid,
      highestSustained: median(highs),
      spread: { min: Math.min(...highs), max: Math.max(...highs), runs: highs },
      runs,
    };
    const { step: cpuStep, ...cpuFigures } = cpu;
    const results = {
      date,
      mode,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: { ...machine, postgres: pgVersion, kafkaCounted: kafka !== undefined, postgresCounted: sampler.readsPostgres },
      setup: 'one api (RELAY_ENABLED=false), one relay (--role=relay), one notifier, node dist/main.js, LOG_LEVEL=warn, DATABASE_POOL_SIZE=20, RATE_LIMIT_ORDERS_PER_SECOND=1000000; load (generator + SMTP sink) in bench/load.ts',
      ...(sustained ? { sustained } : {}),
      cpuMsPerOrder: {
        ...cpuFigures.cpuMsPerOrder,
        note: `CPU-ms per order at ${CPU_RATE}/s, from /proc/<pid>/stat; total = api + relay + notifier + pg + pgOther + kafka; load and orchestrator apart; pgOtherDatabases (other databases' backends, our monitoring connection) in no total`,
      },
      pgTransactionsPerOrder: cpuFigures.pgTransactionsPerOrder,
      pgStatementsPerOrder: cpuFigures.pgStatementsPerOrder,
      cpu: { ...cpuFigures, api: cpuStep.sent.api, endToEnd: cpuStep.all.endToEnd, lastEmailAfterStopMs: cpuStep.lastEmailAfterStopMs },
      ...(api500 ? { api: { at500: { ...api500.sent.api, accepted: api500.sent.accepted, sent: api500.sent.sent } } } : {}),
      ...(e2e100 ? { endToEnd: { at100: { ...e2e100.all.endToEnd, accepted: e2e100.all.accepted, emailed: e2e100.all.emailed, ...(e2eStages ? { stages: e2eStages } : {}) } } } : {}),
      pgbenchTps: ceiling,
      duplicates: loadStopped.duplicates,
      ...(profiles ? { profiles } : {}),
      ...(perf ? { perf: { note: `Linux perf, every CPU at 999 Hz during the ${CPU_RATE}/s step; percentOfBox counts idle in the whole; each group's byDso and top are of its own samples; the full report is ${name}-report.txt.gz`, groups: perf.groups } } : {}),
      ...(problems.length > 0 ? { problems } : {}),
    };
    writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    if (perf) writeFileSync(join(resultsDir, `${name}-report.txt.gz`), gzipSync(perf.report));
    if (api500 && e2e100)
      writeFileSync(join(resultsDir, `${name}-latency.svg`), chart([{ name: 'POST /orders @500/s (open loop, from the due time)', p: api500.sent.api }, { name: 'end to end @100/s (202 → SMTP 250)', p: e2e100.all.endToEnd }]));

    const cell = (group: string): string => (cpu.cpuMsPerOrder[group] === undefined ? 'n/a' : `${cpu.cpuMsPerOrder[group]?.toFixed(3)} (idle ${cpu.idleFloorMsPerSecond[group] ?? 0} ms/s)`);
    console.log(`\n| measure | result |\n|---|---|`);
    if (sustained) console.log(`| highest sustained rate (median of ${highs.length}; runs) | ${sustained.highestSustained} orders/s (${highs.join(', ')}) |`);
    if (api500) console.log(`| API p50 / p99 @500/s (open loop, from the due time) | ${api500.sent.api.p50.toFixed(2)} / ${api500.sent.api.p99.toFixed(2)} ms |`);
    if (e2e100) console.log(`| end to end p50 / p99 @100/s | ${e2e100.all.endToEnd.p50.toFixed(1)} / ${e2e100.all.endToEnd.p99.toFixed(1)} ms |`);
    for (const group of [...COUNTED, 'load', 'orchestrator', PG_GROUPS.otherDatabases]) console.log(`| CPU-ms per order @${CPU_RATE}/s: ${group} | ${cell(group)} |`);
    console.log(`| CPU-ms per order @${CPU_RATE}/s: ordermail + PG + Kafka | ${cpu.cpuMsPerOrder.total?.toFixed(3)} |`);
    console.log(`| PostgreSQL transactions / statements per order | ${cpu.pgTransactionsPerOrder} / ${cpu.pgStatementsPerOrder} |`);
    if (ceiling !== null) console.log(`| PostgreSQL ceiling (pgbench, order + outbox tx) | ${Math.round(ceiling)} tx/s |`);
    console.log(`| duplicate emails | ${loadStopped.duplicates} |`);
    if (perf)
      for (const group of perf.groups)
        console.log(`| perf, ${group.group} (${group.percentOfBox} % of the box) | ${group.top.slice(0, 4).map((t) => `${t.symbol.slice(0, 60)} ${t.percent} %`).join('; ')} |`);
    if (profiles) for (const [role, summary] of Object.entries(profiles)) console.log(`| top self time, ${role} | ${summary.top.slice(0, 3).map((t) => `${t.function} ${t.percentOfBusy} %`).join('; ')} |`);
    console.log(`\nwrote bench/results/${name}.json${api500 ? ` and bench/results/${name}-latency.svg` : ''}`);
  } finally {
    await Promise.all([...processes.values()].map((p) => p.stop('SIGTERM')));
    if (!loadStopped && load.child.exitCode === null) load.child.kill('SIGTERM');
    if (perfDir) {
      rmSync(perfDir, { recursive: true, force: true });
      for (const pid of [...[...processes.values()].map((p) => p.child.pid), load.pid]) if (pid !== undefined) rmSync(`/tmp/perf-${pid}.map`, { force: true });
    }
    await monitor.end().catch(() => undefined);
    await database.drop();
  }
  if (problems.length > 0) {
    console.error(`\nBENCH FAILED:\n- ${problems.join('\n- ')}`);
    process.exitCode = 1;
  }
}

await main().catch((error: unknown) => {
  console.error(`\nBENCH FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
process.exit();
