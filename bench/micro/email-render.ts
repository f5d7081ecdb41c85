import { FileEmailTemplates } from '../../src/adapters/templates/file-email-templates.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { BUILT_IN_TEMPLATES_DIR } from '../../src/bootstrap/modules/email-templates-module.js';
import { ORDER_CREATED } from '../../src/domain/order-created.js';
import { cpuPerOp } from './measure.js';

// One order confirmation rendered by the built-in templates (subject, MJML HTML, text), in en and de-DE.
const templates = await FileEmailTemplates.load({ builtInDir: BUILT_IN_TEMPLATES_DIR, shop: { name: 'ordermail', brandColor: '#2b6cb0' }, defaultLocale: 'en', timeZone: 'UTC' });
for (const locale of [undefined, 'de-DE']) {
  const payload = { id: '0b9d6c1e-4a7f-4d2b-9c3e-5f1a2b3c4d5e', orderId: 'order-1', itemId: ['sku-1', 'sku-2', 'sku-3'], createdAt: '2026-11-24T12:00:00.000Z', ...(locale ? { locale } : {}) };
  const notification = orderConfirmation({ ...ORDER_CREATED, aggregateId: payload.orderId, payload });
  const addressing = { to: 'customer@example.com', messageId: notificationMessageId({ kind: 'order-created', internalId: payload.id }, 'shop.test'), correlationId: 'corr-1' };
  await cpuPerOp(`render order-created (${locale ?? 'en'})`, 2_000, (count) => {
    for (let i = 0; i < count; i++) templates.render(notification, addressing);
  });
}
