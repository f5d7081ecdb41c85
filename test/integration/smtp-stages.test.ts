import { expect } from 'chai';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { randomUUID } from 'node:crypto';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { SmtpMailer } from '../../src/adapters/smtp/smtp-mailer.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { MailProviders } from '../../src/application/mail-providers.js';
import { NotificationSender, type NotifyOutcome } from '../../src/application/notification-sender.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import { SendDueNotifications } from '../../src/application/send-due-notifications.js';
import { SendNotification } from '../../src/application/send-notification.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import type { Metrics } from '../../src/application/ports/metrics.js';
import type { OrderCreated } from '../../src/domain/order-created.js';
import { confirmationKey, confirmationOf } from '../support/builders.js';
import { capturingLogger } from '../support/logs.js';
import { builtInTemplates } from '../support/email-templates.js';
import { SmtpTestServer, type Stage } from '../support/smtp-test-server.js';

/** Every call the use case and the circuit make to the metrics port, as `method` or `method:label`. */
class CountingMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  orderCreated = (): void => this.add('orderCreated');
  eventsRelayed = (): void => this.add('eventsRelayed');
  eventParked = (): void => this.add('eventParked');
  notification = (result: string): void => this.add(`notification:${result}`);
  emailDelivered = (): void => this.add('emailDelivered');
  emailSent = (provider: string): void => this.add(`emailSent:${provider}`);
  smtpError = (kind: string): void => this.add(`smtpError:${kind}`);
  mailCircuitOpened = (kind: string): void => this.add(`mailCircuitOpened:${kind}`);
  mailOutcomeUnknown = (): void => this.add('mailOutcomeUnknown');
  deadLettered = (kind: string): void => this.add(`deadLettered:${kind}`);
  recipientRateLimited = (): void => this.add('recipientRateLimited');
  eventIgnored = (kind: string): void => this.add(`eventIgnored:${kind}`);
  webhook = (result: string): void => this.add(`webhook:${result}`);
  webhookDelivered = (): void => this.add('webhookDelivered');
  webhookError = (kind: string): void => this.add(`webhookError:${kind}`);
  webhookCircuitOpened = (): void => this.add('webhookCircuitOpened');
  private add(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

const anEvent = (): OrderCreated => ({ id: randomUUID(), orderId: `o-${randomUUID().slice(0, 8)}`, itemId: ['sku-1'], email: 'ada@example.com', createdAt: new Date().toISOString() });

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How the server fails: a scripted reply at a stage, or the connection cut after the final dot (no reply). */
type Failure = { at: Stage; code: number; message?: string } | { at: 'after-data' };

interface Row {
  readonly failure: Failure;
  readonly outcome: NotifyOutcome;
  /** The metric calls of the first try, exactly. */
  readonly metrics: Record<string, number>;
  readonly circuit?: 'unavailable' | 'refused';
}

const deferredBy = (kind: 'unavailable' | 'refused'): Record<string, number> => ({ [`smtpError:${kind}`]: 1, [`mailCircuitOpened:${kind}`]: 1, 'notification:deferred': 1 });
const retried = (kind: string): Record<string, number> => ({ [`smtpError:${kind}`]: 1, 'notification:retried': 1 });
const deadLettered: Record<string, number> = { 'smtpError:permanent': 1, 'deadLettered:permanent': 1, 'notification:dead_lettered': 1 };

const TABLE: Row[] = [
  { failure: { at: 'connect', code: 421 }, outcome: 'deferred', circuit: 'unavailable', metrics: deferredBy('unavailable') },
  { failure: { at: 'connect', code: 554, message: '5.7.1 no service for you' }, outcome: 'deferred', circuit: 'refused', metrics: deferredBy('refused') },
  { failure: { at: 'greeting', code: 421 }, outcome: 'deferred', circuit: 'unavailable', metrics: deferredBy('unavailable') },
  { failure: { at: 'greeting', code: 554 }, outcome: 'deferred', circuit: 'refused', metrics: deferredBy('refused') },
  { failure: { at: 'mail', code: 451, message: '4.7.1 sender rate limited' }, outcome: 'deferred', circuit: 'refused', metrics: deferredBy('refused') },
  { failure: { at: 'mail', code: 550, message: '5.4.5 Daily user sending quota exceeded' }, outcome: 'deferred', circuit: 'refused', metrics: deferredBy('refused') },
  { failure: { at: 'rcpt', code: 450, message: '4.2.1 mailbox busy' }, outcome: 'retry-scheduled', metrics: retried('transient') },
  { failure: { at: 'rcpt', code: 550, message: '5.1.1 unknown mailbox' }, outcome: 'dead-lettered', metrics: deadLettered },
  { failure: { at: 'rcpt', code: 452, message: '4.4.5 sending quota exceeded, try tomorrow' }, outcome: 'deferred', circuit: 'refused', metrics: deferredBy('refused') },
  { failure: { at: 'data', code: 451, message: '4.3.0 try later' }, outcome: 'retry-scheduled', metrics: retried('transient') },
  { failure: { at: 'data', code: 554, message: '5.6.0 content refused' }, outcome: 'dead-lettered', metrics: deadLettered },
  { failure: { at: 'after-data' }, outcome: 'retry-scheduled', metrics: { ...retried('unavailable'), mailOutcomeUnknown: 1 } },
];

const describeFailure = (failure: Failure): string => (failure.at === 'after-data' ? 'the connection lost after the final dot' : `${failure.code} at ${failure.at}`);

const orderCreatedMessageId = (internalId: string, domain: string): string => notificationMessageId({ kind: 'order-created', internalId }, domain);

describe('SendNotification and SendDueNotifications with SmtpMailer: an SMTP failure at each stage', () => {
  let server: SmtpTestServer;
  let mailer: SmtpMailer;
  let ledger: InMemoryNotificationLedger;
  let deadLetters: InMemoryDeadLetters;
  let circuit: MailCircuit;
  let metrics: CountingMetrics;
  let logs: ReturnType<typeof capturingLogger>;
  let notify: { execute(event: OrderCreated, delivery: object): Promise<NotifyOutcome>; retryDue(limit: number): Promise<number> };

  beforeEach(async () => {
    server = await SmtpTestServer.start();
    mailer = new SmtpMailer({ url: server.url, from: 'Shop <orders@shop.test>' });
    ledger = new InMemoryNotificationLedger();
    deadLetters = new InMemoryDeadLetters();
    metrics = new CountingMetrics();
    logs = capturingLogger('notifier');
    circuit = new MailCircuit(mailer, new SystemClock(), logs.logger, { min: 20, max: 100 }, metrics);
    const options = { maxRetries: 5, retryBaseMs: 20, leaseMs: 60_000, owner: 'notifier-a', messageIdDomain: 'shop.test' };
    const inFlight = new NotificationsInFlight();
    const providers = MailProviders.single(mailer, circuit);
    const sender = new NotificationSender(ledger, providers, await builtInTemplates(), deadLetters, { now: () => new Date() }, logs.logger, inFlight, options, metrics);
    const sendNotification = new SendNotification(ledger, sender, logs.logger, options);
    const sendDue = new SendDueNotifications(ledger, sender, providers, inFlight, options);
    notify = { execute: (event, delivery) => sendNotification.execute(confirmationOf(event), delivery), retryDue: (limit) => sendDue.execute(limit) };
  });
  afterEach(async () => {
    await circuit.stop();
    mailer.close();
    await server.stop();
  });

  for (const row of TABLE)
    it(`${describeFailure(row.failure)}: ${row.circuit ? `opens the circuit (${row.circuit}), ` : ''}${row.outcome}${row.outcome === 'dead-lettered' ? ' at once' : ', then delivers once it clears'}`, async () => {
      const { failure } = row;
      if (failure.at === 'after-data') server.dropAfterData(1);
      else server.script({ at: failure.at, code: failure.code, ...(failure.message ? { message: failure.message } : {}) });
      const event = anEvent();

      expect(await notify.execute(event, {})).to.equal(row.outcome);
      expect(Object.fromEntries(metrics.counts), 'metrics of the first try').to.deep.equal(row.metrics);
      const state = await ledger.stateOf(confirmationKey(event.orderId));
      expect(state?.attempts, 'attempts counted').to.equal(row.outcome === 'retry-scheduled' || row.outcome === 'dead-lettered' ? 1 : 0);
      expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(row.outcome === 'dead-lettered' ? ['permanent'] : []);
      expect(circuit.state.open ? circuit.state.kind : 'closed').to.equal(row.circuit ?? 'closed');
      const alerts = logs.lines.filter((l) => l.alert === true).map((l) => l.msg);
      if (row.circuit === 'refused') expect(alerts).to.deep.equal(['SMTP server refuses mail from us: sending paused, one email at a time tries again']);
      if (row.outcome === 'dead-lettered') {
        expect(alerts).to.deep.equal(['notification dead-lettered']);
        return;
      }

      server.reset();
      await until(async () => {
        await notify.retryDue(10);
        return (await ledger.stateOf(confirmationKey(event.orderId)))?.status === 'sent';
      }, 'the order to be sent once the failure cleared');
      expect(circuit.state.open).to.equal(false);
      // The one duplicate allowed: a connection lost after the final dot, the first copy kept by the server.
      expect(server.countByMessageId().get(orderCreatedMessageId(event.id, 'shop.test'))).to.equal(failure.at === 'after-data' ? 2 : 1);
    });

  it('the connection lost after the final dot on every send: two copies at most, then dead-lettered as outcome-unknown with an alert', async () => {
    server.dropAfterData(10);
    const event = anEvent();
    const messageId = orderCreatedMessageId(event.id, 'shop.test');

    expect(await notify.execute(event, {})).to.equal('retry-scheduled');
    await until(async () => {
      await notify.retryDue(10);
      return (await ledger.stateOf(confirmationKey(event.orderId)))?.status === 'dead';
    }, 'the order to be dead-lettered after its second unknown outcome');

    expect(server.countByMessageId().get(messageId), 'copies the server kept').to.equal(2);
    expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(['outcome-unknown']);
    expect(deadLetters.letters[0]?.reason).to.match(/may have accepted the email 2 times already.*dlq-replay/);
    expect(metrics.counts.get('mailOutcomeUnknown')).to.equal(2);
    expect(metrics.counts.get('deadLettered:outcome-unknown')).to.equal(1);
    expect(logs.lines.filter((l) => l.alert === true).map((l) => [l.level, l.msg, l.kind])).to.deep.equal([['error', 'notification dead-lettered', 'outcome-unknown']]);

    // Nothing sends it a third time, however long the sweeper runs.
    for (let sweep = 0; sweep < 10; sweep++) {
      await notify.retryDue(10);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(server.countByMessageId().get(messageId)).to.equal(2);
  });

  it('while a sending quota lasts, tries one email at a time, counts no attempt, alerts once, and sends each order once when it lifts', async () => {
    server.script({ at: 'mail', code: 550, message: '5.4.5 Daily user sending quota exceeded' });
    const events = Array.from({ length: 20 }, anEvent);
    const outcomes = await Promise.all(events.map((event) => notify.execute(event, {})));
    expect(new Set(outcomes)).to.deep.equal(new Set(['deferred']));
    expect(circuit.state).to.include({ open: true, kind: 'refused' });

    // Trials while the quota lasts: each one a single email, refused at MAIL FROM.
    await until(async () => {
      await notify.retryDue(10);
      return server.replies.filter((r) => r.at === 'mail').length >= 4;
    }, 'a few refused trials');
    expect(circuit.state.open).to.equal(true);
    expect(deadLetters.letters).to.have.length(0);
    expect(logs.lines.filter((l) => l.alert === true)).to.have.length(1);
    expect(metrics.counts.get('mailCircuitOpened:refused')).to.equal(1);
    for (const event of events) expect((await ledger.stateOf(confirmationKey(event.orderId)))?.attempts).to.equal(0);

    server.reset();
    await until(async () => {
      await notify.retryDue(50);
      return server.messages.length === 20;
    }, 'all 20 orders to be sent once the quota lifted');
    expect([...server.countByMessageId().values()]).to.deep.equal(Array(20).fill(1));
    expect(circuit.state.open).to.equal(false);
    expect(logs.lines.some((l) => l.msg === 'SMTP server takes mail again: sending resumed')).to.equal(true);
  });
});
