import { expect } from 'chai';
import fc from 'fast-check';
import type { Server } from 'node:http';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { PrometheusMetrics } from '../../src/adapters/metrics/prometheus-metrics.js';
import { databaseHealthCheck } from '../../src/adapters/postgres/database-health.js';
import type { SqlDatabase } from '../../src/adapters/postgres/sql-database.js';
import { RandomIdGenerator } from '../../src/adapters/system/random-id-generator.js';
import { CreateOrder } from '../../src/application/create-order.js';
import { DependencyUnavailableError } from '../../src/application/errors.js';
import { GetOrder } from '../../src/application/get-order.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { MailProviders } from '../../src/application/mail-providers.js';
import { NotificationSender } from '../../src/application/notification-sender.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import { SendNotification } from '../../src/application/send-notification.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import type { HealthCheck } from '../../src/application/ports/health-check.js';
import { MAIL_FAILURE_KINDS, MailDeliveryError, type Mailer, type EmailMessage, type MailFailureKind, type SentEmail } from '../../src/application/ports/mailer.js';
import type { OrderRepository } from '../../src/application/ports/order-repository.js';
import type { OrderCreatedEvent } from '../../src/domain/order-created.js';
import { smtpHealthCheck } from '../../src/application/smtp-health-check.js';
import { silentLogger } from '../support/logs.js';
import type { EmailTemplates } from '../../src/application/ports/email-templates.js';
import { builtInTemplates } from '../support/email-templates.js';

/** What a driver or a mail server says when it fails: addresses, a recipient, a stack. */
const LEAKY_TEXTS = [
  'connect ECONNREFUSED 127.0.0.1:2651',
  '550 5.1.1 <user@example.com>: Recipient address rejected: User unknown',
  'getaddrinfo ENOTFOUND smtp.internal.example:587',
  'Error: boom\n    at SMTPConnection._onError (/app/node_modules/nodemailer/lib/smtp-connection/index.js:791:20)\n    at file:///app/dist/main.js:12:3',
  'connection to server at "db.internal" (10.0.0.5), port 5432 failed: password authentication failed for user "ordermail"',
];

/** Any address that is not masked as `x•••@domain` (at most one character, then the mask). */
const EMAIL = /[^\s"'<>(),;:@\\]+@[A-Za-z0-9.\-[\]]+/gu;
const HOST_PORT = /(?:\b\d{1,3}(?:\.\d{1,3}){3}|\blocalhost|\[[0-9a-fA-F:]+\]|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+):\d{1,5}\b/;
const STACK_FRAME = /\bat (?:\S+ )?\(?(?:file:\/\/|\/|[A-Za-z]:\\|node:)[^\s()]*:\d+(?::\d+)?\)?/;

/** Why a public response body is not fit to be public, or undefined. */
export function leakIn(body: string): string | undefined {
  for (const [address] of body.matchAll(EMAIL)) {
    const local = address.slice(0, address.lastIndexOf('@'));
    if (!/^\P{M}?\p{M}*•••$/u.test(local)) return `an email address: ${address}`;
  }
  const frame = STACK_FRAME.exec(body);
  if (frame) return `a stack frame: ${frame[0]}`;
  const hostPort = HOST_PORT.exec(body);
  if (hostPort) return `a host:port: ${hostPort[0]}`;
  return undefined;
}

type Failure = { readonly kind: MailFailureKind; readonly text: string; readonly responseCode?: number } | { readonly bug: string };

/** Fails each send as the scenario says: a MailDeliveryError with a driver's text, or a bug (a plain Error). */
class ScriptedMailer implements Mailer {
  constructor(
    private readonly failures: Map<string, Failure>,
    private readonly verifyFailure?: string,
  ) {}

  async send(message: EmailMessage): Promise<SentEmail> {
    const failure = this.failures.get(message.headers['X-Order-Id'] ?? '');
    if (failure && 'bug' in failure) throw new Error(failure.bug);
    if (failure) throw new MailDeliveryError(failure.kind, failure.text, failure.responseCode, { outcomeUnknown: failure.kind === 'unavailable' });
    return { messageId: message.messageId };
  }

  async verify(): Promise<void> {
    if (this.verifyFailure !== undefined) throw new MailDeliveryError('unavailable', this.verifyFailure);
  }
}

/** The in-memory repository, failing the way the scenario says once `failing` is set. */
class FailingRepository implements OrderRepository {
  failing: 'no' | 'unavailable' | 'bug' = 'no';
  constructor(
    private readonly inner: OrderRepository,
    private readonly text: string,
  ) {}

  add(...args: Parameters<OrderRepository['add']>): Promise<void> {
    this.fail();
    return this.inner.add(...args);
  }

  findByOrderId(orderId: string): ReturnType<OrderRepository['findByOrderId']> {
    this.fail();
    return this.inner.findByOrderId(orderId);
  }

  saveStatusChange(...args: Parameters<OrderRepository['saveStatusChange']>): Promise<void> {
    this.fail();
    return this.inner.saveStatusChange(...args);
  }

  statusHistory(orderId: string): ReturnType<OrderRepository['statusHistory']> {
    this.fail();
    return this.inner.statusHistory(orderId);
  }

  private fail(): void {
    const cause = Object.assign(new Error(this.text), { code: 'ECONNREFUSED' });
    if (this.failing === 'unavailable') throw new DependencyUnavailableError('postgres', { cause });
    if (this.failing === 'bug') throw cause;
  }
}

const failingDatabase = (text: string): SqlDatabase => ({
  query: () => Promise.reject(Object.assign(new Error(text), { code: 'ECONNREFUSED' })),
  connect: () => Promise.reject(new Error(text)),
  listen: () => Promise.reject(new Error(text)),
  stats: () => ({}),
  end: async () => undefined,
});

/** The caller's own orderId is echoed by design (Location, data.orderId, a 404's message): kept free of '@' and ':' so that any address in a body is a leak. */
const anOrderId = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[@:]/.test(s) && s.trim().length > 0);
const leakyText = fc.constantFrom(...LEAKY_TEXTS);
const aFailure: fc.Arbitrary<Failure | undefined> = fc.option(
  fc.oneof(
    fc.record({ kind: fc.constantFrom(...MAIL_FAILURE_KINDS), text: leakyText, responseCode: fc.option(fc.constantFrom(421, 450, 451, 535, 550, 552, 554), { nil: undefined }) }),
    fc.record({ bug: leakyText }),
  ),
  { nil: undefined },
);
const anOrder = fc.record({
  orderId: anOrderId,
  email: fc.option(fc.oneof(fc.emailAddress(), fc.constantFrom('user@example.com', 'a@b.co', 'ünïcødé@exämple.com')), { nil: undefined }),
  failure: aFailure,
});
const aScenario = fc.record({
  orders: fc.uniqueArray(anOrder, { minLength: 1, maxLength: 4, selector: (o) => o.orderId.trim() }),
  maxRetries: fc.integer({ min: 0, max: 2 }),
  defaultTo: fc.boolean(),
  smtpVerify: fc.option(leakyText, { nil: undefined }),
  databaseText: leakyText,
  repositoryFailure: fc.constantFrom('no', 'unavailable', 'bug') as fc.Arbitrary<'no' | 'unavailable' | 'bug'>,
  junkPath: fc.string({ maxLength: 20 }),
});

describe('Public responses (property)', () => {
  let templates: EmailTemplates;
  before(async () => {
    templates = await builtInTemplates();
  });
  const metrics = new PrometheusMetrics();

  it('never carry an email address other than a masked one, a host:port or a stack trace, whatever the input and the failures', async () => {
    await fc.assert(
      fc.asyncProperty(aScenario, async (scenario) => {
        const store = new InMemoryStore();
        const repository = new FailingRepository(new InMemoryOrderRepository(store), scenario.databaseText);
        const ledger = new InMemoryNotificationLedger();
        const failures = new Map(scenario.orders.flatMap((o) => (o.failure ? [[o.orderId.trim(), o.failure] as const] : [])));
        const mailer = new ScriptedMailer(failures, scenario.smtpVerify);
        const logger = silentLogger();
        const circuit = new MailCircuit(mailer, new SystemClock(), logger, { min: 5, max: 20 });
        const options = { maxRetries: scenario.maxRetries, retryBaseMs: 1, leaseMs: 60_000, owner: 'property', ...(scenario.defaultTo ? { defaultTo: 'orders@shop.example' } : {}) };
        const sender = new NotificationSender(ledger, MailProviders.single(mailer, circuit), templates, new InMemoryDeadLetters(), { now: () => new Date() }, logger, new NotificationsInFlight(), options);
        const sendNotification = new SendNotification(ledger, sender, logger, options);
        const healthChecks: HealthCheck[] = [
          databaseHealthCheck(failingDatabase(scenario.databaseText), 'server'),
          smtpHealthCheck(circuit, mailer, new SystemClock(), logger),
          { name: 'leaky', critical: false, check: () => Promise.reject(new Error(scenario.databaseText)) },
        ];
        const app = createHttpApp({
          createOrder: new CreateOrder(repository, new RandomIdGenerator(), { now: () => new Date() }),
          getOrder: new GetOrder(repository, ledger),
          healthChecks,
          logger,
          metrics,
        });
        const server: Server = app.listen(0);
        await new Promise((resolve) => server.once('listening', resolve));
        const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const seen: { request: string; status: number; body: string }[] = [];
        const call = async (path: string, init?: RequestInit): Promise<void> => {
          const response = await fetch(`${base}${path}`, init);
          seen.push({ request: `${init?.method ?? 'GET'} ${path}`, status: response.status, body: await response.text() });
        };
        const post = (body: unknown): Promise<void> => call('/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        try {
          for (const order of scenario.orders) await post({ orderId: order.orderId, itemId: ['sku-1'], ...(order.email === undefined ? {} : { email: order.email }) });
          for (const { event } of store.outbox) await sendNotification.execute(orderConfirmation(event as OrderCreatedEvent), {});
          const paths = scenario.orders.map((o) => `/orders/${encodeURIComponent(o.orderId)}`);
          for (const path of paths) await call(path);
          await post({ orderId: scenario.orders[0]?.orderId, itemId: ['sku-1'], email: 'someone@example.com' });
          await post({ orderId: 'x', itemId: [], email: 'bad-address@' });
          await post({ orderId: '', itemId: ['x'], email: 'user@example.com', extra: 'user@example.com' });
          await call('/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"user@example.com"' });
          await call('/orders', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'user@example.com' });
          await call(`/${encodeURIComponent(scenario.junkPath)}`);
          await call('/orders', { method: 'DELETE' });
          for (const path of ['/health', '/ready', '/metrics', '/openapi.json']) await call(path);
          repository.failing = scenario.repositoryFailure;
          for (const path of paths) await call(path);
          await post({ orderId: 'later', itemId: ['x'], email: 'user@example.com' });
        } finally {
          await circuit.stop();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
        const leaks = seen.flatMap(({ request, status, body }) => {
          const leak = leakIn(body);
          return leak === undefined ? [] : [`${request} → ${status}: ${leak} in ${body}`];
        });
        expect(leaks, leaks.join("\n")).to.have.length(0);
      }),
      { numRuns: 60 },
    );
  });

  it('recognises what it looks for, and lets masked addresses and timestamps pass', () => {
    expect(leakIn('{"email":"a•••@example.com","createdAt":"2026-11-24T12:00:00.000Z"}')).to.equal(undefined);
    expect(leakIn('{"email":"ada@example.com"}')).to.match(/email/);
    expect(leakIn('{"error":"connect ECONNREFUSED 127.0.0.1:2651"}')).to.match(/host:port/);
    expect(leakIn('{"error":"smtp.internal.example:587"}')).to.match(/host:port/);
    expect(leakIn('"    at SMTPConnection._onError (/app/x.js:791:20)"')).to.match(/stack/);
  });
});
