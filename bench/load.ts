// The bench's load, in a process of its own so that its CPU is counted apart from ordermail's: an open-loop
// generator of POST /orders (node:http, keep-alive) and an SMTP sink that reads the headers only.
// Started and driven by bench/run.ts over the IPC channel (bench/load-protocol.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import type { EmailsResult, LoadCommand, LoadReply, Percentiles, SendResult } from './load-protocol.js';

/** Epoch milliseconds with sub-millisecond resolution: the 202s and the emails are timed by this one clock. */
const now = (): number => performance.timeOrigin + performance.now();

const HEADERS_END = Buffer.from('\r\n\r\n');

/** One `send`: its orders are `<prefix>-<index>`, so the sink finds an order's slot without a map. */
interface Step {
  readonly total: number;
  /** Epoch ms of each order's 202; NaN when it had none. */
  readonly acceptedAt: Float64Array;
  readonly emailedAt: Float64Array;
  accepted: number;
  emailed: number;
  lastEmailAt: number;
  onEmail?: () => void;
}

const steps = new Map<string, Step>();
let duplicates = 0;
let unknown = 0;
const duplicateSample: string[] = [];

function reply(message: LoadReply): void {
  process.send?.(message);
}

function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).filter((v) => !Number.isNaN(v)).sort();
  const at = (p: number): number => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number));
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return { p50: round(at(50)), p99: round(at(99)), p999: round(at(99.9)), max: round(sorted.at(-1) ?? 0), count: sorted.length };
}

// ---- the SMTP sink ----

function recordEmail(headers: string): void {
  const orderId = /^x-order-id:[ \t]*(\S+)/im.exec(headers)?.[1] ?? '';
  const dash = orderId.lastIndexOf('-');
  const step = steps.get(orderId.slice(0, dash));
  const index = Number(orderId.slice(dash + 1));
  if (!step || !Number.isInteger(index) || index < 0 || index >= step.total) {
    unknown += 1;
    return;
  }
  if (!Number.isNaN(step.emailedAt[index] as number)) {
    duplicates += 1;
    if (duplicateSample.length < 10) duplicateSample.push(/^message-id:[ \t]*(\S+)/im.exec(headers)?.[1] ?? orderId);
    return;
  }
  const at = now();
  step.emailedAt[index] = at;
  step.emailed += 1;
  step.lastEmailAt = at;
  step.onEmail?.();
}

/** Collects the bytes up to the blank line that ends the headers; the body is drained unread. */
function receive(stream: SMTPServerDataStream, callback: (error?: Error | null) => void): void {
  const chunks: Buffer[] = [];
  let headers: string | undefined;
  stream.on('data', (chunk: Buffer) => {
    if (headers !== undefined) return;
    chunks.push(chunk);
    const buffered = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const end = buffered.indexOf(HEADERS_END);
    if (end >= 0) headers = buffered.toString('latin1', 0, end);
    else if (chunks.length > 1) chunks.splice(0, chunks.length, buffered);
  });
  stream.on('end', () => {
    // Timed when the sink says 250: the moment a real provider would have taken the email.
    recordEmail(headers ?? Buffer.concat(chunks).toString('latin1'));
    callback();
  });
}

const sink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 10 * 1024 * 1024,
  // The notifier's pooled connections stay open: at the end they are cut after this rather than awaited.
  closeTimeout: 1000,
  onData: (stream, _session, callback) => receive(stream, callback),
});
sink.on('error', () => undefined);

// ---- the generator ----

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

async function send(command: Extract<LoadCommand, { type: 'send' }>): Promise<SendResult> {
  const { hostname, port } = new URL(command.base);
  const total = Math.round((command.rate * command.durationMs) / 1000);
  const step: Step = { total, acceptedAt: new Float64Array(total).fill(NaN), emailedAt: new Float64Array(total).fill(NaN), accepted: 0, emailed: 0, lastEmailAt: 0 };
  steps.set(command.prefix, step);
  const latency = new Float64Array(total).fill(NaN);
  const otherStatuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let answered = 0;
  let lastAnsweredAt = 0;
  let allAnswered!: () => void;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const settle = (): void => {
    answered += 1;
    lastAnsweredAt = now();
    if (answered === total) allAnswered();
  };

  const fire = (index: number, due: number): void => {
    const orderId = `${command.prefix}-${index}`;
    const body = `{"orderId":"${orderId}","itemId":["sku-1"],"email":"${orderId}@bench.example"}`;
    const request = http.request(
      { host: hostname, port, path: '/orders', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (response) => {
        response.resume();
        response.on('end', () => {
          const at = now();
          latency[index] = at - due;
          if (response.statusCode === 202) {
            step.acceptedAt[index] = at;
            step.accepted += 1;
          } else otherStatuses[String(response.statusCode)] = (otherStatuses[String(response.statusCode)] ?? 0) + 1;
          settle();
        });
      },
    );
    request.on('error', (error) => {
      errors += 1;
      firstError ??= error.message;
      settle();
    });
    request.end(body);
  };

  // Open loop: each request leaves at its due time (or as soon after as the timer allows), whatever the answers.
  const interval = 1000 / command.rate;
  const startedAt = now() + 5;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const at = now();
      while (next < total && startedAt + next * interval <= at) {
        fire(next, startedAt + next * interval);
        next += 1;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, startedAt + next * interval - now()));
    };
    tick();
  });
  const lastSentAt = now();
  if (total === 0) allAnswered();
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  const seconds = Math.max(command.durationMs, (lastAnsweredAt || lastSentAt) - startedAt) / 1000;
  return {
    sent: total,
    accepted: step.accepted,
    otherStatuses,
    errors,
    unanswered: total - answered,
    ...(firstError === undefined ? {} : { firstError }),
    startedAt,
    lastSentAt,
    lastAnsweredAt,
    achievedRate: Math.round((step.accepted / seconds) * 10) / 10,
    api: percentiles(latency),
  };
}

async function emails(command: Extract<LoadCommand, { type: 'emails' }>): Promise<EmailsResult> {
  const found = steps.get(command.prefix);
  if (!found) throw new Error(`no step ${command.prefix}`);
  const step: Step = found;
  if (step.emailed < step.accepted) {
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        step.onEmail = undefined;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, command.deadline - Date.now()));
      step.onEmail = () => {
        if (step.emailed >= step.accepted) finish();
      };
    });
  }
  const endToEnd = new Float64Array(step.total);
  for (let i = 0; i < step.total; i++) endToEnd[i] = (step.emailedAt[i] as number) - (step.acceptedAt[i] as number);
  return { accepted: step.accepted, emailed: step.emailed, lastEmailAt: step.lastEmailAt, endToEnd: percentiles(endToEnd) };
}

process.on('message', (message: LoadCommand) => {
  if (message.type === 'send') void send(message).then((result) => reply({ type: 'sent', id: message.id, result }));
  else if (message.type === 'emails') void emails(message).then((result) => reply({ type: 'emails', id: message.id, result }));
  else if (message.type === 'stop') {
    agent.destroy();
    sink.close(() => {
      reply({ type: 'stopped', id: message.id, duplicates, unknown, duplicateSample });
      process.disconnect();
    });
  }
});
process.on('disconnect', () => process.exit(0));

sink.listen(0, '127.0.0.1', () => reply({ type: 'ready', smtpPort: (sink.server.address() as AddressInfo).port }));
