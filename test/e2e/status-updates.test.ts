import { expect } from 'chai';
import { FaultStack } from '../support/fault-stack.js';
import { ensureKafka } from '../support/kafka.js';
import { eventually } from '../support/processes.js';
import { kindsByOrder, kindsFor, misidentified, type Step } from '../support/status-emails.js';

interface OrderView {
  status: string;
  statusHistory: { status: string }[];
  notifications: { kind: string; channel: string; status: string; attempts: number; sentAt?: string }[];
}

describe('Order status updates end to end: api and notifier processes, real PostgreSQL, Kafka and SMTP', function () {
  this.timeout(120_000);
  let stack: FaultStack | undefined;

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  async function view(orderId: string): Promise<OrderView> {
    const { status, body } = await (stack as FaultStack).request('GET', `/orders/${orderId}`);
    expect(status, `GET /orders/${orderId}`).to.equal(200);
    return body.data as OrderView;
  }

  it('emails each order once per status, in the order of its events, and GET /orders/{orderId} lists every notification as sent', async () => {
    stack = await FaultStack.start(await ensureKafka(), { apis: 1, notifiers: 2 });
    const running = stack;
    const journeys: Record<string, Step[]> = {};
    for (let i = 0; i < 6; i++) journeys[`D-${i}`] = ['shipped', 'delivered'];
    for (let i = 0; i < 3; i++) journeys[`C-${i}`] = ['cancelled'];
    for (let i = 0; i < 3; i++) journeys[`SC-${i}`] = ['shipped', 'cancelled'];

    // Each order moves on as soon as the api answers; the first three emails to D-0..D-2 are deferred (451),
    // so their next events arrive while an earlier email of their order waits for its retry.
    running.smtp.script({ to: /^d-[0-2]@example\.com$/, code: 451, message: '4.7.1 try again later', times: 3 });
    const internalIds = new Map<string, string>();
    await Promise.all(
      Object.entries(journeys).map(async ([orderId, steps]) => {
        internalIds.set(orderId, await running.order(orderId));
        for (const step of steps) await running.changeStatus(orderId, step === 'shipped' ? { status: step, carrier: 'DHL', trackingUrl: `https://track.example.com/p/${orderId}` } : { status: step });
      }),
    );
    // A move the domain refuses, and one the order already made, send nothing.
    expect((await running.request('POST', '/orders/C-0/status', { status: 'shipped' })).status).to.equal(409);
    expect((await running.request('POST', '/orders/D-0/status', { status: 'delivered' })).status).to.equal(200);

    const expected = Object.fromEntries(Object.entries(journeys).map(([orderId, steps]) => [orderId, kindsFor(steps)]));
    const total = Object.values(expected).reduce((sum, kinds) => sum + kinds.length, 0);
    await running.smtp.waitFor(total, 60_000);
    // Once every notification is finished in the ledger, no other email can be on its way.
    await eventually(
      async () => {
        for (const [orderId, kinds] of Object.entries(expected)) {
          const { notifications } = await view(orderId);
          if (notifications.length !== kinds.length || notifications.some((n) => n.status !== 'sent')) return false;
        }
        return true;
      },
      'every notification to be sent',
      30_000,
    );

    const queued = running.notifiers.flatMap((n) => n.lines).filter((l) => l.msg === 'notification queued behind an earlier one of its order');
    expect(queued.length, 'status events that arrived while an earlier email of their order waited for its retry').to.be.greaterThan(0);
    expect(kindsByOrder(running.smtp.messages), 'the emails of each order, in the order the server took them').to.deep.equal(expected);
    expect(running.smtp.messages).to.have.length(total);
    expect(misidentified(running.smtp.messages, internalIds, 'shop.test')).to.deep.equal([]);
    const shipped = running.smtp.messages.filter((m) => m.messageId.startsWith('<order-shipped-'));
    for (const email of shipped) expect(email.raw, `the carrier in ${email.messageId}`).to.contain('Carrier: DHL');

    for (const [orderId, steps] of Object.entries(journeys)) {
      const order = await view(orderId);
      expect(order.status).to.equal(steps.at(-1));
      expect(order.statusHistory.map((entry) => entry.status)).to.deep.equal(['created', ...steps]);
      expect(order.notifications.map(({ kind, channel, status }) => ({ kind, channel, status })), orderId).to.deep.equal(kindsFor(steps).map((kind) => ({ kind, channel: 'email', status: 'sent' })));
      for (const notification of order.notifications) expect(Number.isNaN(Date.parse(notification.sentAt ?? '')), `${orderId} ${notification.kind} sentAt`).to.equal(false);
    }
  });
});
