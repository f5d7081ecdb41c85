import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { InMemoryMailer } from '../../src/adapters/memory/in-memory-mailer.js';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { whenOpen } from '../../src/application/gate.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { MailProviders, providerLabel } from '../../src/application/mail-providers.js';
import { NotificationSender } from '../../src/application/notification-sender.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import type { EmailTemplates } from '../../src/application/ports/email-templates.js';
import { HealthCheckFailure } from '../../src/application/ports/health-check.js';
import { MailDeliveryError } from '../../src/application/ports/mailer.js';
import { NO_METRICS, type Metrics } from '../../src/application/ports/metrics.js';
import { SendDueNotifications } from '../../src/application/send-due-notifications.js';
import { SendNotification } from '../../src/application/send-notification.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { mailProvidersHealthCheck } from '../../src/application/smtp-health-check.js';
import type { NotificationKey } from '../../src/domain/notification.js';
import { ORDER_CREATED, type OrderCreated } from '../../src/domain/order-created.js';
import { builtInTemplates } from '../support/email-templates.js';
import { capturingLogger } from '../support/logs.js';

const PRIMARY = 'mail-a.example.com:587';
const FALLBACK = 'mail-b.example.com:465';

const anEvent = (): OrderCreated => ({ id: randomUUID(), orderId: `f-${randomUUID().slice(0, 8)}`, itemId: ['sku-1'], email: 'ada@example.com', createdAt: new Date().toISOString() });
const keyOf = (event: OrderCreated): NotificationKey => ({ orderId: event.orderId, kind: 'order-created', channel: 'email' });

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('SMTP provider failover', () => {
  let primary: InMemoryMailer;
  let fallback: InMemoryMailer;
  let providers: MailProviders;
  let ledger: InMemoryNotificationLedger;
  let deadLetters: InMemoryDeadLetters;
  let logs: ReturnType<typeof capturingLogger>;
  /** What the metrics port was told: `method:label…`, in order. */
  let counted: string[];
  let notify: { execute(event: OrderCreated): Promise<string>; retryDue(): Promise<number> };

  let templates: EmailTemplates;
  before(async () => {
    templates = await builtInTemplates();
  });

  beforeEach(() => {
    releaseProbe = () => undefined;
    primary = new InMemoryMailer();
    fallback = new InMemoryMailer();
    ledger = new InMemoryNotificationLedger();
    deadLetters = new InMemoryDeadLetters();
    logs = capturingLogger('notifier');
    counted = [];
    const metrics: Metrics = {
      ...NO_METRICS,
      emailSent: (provider, kind) => counted.push(`emailSent:${provider}:${kind}`),
      mailCircuitOpened: (kind, provider) => counted.push(`mailCircuitOpened:${kind}:${provider}`),
      mailOutcomeUnknown: () => counted.push('mailOutcomeUnknown'),
      deadLettered: (kind) => counted.push(`deadLettered:${kind}`),
    };
    const circuit = (mailer: InMemoryMailer, index: number): MailCircuit => new MailCircuit(mailer, { now: () => new Date() }, logs.logger, { min: 5, max: 20 }, metrics, providerLabel(index));
    providers = new MailProviders(
      [
        { name: PRIMARY, mailer: primary, circuit: circuit(primary, 0) },
        { name: FALLBACK, mailer: fallback, circuit: circuit(fallback, 1) },
      ],
      logs.logger,
    );
    const options = { maxRetries: 5, retryBaseMs: 1000, leaseMs: 60_000, owner: 'notifier-a' };
    const inFlight = new NotificationsInFlight();
    const sender = new NotificationSender(ledger, providers, templates, deadLetters, { now: () => new Date() }, logs.logger, inFlight, options, metrics);
    const sendNotification = new SendNotification(ledger, sender, logs.logger, options);
    const sendDue = new SendDueNotifications(ledger, sender, providers, inFlight, options);
    notify = {
      execute: (event) => sendNotification.execute(orderConfirmation({ ...ORDER_CREATED, aggregateId: event.orderId, payload: event }), {}),
      retryDue: () => sendDue.execute(10),
    };
  });
  /** Lets a probe held by a test finish, so that the circuits can stop. */
  let releaseProbe: () => void;
  afterEach(() => {
    releaseProbe();
    return providers.stop();
  });

  const [first, second] = [(): MailCircuit => providers.all[0]!.circuit, (): MailCircuit => providers.all[1]!.circuit];
  const sentLines = (): Record<string, unknown>[] => logs.lines.filter((l) => l.msg === 'email sent');

  it('sends through the primary while it takes mail, and says which provider took each email: ledger, log line and metric', async () => {
    const event = anEvent();
    expect(await notify.execute(event)).to.equal('sent');
    expect(primary.sent).to.have.length(1);
    expect(fallback.sent).to.have.length(0);
    expect(await ledger.stateOf(keyOf(event))).to.deep.include({ status: 'sent', provider: PRIMARY });
    expect(sentLines()[0]).to.include({ orderId: event.orderId, provider: PRIMARY });
    expect(counted).to.deep.equal(['emailSent:primary:order-created']);
  });

  it('fails over: the email the primary could not take is deferred without an attempt and sent through the fallback at once, and the next ones go straight there', async () => {
    const deferred = anEvent();
    primary.reachable = false;
    expect(await notify.execute(deferred)).to.equal('deferred');
    expect(first().state).to.include({ open: true, kind: 'unavailable' });
    expect(providers.gate.isOpen, 'the consumer keeps going: the fallback takes mail').to.equal(true);
    expect(await notify.retryDue()).to.equal(1);
    expect(await ledger.stateOf(keyOf(deferred))).to.deep.include({ status: 'sent', attempts: 0, provider: FALLBACK });

    const next = anEvent();
    expect(await notify.execute(next)).to.equal('sent');
    expect(fallback.sent.map((m) => m.to)).to.have.length(2);
    expect(primary.sent).to.have.length(0);
    expect(await ledger.stateOf(keyOf(next))).to.deep.include({ provider: FALLBACK });
    expect(counted).to.deep.equal(['mailCircuitOpened:unavailable:primary', 'emailSent:fallback-1:order-created', 'emailSent:fallback-1:order-created']);
    expect(logs.lines.find((l) => l.msg === 'emails fail over to another SMTP provider')).to.include({ level: 'warn', from: PRIMARY, to: FALLBACK, label: 'fallback-1' });
    expect(deadLetters.letters).to.have.length(0);
  });

  it('goes back to the primary as soon as its probe closes its circuit', async () => {
    primary.reachable = false;
    await notify.execute(anEvent());
    await notify.retryDue();
    primary.reachable = true;
    await until(() => !first().state.open, 'the primary\'s probe to close its circuit');
    const back = anEvent();
    expect(await notify.execute(back)).to.equal('sent');
    expect(await ledger.stateOf(keyOf(back))).to.deep.include({ provider: PRIMARY });
    expect(primary.sent.map((m) => m.headers['X-Order-Id'])).to.deep.equal([back.orderId]);
    expect(logs.lines.find((l) => l.msg === 'emails go through the primary SMTP provider again')).to.include({ level: 'info', from: FALLBACK, to: PRIMARY });
  });

  it('pauses only while every provider is down, deferring with the primary\'s reason, and resumes through whichever comes back first', async () => {
    primary.reachable = false;
    fallback.reachable = false;
    const event = anEvent();
    expect(await notify.execute(event)).to.equal('deferred');
    expect(await notify.retryDue()).to.equal(1); // tried through the fallback, which is down too
    expect([first().state.open, second().state.open]).to.deep.equal([true, true]);
    expect(providers.gate.isOpen, 'the consumer holds back').to.equal(false);
    expect(await notify.execute(anEvent())).to.equal('deferred');
    expect(await ledger.stateOf(keyOf(event))).to.deep.include({ status: 'failed', attempts: 0, failureKind: 'smtp-unreachable', lastError: 'connect ECONNREFUSED (in-memory mailer is down)' });
    expect(await notify.retryDue(), 'nothing is tried while none takes mail').to.equal(0);
    expect(logs.lines.some((l) => l.msg === 'no SMTP provider takes mail: sending paused until one does')).to.equal(true);

    fallback.reachable = true;
    await whenOpen(providers.gate, AbortSignal.timeout(5000));
    expect(await notify.retryDue()).to.equal(2);
    expect(fallback.sent).to.have.length(2);
    expect(primary.sent).to.have.length(0);
  });

  it('fails over from a primary that refuses mail from us (a quota); its trial, a due email sent alone, brings sending back to it once its MAIL FROM is taken', async () => {
    let refusing = true;
    let triedThroughPrimary = 0;
    const send = primary.send.bind(primary);
    primary.send = async (email) => {
      triedThroughPrimary += 1;
      if (refusing) throw new MailDeliveryError('refused', '550 5.4.5 Daily user sending quota exceeded', 550, { rateLimited: true });
      return send(email);
    };
    // The primary's probe (verify(), which cannot see a refusal) passes only when the test lets it: then it offers a trial.
    let probeWaiting: (() => void) | undefined;
    const verify = primary.verify.bind(primary);
    primary.verify = async () => {
      await new Promise<void>((resolve) => (probeWaiting = resolve));
      return verify();
    };
    releaseProbe = () => probeWaiting?.();
    const probePasses = async (): Promise<void> => {
      await until(() => probeWaiting !== undefined, 'the primary\'s probe');
      const pass = probeWaiting as () => void;
      probeWaiting = undefined;
      pass();
      await new Promise((resolve) => setImmediate(resolve));
    };
    /** A notification due now: its notifier died holding it. */
    const due = async (): Promise<OrderCreated> => {
      const event = anEvent();
      await ledger.claim(orderConfirmation({ ...ORDER_CREATED, aggregateId: event.orderId, payload: event }), {}, 'gone-notifier', 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return event;
    };

    const refused = anEvent();
    expect(await notify.execute(refused)).to.equal('deferred');
    expect(first().state).to.include({ open: true, kind: 'refused' });
    expect(await notify.retryDue()).to.equal(1);
    expect(await ledger.stateOf(keyOf(refused))).to.deep.include({ status: 'sent', attempts: 0, provider: FALLBACK });

    const trial = await due();
    await probePasses();
    expect(await notify.retryDue(), 'the trial goes alone').to.equal(1);
    expect(triedThroughPrimary, 'the trial went through the primary').to.equal(2);
    expect(await ledger.stateOf(keyOf(trial))).to.deep.include({ status: 'failed', attempts: 0, failureKind: 'rate-limited' });
    expect(await notify.retryDue()).to.equal(1);
    expect(await ledger.stateOf(keyOf(trial))).to.deep.include({ status: 'sent', attempts: 0, provider: FALLBACK });

    refusing = false;
    const back = await due();
    await probePasses();
    expect(await notify.retryDue()).to.equal(1);
    expect(await ledger.stateOf(keyOf(back))).to.deep.include({ status: 'sent', provider: PRIMARY });
    expect(first().state.open).to.equal(false);
    const next = anEvent();
    expect(await notify.execute(next)).to.equal('sent');
    expect(await ledger.stateOf(keyOf(next))).to.deep.include({ provider: PRIMARY });
    expect(logs.lines.filter((l) => l.alert === true).map((l) => l.msg), 'one alert for the episode').to.deep.equal(['SMTP server refuses mail from us: sending paused, one email at a time tries again']);
    expect(primary.sent.map((m) => m.headers['X-Order-Id'])).to.deep.equal([back.orderId, next.orderId]);
  });

  it('counts an unknown outcome across providers: the primary lost the reply and went away, the fallback sends it once more, and a second unknown outcome dead-letters it instead of a third copy', async () => {
    const send = primary.send.bind(primary);
    primary.send = async (email) => {
      try {
        return await send(email);
      } finally {
        primary.reachable = false; // the server went away with the connection
      }
    };
    primary.loseReplyNext(1);
    fallback.loseReplyNext(1);
    const event = anEvent();
    expect(await notify.execute(event)).to.equal('deferred');
    expect(await notify.retryDue()).to.equal(1);
    expect([primary.sent.length, fallback.sent.length], 'one copy through each: the documented window').to.deep.equal([1, 1]);
    expect(primary.sent[0]?.messageId).to.equal(fallback.sent[0]?.messageId);
    expect(deadLetters.letters.map((l) => l.kind)).to.deep.equal(['outcome-unknown']);
    expect(counted.filter((c) => c.startsWith('mailOutcomeUnknown') || c.startsWith('deadLettered'))).to.deep.equal(['mailOutcomeUnknown', 'mailOutcomeUnknown', 'deadLettered:outcome-unknown']);
    expect(await notify.retryDue()).to.equal(0);
    expect(primary.sent.length + fallback.sent.length).to.equal(2);
  });

  describe('MailProviders', () => {
    it('uses the first provider whose circuit is closed, and offers trials only of providers ahead of it', async () => {
      expect(providers.active()?.name).to.equal(PRIMARY);
      second().trip(new MailDeliveryError('refused', '554 no', 554));
      expect(providers.active()?.name, 'a fallback down changes nothing').to.equal(PRIMARY);
      await new Promise((resolve) => setTimeout(resolve, 40)); // the fallback's probe passes and offers a trial
      expect(providers.takeTrial(), 'a provider behind the one in use is not needed').to.equal(undefined);
      first().trip(new MailDeliveryError('unavailable', 'connect ECONNREFUSED'));
      await until(() => providers.takeTrial() !== undefined, 'the fallback\'s trial, none being in use');
    });

    it('tells the consumer to hold back only when the last provider goes down, and to go on when the first comes back', async () => {
      const seen: boolean[] = [];
      providers.gate.onChange((isOpen) => seen.push(isOpen));
      primary.reachable = false;
      fallback.reachable = false;
      first().trip(new MailDeliveryError('unavailable', 'a'));
      second().trip(new MailDeliveryError('unavailable', 'b'));
      fallback.reachable = true;
      await until(() => !second().state.open, 'the fallback to come back');
      primary.reachable = true;
      await until(() => !first().state.open, 'the primary to come back');
      expect(seen).to.deep.equal([false, true]);
    });

    it('is ready while any provider takes mail, showing each by its label and never its address; fails with the primary\'s kind when none does', async () => {
      const check = mailProvidersHealthCheck(providers, { now: () => new Date('2026-11-24T12:00:00Z') }, logs.logger);
      expect(await check.check()).to.deep.include({ active: 'primary' });
      first().trip(new MailDeliveryError('auth', '535 5.7.8 bad credentials for mail-a.example.com', 535));
      const degraded = await check.check();
      expect(degraded).to.deep.include({ active: 'fallback-1' });
      expect((degraded as { providers: Record<string, unknown> }).providers).to.deep.equal({
        primary: { status: 'fail', circuit: 'open', since: (first().state as { since: Date }).since.toISOString(), error: 'auth-failed' },
        'fallback-1': { status: 'ok', circuit: 'closed', verifiedAt: '2026-11-24T12:00:00.000Z' },
      });
      second().trip(new MailDeliveryError('refused', '550 5.4.5 quota', 550, { rateLimited: true }));
      try {
        await check.check();
        expect.fail('the check passed with every provider down');
      } catch (error) {
        expect(error).to.be.instanceOf(HealthCheckFailure);
        expect((error as HealthCheckFailure).message).to.equal('auth-failed');
        expect(JSON.stringify((error as HealthCheckFailure).details)).not.to.contain('example.com');
      }
    });
  });
});
