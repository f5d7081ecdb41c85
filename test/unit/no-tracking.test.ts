import { expect } from 'chai';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { statusUpdate } from '../../src/application/send-status-update-on-order-status-changed.js';
import { FileEmailTemplates } from '../../src/adapters/templates/file-email-templates.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { NOTIFICATION_KINDS, type Notification } from '../../src/domain/notification.js';
import { ORDER_CREATED } from '../../src/domain/order-created.js';
import { ORDER_STATUS_CHANGED } from '../../src/domain/order-status-changed.js';
import { builtInTemplates, DEFAULT_TEMPLATE_OPTIONS } from '../support/email-templates.js';

const internalId = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** One notification of each kind, every optional field filled (the shipping email with its carrier, tracking link and note). */
const notifications: Notification[] = [
  orderConfirmation({ ...ORDER_CREATED, aggregateId: 'A-1', payload: { id: internalId, orderId: 'A-1', itemId: ['sku-1'], email: 'ada@example.com', createdAt: '2026-11-25T09:00:00.000Z' } }),
  ...(['shipped', 'delivered', 'cancelled'] as const).map((status) =>
    statusUpdate({
      ...ORDER_STATUS_CHANGED,
      aggregateId: 'A-1',
      payload: {
        id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        orderId: 'A-1',
        internalId,
        status,
        previousStatus: status === 'delivered' ? 'shipped' : 'created',
        sequence: status === 'delivered' ? 3 : 2,
        changedAt: '2026-11-25T10:00:00.000Z',
        email: 'ada@example.com',
        note: 'Left with the neighbour',
        carrier: 'DHL',
        trackingUrl: 'https://track.example.com/p/123',
      },
    }),
  ),
];

/** What a mail client fetches from elsewhere when it shows the HTML: images, backgrounds, style sheets. Each fetch tells the sender the email was opened. */
function remoteLoads(html: string): string[] {
  const remote = /^\s*["']?\s*(https?:)?\/\//i;
  const sources = [...html.matchAll(/<(?:img|image|input)\b[^>]*?\bsrc\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)].map((m) => m[1] as string);
  const backgrounds = [...html.matchAll(/\bbackground\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)].map((m) => m[1] as string);
  const urls = [...html.matchAll(/url\(([^)]*)\)|@import\s+("[^"]*"|'[^']*')/gi)].map((m) => (m[1] ?? m[2]) as string);
  const sheets = [...html.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0].replace(/^.*?href\s*=\s*/is, ''));
  return [...sources, ...backgrounds, ...urls, ...sheets].filter((url) => remote.test(url));
}

describe('the built-in email templates track nothing', () => {
  it('recognises a tracking pixel, a remote background and a remote style sheet (the check itself)', () => {
    expect(remoteLoads('<p>hi</p><img width="1" height="1" src="https://t.example.com/open?id=42">')).to.have.length(1);
    expect(remoteLoads(`<td background='//cdn.example.com/bg.png'></td><div style="background:url(http://x.example/p.gif)"></div>`)).to.have.length(2);
    expect(remoteLoads('<link rel="stylesheet" href="https://cdn.example.com/a.css">')).to.have.length(1);
    expect(remoteLoads('<img src="cid:logo@shop.test"><img src="data:image/png;base64,AAAA">')).to.deep.equal([]);
  });

  it('covers every kind a built-in template renders', async () => {
    const templates = await builtInTemplates();
    expect(notifications.map((n) => n.kind)).to.have.members(NOTIFICATION_KINDS.filter((kind) => templates.renders(kind)));
  });

  const LOGO = 'https://shop.example.com/logo.png';
  for (const notification of notifications)
    it(`${notification.kind}: its HTML loads nothing from the network in any shipped language (no tracking pixel, no remote image or style), but the shop's own logo when one is configured`, async () => {
      const plain = await builtInTemplates();
      const branded = await FileEmailTemplates.load({ ...DEFAULT_TEMPLATE_OPTIONS, shop: { ...DEFAULT_TEMPLATE_OPTIONS.shop, logoUrl: LOGO } });
      for (const language of plain.languages) {
        const localised = { ...notification, event: { ...notification.event, payload: { ...(notification.event.payload as object), locale: language } } } as Notification;
        const addressing = { to: 'ada@example.com', messageId: notificationMessageId(notification, 'shop.test') };
        const html = plain.render(localised, addressing).html;
        expect(html).to.match(/<[a-z]/i);
        expect(remoteLoads(html), language).to.deep.equal([]);
        expect(remoteLoads(branded.render(localised, addressing).html).map((url) => url.replace(/^["']|["']$/g, '')), `${language}, with SHOP_LOGO_URL`).to.deep.equal([LOGO]);
      }
    });
});
