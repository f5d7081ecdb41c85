import { expect } from 'chai';
import type { EmailTemplates } from '../../src/application/ports/email-templates.js';
import { statusUpdate } from '../../src/application/send-status-update-on-order-status-changed.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { NOTIFICATION_KINDS } from '../../src/domain/notification.js';
import { ORDER_STATUS_CHANGED, type OrderStatusChanged, type OrderStatusChangedEvent } from '../../src/domain/order-status-changed.js';
import { builtInTemplates } from '../support/email-templates.js';

const internalId = '0f8fad5b-d9cb-469f-a165-70867728950e';

function changed(overrides: Partial<OrderStatusChanged> = {}): OrderStatusChangedEvent {
  const payload: OrderStatusChanged = {
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    orderId: 'A-1',
    internalId,
    status: 'shipped',
    previousStatus: 'created',
    sequence: 2,
    changedAt: '2026-11-25T10:00:00.000Z',
    email: 'ada@example.com',
    ...overrides,
  };
  return { ...ORDER_STATUS_CHANGED, aggregateId: payload.orderId, payload };
}

let templates: EmailTemplates;

/** The email of a status change as the built-in templates write it. */
function render(event: OrderStatusChangedEvent) {
  const notification = statusUpdate(event);
  return templates.render(notification, { to: 'ada@example.com', messageId: notificationMessageId(notification, 'shop.test') });
}

describe('status update emails', () => {
  before(async () => {
    templates = await builtInTemplates();
  });

  it('every notification kind has a template', () => {
    expect(NOTIFICATION_KINDS.filter((kind) => !templates.renders(kind))).to.deep.equal([]);
  });

  it('makes one notification per status, keyed by order and kind, with its own Message-ID', () => {
    const kinds = (['shipped', 'delivered', 'cancelled'] as const).map((status) => statusUpdate(changed({ status })));
    expect(kinds.map((n) => [n.orderId, n.kind, n.channel])).to.deep.equal([
      ['A-1', 'order-shipped', 'email'],
      ['A-1', 'order-delivered', 'email'],
      ['A-1', 'order-cancelled', 'email'],
    ]);
    expect(kinds.map((n) => render(n.event as OrderStatusChangedEvent).messageId)).to.deep.equal([
      `<order-shipped-${internalId}@shop.test>`,
      `<order-delivered-${internalId}@shop.test>`,
      `<order-cancelled-${internalId}@shop.test>`,
    ]);
    expect(kinds[0]).to.include({ internalId, email: 'ada@example.com', occurredAt: '2026-11-25T10:00:00.000Z' });
  });

  it('tells the carrier and links the tracking page of a shipped order, in the text and the HTML', () => {
    const email = render(changed({ carrier: 'DHL', trackingUrl: 'https://track.example/p?id=1&x=2' }));
    expect(email.subject).to.equal('Order A-1 has shipped');
    expect(email.text).to.include('Carrier: DHL').and.include('Track it: https://track.example/p?id=1&x=2');
    expect(email.html).to.match(/<a\s+href="https:\/\/track\.example\/p\?id=1&amp;x=2"[^>]*>\s*Track your parcel\s*<\/a>/);
  });

  it('says delivered and cancelled in their own words', () => {
    expect(render(changed({ status: 'delivered', previousStatus: 'shipped', sequence: 3 })).subject).to.equal('Order A-1 delivered');
    const cancelled = render(changed({ status: 'cancelled', note: 'Out of stock' }));
    expect(cancelled.subject).to.equal('Order A-1 cancelled');
    expect(cancelled.text).to.include('Note: Out of stock');
  });

  it('escapes whatever the event carries in the HTML and keeps headers on one line', () => {
    const email = render(changed({ orderId: '<b>A&1</b>', carrier: '<script>x</script>', note: '"quoted" & <i>' }));
    expect(email.html).to.not.match(/<script>|<b>|<i>/);
    expect(email.html).to.include('&lt;script&gt;').and.include('&quot;quoted&quot; &amp; &lt;i&gt;');
    const withNewline = render(changed({ orderId: 'A-1\r\nBcc: x@evil.test' }));
    expect(withNewline.subject).to.not.match(/[\r\n]/);
    expect(withNewline.headers['X-Order-Id']).to.not.match(/[\r\n]/);
  });
});
