import { expect } from 'chai';
import { BATCH_CONCURRENCY } from '../../src/adapters/kafka/kafka-event-consumer.js';
import { countByMessageId, FaultStack, kafkaScript, PrivateCluster, type Report } from '../support/fault-stack.js';
import { scrape } from '../support/metrics.js';
import { eventually } from '../support/processes.js';
import type { SmtpTestServer } from '../support/smtp-test-server.js';
import { kindsByOrderWithoutRepeats, kindsFor, misidentified } from '../support/status-emails.js';
import { adminCallTo, deliveryProblems, registerEndpoint, REGISTRY_CACHE_MS, VerifyingWebhookReceiver, WEBHOOK_TEST_ENV } from '../support/verifying-webhook-receiver.js';

const KAFKA_PORT = process.env.ORDERMAIL_TEST_FAULTS_KAFKA_PORT ?? '19094';
const RATE = 20; // orders per second while each fault happens

/**
 * Not held up by an outage, without a stopwatch: the orders accepted in its first half (7.5 s of 15) whose email
 * came only after it ended — had the emails waited for the outage, that would be all of them.
 */
function firstHalf(accepted: [string, number][], downAt: number, backAt: number): [string, number][] {
  return accepted.filter(([, at]) => at < downAt + (backAt - downAt) / 2);
}
function emailedOnlyAfter(backAt: number, accepted: [string, number][], emailedAt: Map<string, number>): string[] {
  expect(accepted.length, 'orders accepted in the first half of the outage').to.be.greaterThan(50);
  return accepted.filter(([orderId]) => (emailedAt.get(orderId) ?? Infinity) >= backAt).map(([orderId]) => orderId);
}

function report(name: string, r: Report): void {
  console.log(`      ${name}: accepted ${r.accepted}, emailed ${r.emailed}, unanswered ${r.unanswered} (${r.emailedUnanswered} of them stored and emailed), duplicates ${r.duplicates} (post-250 window), dead letters ${r.deadLetters}, drained ${r.drainMs} ms after the fault cleared`);
}

describe('End to end under faults: two apis, two notifiers, real PostgreSQL, Kafka and SMTP', function () {
  this.timeout(300_000);
  let brokers: string;
  let stack: FaultStack | undefined;
  let receiver: VerifyingWebhookReceiver | undefined;
  let cluster: PrivateCluster | undefined;

  before(async function () {
    this.timeout(300_000);
    await kafkaScript('reset', KAFKA_PORT);
    brokers = await kafkaScript('start', KAFKA_PORT);
  });
  after(async () => {
    await kafkaScript('reset', KAFKA_PORT);
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    await receiver?.close();
    receiver = undefined;
    await cluster?.drop();
    cluster = undefined;
  });

  it('kill -9 of a notifier: every order emailed, duplicates only in the post-250 window', async () => {
    stack = await FaultStack.start(brokers);
    const flowing = stack.flow(RATE, 12_000);
    await stack.smtp.waitFor(40, 30_000);
    const killedAt = Date.now();
    await stack.notifiers[0]?.stop('SIGKILL');
    const cleared = Date.now();
    await flowing;
    const r = await stack.drained(cleared);
    report('notifier killed', r);
    expect(r.emailed).to.equal(r.accepted);
    // The killed notifier had at most 6 partitions × BATCH_CONCURRENCY messages in flight.
    expect(r.duplicates, 'at most the emails in flight at the kill').to.be.at.most(6 * BATCH_CONCURRENCY);
    expect(stack.smtp.duplicatesNotExplainedByKillAt(killedAt), 'duplicates whose first copy came after the kill').to.deep.equal([]);
  });

  it('kill -9 of a notifier between the two status events of its orders: each email once (duplicates only in the post-250 window), in order per order', async () => {
    stack = await FaultStack.start(brokers);
    const running = stack;
    const orders = Array.from({ length: 30 }, (_, i) => `KS-${i}`);
    const internalIds = new Map<string, string>();
    await Promise.all(orders.map(async (orderId) => internalIds.set(orderId, await running.order(orderId))));
    await running.smtp.waitFor(orders.length, 30_000);

    // The server now takes a second to answer each email, so the kill lands with shipped emails on the wire.
    running.smtp.holdReplies(1000);
    await Promise.all(orders.map((orderId) => running.changeStatus(orderId, { status: 'shipped', carrier: 'DHL', trackingUrl: `https://track.example.com/p/${orderId}` })));
    const victim = running.notifiers[0];
    const inFlightOfVictim = async (): Promise<number> =>
      Number((await running.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE kind = 'order-shipped' AND status = 'sending' AND lease_owner LIKE $1", [`%:${String(victim?.child.pid)}:%`]))[0]?.n);
    await eventually(async () => running.smtp.messages.length > orders.length && (await inFlightOfVictim()) > 0, 'shipped emails sent, and others on the wire from the notifier to kill', 30_000);
    const inFlight = await inFlightOfVictim();
    const killedAt = Date.now();
    await victim?.stop('SIGKILL');
    const cleared = Date.now();
    running.notifiers.splice(0, 1);
    const shippedBeforeKill = running.smtp.messages.length - orders.length;

    await Promise.all(orders.map((orderId) => running.changeStatus(orderId, { status: 'delivered' })));
    running.smtp.holdReplies(0);
    await running.startNotifier();

    const expected = Object.fromEntries(orders.map((orderId) => [orderId, kindsFor(['shipped', 'delivered'])]));
    await running.smtp.waitFor((messages) => new Set(messages.map((m) => m.messageId)).size === orders.length * 3, 90_000);
    await eventually(async () => Number((await running.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE status = 'sent'"))[0]?.n) === orders.length * 3, 'every notification to be sent', 30_000);
    const r = await running.drained(cleared);
    report(`notifier killed with ${inFlight} shipped emails in flight (${shippedBeforeKill} shipped before)`, r);
    expect(kindsByOrderWithoutRepeats(running.smtp.messages), 'the emails of each order, in the order the server took them').to.deep.equal(expected);
    expect(misidentified(running.smtp.messages, internalIds, 'shop.test')).to.deep.equal([]);
    expect(r.duplicates, 'at most the emails in flight at the kill').to.be.at.most(6 * BATCH_CONCURRENCY);
    expect(running.smtp.duplicatesNotExplainedByKillAt(killedAt), 'duplicates whose first copy came after the kill').to.deep.equal([]);
    expect(r.deadLetters).to.equal(0);
  });

  it('kill -9 of an api: nothing it accepted is lost', async () => {
    stack = await FaultStack.start(brokers);
    const flowing = stack.flow(RATE, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await stack.killApi(0);
    const cleared = Date.now();
    await flowing;
    const r = await stack.drained(cleared);
    report('api killed', r);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.duplicates).to.equal(0);
  });

  it('kill -9 of the relay: a new relay publishes what it left', async () => {
    stack = await FaultStack.start(brokers, { separateRelay: true });
    const flowing = stack.flow(RATE, 10_000);
    await stack.smtp.waitFor(20, 30_000);
    await stack.relay?.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stack.relay = stack.spawn('relay');
    const cleared = Date.now();
    await flowing;
    const r = await stack.drained(cleared);
    report('relay killed', r);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.duplicates).to.equal(0);
  });

  it('Kafka stopped for 10 s: orders keep being accepted and all are emailed once it is back', async () => {
    stack = await FaultStack.start(brokers);
    const flowing = stack.flow(RATE, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await kafkaScript('stop', KAFKA_PORT);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await kafkaScript('start', KAFKA_PORT);
    const cleared = Date.now();
    await flowing;
    expect(stack.refused, 'orders refused while Kafka was down').to.deep.equal([]);
    const r = await stack.drained(cleared);
    report('Kafka down 10 s', r);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.duplicates).to.equal(0);
  });

  it('PostgreSQL restarted (immediate): 503s while it is down, then everything accepted is emailed', async () => {
    // A cluster of this test's own: the other test files, which may run beside this one, keep theirs.
    cluster = await PrivateCluster.create();
    stack = await FaultStack.start(brokers, { postgres: cluster.adminUrl });
    const flowing = stack.flow(RATE, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await cluster.restart();
    const cleared = Date.now();
    await flowing;
    expect(stack.refused.every((status) => status === 503 || status === 0), `refusals: ${stack.refused.join(',')}`).to.equal(true);
    const r = await stack.drained(cleared);
    report(`PostgreSQL restarted (${stack.refused.length} refused with 503)`, r);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.duplicates).to.equal(0);
  });

  it('SMTP down for 15 s (over twice the 6.2 s of retries at NOTIFY_RETRY_BASE_MS=200): everything emailed afterwards, nothing dead-lettered', async () => {
    stack = await FaultStack.start(brokers);
    const flowing = stack.flow(RATE, 20_000); // orders keep coming through the whole outage
    await stack.smtp.waitFor(10, 30_000);
    await stack.smtp.refuseConnections();
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    await stack.smtp.acceptConnections();
    const cleared = Date.now();
    await flowing;
    const r = await stack.drained(cleared);
    report('SMTP down 15 s', r);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.deadLetters).to.equal(0);
  });

  it('SMTP primary down for 15 s with a fallback provider: emails go on through the fallback at once, each exactly once across both, then through the primary again; nothing dead-lettered', async () => {
    stack = await FaultStack.start(brokers, { fallbackSmtp: true });
    const running = stack;
    const primary = running.smtp;
    const fallback = running.fallbackSmtp as SmtpTestServer;
    const [primaryName, fallbackName] = [`127.0.0.1:${primary.port}`, `127.0.0.1:${fallback.port}`];
    const linesOf = (msg: string) => running.notifiers.flatMap((n) => n.lines).filter((l) => l.msg === msg);

    const flowing = running.flow(RATE, 25_000);
    await primary.waitFor(10, 30_000);
    await primary.refuseConnections();
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    await primary.acceptConnections();
    const backAt = Date.now();
    // Each notifier's next probe of the primary (15 s apart at most) closes its circuit: from then on, the primary again.
    await eventually(async () => running.notifiers.every((n) => n.lines.some((l) => l.msg === 'emails go through the primary SMTP provider again')), 'both notifiers back on the primary', 30_000);
    const primaryAgainAt = Date.now();
    await flowing;
    await running.flow(RATE, 3000);
    const r = await running.drained(backAt);
    report('SMTP primary down 15 s, fallback provider', r);
    expect(running.refused, 'orders refused').to.deep.equal([]);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.deadLetters).to.equal(0);
    expect(await running.query("SELECT order_id FROM notifications WHERE status = 'dead'"), 'dead notifications').to.deep.equal([]);

    // Exactly once across both servers, by Message-ID; a second copy only where the log shows the outcome of the first unknown.
    const unknownOutcomes = new Set(linesOf('connection lost after the whole email was sent: the server may have it; sent once more at most, with the same Message-ID').map((l) => l.orderId));
    const orderOf = new Map(running.messages.map((m) => [m.messageId, m.headers['x-order-id'] ?? '']));
    const duplicated = [...countByMessageId(running.messages)].filter(([, copies]) => copies > 1).map(([messageId]) => orderOf.get(messageId) as string);
    expect(duplicated.filter((orderId) => !unknownOutcomes.has(orderId)), 'orders emailed twice without an unknown outcome').to.deep.equal([]);

    // Through the fallback while the primary was away, without waiting for it; never before.
    expect(fallback.messages.filter((m) => m.acceptedAt.getTime() < downAt), 'emails through the fallback before the outage').to.deep.equal([]);
    const emailedAt = new Map(running.messages.map((m) => [m.headers['x-order-id'] ?? '', m.acceptedAt.getTime()]));
    const duringOutage = [...running.acceptedAt].filter(([, at]) => at >= downAt && at < backAt);
    const latencies = duringOutage.map(([orderId, at]) => (emailedAt.get(orderId) ?? Infinity) - at).sort((a, b) => a - b); // reported, not judged
    expect(duringOutage.length, 'orders accepted during the outage').to.be.greaterThan(150);
    expect(emailedOnlyAfter(backAt, firstHalf(duringOutage, downAt, backAt), emailedAt), 'orders of the outage\'s first half emailed only once it was over').to.deep.equal([]);
    expect(linesOf('no SMTP provider takes mail: sending paused until one does'), 'sending paused').to.deep.equal([]);

    // Back on the primary: every order accepted once both notifiers said so went through it.
    const afterReturn = [...running.acceptedAt].filter(([, at]) => at >= primaryAgainAt).map(([orderId]) => orderId);
    expect(afterReturn.length, 'orders accepted after the return').to.be.greaterThan(30);
    const atPrimary = new Set(primary.messages.filter((m) => m.acceptedAt.getTime() >= backAt).map((m) => m.headers['x-order-id']));
    expect(afterReturn.filter((orderId) => !atPrimary.has(orderId)), 'orders emailed through the fallback after the return').to.deep.equal([]);

    // Recorded: the ledger and the log line name the server that took each email; the metrics count by label, never by address.
    await eventually(async () => Number((await running.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE status = 'sent'"))[0]?.n) === running.accepted.size, 'every email to be recorded as sent', 30_000);
    const recorded = await running.query<{ order_id: string; provider: string }>("SELECT order_id, provider FROM notifications WHERE channel = 'email'");
    const tookIt = (orderId: string): string[] => [primary, fallback].filter((server) => server.messages.some((m) => m.headers['x-order-id'] === orderId)).map((server) => (server === primary ? primaryName : fallbackName));
    expect(recorded.filter((row) => !duplicated.includes(row.order_id) && tookIt(row.order_id).join() !== row.provider), 'orders whose recorded provider did not take their email').to.deep.equal([]);
    const sentVia = new Set(linesOf('email sent').map((l) => l.provider));
    expect(sentVia).to.deep.equal(new Set([primaryName, fallbackName]));
    for (const notifier of running.notifiers) {
      const ops = `http://127.0.0.1:${String((await notifier.waitForLine((l) => l.msg === 'ops server listening', 'the ops server')).port)}/metrics`;
      expect(await scrape(ops, 'ordermail_smtp_circuit_opened_total', { kind: 'unavailable', provider: 'primary' }), 'the primary\'s circuit opened').to.be.at.least(1);
      expect(await scrape(ops, 'ordermail_emails_sent_total', { provider: 'fallback-1' }), 'emails through the fallback').to.be.greaterThan(0);
      expect(await (await fetch(ops)).text()).not.to.contain('127.0.0.1:');
    }
    const fellOver = linesOf('emails fail over to another SMTP provider');
    console.log(
      `      SMTP primary down 15 s: ${fallback.messages.length} emails through the fallback, ${primary.messages.length} through the primary; the notifiers were back on it ` +
        `${primaryAgainAt - backAt} ms after it returned; email latency during the outage p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms; ` +
        `${fellOver.length} failovers logged, ${unknownOutcomes.size} unknown outcomes, ${r.duplicates} duplicates`,
    );
  });

  it('a webhook endpoint down for 15 s (connection refused): afterwards each order.created delivered exactly once, nothing dead-lettered, and the emails not held up', async () => {
    stack = await FaultStack.start(brokers, { env: WEBHOOK_TEST_ENV });
    const running = stack;
    const endpoint = await VerifyingWebhookReceiver.start();
    receiver = endpoint;
    await registerEndpoint(adminCallTo(() => running.nextBase()), endpoint, ['order.created']);
    await new Promise((resolve) => setTimeout(resolve, REGISTRY_CACHE_MS));

    const flowing = running.flow(RATE, 25_000);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await endpoint.goDown();
    const downAt = Date.now();
    const takenBeforeOutage = endpoint.accepted.length;
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    await endpoint.comeBack();
    const backAt = Date.now();
    await flowing;
    const r = await running.drained(backAt);
    report('webhook endpoint down 15 s', r);
    expect(running.refused, 'orders refused').to.deep.equal([]);
    expect(r.emailed).to.equal(r.accepted);
    expect(r.duplicates).to.equal(0);

    // The emails of the orders accepted while the endpoint was away went at once, as ever.
    const emailedAt = new Map(running.smtp.messages.map((m) => [m.headers['x-order-id'] ?? '', m.acceptedAt.getTime()]));
    const duringOutage = [...running.acceptedAt].filter(([, at]) => at >= downAt && at < backAt);
    const latencies = duringOutage.map(([orderId, at]) => (emailedAt.get(orderId) ?? Infinity) - at).sort((a, b) => a - b); // reported, not judged
    expect(duringOutage.length, 'orders accepted during the outage').to.be.greaterThan(150);
    expect(emailedOnlyAfter(backAt, firstHalf(duringOutage, downAt, backAt), emailedAt), 'orders of the outage\'s first half emailed only once it was over').to.deep.equal([]);

    await endpoint.waitFor((e) => e.accepted.length >= running.accepted.size, 'every accepted order announced to the endpoint', 90_000);
    const deliveredAt = Date.now();
    await eventually(
      async () => Number((await running.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE channel = 'webhook' AND status <> 'sent'"))[0]?.n) === 0,
      'every webhook delivery to be recorded as sent',
      30_000,
    );
    const announced = endpoint.accepted.map((d) => d.event?.data.orderId);
    console.log(
      `      webhook endpoint down 15 s: ${takenBeforeOutage} deliveries before the outage, ${duringOutage.length} orders accepted during it; ` +
        `the first delivery ${Math.min(...endpoint.accepted.map((d) => d.receivedAt).filter((at) => at >= backAt)) - backAt} ms and every one ${deliveredAt - backAt} ms after it came back; email latency during the outage p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms`,
    );
    expect(deliveryProblems(endpoint.requests), 'every request signed, described by the schema, from ordermail').to.deep.equal([]);
    expect(endpoint.requests.filter((d) => d.status !== 204), 'requests not taken').to.deep.equal([]);
    expect(endpoint.duplicates(), 'webhook-ids delivered twice').to.deep.equal([]);
    expect(new Set(announced), 'the orders announced').to.deep.equal(running.accepted);
    expect(announced, 'one delivery per accepted order').to.have.length(running.accepted.size);
    expect(endpoint.accepted.every((d) => d.event?.type === 'order.created'), 'order.created only').to.equal(true);
    expect(endpoint.accepted.filter((d) => d.receivedAt >= downAt && d.receivedAt < backAt), 'deliveries while it was down').to.deep.equal([]);
    const dead = await running.query<{ order_id: string; channel: string }>("SELECT order_id, channel FROM notifications WHERE status = 'dead'");
    expect(dead, 'dead notifications').to.deep.equal([]);
    expect(r.deadLetters).to.equal(0);
    const paused = running.notifiers.flatMap((n) => n.lines).filter((l) => l.msg === 'webhook endpoint unreachable: its deliveries are paused, and tried again one at a time');
    expect(paused.length, 'notifiers that paused the endpoint\'s deliveries').to.be.greaterThan(0);
  });

  it('SMTP answering 421 to 10% of messages at random, and 550 to marked recipients', async () => {
    stack = await FaultStack.start(brokers);
    stack.smtp.script({ to: /@bounce\.example$/, code: 550, message: '5.1.1 unknown mailbox' });
    stack.smtp.script({ code: 421, message: '4.3.2 try again later', probability: 0.1 });
    await stack.flow(RATE, 10_000, (n) => (n % 10 === 0 ? `c${n}@bounce.example` : `c${n}@example.com`));
    const cleared = Date.now();
    const marked = (orderId: string): boolean => Number(orderId.slice(2)) % 10 === 0;
    const r = await stack.drained(cleared, marked);
    report('421 at 10 %, 550 for marked', r);
    const markedOrders = [...stack.accepted].filter(marked);
    expect(stack.smtp.messages.some((m) => m.to.some((to) => to.endsWith('@bounce.example'))), 'a marked recipient got mail').to.equal(false);
    expect(r.emailed).to.equal(r.accepted - markedOrders.length);
    for (const orderId of markedOrders) expect(await stack.notificationStatus(orderId)).to.equal('dead');
    expect(r.deadLetters).to.equal(markedOrders.length);
    expect(stack.smtp.replies.filter((reply) => reply.code === 421).length, 'some 421s happened').to.be.greaterThan(0);
  });
});
