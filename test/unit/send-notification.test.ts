import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { InMemoryMailer } from '../../src/adapters/memory/in-memory-mailer.js';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { InMemoryRecipientQuota } from '../../src/adapters/memory/in-memory-recipient-quota.js';
import { DataRejectedError, DependencyUnavailableError } from '../../src/application/errors.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { MailProviders } from '../../src/application/mail-providers.js';
import { DispatchEvent, type DecodedEvent } from '../../src/application/dispatch-event.js';
import type { UnreadableMessage } from '../../src/application/ports/dead-letters.js';
import { NotificationSender, type NotifyOptions } from '../../src/application/notification-sender.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import { RenewNotificationLeases } from '../../src/application/renew-notification-leases.js';
import { SendDueNotifications } from '../../src/application/send-due-notifications.js';
import { SendNotification } from '../../src/application/send-notification.js';
import { EmailRenderError, type EmailTemplates } from '../../src/application/ports/email-templates.js';
import type { Addressing } from '../../src/application/templates/template.js';
import { NO_METRICS, type Metrics } from '../../src/application/ports/metrics.js';
import type { RecipientQuota } from '../../src/application/ports/recipient-quota.js';
import { MailDeliveryError } from '../../src/application/ports/mailer.js';
import { RejectPoison } from '../../src/application/reject-poison.js';
import { orderConfirmation, SendOrderConfirmationOnOrderCreated } from '../../src/application/send-order-confirmation-on-order-created.js';
import type { Delivery } from '../../src/application/reaction.js';
import type { Notification, NotificationFailureKind, NotificationKey, NotificationKind } from '../../src/domain/notification.js';
import { ORDER_CREATED, type OrderCreated } from '../../src/domain/order-created.js';
import { builtInTemplates } from '../support/email-templates.js';
import { capturingLogger } from '../support/logs.js';

class FakeClock {
  private at = Date.parse('2026-11-24T12:00:00Z');
  now = (): Date => new Date(this.at);
  millis = (): number => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

function anEvent(overrides: Partial<OrderCreated> = {}): OrderCreated {
  return { id: randomUUID(), orderId: `o-${randomUUID().slice(0, 8)}`, itemId: ['sku-1'], email: 'ada@example.com', createdAt: '2026-11-24T11:59:59.000Z', ...overrides };
}

/** The confirmation email of an order: the notification SendOrderConfirmationOnOrderCreated builds. */
const confirmationOf = (event: OrderCreated): Notification => orderConfirmation({ ...ORDER_CREATED, aggregateId: event.orderId, payload: event });
const keyOf = (event: OrderCreated): NotificationKey => ({ orderId: event.orderId, kind: 'order-created', channel: 'email' });

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The notifier's use cases in one process, sharing one in-flight registry, as notifier-module wires them. */
interface Notifier {
  readonly sendNotification: SendNotification;
  /** Sends the confirmation of `event`, as its reaction would. */
  execute(event: OrderCreated, delivery: Delivery): ReturnType<SendNotification['execute']>;
  retryDue(limit: number): Promise<number>;
  renewLeases(): Promise<void>;
}

describe('SendNotification, SendDueNotifications and RenewNotificationLeases', () => {
  let clock: FakeClock;
  let ledger: InMemoryNotificationLedger;
  let mailer: InMemoryMailer;
  let deadLetters: InMemoryDeadLetters;
  let circuit: MailCircuit;
  let logs: ReturnType<typeof capturingLogger>;
  /** What the metrics port was told: `method` or `method:label`, in order. */
  let counted: string[];
  let metrics: Metrics;

  /** ordermail's own templates. */
  let builtIn: EmailTemplates;
  before(async () => {
    builtIn = await builtInTemplates();
  });

  function notifier(options: Partial<NotifyOptions> = {}, recipientQuota?: RecipientQuota, templates: EmailTemplates = builtIn): Notifier {
    const settings = { maxRetries: 5, retryBaseMs: 1000, leaseMs: 60_000, owner: 'notifier-a', ...options };
    const inFlight = new NotificationsInFlight();
    const providers = MailProviders.single(mailer, circuit);
    const sender = new NotificationSender(ledger, providers, templates, deadLetters, clock, logs.logger, inFlight, settings, metrics, recipientQuota);
    const sendNotification = new SendNotification(ledger, sender, logs.logger, settings);
    const sendDue = new SendDueNotifications(ledger, sender, providers, inFlight, settings);
    const renew = new RenewNotificationLeases(ledger, inFlight, settings);
    return {
      sendNotification,
      execute: (event, delivery) => sendNotification.execute(confirmationOf(event), delivery),
      retryDue: (limit) => sendDue.execute(limit),
      renewLeases: () => renew.execute(),
    };
  }

  /** The notifier's dispatch table, as the consumer and the in-process channel drive it. */
  function dispatcher(notify = notifier()): DispatchEvent {
    return new DispatchEvent([new SendOrderConfirmationOnOrderCreated(notify.sendNotification)], new RejectPoison(deadLetters, clock, logs.logger, metrics), logs.logger);
  }

  const decoded = (event: OrderCreated, extra: { correlationId?: string; ignored?: string } = {}): DecodedEvent => ({
    ok: true,
    event: { ...ORDER_CREATED, aggregateId: event.orderId, payload: event },
    metadata: extra.correlationId ? { correlationId: extra.correlationId } : {},
    ...(extra.ignored ? { ignored: extra.ignored } : {}),
  });

  beforeEach(() => {
    clock = new FakeClock();
    ledger = new InMemoryNotificationLedger(clock.millis);
    mailer = new InMemoryMailer();
    deadLetters = new InMemoryDeadLetters();
    logs = capturingLogger('notifier');
    circuit = new MailCircuit(mailer, clock, logs.logger, { min: 5, max: 20 });
    counted = [];
    metrics = {
      ...NO_METRICS,
      mailOutcomeUnknown: () => counted.push('mailOutcomeUnknown'),
      deadLettered: (kind) => counted.push(`deadLettered:${kind}`),
      recipientRateLimited: () => counted.push('recipientRateLimited'),
    };
  });
  afterEach(() => circuit.stop());

  it('emails the customer once and records the order as sent', async () => {
    const event = anEvent();
    expect(await notifier().execute(event, { correlationId: 'corr-1' })).to.equal('sent');
    expect(mailer.sent).to.have.length(1);
    expect(mailer.sent[0]).to.include({ to: 'ada@example.com', messageId: `<order-created-${event.id}@ordermail.local>`, subject: `Order ${event.orderId} received` });
    expect(mailer.sent[0]?.headers).to.deep.equal({ 'X-Order-Id': event.orderId, 'X-Correlation-Id': 'corr-1', 'Content-Language': 'en', 'Auto-Submitted': 'auto-generated' });
    expect(mailer.sent[0]?.text).to.contain(event.id);
    expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
    const line = logs.lines.find((l) => l.msg === 'email sent');
    expect(line).to.include({ orderId: event.orderId, correlationId: 'corr-1' });
  });

  it('does not email again when the same event is delivered twice', async () => {
    const event = anEvent();
    const notify = notifier();
    expect(await notify.execute(event, {})).to.equal('sent');
    expect(await notify.execute(event, {})).to.equal('duplicate');
    expect(mailer.sent).to.have.length(1);
  });

  it('lets only one of two notifiers send when both get the event at once', async () => {
    const event = anEvent();
    const outcomes = await Promise.all([notifier({ owner: 'a' }).execute(event, {}), notifier({ owner: 'b' }).execute(event, {})]);
    expect(outcomes.sort()).to.deep.equal(['duplicate', 'sent']);
    expect(mailer.sent).to.have.length(1);
  });

  it('sends to NOTIFY_DEFAULT_TO when the order has no email, and skips with a reason when there is neither', async () => {
    const withDefault = anEvent({ email: undefined });
    expect(await notifier({ defaultTo: 'ops@example.com' }).execute(withDefault, {})).to.equal('sent');
    expect(mailer.sent[0]?.to).to.equal('ops@example.com');

    const nowhere = anEvent({ email: undefined });
    expect(await notifier().execute(nowhere, {})).to.equal('skipped');
    expect(mailer.sent).to.have.length(1);
    const state = await ledger.stateOf(keyOf(nowhere));
    expect(state?.status).to.equal('skipped');
    expect(state?.failureKind).to.equal('no-recipient');
    expect(state?.lastError).to.match(/NOTIFY_DEFAULT_TO/);
  });

  describe('the cap per recipient per hour (NOTIFY_MAX_PER_RECIPIENT_PER_HOUR)', () => {
    const CAP = 3;
    let quota: InMemoryRecipientQuota;
    beforeEach(() => {
      quota = new InMemoryRecipientQuota(CAP, clock);
      metrics = { ...metrics, notification: (result) => counted.push(`notification:${result}`) };
    });

    it('skips the (cap+1)-th order to one address within the hour as recipient-rate-limited: recorded, counted and logged', async () => {
      const notify = notifier({}, quota);
      const events = Array.from({ length: CAP + 1 }, () => anEvent({ email: 'ada@example.com' }));
      const outcomes = [];
      for (const event of events) outcomes.push(await notify.execute(event, {}));
      expect(outcomes).to.deep.equal(['sent', 'sent', 'sent', 'skipped']);
      expect(mailer.sent).to.have.length(CAP);
      const over = events[CAP] as OrderCreated;
      const state = await ledger.stateOf(keyOf(over));
      expect(state).to.include({ status: 'skipped', failureKind: 'recipient-rate-limited' });
      expect(state?.lastError).to.match(/3 emails within the last hour/).and.not.contain('ada');
      expect(counted.filter((c) => c === 'recipientRateLimited')).to.have.length(1);
      expect(counted.filter((c) => c === 'notification:skipped')).to.have.length(1);
      const warning = logs.lines.find((l) => l.msg === 'notification skipped: the recipient reached its hourly cap');
      expect(warning).to.include({ level: 'warn', orderId: over.orderId, perHour: CAP, recipientDomain: 'example.com' });
      expect(JSON.stringify(warning)).to.not.contain('ada@');
    });

    it('leaves other addresses unaffected', async () => {
      const notify = notifier({}, quota);
      for (let n = 0; n < CAP + 2; n++) await notify.execute(anEvent({ email: 'ada@example.com' }), {});
      expect(await notify.execute(anEvent({ email: 'bob@example.com' }), {})).to.equal('sent');
      expect(mailer.sent.filter((m) => m.to === 'bob@example.com')).to.have.length(1);
    });

    it('counts the same mailbox however its address is written: case, surrounding spaces, a +tag', async () => {
      const notify = notifier({}, quota);
      const spellings = ['ada@example.com', 'Ada@Example.COM', ' ada+shop@example.com', 'ADA+x@EXAMPLE.com'];
      const outcomes = [];
      for (const email of spellings) outcomes.push(await notify.execute(anEvent({ email }), {}));
      expect(outcomes).to.deep.equal(['sent', 'sent', 'sent', 'skipped']);
    });

    it('leaves NOTIFY_DEFAULT_TO (the shop mailbox, for orders without an email) out of the cap', async () => {
      const notify = notifier({ defaultTo: 'ops@example.com' }, quota);
      const outcomes = [];
      for (let n = 0; n <= CAP + 2; n++) outcomes.push(await notify.execute(anEvent({ email: undefined }), {}));
      expect(outcomes.every((outcome) => outcome === 'sent')).to.equal(true);
    });

    it('does not count a retry of the same order twice', async () => {
      const notify = notifier({}, quota);
      const first = anEvent({ email: 'ada@example.com' });
      mailer.failNext('transient', 2, 421);
      expect(await notify.execute(first, {})).to.equal('retry-scheduled');
      clock.advance(1200);
      await notify.retryDue(10);
      clock.advance(2400);
      await notify.retryDue(10);
      expect((await ledger.stateOf(keyOf(first)))?.status).to.equal('sent');
      // Three attempts of one order took one unit: two more orders fit in the hour, the third does not.
      const outcomes = [];
      for (let n = 0; n < CAP; n++) outcomes.push(await notify.execute(anEvent({ email: 'ada@example.com' }), {}));
      expect(outcomes).to.deep.equal(['sent', 'sent', 'skipped']);
    });

    it('does not count a take-over by another notifier, nor a redelivery, twice', async () => {
      const event = anEvent({ email: 'ada@example.com' });
      const send = mailer.send.bind(mailer);
      let hung = false;
      mailer.send = async (email) => {
        if (hung) return send(email);
        hung = true;
        return new Promise(() => undefined);
      };
      void notifier({ owner: 'a' }, quota).execute(event, {}); // a stalls mid-send, its lease runs out
      await until(() => hung, 'notifier a to start sending');
      clock.advance(60_001);
      const other = notifier({ owner: 'b' }, quota);
      expect(await other.retryDue(10)).to.equal(1);
      expect(await other.execute(event, {})).to.equal('duplicate');
      expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
      const outcomes = [];
      for (let n = 0; n < CAP; n++) outcomes.push(await other.execute(anEvent({ email: 'ada@example.com' }), {}));
      expect(outcomes).to.deep.equal(['sent', 'sent', 'skipped']);
    });

    it('lets the address receive again once an hour has passed since its oldest email', async () => {
      const notify = notifier({}, quota);
      for (let n = 0; n < CAP; n++) await notify.execute(anEvent({ email: 'ada@example.com' }), {});
      clock.advance(59 * 60_000);
      expect(await notify.execute(anEvent({ email: 'ada@example.com' }), {})).to.equal('skipped');
      clock.advance(2 * 60_000);
      expect(await notify.execute(anEvent({ email: 'ada@example.com' }), {})).to.equal('sent');
    });

    it('takes no unit for an order deferred while sending is stopped', async () => {
      const notify = notifier({}, quota);
      mailer.failNext('auth');
      await notify.execute(anEvent({ email: 'ada@example.com' }), {});
      expect(circuit.state.open).to.equal(true);
      for (let n = 0; n < CAP + 1; n++) expect(await notify.execute(anEvent({ email: 'ada@example.com' }), {})).to.equal('deferred');
      expect(await quota.take('ada@example.com', 'probe')).to.equal(true);
    });

    it('sends every order when the cap is off', async () => {
      const notify = notifier();
      for (let n = 0; n < 30; n++) expect(await notify.execute(anEvent({ email: 'ada@example.com' }), {})).to.equal('sent');
    });
  });

  it('retries a transient failure after its backoff and delivers on the third try', async () => {
    const event = anEvent();
    const notify = notifier();
    mailer.failNext('transient', 2, 421);
    expect(await notify.execute(event, {})).to.equal('retry-scheduled');
    expect(await notify.retryDue(10)).to.equal(0); // not due yet
    expect(await ledger.stateOf(keyOf(event))).to.include({ status: 'failed', failureKind: 'temporary-failure' });
    clock.advance(1200);
    expect(await notify.retryDue(10)).to.equal(1);
    expect((await ledger.stateOf(keyOf(event)))?.attempts).to.equal(2);
    clock.advance(2400);
    await notify.retryDue(10);
    expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
    expect(mailer.sent).to.have.length(1);
    expect(deadLetters.letters).to.have.length(0);
  });

  it('backs off 1 s, 2 s, 4 s, 8 s, 16 s (with jitter) and dead-letters with an alert after 5 retries', async () => {
    const event = anEvent();
    const notify = notifier();
    mailer.failNext('transient', 6, 450);
    await notify.execute(event, { source: { topic: 'order-created', partition: 2, offset: '41' } });
    for (const expectedMs of [1000, 2000, 4000, 8000, 16_000]) {
      clock.advance(expectedMs * 0.79);
      expect(await notify.retryDue(10), `not due before ${expectedMs * 0.8} ms`).to.equal(0);
      clock.advance(expectedMs * 0.42);
      expect(await notify.retryDue(10), `due by ${expectedMs * 1.2} ms`).to.equal(1);
    }
    expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('dead');
    expect(deadLetters.letters).to.have.length(1);
    expect(deadLetters.letters[0]).to.include({ kind: 'retries-exhausted', attempts: 6 });
    expect(deadLetters.letters[0]?.source).to.deep.equal({ topic: 'order-created', partition: 2, offset: '41' });
    expect(deadLetters.letters[0]).to.deep.include({ event: { ...ORDER_CREATED, aggregateId: event.orderId, payload: event }, notification: keyOf(event) });
    expect(logs.lines.find((l) => l.msg === 'notification dead-lettered')).to.include({ level: 'error', alert: true, orderId: event.orderId });
  });

  it('counts a connection lost while the server still answers as an attempt, and dead-letters the order after 5 retries', async () => {
    const event = anEvent();
    const notify = notifier();
    mailer.failNext('unavailable', 6); // e.g. dropped mid-DATA each time; verify() still succeeds
    expect(await notify.execute(event, {})).to.equal('retry-scheduled');
    expect(circuit.state.open).to.equal(false);
    for (let retry = 0; retry < 5; retry++) {
      clock.advance(20_000);
      expect(await notify.retryDue(10)).to.equal(1);
    }
    expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('dead');
    expect(deadLetters.letters[0]).to.include({ kind: 'retries-exhausted', attempts: 6 });
  });

  it('dead-letters a permanent failure (550) after one attempt', async () => {
    const event = anEvent();
    mailer.failNext('permanent', 1, 550);
    expect(await notifier().execute(event, {})).to.equal('dead-lettered');
    expect(deadLetters.letters[0]).to.include({ kind: 'permanent', attempts: 1 });
    expect(await ledger.stateOf(keyOf(event))).to.include({ status: 'dead', failureKind: 'recipient-rejected' });
    expect(mailer.sent).to.have.length(0);
  });

  it('pauses on an unreachable server without counting an attempt, and delivers once it is back', async () => {
    const event = anEvent();
    const notify = notifier();
    mailer.reachable = false;
    expect(await notify.execute(event, {})).to.equal('deferred');
    expect(circuit.state).to.include({ open: true, failureKind: 'smtp-unreachable' });
    expect(await ledger.stateOf(keyOf(event))).to.include({ status: 'failed', failureKind: 'smtp-unreachable' });
    expect(await notify.retryDue(10)).to.equal(0); // nothing is tried while the circuit is open
    mailer.reachable = true;
    await until(() => !circuit.state.open, 'the circuit to close after a successful probe');
    expect(await notify.retryDue(10)).to.equal(1);
    expect(mailer.sent).to.have.length(1);
    expect((await ledger.stateOf(keyOf(event)))?.attempts).to.equal(0);
    expect(deadLetters.letters).to.have.length(0);
  });

  it('stops sending and raises an alert when the server refuses our credentials', async () => {
    mailer.failNext('auth', 1, 535);
    expect(await notifier().execute(anEvent(), {})).to.equal('deferred');
    expect(circuit.state).to.include({ open: true, kind: 'auth', failureKind: 'auth-failed' });
    expect(logs.lines.find((l) => l.alert === true)).to.include({ level: 'error' });
    expect(deadLetters.letters).to.have.length(0);
  });

  describe('records the kind of a failure, which callers without a key see instead of its text', () => {
    const cases: [string, MailDeliveryError, NotificationFailureKind][] = [
      ['unreachable', new MailDeliveryError('unavailable', 'connect ECONNREFUSED 127.0.0.1:2651'), 'smtp-unreachable'],
      ['credentials refused', new MailDeliveryError('auth', '535 5.7.8 bad credentials', 535), 'auth-failed'],
      ['sender refused', new MailDeliveryError('refused', '554 5.7.1 sender blocked', 554), 'sender-refused'],
      ['quota used up', new MailDeliveryError('refused', '550 5.4.5 daily quota exceeded', 550, { rateLimited: true }), 'rate-limited'],
      ['4xx for this email', new MailDeliveryError('transient', '450 4.2.1 mailbox busy', 450), 'temporary-failure'],
      ['5xx for this email', new MailDeliveryError('permanent', '550 5.1.1 <user@example.com> unknown', 550), 'recipient-rejected'],
    ];
    for (const [what, error, kind] of cases) it(`${what} → ${kind}`, () => expect(error.failureKind).to.equal(kind));

    it('a bug → poison', async () => {
      const event = anEvent();
      mailer.send = () => Promise.reject(new TypeError('cannot read properties of undefined'));
      await notifier().execute(event, {});
      expect(await ledger.stateOf(keyOf(event))).to.include({ status: 'dead', failureKind: 'poison' });
    });
  });

  it('takes over an order whose notifier died holding it, once the lease has expired', async () => {
    const event = anEvent();
    await ledger.claim(confirmationOf(event), {}, 'crashed-notifier', 60_000);
    const notify = notifier();
    expect(await notify.execute(event, {})).to.equal('duplicate');
    expect(await notify.retryDue(10)).to.equal(0);
    clock.advance(60_001);
    expect(await notify.retryDue(10)).to.equal(1);
    expect(mailer.sent).to.have.length(1);
  });

  it('renews the lease of a send slower than the lease, so neither its own sweeper nor another notifier sends it again', async () => {
    const event = anEvent();
    const send = mailer.send.bind(mailer);
    let finishSend!: () => void;
    mailer.send = async (email) => {
      await new Promise<void>((resolve) => (finishSend = resolve));
      return send(email);
    };
    const notify = notifier();
    const sending = notify.execute(event, {});
    await until(() => finishSend !== undefined, 'the send to start');
    clock.advance(40_000);
    await notify.renewLeases();
    clock.advance(40_000); // 80 s after the claim, 40 s after the renewal: a 60 s lease still holds
    expect(await notifier({ owner: 'notifier-b' }).retryDue(10)).to.equal(0);
    clock.advance(30_000); // the renewed lease has run out too (as if the ledger had been unreachable)
    expect(await notify.retryDue(10)).to.equal(1); // taken back by its holder, which is still sending it
    finishSend();
    expect(await sending).to.equal('sent');
    expect(mailer.sent).to.have.length(1);
  });

  it('keeps trying to record a sent email while the database is away, so it is not sent twice', async () => {
    const event = anEvent();
    const markSent = ledger.markSent.bind(ledger);
    let outage = 2;
    ledger.markSent = async (...args) => {
      if (outage-- > 0) throw new DependencyUnavailableError('postgres');
      return markSent(...args);
    };
    expect(await notifier().execute(event, {})).to.equal('sent');
    expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
    expect(mailer.sent).to.have.length(1);
    expect(logs.lines.filter((l) => l.msg === 'email sent but the ledger is unreachable: retrying to record it')).to.have.length(2);
  });

  it('keeps trying to record a dead letter while the database is away, so it is not retried and dead-lettered again', async () => {
    const event = anEvent();
    const markDead = ledger.markDead.bind(ledger);
    let outage = 2;
    ledger.markDead = async (...args) => {
      if (outage-- > 0) throw new DependencyUnavailableError('postgres');
      return markDead(...args);
    };
    mailer.failNext('permanent', 1, 550);
    expect(await notifier().execute(event, {})).to.equal('dead-lettered');
    expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('dead');
    expect(deadLetters.letters).to.have.length(1);
    expect(logs.lines.filter((l) => l.msg === 'dead letter published but the ledger is unreachable: retrying to record it')).to.have.length(2);
  });

  describe('an unknown outcome: the connection lost after the final dot', () => {
    it('sends the order once more, with the same Message-ID, and records it sent', async () => {
      const event = anEvent();
      const notify = notifier();
      mailer.loseReplyNext(1);
      expect(await notify.execute(event, {})).to.equal('retry-scheduled');
      clock.advance(20_000);
      expect(await notify.retryDue(10)).to.equal(1);
      expect(mailer.sent.map((m) => m.messageId)).to.deep.equal([`<order-created-${event.id}@ordermail.local>`, `<order-created-${event.id}@ordermail.local>`]);
      expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
      expect(counted).to.deep.equal(['mailOutcomeUnknown']);
      expect(deadLetters.letters).to.have.length(0);
    });

    it('dead-letters the order as outcome-unknown when the resend ends the same way, even in another notifier, and never sends a third copy', async () => {
      const event = anEvent();
      mailer.loseReplyNext(5);
      expect(await notifier().execute(event, { correlationId: 'corr-7' })).to.equal('retry-scheduled');
      clock.advance(20_000);
      const other = notifier({ owner: 'notifier-b' }); // a restart or a take-over: only the ledger remembers the first
      expect(await other.retryDue(10)).to.equal(1);
      expect(mailer.sent).to.have.length(2);
      expect(await ledger.stateOf(keyOf(event))).to.include({ status: 'dead' });
      expect(deadLetters.letters).to.have.length(1);
      expect(deadLetters.letters[0]).to.include({ kind: 'outcome-unknown', attempts: 2 });
      expect(deadLetters.letters[0]).to.deep.include({ notification: keyOf(event) });
      expect(deadLetters.letters[0]?.reason).to.match(/may have accepted the email 2 times already.*dlq-replay/);
      expect(counted).to.deep.equal(['mailOutcomeUnknown', 'mailOutcomeUnknown', 'deadLettered:outcome-unknown']);
      expect(logs.lines.find((l) => l.msg === 'notification dead-lettered')).to.include({ level: 'error', alert: true, kind: 'outcome-unknown', correlationId: 'corr-7' });

      clock.advance(600_000);
      expect(await other.retryDue(10)).to.equal(0);
      expect(await notifier().execute(event, {})).to.equal('duplicate');
      expect(mailer.sent).to.have.length(2);
    });

    it('counts an unknown outcome followed by the circuit opening (server gone): deferred, then one resend at most', async () => {
      const event = anEvent();
      const notify = notifier();
      const send = mailer.send.bind(mailer);
      mailer.send = async (email) => {
        try {
          return await send(email);
        } finally {
          mailer.reachable = false; // the server went away with the connection
        }
      };
      mailer.loseReplyNext(1);
      expect(await notify.execute(event, {})).to.equal('deferred');
      expect(circuit.state.open).to.equal(true);
      expect((await ledger.stateOf(keyOf(event)))?.attempts).to.equal(0);

      mailer.send = send;
      mailer.reachable = true;
      await until(() => !circuit.state.open, 'the circuit to close after a successful probe');
      mailer.loseReplyNext(1);
      expect(await notify.retryDue(10)).to.equal(1);
      expect(mailer.sent).to.have.length(2);
      expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(['outcome-unknown']);
      expect(await notify.retryDue(10)).to.equal(0);
      expect(mailer.sent).to.have.length(2);
    });

    it('dead-letters an order found with every unknown outcome spent, without sending it (its notifier stopped before the dead letter)', async () => {
      const event = anEvent();
      await ledger.claim(confirmationOf(event), {}, 'stopped-notifier', 1000);
      await ledger.recordUnknownOutcome(keyOf(event));
      await ledger.recordUnknownOutcome(keyOf(event));
      clock.advance(1001);
      expect(await notifier().retryDue(10)).to.equal(1);
      expect(mailer.sent).to.have.length(0);
      expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(['outcome-unknown']);
    });

    it('sends the order again after dlq-replay resets it', async () => {
      const event = anEvent();
      const notify = notifier();
      mailer.loseReplyNext(2);
      await notify.execute(event, {});
      clock.advance(20_000);
      await notify.retryDue(10);
      expect(await ledger.resetDead(keyOf(event))).to.equal(true);
      expect(await notify.retryDue(10)).to.equal(1);
      expect(mailer.sent).to.have.length(3);
      expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
    });
  });

  it('dead-letters a poison message with its raw bytes and an alert', async () => {
    const raw = Buffer.from([0xff, 0x00, 0x7b]);
    await new RejectPoison(deadLetters, clock, logs.logger, metrics).execute({ message: { key: 'k', value: raw, headers: { 'schema-version': '1' } }, reason: 'value is not JSON' });
    expect(deadLetters.letters[0]).to.include({ kind: 'poison', reason: 'value is not JSON' });
    expect((deadLetters.letters[0] as UnreadableMessage).message.value?.equals(raw)).to.equal(true);
    expect(logs.lines.find((l) => l.msg === 'poison message dead-lettered')).to.include({ alert: true });
  });
  describe('one message of the topic', () => {
    const source = { topic: 'orders', partition: 0, offset: '7' };

    it('dead-letters an undecodable message as poison, with its reason and an alert', async () => {
      const message = { key: 'k', value: Buffer.from('not json'), headers: { 'x-trace': 't' } };
      await dispatcher().execute({ ok: false, reason: 'value is not JSON', message, source });
      expect(deadLetters.letters).to.have.length(1);
      expect(deadLetters.letters[0]).to.deep.include({ kind: 'poison', reason: 'value is not JSON', message, source });
      expect(logs.lines.find((l) => l.msg === 'poison message dead-lettered')).to.include({ alert: true, level: 'error' });
    });

    it('dead-letters an event the ledger refuses to store (SQLSTATE 22/23) with the raw bytes, and claims nothing', async () => {
      const event = anEvent();
      ledger.claim = async () => {
        throw new DataRejectedError('postgres', 'SQLSTATE 22021', { cause: new Error('invalid byte sequence for encoding "UTF8": 0x00') });
      };
      await dispatcher().execute({ ...decoded(event), source });
      expect(deadLetters.letters).to.have.length(1);
      expect(deadLetters.letters[0]).to.deep.include({ kind: 'poison', reason: 'postgres refused the data (SQLSTATE 22021)', event: decoded(event).event });
      expect(deadLetters.letters[0]).to.not.have.property('notification');
      expect(deadLetters.letters[0]?.source).to.deep.equal(source);
      expect(mailer.sent).to.have.length(0);
      expect(logs.lines.find((l) => l.msg === 'event refused')).to.include({ eventType: 'order.created', cause: 'invalid byte sequence for encoding "UTF8": 0x00' });
    });

    it('dead-letters a claimed order that hits a bug, says so out loud, and leaves it dead in the ledger (replayable)', async () => {
      const event = anEvent();
      mailer.send = async () => {
        throw new TypeError('cannot read properties of undefined');
      };
      await dispatcher().execute({ ...decoded(event, { correlationId: 'corr-9' }), source });
      expect(deadLetters.letters).to.have.length(1);
      expect(deadLetters.letters[0]).to.include({ kind: 'poison', reason: 'unexpected failure: TypeError: cannot read properties of undefined' });
      expect(deadLetters.letters[0]).to.deep.include({ event: decoded(event).event, metadata: { correlationId: 'corr-9' }, notification: keyOf(event) });
      expect(await ledger.stateOf(keyOf(event))).to.include({ status: 'dead', lastError: 'unexpected failure: TypeError: cannot read properties of undefined' });
      const bug = logs.lines.find((l) => l.msg === 'unexpected failure while handling an order.created event: a bug');
      expect(bug).to.include({ level: 'error', alert: true, orderId: event.orderId, correlationId: 'corr-9' });
      expect(logs.lines.find((l) => l.msg === 'notification dead-lettered')).to.include({ alert: true, kind: 'poison' });
    });

    it('dead-letters a due retry that hits a bug instead of retrying it every lease', async () => {
      const event = anEvent();
      mailer.failNext('transient');
      const notify = notifier();
      expect(await notify.execute(event, {})).to.equal('retry-scheduled');
      mailer.send = async () => {
        throw new RangeError('Invalid time value');
      };
      clock.advance(60_000);
      expect(await notify.retryDue(10)).to.equal(1);
      expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('dead');
      expect(await notify.retryDue(10)).to.equal(0);
      expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(['poison']);
    });

    it('throws, dead-letters nothing and sends nothing while the database is away: the message is retried in place', async () => {
      const event = anEvent();
      ledger.claim = async () => {
        throw new DependencyUnavailableError('postgres');
      };
      let thrown: unknown;
      await dispatcher()
        .execute({ ...decoded(event), source })
        .catch((error: unknown) => (thrown = error));
      expect(thrown).to.be.instanceOf(DependencyUnavailableError);
      expect(deadLetters.letters).to.have.length(0);
    });

    it('throws when the dead letter itself cannot be stored: poison is retried in place, never skipped', async () => {
      deadLetters.publish = async () => {
        throw new DependencyUnavailableError('kafka');
      };
      let thrown: unknown;
      await dispatcher()
        .execute({ ok: false, reason: 'empty message (tombstone)', message: { key: null, value: null, headers: {} }, source })
        .catch((error: unknown) => (thrown = error));
      expect(thrown).to.be.instanceOf(DependencyUnavailableError);
    });

    it('dead-letters an event of an unknown type or version as poison, counted, and sends nothing', async () => {
      const event = anEvent();
      const dispatch = dispatcher();
      await dispatch.execute({ ok: true, event: { type: 'order.created', version: 2, aggregateId: event.orderId, payload: event }, metadata: {}, source });
      await dispatch.execute({ ok: true, event: { type: 'order.teleported', version: 1, aggregateId: event.orderId, payload: event }, metadata: {}, source });
      expect(deadLetters.letters.map((l) => [l.kind, l.reason])).to.deep.equal([
        ['poison', 'unknown event: no reaction here handles order.created version 2'],
        ['poison', 'unknown event: no reaction here handles order.teleported version 1'],
      ]);
      expect(counted).to.deep.equal(['deadLettered:poison', 'deadLettered:poison']);
      expect(mailer.sent).to.have.length(0);
    });

    it('refuses two reactions to one event kind: the table has one row per kind', () => {
      const notify = notifier();
      expect(() => new DispatchEvent([new SendOrderConfirmationOnOrderCreated(notify.sendNotification), new SendOrderConfirmationOnOrderCreated(notify.sendNotification)], new RejectPoison(deadLetters, clock, logs.logger), logs.logger)).to.throw(/order\.created@1/);
    });

    it('emails an order whose correlation-id header was ignored, without it, and warns', async () => {
      const event = anEvent();
      await dispatcher().execute({ ...decoded(event, { ignored: 'headers/correlation-id must match pattern' }), source });
      expect(mailer.sent).to.have.length(1);
      expect(mailer.sent[0]?.headers).to.not.have.property('X-Correlation-Id');
      expect(logs.lines.find((l) => l.msg === 'correlation-id header ignored: the order is handled without it')).to.include({ level: 'warn', orderId: event.orderId });
    });
  });
  describe('several notifications of one order', () => {
    /** A stand-in for the shipping email, whose event here carries only what these tests read; the rest by the built-in templates. */
    const withShipping: EmailTemplates = {
      renders: () => true,
      render: (notification: Notification, addressing: Addressing) =>
        notification.kind === 'order-shipped'
          ? { to: addressing.to, subject: `Order ${notification.orderId} shipped`, text: 'shipped', html: '<p>shipped</p>', messageId: addressing.messageId, headers: {} }
          : builtIn.render(notification, addressing),
    };
    const shippingOf = (event: OrderCreated): Notification => ({
      orderId: event.orderId,
      kind: 'order-shipped',
      channel: 'email',
      internalId: event.id,
      ...(event.email === undefined ? {} : { email: event.email }),
      event: { type: 'order.status-changed', version: 1, aggregateId: event.orderId, payload: { orderId: event.orderId, status: 'shipped' } },
      occurredAt: '2026-11-24T11:59:59.500Z',
    });

    beforeEach(() => {
      metrics = { ...metrics, notification: (result, kind) => counted.push(`notification:${result}:${kind}`) };
    });

    it('gives each its own deterministic Message-ID, <{kind}-{internalId}@domain>', async () => {
      const event = anEvent();
      const notify = notifier({ messageIdDomain: 'shop.test' }, undefined, withShipping);
      expect(await notify.execute(event, {})).to.equal('sent');
      expect(await notify.sendNotification.execute(shippingOf(event), {})).to.equal('sent');
      expect(mailer.sent.map((m) => m.messageId)).to.deep.equal([`<order-created-${event.id}@shop.test>`, `<order-shipped-${event.id}@shop.test>`]);
      expect(counted.filter((c) => c.startsWith('notification:'))).to.deep.equal(['notification:sent:order-created', 'notification:sent:order-shipped']);
    });

    it('marks every email as sent by a machine (Auto-Submitted: auto-generated, RFC 3834), whichever template rendered it', async () => {
      const event = anEvent();
      const notify = notifier({}, undefined, withShipping);
      await notify.execute(event, {});
      await notify.sendNotification.execute(shippingOf(event), {});
      expect(mailer.sent.map((m) => m.headers['Auto-Submitted'])).to.deep.equal(['auto-generated', 'auto-generated']);
    });

    it('sends the second once the first is sent, when it arrives while the first is still being retried', async () => {
      const event = anEvent();
      const notify = notifier({}, undefined, withShipping);
      mailer.failNext('transient', 1, 421);
      expect(await notify.execute(event, {})).to.equal('retry-scheduled');
      expect(await notify.sendNotification.execute(shippingOf(event), { correlationId: 'corr-s' })).to.equal('queued');
      expect(mailer.sent).to.have.length(0);
      expect(await ledger.stateOf({ orderId: event.orderId, kind: 'order-shipped', channel: 'email' })).to.include({ status: 'pending' });
      expect(logs.lines.find((l) => l.msg === 'notification queued behind an earlier one of its order')).to.include({ orderId: event.orderId, notificationKind: 'order-shipped', correlationId: 'corr-s' });

      clock.advance(1200);
      expect(await notify.retryDue(10)).to.equal(1); // the confirmation's retry; the shipping email still waits
      expect(mailer.sent.map((m) => m.subject)).to.deep.equal([`Order ${event.orderId} received`]);
      expect(await notify.retryDue(10)).to.equal(1); // its turn has come
      expect(mailer.sent.map((m) => m.subject)).to.deep.equal([`Order ${event.orderId} received`, `Order ${event.orderId} shipped`]);
      expect((await ledger.statesOf(event.orderId)).map((n) => [n.kind, n.status])).to.deep.equal([
        ['order-created', 'sent'],
        ['order-shipped', 'sent'],
      ]);
      expect(counted).to.include('notification:queued:order-shipped');
    });

    it('sends the second once the first is dead-lettered: nothing waits for ever', async () => {
      const event = anEvent();
      const notify = notifier({}, undefined, withShipping);
      mailer.failNext('transient', 1, 421);
      expect(await notify.execute(event, {})).to.equal('retry-scheduled');
      expect(await notify.sendNotification.execute(shippingOf(event), {})).to.equal('queued');
      mailer.failNext('permanent', 1, 550);
      clock.advance(1200);
      expect(await notify.retryDue(10)).to.equal(1);
      expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(['permanent']);
      expect(await notify.retryDue(10)).to.equal(1);
      expect(mailer.sent.map((m) => m.subject)).to.deep.equal([`Order ${event.orderId} shipped`]);
    });

    it('takes one unit of the recipient cap per notification: the confirmation and the shipping email of one order take two', async () => {
      const quota = new InMemoryRecipientQuota(2, clock);
      const notify = notifier({}, quota, withShipping);
      const event = anEvent({ email: 'ada@example.com' });
      expect(await notify.execute(event, {})).to.equal('sent');
      expect(await notify.sendNotification.execute(shippingOf(event), {})).to.equal('sent');
      expect(await notify.execute(anEvent({ email: 'ada@example.com' }), {})).to.equal('skipped');
    });

    it('dead-letters a notification of a kind no template renders, as poison with the reason, and sends nothing', async () => {
      const event = anEvent();
      const shipping = shippingOf(event);
      const withoutShipping: EmailTemplates = { renders: (kind: NotificationKind) => kind === 'order-created', render: (notification, addressing) => builtIn.render(notification, addressing) };
      expect(await notifier({}, undefined, withoutShipping).sendNotification.execute(shipping, { correlationId: 'corr-x' })).to.equal('dead-lettered');
      expect(mailer.sent).to.have.length(0);
      expect(deadLetters.letters).to.have.length(1);
      expect(deadLetters.letters[0]).to.deep.include({ kind: 'poison', notification: { orderId: event.orderId, kind: 'order-shipped', channel: 'email' } });
      expect(deadLetters.letters[0]?.reason).to.match(/no template renders order-shipped notifications/);
      expect(await ledger.stateOf(shipping)).to.include({ status: 'dead', failureKind: 'poison' });
      expect(counted).to.include('notification:dead_lettered:order-shipped');
    });
  });

  describe('a template that fails on an order', () => {
    it('dead-letters that notification as poison with the template\'s reason, sends nothing, and goes on with the next order', async () => {
      const failing = anEvent({ orderId: 'o-fails' });
      const failsOnOne: EmailTemplates = {
        renders: () => true,
        render: (notification, addressing) => {
          if (notification.orderId === 'o-fails') throw new EmailRenderError('templates/order-created/en.txt.eta:3', "TypeError: Cannot read properties of undefined (reading 'x')");
          return builtIn.render(notification, addressing);
        },
      };
      const notify = notifier({}, undefined, failsOnOne);
      expect(await notify.execute(failing, { correlationId: 'corr-t' })).to.equal('dead-lettered');
      expect(mailer.sent).to.have.length(0);
      expect(deadLetters.letters).to.have.length(1);
      expect(deadLetters.letters[0]).to.deep.include({ kind: 'poison', notification: { orderId: 'o-fails', kind: 'order-created', channel: 'email' } });
      expect(deadLetters.letters[0]?.reason).to.equal("the email template templates/order-created/en.txt.eta:3 failed: TypeError: Cannot read properties of undefined (reading 'x')");
      expect(await ledger.stateOf(keyOf(failing))).to.include({ status: 'dead', failureKind: 'poison' });
      expect(await notify.execute(anEvent(), {})).to.equal('sent');
    });
  });

  describe('an email the server took is never sent again, whatever fails after', () => {
    it('keeps recording it as sent through failures that are not an outage (a bug), with a loud line, and never dead-letters it', async () => {
      const event = anEvent();
      const markSent = ledger.markSent.bind(ledger);
      let failures = 2;
      ledger.markSent = async (...args) => {
        if (failures-- > 0) throw new TypeError('ledger bug');
        return markSent(...args);
      };
      expect(await notifier().execute(event, {})).to.equal('sent');
      expect(mailer.sent).to.have.length(1);
      expect(deadLetters.letters).to.deep.equal([]);
      expect((await ledger.stateOf(keyOf(event)))?.status).to.equal('sent');
      expect(logs.lines.filter((l) => l.level === 'error' && l.alert === true)).to.have.length(2);
    });
  });

  describe('a refusal circuit and the sends that were already under way', () => {
    it('is not closed by a send that started before it opened; the trial after it closes it', async () => {
      const before = circuit.generation;
      circuit.trip(new MailDeliveryError('refused', '550 5.4.5 Daily user sending quota exceeded', 550));
      circuit.sendingWorks(before);
      expect(circuit.state.open, 'a send from before the refusal proves nothing').to.equal(true);
      circuit.sendingWorks(circuit.generation);
      expect(circuit.state.open).to.equal(false);
    });
  });
});
