import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { EventCodecs } from '../../src/adapters/kafka/event-codec.js';
import { orderCreatedCodec } from '../../src/adapters/kafka/order-created-codec.js';
import { decodeOrderStatusChanged, orderStatusChangedCodec, orderStatusChangedSchema } from '../../src/adapters/kafka/order-status-changed-codec.js';
import { Order } from '../../src/domain/order.js';
import { ORDER_STATUSES, transition, type OrderStatus } from '../../src/domain/order-status.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChangedEvent } from '../../src/domain/order-status-changed.js';

const HEADERS = { 'event-type': 'order.status-changed', 'schema-version': '1', 'content-type': 'application/json', 'correlation-id': 'corr-1' };

function anEvent(): OrderStatusChangedEvent {
  const order = Order.create({ orderId: 'A-1', itemIds: ['sku-1'], email: 'ada@example.com' }, randomUUID(), new Date('2026-11-24T12:00:00Z'));
  order.changeStatus({ status: 'shipped', note: 'On its way', trackingUrl: 'https://track.example.com/p?id=1', carrier: 'DHL' }, randomUUID(), new Date('2026-11-25T08:00:00Z'));
  return order.pullEvents().at(-1) as OrderStatusChangedEvent;
}
const aPayload = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({ ...anEvent().payload, ...overrides });
const decode = (value: unknown, headers: Record<string, string> = HEADERS) => decodeOrderStatusChanged(Buffer.from(JSON.stringify(value)), headers);

describe('The order-status-changed codec', () => {
  it('checks against schemas/order-status-changed.v1.json, which is exactly what it generates (run `npm run schemas` after changing a rule)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../schemas/order-status-changed.v1.json', import.meta.url), 'utf8'));
    expect(committed).to.deep.equal(JSON.parse(JSON.stringify(orderStatusChangedSchema)));
  });

  it('encodes order.status-changed v1 on the orders topic, keyed by orderId, with its type, schema version, content type and correlation id, and reads it back', () => {
    const codecs = new EventCodecs([orderCreatedCodec('orders'), orderStatusChangedCodec('orders')]);
    const event = anEvent();
    const record = codecs.encode(event, { correlationId: 'corr-1' });
    expect(record).to.deep.include({ topic: 'orders', key: 'A-1' });
    expect(record?.headers).to.deep.equal(HEADERS);
    expect(JSON.parse(record?.value ?? '')).to.deep.equal(event.payload);
    expect(codecs.decode('orders', Buffer.from(record?.value ?? ''), record?.headers ?? {})).to.deep.equal({ ok: true, event, metadata: { correlationId: 'corr-1' } });
    expect(codecs.encode({ ...event, version: 2 }, {}), 'no codec for another version').to.equal(undefined);
  });

  it('reads an event without optional fields and without a correlation id', () => {
    const { note: _note, trackingUrl: _url, carrier: _carrier, email: _email, ...bare } = anEvent().payload;
    expect(decode(bare, { 'event-type': 'order.status-changed' })).to.deep.equal({ ok: true, event: { ...ORDER_STATUS_CHANGED, aggregateId: 'A-1', payload: bare }, metadata: {} });
  });

  for (const from of ORDER_STATUSES)
    for (const to of ORDER_STATUSES) {
      const allowed = transition(from, to) === 'allowed';
      it(`${allowed ? 'accepts' : 'calls poison'} a change from ${from} to ${to}`, () => {
        expect(decode(aPayload({ previousStatus: from as OrderStatus, status: to })).ok).to.equal(allowed);
      });
    }

  for (const [what, overrides] of [
    ['U+0000 in orderId', { orderId: 'A\u0000B' }],
    ['an orderId with whitespace around it', { orderId: ' A-1' }],
    ['an id in braces', { id: `{${randomUUID()}}` }],
    ['an internalId without hyphens', { internalId: randomUUID().replaceAll('-', '') }],
    ['a sequence of 1', { sequence: 1 }],
    ['a fractional sequence', { sequence: 2.5 }],
    ['a sequence as text', { sequence: '2' }],
    ['an http tracking URL', { trackingUrl: 'http://track.example.com/1' }],
    ['a javascript: tracking URL', { trackingUrl: 'javascript:alert(1)' }],
    ['a tracking URL with a quote', { trackingUrl: 'https://track.example.com/"onmouseover="x' }],
    ['a tracking URL of 2049 characters', { trackingUrl: `https://t.example.com/${'x'.repeat(2049)}` }],
    ['a note with a line break', { note: 'a\r\nBcc: x@example.com' }],
    ['a note with an unpaired surrogate', { note: 'a\ud800' }],
    ['an empty carrier', { carrier: '' }],
    ['a carrier of 101 characters', { carrier: 'c'.repeat(101) }],
    ['an email without a dot in its domain', { email: 'ada@example' }],
    ['a changedAt without a time zone', { changedAt: '2026-11-25T08:00:00' }],
    ['an unknown status', { status: 'lost' }],
    ['an extra field', { admin: true }],
    ['a missing internalId', { internalId: undefined }],
  ] as const) {
    it(`calls an event with ${what} poison, saying why`, () => {
      const decoded = decode(aPayload(overrides));
      expect(decoded.ok).to.equal(false);
      expect(decoded.ok ? '' : decoded.reason).to.match(/^fails order-status-changed v1 schema: event/);
    });
  }

  it('calls a message with a wrong or missing event-type, an unknown schema-version or content-type, or no value poison', () => {
    const { 'event-type': _type, ...untyped } = HEADERS;
    expect(decode(aPayload(), untyped)).to.deep.include({ ok: false });
    expect(decode(aPayload(), { ...HEADERS, 'event-type': 'order.created' })).to.deep.include({ ok: false });
    expect(decode(aPayload(), { ...HEADERS, 'schema-version': '2' })).to.deep.include({ ok: false });
    expect(decode(aPayload(), { ...HEADERS, 'content-type': 'text/plain' })).to.deep.include({ ok: false });
    expect(decodeOrderStatusChanged(null, HEADERS)).to.deep.equal({ ok: false, reason: 'empty message (tombstone)' });
    expect(decodeOrderStatusChanged(Buffer.from('{"id":'), HEADERS)).to.deep.equal({ ok: false, reason: 'value is not JSON' });
  });

  it('keeps the event but ignores a correlation-id with a line break, saying why', () => {
    const decoded = decode(aPayload(), { ...HEADERS, 'correlation-id': 'corr\r\nBcc: x@example.com' });
    expect(decoded.ok).to.equal(true);
    expect(decoded.ok && decoded.metadata).to.deep.equal({});
    expect(decoded.ok && decoded.ignored).to.match(/correlation-id/);
  });
});
