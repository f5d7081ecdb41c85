import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { EventCodecs } from '../../src/adapters/kafka/event-codec.js';
import { decodeOrderCreated, orderCreatedCodec, orderCreatedSchema } from '../../src/adapters/kafka/order-created-codec.js';
import { parseCreateOrder } from '../../src/adapters/http/order-schemas.js';
import { Order } from '../../src/domain/order.js';
import { ORDER_CREATED, orderCreated, orderCreatedEvent } from '../../src/domain/order-created.js';

const HEADERS = { 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': 'corr-1' };
const anEvent = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...orderCreated(Order.create({ orderId: 'A-1', itemIds: ['sku-1'], email: 'ada@example.com' }, randomUUID(), new Date('2026-11-24T12:00:00Z'))),
  ...overrides,
});
const decode = (value: unknown, headers: Record<string, string> = HEADERS) => decodeOrderCreated(Buffer.from(JSON.stringify(value)), headers);

/** Text the API is offered: mostly printable, with whitespace, control characters and lone surrogates now and then. */
const offeredText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\u0000', '\u0085', '\ud800', '\udc00', '@', '.', 'é'), maxLength: 12 }),
  fc.constant('x'.repeat(129)),
);

describe('The order-created codec', () => {
  it('checks against schemas/order-created.v1.json, which is exactly what it generates (run `npm run schemas` after changing a rule)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../schemas/order-created.v1.json', import.meta.url), 'utf8'));
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(orderCreatedSchema)));
  });

  it('accepts the event of an order the API accepted, with its correlation id', () => {
    const event = anEvent();
    expect(decode(event)).to.deep.equal({ ok: true, event: { ...ORDER_CREATED, aggregateId: 'A-1', payload: event }, metadata: { correlationId: 'corr-1' } });
  });

  it('reads the optional locale of version 1, and an event without one as before', () => {
    const withLocale = orderCreated(Order.create({ orderId: 'A-1', itemIds: ['sku-1'], locale: 'de-de' }, randomUUID(), new Date('2026-11-24T12:00:00Z')));
    expect(withLocale).to.include({ locale: 'de-DE' });
    expect(decode(withLocale)).to.deep.include({ ok: true });
    expect(decode(anEvent())).to.deep.include({ ok: true });
  });

  it('encodes order.created v1 on its topic, keyed by orderId, with its type, schema version, content type and correlation id, and reads it back', () => {
    const codecs = new EventCodecs([orderCreatedCodec('orders')]);
    const event = orderCreatedEvent(Order.create({ orderId: 'A-1', itemIds: ['sku-1'] }, randomUUID(), new Date('2026-11-24T12:00:00Z')));
    const record = codecs.encode(event, { correlationId: 'corr-1' });
    expect(record).to.deep.include({ topic: 'orders', key: 'A-1' });
    expect(record?.headers).to.deep.equal({ 'event-type': 'order.created', 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': 'corr-1' });
    expect(JSON.parse(record?.value ?? '')).to.deep.equal(event.payload);
    expect(codecs.decode('orders', Buffer.from(record?.value ?? ''), record?.headers ?? {})).to.deep.equal({ ok: true, event, metadata: { correlationId: 'corr-1' } });
    expect(codecs.encode({ ...event, version: 2 }, {}), 'no codec for another version').to.equal(undefined);
  });

  it('calls a record of an unknown type or version poison, naming both', () => {
    const codecs = new EventCodecs([orderCreatedCodec('orders')]);
    const value = Buffer.from(JSON.stringify(anEvent()));
    expect(codecs.decode('orders', value, { ...HEADERS, 'event-type': 'order.shipped' })).to.deep.equal({
      ok: false,
      reason: 'unknown event: no codec here reads order.shipped schema-version 1 (written by a newer producer?)',
    });
    const newer = codecs.decode('orders', value, { ...HEADERS, 'schema-version': '2' });
    expect(newer.ok ? '' : newer.reason).to.equal('unknown event: no codec here reads order.created schema-version 2 (written by a newer producer?)');
    expect(codecs.decode('elsewhere', value, { 'schema-version': '1' })).to.deep.include({ ok: false });
    expect(codecs.decode('orders', value, { ...HEADERS }).ok, 'a record written before the event-type header is read by its topic').to.equal(true);
  });

  for (const [what, overrides] of [
    ['U+0000 in orderId', { orderId: 'A\u0000B' }],
    ['U+0000 in an itemId', { itemId: ['sku\u00001'] }],
    ['an unpaired surrogate in orderId', { orderId: 'A\ud800' }],
    ['a blank orderId', { orderId: '   ' }],
    ['an orderId with whitespace around it', { orderId: ' A-1' }],
    ['an id of the form urn:uuid:…', { id: `urn:uuid:${randomUUID()}` }],
    ['an id in braces', { id: `{${randomUUID()}}` }],
    ['an id without hyphens', { id: randomUUID().replaceAll('-', '') }],
    ['101 items', { itemId: Array.from({ length: 101 }, (_, i) => `sku-${i}`) }],
    ['a numeric orderId', { orderId: 42 }],
    ['an email without a dot in its domain', { email: 'ada@example' }],
    ['an email with U+0000', { email: 'a\u0000@example.com' }],
    ['a createdAt without a time zone', { createdAt: '2026-11-24T12:00:00' }],
    ['a createdAt with a leap second', { createdAt: '2026-12-31T23:59:60Z' }],
    ['a createdAt on 30 February', { createdAt: '2026-02-30T12:00:00Z' }],
    ['an extra field', { admin: true }],
    ['a locale with an underscore', { locale: 'de_DE' }],
    ['a locale of 36 characters', { locale: `de-${'abcdefgh-'.repeat(3)}abcdefg` }],
  ] as const) {
    it(`calls an event with ${what} poison, saying why`, () => {
      const decoded = decode(anEvent(overrides));
      expect(decoded.ok).to.equal(false);
      expect(decoded.ok ? '' : decoded.reason).to.match(/^fails order-created v1 schema: event/);
    });
  }

  it('calls a message with an unknown schema-version or content-type poison', () => {
    expect(decode(anEvent(), { ...HEADERS, 'schema-version': '2' })).to.deep.include({ ok: false });
    expect(decode(anEvent(), { ...HEADERS, 'content-type': 'text/plain' })).to.deep.include({ ok: false });
    expect(decodeOrderCreated(null, HEADERS)).to.deep.equal({ ok: false, reason: 'empty message (tombstone)' });
  });

  it('reads a message without headers as schema version 1', () => {
    expect(decode(anEvent(), {}).ok).to.equal(true);
  });

  for (const [what, correlationId] of [
    ['U+0000', 'corr\u0000'],
    ['a line break', 'corr\r\nBcc: x@example.com'],
    ['non-ASCII', 'ünïcode'],
    ['129 characters', 'c'.repeat(129)],
  ] as const) {
    it(`keeps the order but ignores a correlation-id with ${what}, saying why`, () => {
      const decoded = decode(anEvent(), { ...HEADERS, 'correlation-id': correlationId });
      expect(decoded.ok).to.equal(true);
      expect(decoded.ok && decoded.metadata).to.deep.equal({});
      expect(decoded.ok && decoded.ignored).to.match(/correlation-id/);
    });
  }

  it('accepts exactly the events of orders the API would accept', () => {
    fc.assert(
      fc.property(offeredText, fc.array(offeredText, { maxLength: 3 }), fc.option(offeredText.map((local) => `${local}@example.com`), { nil: undefined }), (orderId, itemId, email) => {
        const body = { orderId, itemId: itemId.length === 0 ? ['sku'] : itemId, ...(email === undefined ? {} : { email }) };
        const parsed = parseCreateOrder(body);
        const apiAccepts = parsed.ok && Order.check({ orderId: body.orderId, itemIds: body.itemId, ...(email === undefined ? {} : { email }) }).length === 0;
        const event = { id: randomUUID(), orderId: orderId.trim(), itemId: body.itemId, ...(email === undefined ? {} : { email: email.trim() }), createdAt: '2026-11-24T12:00:00.000Z' };
        expect(decode(event).ok, JSON.stringify(event)).to.equal(apiAccepts);
      }),
      { numRuns: 500 },
    );
  });
});
