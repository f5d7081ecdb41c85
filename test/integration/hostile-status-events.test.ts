import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { simpleParser } from 'mailparser';
import { readTopic } from '../support/kafka.js';
import { scrape } from '../support/metrics.js';
import { NotifierStack } from '../support/notifier-stack.js';
import { eventually } from '../support/processes.js';
import { kindsByOrder, misidentified } from '../support/status-emails.js';
import { adminCallTo, deliveryProblems, registerEndpoint, REGISTRY_CACHE_MS, VerifyingWebhookReceiver, WEBHOOK_TEST_ENV } from '../support/verifying-webhook-receiver.js';
import { WEBHOOK_EVENT_TYPE_LIST, WEBHOOK_EVENT_TYPES } from '../../src/domain/webhook-endpoint.js';
import type { NotificationKind } from '../../src/domain/notification.js';

const HEADERS = { 'event-type': 'order.status-changed', 'schema-version': '1', 'content-type': 'application/json' };

/** A record put straight onto the topic; a bad one names the reason its dead letter must give. */
interface Case {
  readonly label: string;
  readonly key: string;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
  readonly refusedFor?: RegExp;
}

type Payload = Record<string, unknown>;

/** A valid order.status-changed v1 payload, as the api writes it. */
function change(orderId: string, internalId: string, status: string, previousStatus: string, sequence: number, extra: Payload = {}): Payload {
  return { id: randomUUID(), orderId, internalId, status, previousStatus, sequence, changedAt: new Date().toISOString(), email: `${orderId.toLowerCase()}@example.com`, ...extra };
}

const good = (label: string, payload: Payload): Case => ({ label, key: String(payload.orderId), value: Buffer.from(JSON.stringify(payload)), headers: HEADERS });
const bad = (label: string, payload: Payload | string | null, refusedFor: RegExp, headers: Record<string, string> = HEADERS): Case => ({
  label,
  key: typeof payload === 'object' && payload !== null ? String(payload.orderId) : label,
  value: payload === null ? null : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  headers,
  refusedFor,
});

const SCHEMA = /fails order-status-changed v1 schema/;

describe('Hand-made order.status-changed records straight onto the topic', function () {
  this.timeout(120_000);
  let stack: NotifierStack;
  let endpoint: VerifyingWebhookReceiver | undefined;

  afterEach(async () => {
    await stack?.stop();
    await endpoint?.close();
  });

  it('emails and announces (webhook) each good status change once and dead-letters each bad one once with its reason, without holding up the ones behind it', async () => {
    stack = await NotifierStack.start({ KAFKA_PARTITIONS: '1', ...WEBHOOK_TEST_ENV });
    const notifier = await stack.startNotifier();
    endpoint = await VerifyingWebhookReceiver.start();
    const receiver = endpoint;
    await registerEndpoint(adminCallTo(() => stack.base), receiver, WEBHOOK_EVENT_TYPE_LIST);
    await new Promise((resolve) => setTimeout(resolve, REGISTRY_CACHE_MS));
    const ops = `http://127.0.0.1:${String((await notifier.waitForLine((l) => l.msg === 'ops server listening', 'the ops server')).port)}/metrics`;
    const orders = ['H-1', 'H-2', 'H-3', 'H-4', 'H-5'];
    const internalIds = new Map<string, string>();
    for (const orderId of orders) internalIds.set(orderId, (await stack.order(orderId)).internalId);
    await stack.smtp.waitFor(orders.length, 30_000);
    const ghost = randomUUID();
    internalIds.set('G-1', ghost);
    const id = (orderId: string): string => internalIds.get(orderId) as string;

    const firstShipped = change('H-1', id('H-1'), 'shipped', 'created', 2, { carrier: 'DHL', trackingUrl: 'https://track.example.com/p/H-1' });
    const longestNote = `${'Bitte beim Nachbarn abgeben – Grüße! '.repeat(20).slice(0, 499).trimEnd().padEnd(499, '.')}ü`;
    expect(longestNote).to.have.length(500);
    const cases: Case[] = [
      good('H-1 shipped', firstShipped),
      bad('no internalId', { ...change('B-1', randomUUID(), 'shipped', 'created', 2), internalId: undefined }, SCHEMA),
      good('H-2 shipped', change('H-2', id('H-2'), 'shipped', 'created', 2)),
      // An order's poison event does not hold up that order's later events.
      bad('unknown status of H-3', change('H-3', id('H-3'), 'returned', 'created', 2), SCHEMA),
      good('H-3 cancelled', change('H-3', id('H-3'), 'cancelled', 'created', 2)),
      bad('a transition the domain forbids (created → delivered)', change('B-3', randomUUID(), 'delivered', 'created', 2), SCHEMA),
      // The event carries all the email needs: an order this notifier never heard of is told once, like any other.
      good('G-1 shipped, an order never created', change('G-1', ghost, 'shipped', 'created', 2)),
      bad('schema version 2', change('B-4', randomUUID(), 'shipped', 'created', 2), /unknown event: no codec here reads order\.status-changed schema-version 2/, { ...HEADERS, 'schema-version': '2' }),
      good('H-1 shipped redelivered, byte for byte', firstShipped),
      bad('an http tracking URL', change('B-5', randomUUID(), 'shipped', 'created', 2, { trackingUrl: 'http://track.example.com/p/1' }), SCHEMA),
      good('H-2 shipped again, as another change', change('H-2', id('H-2'), 'shipped', 'created', 2)),
      bad('a note of 501 characters', change('B-6', randomUUID(), 'shipped', 'created', 2, { note: 'n'.repeat(501) }), SCHEMA),
      good('H-4 shipped with a note of 500 characters', change('H-4', id('H-4'), 'shipped', 'created', 2, { note: longestNote })),
      bad('a note of 100 KiB', change('B-7', randomUUID(), 'shipped', 'created', 2, { note: 'n'.repeat(100 * 1024) }), SCHEMA),
      good('H-1 delivered', change('H-1', id('H-1'), 'delivered', 'shipped', 3)),
      bad('a note that injects a header', change('B-8', randomUUID(), 'shipped', 'created', 2, { note: 'x\r\nBcc: victim@example.com' }), SCHEMA),
      bad('an extra field', change('B-9', randomUUID(), 'shipped', 'created', 2, { admin: true }), SCHEMA),
      bad('a value that is not JSON', '{"orderId":"B-10",', /value is not JSON/),
      bad('a tombstone', null, /empty message \(tombstone\)/),
      bad('no event-type header: read as order.created', change('B-11', randomUUID(), 'shipped', 'created', 2), /fails order-created v1 schema/, { 'schema-version': '1', 'content-type': 'application/json' }),
      good('H-5 shipped, the last', change('H-5', id('H-5'), 'shipped', 'created', 2)),
    ];
    const bads = cases.filter((c) => c.refusedFor !== undefined);

    const kafka = new Kafka({ brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: stack.topic, acks: -1, messages: cases.map((c) => ({ key: c.key, value: c.value, headers: { ...c.headers, 'x-case': c.label } })) });
    await producer.disconnect();

    const expected = {
      'H-1': ['order-created', 'order-shipped', 'order-delivered'],
      'H-2': ['order-created', 'order-shipped'],
      'H-3': ['order-created', 'order-cancelled'],
      'H-4': ['order-created', 'order-shipped'],
      'H-5': ['order-created', 'order-shipped'],
      'G-1': ['order-shipped'],
    };
    await eventually(async () => (await scrape(ops, 'ordermail_dead_letters_total', { kind: 'poison' })) === bads.length, `${bads.length} poison dead letters`, 30_000).catch(async (error: Error) => {
      const complaints = [...new Set(notifier.lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => `${String(l.msg)}: ${String(l.reason ?? l.error ?? '')}`))];
      throw new Error(
        `${error.message}; counted ${String(await scrape(ops, 'ordermail_dead_letters_total', { kind: 'poison' }))}, emails ${JSON.stringify(kindsByOrder(stack.smtp.messages))}; the notifier said: ${complaints.slice(-6).join(' | ')}`,
      );
    });
    await stack.smtp.waitFor(Object.values(expected).flat().length, 30_000);
    await receiver.waitFor((r) => r.accepted.length >= Object.values(expected).flat().length, 'a webhook delivery for each email');
    await eventually(async () => (await scrape(ops, 'ordermail_kafka_consumer_lag')) === 0, 'the consumer lag to fall to 0', 15_000);
    const notifications = async (): Promise<{ order_id: string; kind: string; channel: string; status: string }[]> =>
      (await stack.pool.query<{ order_id: string; kind: string; channel: string; status: string }>('SELECT order_id, kind, channel, status FROM notifications ORDER BY order_id, seq')).rows;
    // A delivery is recorded as sent just after the endpoint answered it.
    await eventually(async () => (await notifications()).every((row) => row.status === 'sent'), 'every notification to be recorded as sent', 10_000).catch(() => undefined);
    const rows = await notifications();
    expect(rows.filter((row) => row.status !== 'sent'), 'every notification made is sent').to.deep.equal([]);
    expect(rows.filter((row) => row.channel === 'webhook'), 'a webhook delivery beside each email').to.have.length(Object.values(expected).flat().length);

    expect(kindsByOrder(stack.smtp.messages), 'one email per order and status, in order; none for a bad record').to.deep.equal(expected);
    expect(misidentified(stack.smtp.messages, internalIds, 'shop.test')).to.deep.equal([]);
    const announced = Object.fromEntries(Object.entries(expected).map(([orderId, kinds]) => [orderId, kinds.map((kind) => WEBHOOK_EVENT_TYPES[kind as NotificationKind])]));
    expect(receiver.typesByOrder(), 'one delivery per order and status, in order; none for a bad record').to.deep.equal(announced);
    expect(receiver.duplicates(), 'webhook-ids delivered twice').to.deep.equal([]);
    expect(receiver.requests.filter((r) => r.status !== 204), 'requests not taken').to.deep.equal([]);
    expect(deliveryProblems(receiver.requests, internalIds)).to.deep.equal([]);
    expect(receiver.accepted.find((r) => r.webhookId === `msg_order-shipped_${id('H-4')}`)?.event?.data.note, 'the note of 500 characters, whole').to.equal(longestNote);
    const noted = stack.smtp.messages.find((m) => m.messageId === `<order-shipped-${id('H-4')}@shop.test>`);
    expect((await simpleParser(noted?.raw ?? '')).text, 'the note of 500 characters, whole').to.contain(longestNote);

    const letters = await readTopic(stack.brokers, stack.deadLetterTopic);
    expect(letters.map((l) => l.headers['x-case']).sort(), 'each bad record dead-lettered once').to.deep.equal(bads.map((c) => c.label).sort());
    for (const letter of letters) {
      const refusedFor = bads.find((c) => c.label === letter.headers['x-case'])?.refusedFor as RegExp;
      expect(letter.headers['dlq-kind'], letter.headers['x-case']).to.equal('poison');
      expect(letter.headers['dlq-reason'], letter.headers['x-case']).to.match(refusedFor);
    }
    expect(notifier.lines.filter((l) => l.msg === 'poison message dead-lettered' && l.alert === true)).to.have.length(bads.length);
  });
});
