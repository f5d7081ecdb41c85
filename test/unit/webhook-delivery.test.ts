import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { InMemoryDeadLetters } from '../../src/adapters/memory/in-memory-dead-letters.js';
import { InMemoryMailer } from '../../src/adapters/memory/in-memory-mailer.js';
import { InMemoryNotificationLedger } from '../../src/adapters/memory/in-memory-notification-ledger.js';
import { InMemoryWebhookEndpoints } from '../../src/adapters/memory/in-memory-webhook-endpoints.js';
import { InMemoryWebhookSender } from '../../src/adapters/memory/in-memory-webhook-sender.js';
import { Doorbell } from '../../src/application/doorbell.js';
import { MailCircuit } from '../../src/application/mail-circuit.js';
import { MailProviders } from '../../src/application/mail-providers.js';
import { NotificationSender } from '../../src/application/notification-sender.js';
import { NotificationsInFlight } from '../../src/application/notifications-in-flight.js';
import { NotifyEveryChannel } from '../../src/application/notify-every-channel.js';
import { isDeadEvent } from '../../src/application/ports/dead-letters.js';
import { NO_METRICS, type Metrics } from '../../src/application/ports/metrics.js';
import { WebhookDeliveryError } from '../../src/application/ports/webhook-sender.js';
import { SendNotification } from '../../src/application/send-notification.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { statusUpdate } from '../../src/application/send-status-update-on-order-status-changed.js';
import { WebhookCircuits, type WebhookCircuitOptions } from '../../src/application/webhook-circuits.js';
import { WebhookDispatcher } from '../../src/application/webhook-dispatcher.js';
import { WebhookNotificationSender } from '../../src/application/webhook-notification-sender.js';
import { WebhookSubscribers } from '../../src/application/webhook-subscribers.js';
import type { NotificationKind } from '../../src/domain/notification.js';
import { Order } from '../../src/domain/order.js';
import type { OrderCreatedEvent } from '../../src/domain/order-created.js';
import type { OrderStatusChangedEvent } from '../../src/domain/order-status-changed.js';
import type { WebhookEndpoint } from '../../src/domain/webhook-endpoint.js';
import { capturingLogger } from '../support/logs.js';
import type { EmailTemplates } from '../../src/application/ports/email-templates.js';
import { builtInTemplates } from '../support/email-templates.js';

class FakeClock {
  private at = Date.parse('2026-11-25T12:00:00Z');
  now = (): Date => new Date(this.at);
  millis = (): number => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

let endpointCount = 0;
function anEndpoint(kinds: NotificationKind[], url = `https://hooks.example.com/${++endpointCount}`): WebhookEndpoint {
  return { id: `ep_${String(endpointCount).padStart(24, '0')}`, url, events: kinds, enabled: true, createdAt: new Date('2026-11-25T11:00:00Z') };
}

function anOrder(orderId = `W-${randomUUID().slice(0, 8)}`): { order: Order; created: OrderCreatedEvent } {
  const order = Order.create({ orderId, itemIds: ['sku-1'], email: 'ada@example.com' }, randomUUID(), new Date('2026-11-25T11:59:00Z'));
  return { order, created: order.pullEvents()[0] as OrderCreatedEvent };
}

describe('Webhook notifications: queued on every event, delivered by the dispatcher, one circuit per endpoint', () => {
  let templates: EmailTemplates;
  before(async () => {
    templates = await builtInTemplates();
  });
  let clock: FakeClock;
  let ledger: InMemoryNotificationLedger;
  let endpoints: InMemoryWebhookEndpoints;
  let webhooks: InMemoryWebhookSender;
  let mailer: InMemoryMailer;
  let deadLetters: InMemoryDeadLetters;
  let logs: ReturnType<typeof capturingLogger>;
  let mailCircuit: MailCircuit;
  let counted: string[];

  beforeEach(() => {
    clock = new FakeClock();
    ledger = new InMemoryNotificationLedger(clock.millis);
    endpoints = new InMemoryWebhookEndpoints();
    webhooks = new InMemoryWebhookSender();
    mailer = new InMemoryMailer();
    deadLetters = new InMemoryDeadLetters();
    logs = capturingLogger('notifier');
    mailCircuit = new MailCircuit(mailer, clock, logs.logger, { min: 5, max: 20 });
    counted = [];
  });
  afterEach(() => mailCircuit.stop());

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; !condition(); i++) {
      if (i > 500) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  function notifier(circuitOptions?: WebhookCircuitOptions, maxRetries = 5) {
    const metrics: Metrics = {
      ...NO_METRICS,
      webhook: (result, kind, endpointId) => counted.push(`webhook:${result}:${kind}:${endpointId}`),
      deadLettered: (kind) => counted.push(`deadLettered:${kind}`),
      webhookCircuitOpened: (endpointId) => counted.push(`circuitOpened:${endpointId}`),
    };
    const claims = { owner: 'notifier-a', leaseMs: 60_000 };
    const inFlight = new NotificationsInFlight();
    const subscribers = new WebhookSubscribers(endpoints, clock, 0);
    const emailSender = new NotificationSender(ledger, MailProviders.single(mailer, mailCircuit), templates, deadLetters, clock, logs.logger, inFlight, { maxRetries, retryBaseMs: 1000, ...claims }, metrics);
    const doorbell = new Doorbell();
    const circuits = new WebhookCircuits(clock, logs.logger, circuitOptions, metrics);
    const sender = new WebhookNotificationSender(ledger, subscribers, webhooks, deadLetters, circuits, clock, logs.logger, inFlight, { maxRetries, retryBaseMs: 1000, owner: claims.owner }, metrics);
    const dispatcher = new WebhookDispatcher(ledger, sender, circuits, inFlight, doorbell, logs.logger, claims);
    const notify = new NotifyEveryChannel(ledger, subscribers, new SendNotification(ledger, emailSender, logs.logger, claims), doorbell);
    return {
      dispatcher,
      notify,
      circuits,
      /** One round of the dispatcher, waited for to the end. */
      async dispatch(): Promise<number> {
        const taken = await dispatcher.dispatchOnce();
        await dispatcher.idle();
        return taken;
      },
    };
  }

  it('queues one delivery per enabled endpoint subscribed to the kind, emails the customer, and queues nothing twice when the event comes again', async () => {
    const both = anEndpoint(['order-created', 'order-shipped']);
    const shippedOnly = anEndpoint(['order-shipped']);
    const disabled = { ...anEndpoint(['order-created']), enabled: false };
    for (const endpoint of [both, shippedOnly, disabled]) await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { order, created } = anOrder();
    const { notify, dispatch } = notifier();

    expect(await notify.execute(orderConfirmation(created), { correlationId: 'corr-1' })).to.equal('sent');
    expect(await notify.execute(orderConfirmation(created), { correlationId: 'corr-1' }), 'the same event again').to.equal('duplicate');
    expect(await dispatch()).to.equal(1);
    expect(await dispatch(), 'nothing left').to.equal(0);

    expect(mailer.sent).to.have.length(1);
    expect(webhooks.sent).to.have.length(1);
    const [request] = webhooks.sent;
    expect(request).to.deep.include({ url: both.url, id: `msg_order-created_${order.internalId}`, secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], headers: { 'x-correlation-id': 'corr-1' } });
    expect(JSON.parse(request?.body ?? '')).to.deep.include({ type: 'order.created' });
    expect((await ledger.statesOf(order.orderId)).map(({ channel, endpointId, status }) => ({ channel, endpointId, status }))).to.deep.equal([
      { channel: 'webhook', endpointId: both.id, status: 'sent' },
      { channel: 'email', endpointId: undefined, status: 'sent' },
    ]);
    expect(counted).to.include(`webhook:sent:order-created:${both.id}`);
  });

  it('sends the deliveries of one endpoint for one order in order: the shipped one waits until the confirmation has gone', async () => {
    const endpoint = anEndpoint(['order-created', 'order-shipped']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { order, created } = anOrder();
    order.changeStatus({ status: 'shipped' }, randomUUID(), new Date('2026-11-25T12:00:00Z'));
    const shipped = order.pullEvents()[0] as OrderStatusChangedEvent;
    const { notify, dispatch } = notifier();
    await notify.execute(orderConfirmation(created), {});
    webhooks.failNext(new WebhookDeliveryError('failed', 'answered 500', { status: 500 }));
    expect(await dispatch()).to.equal(1);
    await notify.execute(statusUpdate(shipped), {});
    expect(await dispatch(), 'the shipped one waits behind the confirmation, whose retry is not due').to.equal(0);
    clock.advance(2000);
    expect(await dispatch()).to.equal(1);
    expect(await dispatch()).to.equal(1);
    expect(webhooks.sent.map((request) => JSON.parse(request.body).type)).to.deep.equal(['order.created', 'order.shipped']);
  });

  it('retries a 5xx with the exponential backoff, and later than that when Retry-After says so', async () => {
    const endpoint = anEndpoint(['order-created']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { order, created } = anOrder();
    const { notify, dispatch } = notifier();
    await notify.execute(orderConfirmation(created), {});
    webhooks.failNext(new WebhookDeliveryError('failed', 'answered 503', { status: 503, retryAfterMs: 30_000 }));
    await dispatch();
    expect((await ledger.statesOf(order.orderId)).find((n) => n.channel === 'webhook')).to.deep.include({ status: 'failed', attempts: 1, failureKind: 'endpoint-failed' });
    clock.advance(5000);
    expect(await dispatch(), 'the backoff alone would be 1 s; Retry-After said 30').to.equal(0);
    clock.advance(25_000);
    expect(await dispatch()).to.equal(1);
    expect(webhooks.sent).to.have.length(1);
    expect(counted).to.include.members([`webhook:retried:order-created:${endpoint.id}`, `webhook:sent:order-created:${endpoint.id}`]);
  });

  it('dead-letters a delivery the endpoint refuses (410) with its key, and goes on with the next', async () => {
    const endpoint = anEndpoint(['order-created']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const first = anOrder();
    const second = anOrder();
    const { notify, dispatch } = notifier();
    await notify.execute(orderConfirmation(first.created), {});
    await notify.execute(orderConfirmation(second.created), {});
    webhooks.failNext(new WebhookDeliveryError('rejected', 'answered 410 Gone', { status: 410 }));
    await dispatch();
    expect(webhooks.sent).to.have.length(1);
    const [letter] = deadLetters.letters;
    expect(letter && isDeadEvent(letter) ? letter.notification : undefined).to.deep.equal({ orderId: first.order.orderId, kind: 'order-created', channel: 'webhook', endpointId: endpoint.id });
    expect(letter).to.deep.include({ kind: 'permanent', reason: 'answered 410 Gone', attempts: 1 });
    expect((await ledger.statesOf(first.order.orderId)).find((n) => n.channel === 'webhook')).to.deep.include({ status: 'dead', failureKind: 'endpoint-rejected' });
    expect(counted).to.include('deadLettered:permanent');
  });

  it('dead-letters a delivery that failed every retry while the endpoint kept answering others', async () => {
    const endpoint = anEndpoint(['order-created']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { order, created } = anOrder();
    const { notify, dispatch } = notifier({ failuresToOpen: 100, openMs: { min: 1000, max: 1000 } }, 2);
    await notify.execute(orderConfirmation(created), {});
    for (let attempt = 0; attempt < 3; attempt++) {
      webhooks.failNext(new WebhookDeliveryError('failed', 'answered 500', { status: 500 }));
      await dispatch();
      clock.advance(10_000);
    }
    expect(deadLetters.letters).to.have.length(1);
    expect(deadLetters.letters[0]).to.deep.include({ kind: 'retries-exhausted', attempts: 3 });
    expect((await ledger.statesOf(order.orderId)).find((n) => n.channel === 'webhook')).to.deep.include({ status: 'dead' });
  });

  it('pauses an endpoint that is away without using up retries, leaves the other endpoints alone, and delivers everything once it is back', async () => {
    const down = anEndpoint(['order-created']);
    const up = anEndpoint(['order-created']);
    for (const endpoint of [down, up]) await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const orders = Array.from({ length: 6 }, () => anOrder());
    const { notify, dispatch, circuits } = notifier({ failuresToOpen: 3, openMs: { min: 1000, max: 4000 } });
    for (const { created } of orders) await notify.execute(orderConfirmation(created), {});
    // The down endpoint refuses connections for a while: every request to it fails.
    const original = webhooks.send.bind(webhooks);
    let outage = true;
    webhooks.send = async (request) => {
      if (outage && request.url === down.url) throw new WebhookDeliveryError('unreachable', 'connect ECONNREFUSED');
      return original(request);
    };
    for (let round = 0; round < 20; round++) {
      await dispatch();
      clock.advance(1000);
    }
    expect(webhooks.sentTo(up.url), 'the other endpoint got everything at once').to.have.length(6);
    expect(circuits.paused().concat(circuits.admit(down.id).allowed ? [] : [down.id])).to.include(down.id);
    outage = false;
    for (let round = 0; round < 10; round++) {
      await dispatch();
      clock.advance(4000);
    }
    expect(webhooks.sentTo(down.url).map((r) => r.id).sort()).to.deep.equal(orders.map(({ order }) => `msg_order-created_${order.internalId}`).sort());
    expect(deadLetters.letters, 'an outage dead-letters nothing').to.deep.equal([]);
    for (const { order } of orders) {
      const states = await ledger.statesOf(order.orderId);
      expect(states.filter((n) => n.channel === 'webhook').map((n) => n.status)).to.deep.equal(['sent', 'sent']);
      for (const state of states.filter((n) => n.endpointId === down.id)) expect(state.attempts, 'at most the failures before the circuit opened').to.be.at.most(2);
    }
    expect(counted.filter((line) => line === `circuitOpened:${down.id}`).length).to.be.greaterThan(0);
  });

  it('resumes an endpoint whose late failures (sent before its circuit opened) end after its open time, and a poison delivery never holds the trial', async () => {
    const endpoint = anEndpoint(['order-created']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { notify, dispatch, circuits, dispatcher } = notifier({ failuresToOpen: 3, openMs: { min: 1000, max: 4000 } });
    // Four deliveries go out at once; the endpoint holds them, then refuses them one by one.
    const held: (() => void)[] = [];
    const original = webhooks.send.bind(webhooks);
    let down = true;
    webhooks.send = (request) =>
      down ? new Promise((_resolve, reject) => held.push(() => reject(new WebhookDeliveryError('unreachable', 'no answer within 10000 ms')))) : original(request);
    const orders = Array.from({ length: 4 }, () => anOrder());
    for (const { created } of orders) await notify.execute(orderConfirmation(created), {});
    expect(await dispatcher.dispatchOnce()).to.equal(4);
    for (let i = 0; i < 3; i++) held.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    await until(() => circuits.paused().length === 1, 'the circuit to open');
    clock.advance(1500);
    // The fourth fails after the open time: it must not take (and keep) the trial.
    held.shift()?.();
    await dispatcher.idle();
    expect(circuits.paused(), 'due for a trial').to.deep.equal([]);
    // A poison delivery (an event no webhook describes) is dead-lettered without holding the trial either.
    await ledger.enqueue([{ ...orderConfirmation(anOrder().created), channel: 'webhook', endpointId: endpoint.id, event: { type: 'order.refunded', version: 1, aggregateId: 'X', payload: {} } }], {});
    down = false;
    for (let round = 0; round < 6; round++) {
      clock.advance(5000);
      await dispatch();
    }
    expect(deadLetters.letters.map((letter) => letter.kind)).to.deep.equal(['poison']);
    expect(webhooks.sentTo(endpoint.url).map((r) => r.id).sort()).to.deep.equal(orders.map(({ order }) => `msg_order-created_${order.internalId}`).sort());
    expect(circuits.paused()).to.deep.equal([]);
  });

  it('skips the deliveries of an endpoint disabled or deleted before they went out', async () => {
    const disabledLater = anEndpoint(['order-created']);
    const deletedLater = anEndpoint(['order-created']);
    for (const endpoint of [disabledLater, deletedLater]) await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { order, created } = anOrder();
    const { notify, dispatch } = notifier();
    await notify.execute(orderConfirmation(created), {});
    await endpoints.setEnabled(disabledLater.id, false);
    await endpoints.remove(deletedLater.id);
    await dispatch();
    expect(webhooks.sent).to.deep.equal([]);
    expect((await ledger.statesOf(order.orderId)).filter((n) => n.channel === 'webhook').map((n) => ({ status: n.status, failureKind: n.failureKind }))).to.deep.equal([
      { status: 'skipped', failureKind: 'endpoint-disabled' },
      { status: 'skipped', failureKind: 'endpoint-disabled' },
    ]);
  });

  it('signs with the new and the rotated-out secret during the grace period, then with the new one alone', async () => {
    const endpoint = anEndpoint(['order-created']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    await endpoints.rotateSecret(endpoint.id, 'whsec_bm90IGEgcmVhbCBzZWNyZXQsIGEgdGVzdCBvbmU=', new Date(clock.millis() + 60_000));
    const { notify, dispatch } = notifier();
    const first = anOrder();
    await notify.execute(orderConfirmation(first.created), {});
    await dispatch();
    clock.advance(60_000);
    const second = anOrder();
    await notify.execute(orderConfirmation(second.created), {});
    await dispatch();
    expect(webhooks.sent.map((request) => request.secrets)).to.deep.equal([
      ['whsec_bm90IGEgcmVhbCBzZWNyZXQsIGEgdGVzdCBvbmU=', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      ['whsec_bm90IGEgcmVhbCBzZWNyZXQsIGEgdGVzdCBvbmU='],
    ]);
  });

  it('sends a timed-out delivery again with the same webhook-id, which the receiver recognises', async () => {
    const endpoint = anEndpoint(['order-created']);
    await endpoints.add(endpoint, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const { notify, dispatch } = notifier();
    const { created } = anOrder();
    await notify.execute(orderConfirmation(created), {});
    webhooks.loseAnswerNext();
    await dispatch();
    clock.advance(2000);
    await dispatch();
    expect(webhooks.sent).to.have.length(2);
    expect(new Set(webhooks.sent.map((request) => request.id)).size).to.equal(1);
  });
});
