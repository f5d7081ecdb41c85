import { expect } from 'chai';
import fc from 'fast-check';
import type { EmailTemplates } from '../../src/application/ports/email-templates.js';
import { orderConfirmation } from '../../src/application/send-order-confirmation-on-order-created.js';
import { SUBJECT_ORDER_ID_MAX_LENGTH, subjectOrderId } from '../../src/application/templates/email-text.js';
import { notificationMessageId } from '../../src/application/templates/template.js';
import { ORDER_LIMITS, Order } from '../../src/domain/order.js';
import { ORDER_CREATED } from '../../src/domain/order-created.js';
import { builtInTemplates } from '../support/email-templates.js';

const graphemesOf = (text: string): string[] => [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Every orderId the api accepts (trimmed, as it is stored): any code points, emoji and combining marks included, up to the limit. */
const validOrderId = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: ORDER_LIMITS.orderIdMaxLength }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: ORDER_LIMITS.orderIdMaxLength, size: 'max' }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: ORDER_LIMITS.orderIdMaxLength, size: 'max' }),
    fc.string({ unit: 'grapheme-composite', minLength: 30, maxLength: ORDER_LIMITS.orderIdMaxLength }),
  )
  .map((id) => id.trim())
  .filter((id) => Order.isPossibleOrderId(id));

const email = (orderId: string) => ({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', orderId, itemId: ['sku-1'], createdAt: '2026-11-24T12:00:00.000Z' });
let templates: EmailTemplates;
/** The confirmation as the built-in templates write it, in English. */
const renderOrderEmail = (payload: ReturnType<typeof email>) =>
  templates.render(orderConfirmation({ ...ORDER_CREATED, aggregateId: payload.orderId, payload }), { to: 'ada@example.com', messageId: notificationMessageId({ kind: 'order-created', internalId: payload.id }, 'shop.test') });

describe('the subject line', () => {
  before(async () => {
    templates = await builtInTemplates();
  });

  it('carries a short orderId as it is', () => {
    expect(renderOrderEmail(email('A-1')).subject).to.equal('Order A-1 received');
    expect(subjectOrderId('x'.repeat(SUBJECT_ORDER_ID_MAX_LENGTH))).to.equal('x'.repeat(SUBJECT_ORDER_ID_MAX_LENGTH));
  });

  it('cuts the longest orderId to 64 characters, the ellipsis included', () => {
    const subject = renderOrderEmail(email('x'.repeat(ORDER_LIMITS.orderIdMaxLength))).subject;
    expect(subject).to.equal(`Order ${'x'.repeat(SUBJECT_ORDER_ID_MAX_LENGTH - 1)}… received`);
  });

  it('never cuts inside a surrogate pair, a flag, a family emoji or before a combining mark', () => {
    expect(subjectOrderId('𝔸'.repeat(64))).to.equal(`${'𝔸'.repeat(31)}…`);
    expect(subjectOrderId('🇫🇷'.repeat(32))).to.equal(`${'🇫🇷'.repeat(15)}…`);
    expect(subjectOrderId(`${'a'.repeat(60)}👩‍👩‍👧‍👦b`)).to.equal(`${'a'.repeat(60)}…`);
    expect(subjectOrderId(`${'a'.repeat(62)}e\u0301\u0301x`)).to.equal(`${'a'.repeat(62)}…`);
  });

  it('shows only the ellipsis for an orderId whose first grapheme alone is too long', () => {
    expect(subjectOrderId(`a${'\u0301'.repeat(100)}`)).to.equal('…');
  });

  it('keeps the character rules of a header: control characters become one space', () => {
    expect(subjectOrderId('A-1\r\nBcc: x@evil.test')).to.equal('A-1 Bcc: x@evil.test');
  });

  it('holds for every valid orderId: at most 64 characters, well formed, one line, a prefix cut between graphemes', () => {
    fc.assert(
      fc.property(validOrderId, (orderId) => {
        const shown = subjectOrderId(orderId);
        expect(shown.length).to.be.at.most(SUBJECT_ORDER_ID_MAX_LENGTH);
        expect(/[\ud800-\udfff]/u.test(shown), 'an unpaired surrogate').to.equal(false);
        expect(CONTROL.test(shown)).to.equal(false);
        expect(renderOrderEmail(email(orderId)).subject).to.equal(`Order ${shown} received`);
        if (orderId.length <= SUBJECT_ORDER_ID_MAX_LENGTH) {
          expect(shown).to.equal(orderId);
        } else {
          expect(shown.endsWith('…')).to.equal(true);
          const kept = graphemesOf(shown.slice(0, -1));
          expect(graphemesOf(orderId).slice(0, kept.length)).to.deep.equal(kept);
        }
      }),
      { numRuns: 500 },
    );
  });
});
