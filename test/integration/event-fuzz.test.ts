import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { readTopic } from '../support/kafka.js';
import { scrape } from '../support/metrics.js';
import { NotifierStack } from '../support/notifier-stack.js';
import { eventually } from '../support/processes.js';

/** One message produced straight onto the topic; `good` ones must be emailed, the others dead-lettered. */
interface FuzzCase {
  readonly label: string;
  readonly good: boolean;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

type Event = Record<string, unknown>;
type Mutation = readonly [what: string, change: (event: Event) => Event | string | null];

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const HEADERS = { 'schema-version': '1', 'content-type': 'application/json' };

const recipient = (index: number): string => `fuzz-${index}@example.com`;

/** A valid event: printable orderId and items, maybe no email (the notifier then uses NOTIFY_DEFAULT_TO). */
const validEvent = fc.record({
  id: fc.uuid(),
  orderSuffix: fc.string({ unit: 'grapheme', maxLength: 20 }),
  itemId: fc.array(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 100 }),
  createdAt: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
});

const isStorable = (text: string): boolean => !/[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/u.test(text);

type ValidSample = { id: string; orderSuffix: string; itemId: string[]; createdAt: Date };

function goodEvent(index: number, sample: ValidSample): Event {
  const suffix = isStorable(sample.orderSuffix) ? sample.orderSuffix.trim() : '';
  return { id: sample.id, orderId: `fuzz-${index}-${suffix}`.trim(), itemId: sample.itemId, email: recipient(index), createdAt: sample.createdAt.toISOString() };
}

/** Text with one character no database column or log line should hold, between printable ASCII. */
const hostileText = fc
  .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\u0001', '\u0007', '\n', '\u001b', '\u007f', '\u0085', '\u009f', '\ud800', '\udfff'), fc.string({ maxLength: 8 }))
  .map(([before, bad, after]) => `${before}x${bad}x${after}`);
const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant({}), fc.array(fc.integer(), { maxLength: 3 }));
const oddUuid = fc
  .tuple(fc.uuid(), fc.constantFrom('urn:uuid:{}', '{{}}', '{} ', ' {}', '{}0', 'nohyphens', '{}\u0000'))
  .map(([uuid, form]) => (form === 'nohyphens' ? uuid.replaceAll('-', '') : form.replace('{}', uuid)));
const badDate = fc.constantFrom('2026-13-01T00:00:00.000Z', '2026-02-30T00:00:00Z', 'yesterday', '2026-11-24 12:00:00', '2026-11-24T23:59:60Z', '2026-11-24T12:00:00', '', '2026-11-24T12:00:00.000Z\u0000');
const badEmail = fc.oneof(hostileText.map((text) => `${text}@example.com`), fc.constantFrom('nope', 'a@b', '@example.com', ' a@example.com', `${'a'.repeat(250)}@example.com`, 'a b@example.com'));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  hostileText.map((text): Mutation => ['orderId with a control character', (e) => ({ ...e, orderId: text })]),
  fc.constantFrom('', ' ', '\t', 'x'.repeat(129)).map((orderId): Mutation => ['orderId empty, blank or too long', (e) => ({ ...e, orderId })]),
  wrongType.map((orderId): Mutation => ['orderId of the wrong type', (e) => ({ ...e, orderId })]),
  hostileText.map((item): Mutation => ['itemId with a control character', (e) => ({ ...e, itemId: ['sku-1', item] })]),
  fc.integer({ min: 101, max: 2000 }).map((count): Mutation => ['itemId huge', (e) => ({ ...e, itemId: Array.from({ length: count }, (_, i) => `sku-${i}`) })]),
  fc.constantFrom<unknown[]>([], [''], ['x'.repeat(129)], [1], [null]).map((itemId): Mutation => ['itemId empty or with a bad item', (e) => ({ ...e, itemId })]),
  wrongType.map((itemId): Mutation => ['itemId of the wrong type', (e) => ({ ...e, itemId })]),
  oddUuid.map((id): Mutation => ['id in an odd UUID form', (e) => ({ ...e, id })]),
  wrongType.map((id): Mutation => ['id of the wrong type', (e) => ({ ...e, id })]),
  badDate.map((createdAt): Mutation => ['createdAt not a UTC timestamp', (e) => ({ ...e, createdAt })]),
  badEmail.map((email): Mutation => ['email invalid', (e) => ({ ...e, email })]),
  fc.constantFrom('id', 'orderId', 'itemId', 'createdAt').map((field): Mutation => [`${field} missing`, (e) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== field))]),
  fc.constant<Mutation>(['an extra field', (e) => ({ ...e, admin: true })]),
  fc.constant<Mutation>(['a tombstone', () => null]),
  fc.constantFrom('not json', '[]', 'null', '"text"', '{"orderId":').map((raw): Mutation => ['a value that is not an event object', () => raw]),
);

/** Headers that make a message unusable whatever its value. */
const badHeaders = fc.oneof(
  fc.constantFrom('2', '0', '', 'v1', '1\u0000').map((version) => ({ ...HEADERS, 'schema-version': version })),
  fc.constantFrom('text/plain', 'application/xml', '').map((type) => ({ ...HEADERS, 'content-type': type })),
);
/** A correlation id the notifier must not take over; the order itself is fine and still emailed. */
const badCorrelationId = fc.oneof(hostileText, fc.constant('x'.repeat(200)), fc.constant('a b'), fc.constant('ünïcode'));

function serialise(event: Event | string | null): Buffer | null {
  if (event === null) return null;
  return Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
}

/**
 * Good and bad messages alternating, beginning and ending with a good one. The three examples are
 * always among the bad; some good orders carry a correlation id that must be ignored, not trusted.
 */
function fuzzCases(goodCount: number): FuzzCase[] {
  const goods = fc.sample(validEvent, { numRuns: goodCount, seed: SEED }).map((sample, index) => goodEvent(index, sample));
  const mutations = fc.sample(mutation, { numRuns: goodCount - 12, seed: SEED + 1 });
  const headerSets = fc.sample(badHeaders, { numRuns: 8, seed: SEED + 2 });
  const correlationIds = ['corr\u0000', ...fc.sample(badCorrelationId, { numRuns: 5, seed: SEED + 3 })];
  const base = (index: number): Event => ({ ...(goods[index] as Event), orderId: `bad-${index}`, email: recipient(10_000 + index) });
  const fixed: Mutation[] = [
    ['orderId with U+0000', (e) => ({ ...e, orderId: 'A\u0000B' })],
    ['itemId with U+0000', (e) => ({ ...e, itemId: ['sku\u00001'] })],
    ['id of the form urn:uuid:', (e) => ({ ...e, id: `urn:uuid:${randomUUID()}` })],
  ];
  const bads: FuzzCase[] = [...fixed, ...mutations].map(([what, change], index) => ({ label: `bad-${index} ${what}`, good: false, value: serialise(change(base(index))), headers: HEADERS }));
  headerSets.forEach((headers, index) => bads.push({ label: `bad-headers-${index} ${JSON.stringify(headers)}`, good: false, value: serialise(base(index)), headers }));
  const messages: FuzzCase[] = [];
  goods.forEach((event, index) => {
    const correlationId = correlationIds[index % 8] ?? `corr-${index}`;
    messages.push({ label: `good-${index}`, good: true, value: serialise(event), headers: { ...HEADERS, 'correlation-id': correlationId } });
    const bad = bads[index];
    if (bad && index < goods.length - 1) messages.push(bad);
  });
  return messages;
}

describe('Events fuzzed straight onto the topic', function () {
  this.timeout(120_000);
  let stack: NotifierStack;

  afterEach(async () => {
    await stack?.stop();
  });

  it('emails every good order once and dead-letters every bad event, on one partition, without blocking', async () => {
    stack = await NotifierStack.start({ KAFKA_PARTITIONS: '1' });
    const notifier = await stack.startNotifier();
    const ops = `http://127.0.0.1:${String((await notifier.waitForLine((l) => l.msg === 'ops server listening', 'the ops server')).port)}/metrics`;
    const cases = fuzzCases(50);
    const goods = cases.filter((c) => c.good);
    const bads = cases.filter((c) => !c.good);
    console.log(`      seed ${SEED} (FUZZ_SEED=${SEED} replays it): ${goods.length} good and ${bads.length} bad events, interleaved`);

    const kafka = new Kafka({ brokers: stack.brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [stack.topic] }).finally(() => admin.disconnect());
    expect(metadata.topics[0]?.partitions, 'one partition: every event queues behind the one before it').to.have.length(1);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: stack.topic,
      acks: -1,
      messages: cases.map((c, index) => ({ key: `fuzz-${index}`, value: c.value, headers: { ...c.headers, 'x-fuzz-case': c.label } })),
    });
    await producer.disconnect();

    const badCount = bads.length;
    await eventually(async () => (await scrape(ops, 'ordermail_dead_letters_total', { kind: 'poison' })) === badCount, `${badCount} poison dead letters`, 30_000).catch(async (error: Error) => {
      const complaints = [...new Set(notifier.lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => `${String(l.msg)}: ${String(l.error ?? l.reason ?? '')}`))];
      throw new Error(
        `${error.message}; counted ${String(await scrape(ops, 'ordermail_dead_letters_total', { kind: 'poison' }))}, emailed ${stack.smtp.messages.length} of ${goods.length}; the notifier said: ${complaints.slice(-4).join(' | ')}`,
      );
    });
    const goodRecipients = goods.map((c) => (JSON.parse((c.value as Buffer).toString()) as { email: string }).email);
    await stack.smtp.waitFor((messages) => goodRecipients.every((to) => messages.some((m) => m.to.includes(to))), 30_000);
    await eventually(async () => (await scrape(ops, 'ordermail_kafka_consumer_lag')) === 0, 'the consumer lag to fall to 0', 15_000);

    const emailsTo = new Map<string, number>();
    for (const message of stack.smtp.messages) for (const to of message.to) emailsTo.set(to, (emailsTo.get(to) ?? 0) + 1);
    expect(goodRecipients.filter((to) => emailsTo.get(to) !== 1), 'good orders not emailed exactly once').to.deep.equal([]);
    expect(stack.smtp.messages, 'no email for a bad event').to.have.length(goods.length);
    for (const message of stack.smtp.messages) expect(message.headers['x-correlation-id'] ?? 'corr-', 'only a valid correlation id is taken over').to.match(/^corr-/);

    const letters = await readTopic(stack.brokers, stack.deadLetterTopic);
    expect(letters.map((l) => l.headers['x-fuzz-case']).sort(), 'each bad event dead-lettered once').to.deep.equal(bads.map((c) => c.label).sort());
    expect(letters.filter((l) => l.headers['dlq-kind'] !== 'poison' || !l.headers['dlq-reason'])).to.deep.equal([]);
    expect(notifier.lines.filter((l) => l.msg === 'poison message dead-lettered' && l.alert === true)).to.have.length(badCount);
  });
});
