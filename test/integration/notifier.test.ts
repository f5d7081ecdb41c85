import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { BATCH_CONCURRENCY } from '../../src/adapters/kafka/kafka-event-consumer.js';
import { orderCreatedCodec } from '../../src/adapters/kafka/order-created-codec.js';
import { ORDER_CREATED, type OrderCreated } from '../../src/domain/order-created.js';
import { readTopic } from '../support/kafka.js';
import { scrape } from '../support/metrics.js';
import { NotifierStack } from '../support/notifier-stack.js';
import { eventually } from '../support/processes.js';

const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('The notifier against real PostgreSQL, Kafka and SMTP', function () {
  this.timeout(240_000);
  let stack: NotifierStack;

  afterEach(async () => {
    await stack?.stop();
  });

  it('emails 100 orders once each, to the right recipient, with escaped content and the correlation id; the metrics follow', async () => {
    stack = await NotifierStack.start();
    const notifier = await stack.startNotifier();
    const orders = ids('happy', 100);
    await Promise.all(orders.map((orderId) => stack.order(orderId, `${orderId}@example.com`, ['<b>bold</b>'])));
    await stack.smtp.waitFor(100, 30_000);
    const byOrder = stack.emailsByOrder();
    expect(orders.filter((id) => byOrder.get(id) !== 1)).to.deep.equal([]);
    for (const message of stack.smtp.messages) {
      const orderId = message.headers['x-order-id'] as string;
      expect(message.to).to.deep.equal([`${orderId}@example.com`]);
      expect(message.headers['x-correlation-id']).to.equal(`corr-${orderId}`);
      expect(message.raw).to.contain('&lt;b&gt;bold&lt;/b&gt;');
    }
    await eventually(async () => (await stack.status('happy-99')) === 'sent', 'the last email to be recorded as sent');
    const view = (await (await fetch(`${stack.base}/orders/happy-7`)).json()) as { data: { notification: { status: string } } };
    expect(view.data.notification.status).to.equal('sent');

    const api = `${stack.base}/metrics`;
    const ops = `http://127.0.0.1:${String((await notifier.waitForLine((l) => l.msg === 'ops server listening', 'the ops server')).port)}/metrics`;
    expect(await scrape(api, 'ordermail_orders_created_total')).to.equal(100);
    expect(await scrape(api, 'http_request_duration_seconds_count', { route: '/orders', status: '202' })).to.equal(100);
    expect(await scrape(api, 'ordermail_relay_events_published_total')).to.equal(100);
    expect(await scrape(api, 'ordermail_relay_publish_duration_seconds_count')).to.be.greaterThan(0);
    expect(await scrape(api, 'ordermail_outbox_backlog')).to.equal(0);
    expect(await scrape(api, 'ordermail_outbox_oldest_age_seconds')).to.equal(0);
    expect(await scrape(api, 'process_cpu_seconds_total')).to.be.greaterThan(0);
    expect(await scrape(ops, 'ordermail_notifications_total', { result: 'sent' })).to.equal(100);
    expect(await scrape(ops, 'ordermail_email_delivery_latency_seconds_count')).to.equal(100);
    expect(await scrape(ops, 'ordermail_emails_sent_total', { provider: 'primary', kind: 'order-created' })).to.equal(100);
    const providers = await stack.pool.query<{ provider: string; n: string }>("SELECT provider, count(*) AS n FROM notifications WHERE order_id LIKE 'happy-%' GROUP BY provider");
    expect(providers.rows, 'the ledger names the provider that took each email, by host:port').to.deep.equal([{ provider: `127.0.0.1:${stack.smtp.port}`, n: '100' }]);
    expect(await scrape(ops, 'ordermail_smtp_errors_total', { kind: 'transient' })).to.equal(0);
    expect(await scrape(ops, 'ordermail_health_check_up', { check: 'smtp' })).to.equal(1);
    // Lag per partition, on the notifier and on the api alike, falls to 0 once the offsets are committed.
    for (const url of [ops, api]) await eventually(async () => (await scrape(url, 'ordermail_kafka_consumer_lag')) === 0, `consumer lag 0 on ${url}`);
  });

  it('sends one email per order when an event is delivered twice and when the group rebalances mid-stream', async () => {
    stack = await NotifierStack.start();
    const first = await stack.startNotifier();
    const orders = ids('rebalance', 100);
    for (const [i, orderId] of orders.entries()) {
      await stack.order(orderId);
      if (i === 40) await stack.startNotifier(); // a second member joins: the partitions are reassigned mid-stream
    }
    await stack.smtp.waitFor(100, 60_000);

    const { rows } = await stack.pool.query<{ key: string; payload: OrderCreated; metadata: object }>(`SELECT key, payload, metadata FROM outbox WHERE key = 'rebalance-3'`);
    const codec = orderCreatedCodec(stack.topic);
    const producer = new Kafka({ brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: stack.topic,
      messages: rows.map((r) => codec.encode({ ...ORDER_CREATED, aggregateId: r.key, payload: r.payload }, r.metadata)).map(({ key, value, headers }) => ({ key, value, headers: { ...headers } })),
    });
    await producer.disconnect();
    await eventually(async () => stack.processes.some((p) => p.lines.some((l) => l.msg === 'notification already handled, not sending again' && l.orderId === 'rebalance-3')), 'the redelivered event to be recognised');

    const byOrder = stack.emailsByOrder();
    expect(orders.filter((id) => byOrder.get(id) !== 1)).to.deep.equal([]);
    expect(stack.smtp.messages).to.have.length(100);
    expect(first.lines.some((l) => l.msg === 'joined consumer group')).to.equal(true);
  });

  it('loses no order when a notifier is killed with SIGKILL mid-stream; duplicates only in the post-250 window', async () => {
    stack = await NotifierStack.start();
    const doomed = await stack.startNotifier();
    const orders = ids('kill', 100);
    await Promise.all(orders.map((orderId) => stack.order(orderId)));
    await stack.smtp.waitFor(20, 30_000);
    const killedAt = Date.now();
    await doomed.stop('SIGKILL');
    await stack.startNotifier();
    await stack.smtp.waitFor((messages) => new Set(messages.map((m) => m.headers['x-order-id'])).size === 100, 60_000);
    const duplicates = [...stack.smtp.countByMessageId().values()].filter((n) => n > 1).length;
    console.log(`      killed after ${20}+ emails; ${duplicates} duplicate(s), each with its order's one Message-ID`);
    // In flight at most: 6 partitions × BATCH_CONCURRENCY messages of a batch handled at once.
    expect(duplicates, 'at most the emails in flight at the kill').to.be.at.most(6 * BATCH_CONCURRENCY);
    expect(stack.smtp.duplicatesNotExplainedByKillAt(killedAt), 'duplicates whose first copy came after the kill').to.deep.equal([]);
    expect(new Set(stack.smtp.messages.map((m) => m.messageId)).size).to.equal(100);
  });

  it('delivers on the third try after two 421s; dead-letters a 550 after one attempt, and exhausted retries with an alert', async () => {
    stack = await NotifierStack.start({ NOTIFY_MAX_RETRIES: '2' });
    const notifier = await stack.startNotifier();
    stack.smtp.script({ to: 'flaky@example.com', code: 421, times: 2 });
    stack.smtp.script({ to: 'gone@example.com', code: 550, message: '5.1.1 unknown mailbox' });
    stack.smtp.script({ to: 'busy@example.com', code: 450, message: '4.2.1 mailbox busy' });
    await stack.order('flaky-1', 'flaky@example.com');
    await stack.order('gone-1', 'gone@example.com');
    await stack.order('busy-1', 'busy@example.com');

    await stack.smtp.waitFor((m) => m.some((x) => x.to.includes('flaky@example.com')), 20_000);
    expect(stack.smtp.replies.filter((r) => r.to.includes('flaky@example.com')).map((r) => r.code)).to.deep.equal([421, 421, 250]);
    await eventually(async () => (await stack.status('gone-1')) === 'dead' && (await stack.status('busy-1')) === 'dead', 'both failures to be dead-lettered', 20_000);
    expect(stack.smtp.replies.filter((r) => r.to.includes('gone@example.com'))).to.have.length(1);
    expect(stack.smtp.replies.filter((r) => r.to.includes('busy@example.com'))).to.have.length(3);

    const letters = await readTopic(stack.brokers, stack.deadLetterTopic);
    const byKey = new Map(letters.map((l) => [l.key, l]));
    expect(byKey.get('gone-1')?.headers).to.include({ 'dlq-kind': 'permanent', 'dlq-attempts': '1', 'dlq-source-topic': stack.topic });
    expect(byKey.get('busy-1')?.headers).to.include({ 'dlq-kind': 'retries-exhausted', 'dlq-attempts': '3' });
    expect(byKey.get('busy-1')?.headers['dlq-first-failed-at']).to.match(/^\d{4}-/);
    expect(JSON.parse(byKey.get('gone-1')?.value?.toString() ?? '{}')).to.include({ orderId: 'gone-1' });
    const alerts = notifier.lines.filter((l) => l.alert === true && l.msg === 'notification dead-lettered');
    expect(alerts.map((l) => l.orderId).sort()).to.deep.equal(['busy-1', 'gone-1']);
    expect(alerts.every((l) => l.level === 'error')).to.equal(true);
  });

  it('does not hold up 50 other orders while one recipient keeps failing', async () => {
    // The failing order's next try comes 8–12 s after its first (NOTIFY_RETRY_BASE_MS=10000). Held in the
    // partition, it would hold the 50 behind it until then; held in the ledger, they all go out before it.
    stack = await NotifierStack.start({ NOTIFY_RETRY_BASE_MS: '10000', KAFKA_PARTITIONS: '1' });
    await stack.startNotifier();
    stack.smtp.script({ to: 'stuck@example.com', code: 451, message: '4.3.0 try later' });
    const triesOfStuck = () => stack.smtp.replies.filter((r) => r.to.includes('stuck@example.com')).length;
    await stack.order('stuck-1', 'stuck@example.com');
    await eventually(async () => triesOfStuck() > 0, 'the first failed attempt');
    const started = Date.now();
    const others = ids('other', 50);
    await Promise.all(others.map((orderId) => stack.order(orderId)));
    await stack.smtp.waitFor(50, 20_000);
    const lastAccepted = Math.max(...stack.smtp.messages.map((m) => m.acceptedAt.getTime()));
    console.log(`      50 orders emailed ${lastAccepted - started} ms after the first POST, on the failing order's only partition`);
    expect(triesOfStuck(), 'the 50 went out before the failing order was tried again: it sleeps in the ledger, not in the partition').to.equal(1);
    expect(await stack.status('stuck-1')).to.equal('failed');
  });

  it('delivers everything after the SMTP server was down for 15 s (about five times the 3.1 s of retries at NOTIFY_RETRY_BASE_MS=100), and dead-letters nothing', async () => {
    stack = await NotifierStack.start();
    const notifier = await stack.startNotifier();
    await stack.smtp.refuseConnections();
    const orders = ids('outage', 30);
    await Promise.all(orders.map((orderId) => stack.order(orderId)));
    await notifier.waitForLine((l) => l.msg === 'SMTP server unreachable: sending paused, probing', 'the circuit to open');
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    await stack.smtp.acceptConnections();
    await stack.smtp.waitFor(30, 60_000);
    expect(orders.filter((id) => stack.emailsByOrder().get(id) !== 1)).to.deep.equal([]);
    expect(await readTopic(stack.brokers, stack.deadLetterTopic)).to.have.length(0);
    expect(notifier.lines.some((l) => l.msg === 'SMTP server reachable again: sending resumed')).to.equal(true);
  });

  it('pauses on a sending quota (550 5.4.5 at MAIL FROM) with one alert, dead-letters nothing, and emails every order once when the quota returns', async () => {
    stack = await NotifierStack.start();
    const notifier = await stack.startNotifier();
    stack.smtp.script({ at: 'mail', code: 550, message: '5.4.5 Daily user sending quota exceeded' });
    const orders = ids('quota', 20);
    await Promise.all(orders.map((orderId) => stack.order(orderId)));
    await notifier.waitForLine((l) => l.msg === 'SMTP server refuses mail from us: sending paused, one email at a time tries again', 'the circuit to open');
    await eventually(async () => stack.smtp.replies.filter((r) => r.at === 'mail').length >= 3, 'a trial or two refused at MAIL FROM', 30_000);
    expect(stack.smtp.messages).to.have.length(0);

    stack.smtp.reset();
    await stack.smtp.waitFor(20, 60_000);
    expect(orders.filter((id) => stack.emailsByOrder().get(id) !== 1)).to.deep.equal([]);
    expect(await readTopic(stack.brokers, stack.deadLetterTopic)).to.have.length(0);
    const { rows } = await stack.pool.query<{ attempts: number }>(`SELECT attempts FROM notifications WHERE order_id LIKE 'quota-%'`);
    expect(rows.map((r) => r.attempts).filter((n) => n !== 0), 'a refusal costs no order an attempt').to.deep.equal([]);
    expect(notifier.lines.filter((l) => l.alert === true).map((l) => l.msg)).to.deep.equal(['SMTP server refuses mail from us: sending paused, one email at a time tries again']);
    expect(notifier.lines.some((l) => l.msg === 'SMTP server takes mail again: sending resumed')).to.equal(true);
    const ops = `http://127.0.0.1:${String((await notifier.waitForLine((l) => l.msg === 'ops server listening', 'the ops server')).port)}/metrics`;
    expect(await scrape(ops, 'ordermail_smtp_circuit_opened_total', { kind: 'refused', provider: 'primary' })).to.equal(1);
    expect(await scrape(ops, 'ordermail_dead_letters_total')).to.equal(0);
  });

  it('stops cleanly on SIGTERM: the api and the notifier exit 0 within 10 s', async () => {
    stack = await NotifierStack.start();
    const notifier = await stack.startNotifier();
    await Promise.all(ids('bye', 20).map((orderId) => stack.order(orderId)));
    await stack.smtp.waitFor(1, 20_000);
    const started = Date.now();
    const [notifierExit, apiExit] = await Promise.all([notifier.stop('SIGTERM'), stack.processes[0]?.stop('SIGTERM')]);
    expect(Date.now() - started).to.be.below(10_000);
    expect(notifierExit).to.equal(0);
    expect(apiExit).to.equal(0);
    expect(notifier.lines.some((l) => l.msg === 'stopped')).to.equal(true);
  });

  it('dead-letters a poison message and goes on; dlq-replay delivers a dead-lettered order', async () => {
    stack = await NotifierStack.start();
    const notifier = await stack.startNotifier();
    const producer = new Kafka({ brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: stack.topic, messages: [{ key: 'poison-1', value: Buffer.from([0xde, 0xad, 0xbe, 0xef]), headers: { 'schema-version': '1' } }] });
    await producer.send({ topic: stack.topic, messages: [{ key: 'v9', value: '{}', headers: { 'schema-version': '9' } }] });
    await producer.disconnect();
    stack.smtp.script({ to: 'later@example.com', code: 550, times: 1 });
    await stack.order('replay-1', 'later@example.com');
    await stack.order('after-poison', 'fine@example.com');
    await stack.smtp.waitFor((m) => m.some((x) => x.headers['x-order-id'] === 'after-poison'), 20_000);
    await eventually(async () => (await stack.status('replay-1')) === 'dead', 'replay-1 to be dead-lettered');

    const letters = await readTopic(stack.brokers, stack.deadLetterTopic);
    const poison = letters.find((l) => l.key === 'poison-1');
    expect(poison?.value?.equals(Buffer.from([0xde, 0xad, 0xbe, 0xef]))).to.equal(true);
    expect(poison?.headers).to.include({ 'dlq-kind': 'poison', 'dlq-reason': 'value is not JSON' });
    expect(letters.find((l) => l.key === 'v9')?.headers['dlq-reason']).to.match(/schema-version/);
    expect(notifier.lines.filter((l) => l.msg === 'poison message dead-lettered' && l.alert === true)).to.have.length(2);

    const replay = stack.spawn('dlq-replay', {}, ['--order-id=replay-1']);
    expect(await replay.stop('SIGCONT')).to.equal(0); // SIGCONT does nothing: this waits for its own exit
    await stack.smtp.waitFor((m) => m.some((x) => x.headers['x-order-id'] === 'replay-1'), 20_000);
    await eventually(async () => (await stack.status('replay-1')) === 'sent', 'the ledger to record the replayed email as sent');
  });
});
