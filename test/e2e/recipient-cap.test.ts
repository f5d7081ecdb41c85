import { expect } from 'chai';
import { scrape } from '../support/metrics.js';
import { NotifierStack } from '../support/notifier-stack.js';
import { eventually, type RunningProcess } from '../support/processes.js';

const CAP = 5;
const SKIP_LINE = 'notification skipped: the recipient reached its hourly cap';

describe('Two notifier processes sharing one cap per recipient (PostgreSQL)', function () {
  this.timeout(180_000);
  let stack: NotifierStack;

  after(async () => {
    await stack?.stop();
  });

  it(`emails one address ${CAP} times an hour in all, skips the rest as recipient-rate-limited, and leaves other addresses alone`, async () => {
    stack = await NotifierStack.start({ NOTIFY_MAX_PER_RECIPIENT_PER_HOUR: String(CAP) });
    const notifiers: RunningProcess[] = [await stack.startNotifier(), await stack.startNotifier()];
    // One mailbox, however it is written.
    const spellings = ['flood@example.com', 'Flood@Example.COM', 'flood+shop@example.com'];
    const flood = Array.from({ length: 12 }, (_, n) => ({ orderId: `flood-${n}`, email: spellings[n % spellings.length] as string }));
    const others = Array.from({ length: 5 }, (_, n) => ({ orderId: `other-${n}`, email: `other-${n}@example.com` }));
    await Promise.all([...flood, ...others].map(({ orderId, email }) => stack.order(orderId, email)));

    const settled = async () => {
      const { rows } = await stack.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE status IN ('sent', 'skipped')`);
      return rows[0]?.n === flood.length + others.length;
    };
    await eventually(settled, 'every order to be sent or skipped', 60_000);

    const { rows } = await stack.pool.query<{ order_id: string; status: string; failure_kind: string | null }>('SELECT order_id, status, failure_kind FROM notifications ORDER BY order_id');
    const floodRows = rows.filter((r) => r.order_id.startsWith('flood-'));
    expect(floodRows.filter((r) => r.status === 'sent')).to.have.length(CAP);
    const skipped = floodRows.filter((r) => r.status === 'skipped');
    expect(skipped).to.have.length(12 - CAP);
    expect(skipped.every((r) => r.failure_kind === 'recipient-rate-limited')).to.equal(true);
    expect(rows.filter((r) => r.order_id.startsWith('other-')).map((r) => r.status)).to.deep.equal(Array(5).fill('sent'));

    const byOrder = stack.emailsByOrder();
    expect(flood.filter(({ orderId }) => byOrder.has(orderId))).to.have.length(CAP);
    expect(others.filter(({ orderId }) => byOrder.get(orderId) !== 1)).to.deep.equal([]);
    expect(stack.smtp.messages).to.have.length(CAP + others.length);

    // Both processes took from the one cap: each handled some of the flood, and the skips add up across them.
    const handledFlood = (notifier: RunningProcess) => notifier.lines.filter((l) => String(l.orderId).startsWith('flood-') && (l.msg === 'email sent' || l.msg === SKIP_LINE)).length;
    expect(notifiers.map(handledFlood).every((n) => n > 0), 'each notifier handled some of the flood').to.equal(true);
    const skipLines = notifiers.flatMap((n) => n.lines.filter((l) => l.msg === SKIP_LINE));
    expect(skipLines).to.have.length(12 - CAP);
    for (const line of skipLines) {
      expect(line).to.include({ level: 'warn', perHour: CAP, recipientDomain: 'example.com' });
      expect(JSON.stringify(line)).to.not.match(/flood(\+shop)?@/i);
    }
    let limited = 0;
    for (const notifier of notifiers) {
      const ops = `http://127.0.0.1:${String((await notifier.waitForLine((l) => l.msg === 'ops server listening', 'the ops server')).port)}/metrics`;
      limited += (await scrape(ops, 'ordermail_recipient_rate_limited_total')) ?? 0;
    }
    expect(limited).to.equal(12 - CAP);

    // What a caller without a key sees: the status and the kind, not the reason's text nor the address.
    const skippedId = skipped[0]?.order_id as string;
    const view = (await (await fetch(`${stack.base}/orders/${skippedId}`)).json()) as { data: { email: string; notification: Record<string, unknown> } };
    expect(view.data.notification).to.include({ status: 'skipped', failureKind: 'recipient-rate-limited' });
    expect(JSON.stringify(view)).to.not.contain('NOTIFY_MAX_PER_RECIPIENT_PER_HOUR');
    expect(view.data.email).to.match(/^f•••@example\.com$/i);
  });
});
