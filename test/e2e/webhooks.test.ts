import { expect } from 'chai';
import { WEBHOOK_EVENT_TYPE_LIST, WEBHOOK_EVENT_TYPES } from '../../src/domain/webhook-endpoint.js';
import type { NotificationKind } from '../../src/domain/notification.js';
import { FaultStack } from '../support/fault-stack.js';
import { ensureKafka } from '../support/kafka.js';
import { eventually } from '../support/processes.js';
import { kindsByOrder, kindsFor, misidentified, type Step } from '../support/status-emails.js';
import { adminCallTo, deliveryProblems, registerEndpoint, REGISTRY_CACHE_MS, VerifyingWebhookReceiver, WEBHOOK_TEST_ENV, type AdminCall } from '../support/verifying-webhook-receiver.js';

interface NotificationView {
  kind: string;
  channel: string;
  endpointId?: string;
  status: string;
  failureKind?: string;
}

const UNFINISHED = new Set(['pending', 'sending', 'failed']);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const typeOf = (kind: string): string => WEBHOOK_EVENT_TYPES[kind as NotificationKind];

describe('Webhooks end to end: api and notifier processes, real PostgreSQL, Kafka, SMTP and HTTP receivers', function () {
  this.timeout(120_000);
  let stack: FaultStack | undefined;
  const receivers: VerifyingWebhookReceiver[] = [];

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  it('delivers each event once, signed and in order, to every endpoint subscribed to it; dead-letters a 410 alone, replays it once; a disabled endpoint gets nothing more', async () => {
    stack = await FaultStack.start(await ensureKafka(), { apis: 1, notifiers: 2, env: WEBHOOK_TEST_ENV });
    const running = stack;
    const admin: AdminCall = adminCallTo(() => running.nextBase());
    const everything = await VerifyingWebhookReceiver.start();
    const shippedOnly = await VerifyingWebhookReceiver.start();
    receivers.push(everything, shippedOnly);
    const everythingId = await registerEndpoint(admin, everything, WEBHOOK_EVENT_TYPE_LIST, 'every event');
    const shippedId = await registerEndpoint(admin, shippedOnly, ['order.shipped'], 'shipments only');
    // The shop's system refuses one delivery for good: that one alone is dead-lettered.
    everything.answer(410, ({ event }) => event?.type === 'order.shipped' && event.data.orderId === 'W-3');
    // And is busy twice when W-0 is announced: W-0's next events come while its first delivery waits for its retry.
    everything.answer(503, ({ event }) => event?.type === 'order.created' && event.data.orderId === 'W-0', 2);
    await pause(REGISTRY_CACHE_MS);

    const journeys: Record<string, Step[]> = {
      'W-0': ['shipped', 'delivered'],
      'W-1': ['shipped', 'delivered'],
      'W-2': ['shipped', 'delivered'],
      'W-3': ['shipped'],
      'W-4': ['shipped'],
      'W-5': ['cancelled'],
      'W-6': ['shipped', 'cancelled'],
      'W-7': [],
      'W-8': [],
      'W-9': [],
    };
    const internalIds = new Map<string, string>();
    const internalIdOf = (orderId: string): string => internalIds.get(orderId) as string;
    // Each order moves on as soon as the api answers, so an order's next event often comes before its previous delivery went.
    await Promise.all(
      Object.entries(journeys).map(async ([orderId, steps]) => {
        internalIds.set(orderId, await running.order(orderId));
        for (const step of steps) await running.changeStatus(orderId, step === 'shipped' ? { status: step, carrier: 'DHL', trackingUrl: `https://track.example.com/p/${orderId}` } : { status: step });
      }),
    );

    const emails = Object.fromEntries(Object.entries(journeys).map(([orderId, steps]) => [orderId, kindsFor(steps)]));
    const toEverything = Object.fromEntries(Object.entries(emails).map(([orderId, kinds]) => [orderId, kinds.filter((kind) => !(orderId === 'W-3' && kind === 'order-shipped')).map(typeOf)]));
    const toShippedOnly = Object.fromEntries(Object.entries(journeys).filter(([, steps]) => steps.includes('shipped')).map(([orderId]) => [orderId, ['order.shipped']]));
    const count = (expected: Record<string, string[]>): number => Object.values(expected).flat().length;
    await running.smtp.waitFor(count(emails), 60_000);
    await everything.waitFor((r) => r.accepted.length >= count(toEverything) && r.requests.some((request) => request.status === 410), 'the deliveries to the endpoint of every event');
    await shippedOnly.waitFor((r) => r.accepted.length >= count(toShippedOnly), 'the deliveries to the endpoint of shipments');

    const view = async (orderId: string): Promise<NotificationView[]> => {
      const { status, body } = await running.request('GET', `/orders/${orderId}`);
      expect(status, `GET /orders/${orderId}`).to.equal(200);
      return (body.data as { notifications: NotificationView[] }).notifications;
    };
    // What GET /orders/{orderId} must list once everything is finished: each kind by email, and by webhook to each endpoint subscribed to it.
    const expectedViews = (kinds: readonly string[], endpoints: { everything: boolean; shippedOnly: boolean }, dead: (kind: string) => boolean = () => false): NotificationView[] =>
      kinds
        .flatMap((kind) => [
          { kind, channel: 'email', status: 'sent' },
          ...(endpoints.everything ? [{ kind, channel: 'webhook', endpointId: everythingId, status: dead(kind) ? 'dead' : 'sent' }] : []),
          ...(endpoints.shippedOnly && kind === 'order-shipped' ? [{ kind, channel: 'webhook', endpointId: shippedId, status: 'sent' }] : []),
        ])
        .sort(byKey);
    const finished = async (orderIds: readonly string[]): Promise<boolean> => {
      for (const orderId of orderIds) if ((await view(orderId)).some((n) => UNFINISHED.has(n.status))) return false;
      return true;
    };
    await eventually(() => finished(Object.keys(journeys)), 'every notification to be finished', 30_000);

    expect(kindsByOrder(running.smtp.messages), 'the emails, as before: one per order and status, in order').to.deep.equal(emails);
    expect(misidentified(running.smtp.messages, internalIds, 'shop.test')).to.deep.equal([]);
    for (const receiver of [everything, shippedOnly]) {
      expect(deliveryProblems(receiver.requests, internalIds), 'every request signed, described by the schema, from ordermail').to.deep.equal([]);
      expect(receiver.duplicates(), 'webhook-ids taken twice').to.deep.equal([]);
    }
    expect(everything.typesByOrder(), 'the endpoint of every event: each event of each order once, in order').to.deep.equal(toEverything);
    expect(shippedOnly.typesByOrder(), 'the endpoint of shipments: the shipments, once each').to.deep.equal(toShippedOnly);
    expect(everything.requests.filter((r) => r.status === 410).map((r) => r.webhookId)).to.deep.equal([`msg_order-shipped_${internalIdOf('W-3')}`]);
    expect(everything.requests.filter((r) => r.event?.data.orderId === 'W-0').map((r) => `${r.status} ${r.event?.type ?? ''}`), 'W-0: its first delivery retried, the next ones after it').to.deep.equal([
      '503 order.created',
      '503 order.created',
      '204 order.created',
      '204 order.shipped',
      '204 order.delivered',
    ]);
    const shipped = shippedOnly.accepted.find((r) => r.event?.data.orderId === 'W-0')?.event;
    expect(shipped?.data, 'a shipment as the endpoint got it').to.deep.include({ orderId: 'W-0', status: 'shipped', previousStatus: 'created', carrier: 'DHL', trackingUrl: 'https://track.example.com/p/W-0', email: 'w-0@example.com' });

    for (const [orderId, kinds] of Object.entries(emails)) {
      const dead = (kind: string): boolean => orderId === 'W-3' && kind === 'order-shipped';
      expect((await view(orderId)).map(pickView).sort(byKey), `GET /orders/${orderId}`).to.deep.equal(expectedViews(kinds, { everything: true, shippedOnly: true }, dead));
    }
    const refused = (await view('W-3')).find((n) => n.channel === 'webhook' && n.endpointId === everythingId && n.kind === 'order-shipped');
    expect(refused?.failureKind, 'the 410 as GET /orders/{orderId} shows it').to.equal('endpoint-rejected');

    // Replayed, it goes once more, to that endpoint only, and is taken.
    const replay = await admin('POST', `/admin/api/notifications/W-3/order-shipped/webhook/replay?endpoint=${everythingId}`);
    expect(replay, 'the replay').to.deep.include({ status: 202, body: { success: true, outcome: 'reset' } });
    const replayedId = `msg_order-shipped_${internalIdOf('W-3')}`;
    await everything.waitFor((r) => r.acceptedById().get(replayedId) === 1, 'the replayed delivery');
    await eventually(() => finished(['W-3']), 'the replayed delivery to be recorded', 15_000);
    expect(everything.requests.filter((r) => r.webhookId === replayedId).map((r) => r.status), 'the refused delivery, then its replay').to.deep.equal([410, 204]);
    expect(shippedOnly.requests.filter((r) => r.webhookId === replayedId), 'the other endpoint had it once, before').to.have.length(1);
    expect((await view('W-3')).map(pickView).sort(byKey)).to.deep.equal(expectedViews(emails['W-3'] as string[], { everything: true, shippedOnly: true }));

    // Disabled, the endpoint of shipments gets no more: neither the delivery it keeps failing (W-9's) nor new ones; the other goes on.
    shippedOnly.answer(503, ({ event }) => event?.data.orderId === 'W-9', 1000);
    await running.changeStatus('W-9', { status: 'shipped', carrier: 'UPS' });
    await shippedOnly.waitFor((r) => r.requests.some((request) => request.status === 503), 'the endpoint of shipments to fail W-9\'s delivery');
    const disabled = await admin('POST', `/admin/api/webhooks/${shippedId}/disable`);
    expect(disabled.status, JSON.stringify(disabled.body)).to.equal(200);
    expect(disabled.body.endpoint, 'the endpoint disabled').to.deep.include({ id: shippedId, enabled: false });
    const takenBefore = shippedOnly.accepted.length;
    await pause(REGISTRY_CACHE_MS);
    const requestsBefore = shippedOnly.requests.length;
    for (const orderId of ['W-7', 'W-8']) await running.changeStatus(orderId, { status: 'shipped', carrier: 'UPS' });
    const lastShipped = ['W-7', 'W-8', 'W-9'];
    await everything.waitFor((r) => lastShipped.every((orderId) => r.typesByOrder()[orderId]?.length === 2), 'the last shipments to the endpoint still enabled');
    await running.smtp.waitFor(count(emails) + lastShipped.length, 30_000);
    await eventually(() => finished(lastShipped), 'the notifications of the last shipments to be finished', 15_000);
    expect(shippedOnly.accepted.length, 'deliveries the disabled endpoint took').to.equal(takenBefore);
    expect(shippedOnly.requests.slice(requestsBefore).filter((r) => r.event?.data.orderId !== 'W-9'), 'new deliveries to the disabled endpoint').to.deep.equal([]);
    for (const orderId of ['W-7', 'W-8']) {
      expect((await view(orderId)).map(pickView).sort(byKey), `GET /orders/${orderId}`).to.deep.equal(expectedViews(kindsFor(['shipped']), { everything: true, shippedOnly: false }));
    }
    const stopped = (await view('W-9')).find((n) => n.endpointId === shippedId);
    expect(stopped, 'W-9\'s delivery to the disabled endpoint').to.deep.include({ kind: 'order-shipped', status: 'skipped', failureKind: 'endpoint-disabled' });
    expect(kindsByOrder(running.smtp.messages), 'the emails, the disabled endpoint notwithstanding').to.deep.equal({ ...emails, ...Object.fromEntries(lastShipped.map((orderId) => [orderId, kindsFor(['shipped'])])) });
    expect(deliveryProblems(everything.requests, internalIds)).to.deep.equal([]);
    expect(everything.duplicates(), 'webhook-ids taken twice').to.deep.equal([]);
  });
});

function pickView({ kind, channel, endpointId, status }: NotificationView): NotificationView {
  return { kind, channel, ...(endpointId === undefined ? {} : { endpointId }), status };
}

function byKey(a: NotificationView, b: NotificationView): number {
  const key = (n: NotificationView): string => `${n.kind}|${n.channel}|${n.endpointId ?? ''}`;
  return key(a).localeCompare(key(b));
}
