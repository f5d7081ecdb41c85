// `npx tsx bench/micro/stack-cpu.ts [--root=<a built checkout>] [--orders=N] [--rate=N] [--profile=<dir>]`:
// CPU of one api and one notifier (dist/main.js of --root, this checkout unless told; build it first), idle and per order.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureKafka } from '../../test/support/kafka.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { SmtpTestServer } from '../../test/support/smtp-test-server.js';

const option = (name: string, fallback: string): string => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const root = resolve(option('root', fileURLToPath(new URL('../../', import.meta.url))));
const orders = Number(option('orders', '2000'));
const rate = Number(option('rate', '200'));
const profileDir = option('profile', '');
const IDLE_SECONDS = 10;
if (!existsSync(`${root}/dist/main.js`)) throw new Error(`${root}/dist/main.js missing: npm run build there first`);

/** utime + stime of a process, in ms (Linux /proc, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function ready(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await fetch(url).then((r) => r.status, () => 0)) === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} did not become ready within 60 s`);
}

function start(role: string, env: Record<string, string>): ChildProcess {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`, `--cpu-prof-name=${role}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...profile, 'dist/main.js', `--role=${role}`], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ORDERMAIL_ENV_FILE: '/nonexistent', KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

const [database, brokers, smtp] = await Promise.all([createTestDatabase('ordermail_stackcpu'), ensureKafka(), SmtpTestServer.start()]);
const topic = `stackcpu-${Date.now()}`;
// Logs at info, as production runs: the access line of every request is part of the cost.
const env = { DATABASE_URL: database.url, KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `g-${topic}`, SMTP_URL: smtp.url, LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '20' };
const [apiPort, apiOps, notifierOps] = await Promise.all([freePort(), freePort(), freePort()]);
const api = start('api', { ...env, PORT: String(apiPort), OPS_PORT: String(apiOps) });
const notifier = start('notifier', { ...env, OPS_PORT: String(notifierOps) });
try {
  const base = `http://127.0.0.1:${apiPort}`;
  await ready(`${base}/ready`);
  await ready(`http://127.0.0.1:${notifierOps}/ready`);
  await sleep(3_000);

  const idle = { api: cpuMs(api.pid ?? 0), notifier: cpuMs(notifier.pid ?? 0) };
  await sleep(IDLE_SECONDS * 1000);
  console.log(`root ${root}`);
  console.log(`idle: api ${((cpuMs(api.pid ?? 0) - idle.api) / IDLE_SECONDS).toFixed(1)} ms/s, notifier ${((cpuMs(notifier.pid ?? 0) - idle.notifier) / IDLE_SECONDS).toFixed(1)} ms/s (over ${IDLE_SECONDS} s)`);

  const before = { api: cpuMs(api.pid ?? 0), notifier: cpuMs(notifier.pid ?? 0) };
  const started = performance.now();
  const sends: Promise<number>[] = [];
  for (let i = 0; i < orders; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    const orderId = `${topic}-${i}`;
    sends.push(fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId, itemId: ['sku-1', 'sku-2'], email: `${orderId}@bench.example` }) }).then((r) => r.status));
  }
  const statuses = await Promise.all(sends);
  const accepted = statuses.filter((status) => status === 202).length;
  const refusedBy = new Map<number, number>();
  for (const status of statuses) if (status !== 202) refusedBy.set(status, (refusedBy.get(status) ?? 0) + 1);
  const refused = [...refusedBy].map(([status, count]) => `${count} × ${status}`);
  await smtp.waitFor(accepted, 120_000);
  const seconds = (performance.now() - started) / 1000;
  const used = { api: cpuMs(api.pid ?? 0) - before.api, notifier: cpuMs(notifier.pid ?? 0) - before.notifier };
  console.log(`${orders} orders at ${rate}/s (${accepted} accepted, all emailed${refused.length ? `; ${refused.join(', ')}` : ''}) in ${seconds.toFixed(1)} s`);
  console.log(`per order: api ${((used.api / accepted) * 1000).toFixed(0)} µs CPU, notifier ${((used.notifier / accepted) * 1000).toFixed(0)} µs CPU (idle floor included)`);
} finally {
  for (const child of [api, notifier]) child.kill('SIGTERM');
  await Promise.all([api, notifier].map((child) => new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)))));
  await smtp.stop();
  await database.drop();
}
