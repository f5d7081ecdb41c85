import { expect } from 'chai';
import { OrderDuplicateError, ValidationError } from '../../src/domain/errors.js';
import { Order } from '../../src/domain/order.js';
import { orderCreated, ORDER_CREATED_SCHEMA_VERSION } from '../../src/domain/order-created.js';

const at = new Date('2026-11-24T12:00:00.000Z');

describe('Order', () => {
  it('is created with trimmed identifiers and its items', () => {
    const order = Order.create({ orderId: '  A-1 ', itemIds: ['a', 'b'], email: ' ada@example.com ' }, 'id-1', at);
    expect(order.orderId).to.equal('A-1');
    expect(order.itemIds).to.deep.equal(['a', 'b']);
    expect(order.email).to.equal('ada@example.com');
    expect(order.createdAt).to.equal(at);
  });

  it('refuses an order that breaks a rule, naming each field', () => {
    let thrown: unknown;
    try {
      Order.create({ orderId: ' ', itemIds: [], email: 'nope' }, 'id', at);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(ValidationError);
    expect((thrown as ValidationError).code).to.equal('VALIDATION_FAILED');
    expect((thrown as ValidationError).details.map((d) => d.field)).to.deep.equal(['orderId', 'itemId', 'email']);
  });

  it('keeps the customer\'s locale in its canonical BCP 47 form, and carries it in order.created', () => {
    const order = Order.create({ orderId: 'A-1', itemIds: ['a'], locale: ' de-de ' }, 'id-1', at);
    expect(order.locale).to.equal('de-DE');
    expect(orderCreated(order)).to.include({ locale: 'de-DE' });
    expect(Order.create({ orderId: 'A-2', itemIds: ['a'], locale: 'zh-hant-tw' }, 'id-2', at).locale).to.equal('zh-Hant-TW');
    expect(Order.create({ orderId: 'A-3', itemIds: ['a'] }, 'id-3', at).locale).to.equal(undefined);
    expect(orderCreated(Order.create({ orderId: 'A-4', itemIds: ['a'] }, 'id-4', at))).to.not.have.property('locale');
  });

  it('refuses control characters in identifiers', () => {
    expect(Order.check({ orderId: 'A\u0007', itemIds: ['x\u0085'] }).map((p) => p.field)).to.deep.equal(['orderId', 'itemId[0]']);
  });

  describe('its rules, one message each, whichever adapter asks', () => {
    const cases: [string, Parameters<typeof Order.check>[0], { field: string; message: string }[]][] = [
      ['an orderId of spaces', { orderId: '  ' }, [{ field: 'orderId', message: 'must not be empty' }]],
      ['an orderId of 129 characters', { orderId: 'o'.repeat(129) }, [{ field: 'orderId', message: 'must be at most 128 characters' }]],
      ['an orderId with a control character', { orderId: 'A\u0007' }, [{ field: 'orderId', message: 'must not contain control characters or unpaired surrogates' }]],
      ['no items', { itemIds: [] }, [{ field: 'itemId', message: 'must hold 1 to 100 items' }]],
      ['101 items', { itemIds: Array.from({ length: 101 }, (_, i) => `s${i}`) }, [{ field: 'itemId', message: 'must hold 1 to 100 items' }]],
      ['an empty item', { itemIds: ['ok', ''] }, [{ field: 'itemId[1]', message: 'must not be empty' }]],
      ['an item of 129 characters', { itemIds: ['ok', 'ok', 'ok', 'i'.repeat(129)] }, [{ field: 'itemId[3]', message: 'must be at most 128 characters' }]],
      ['an item with an unpaired surrogate', { itemIds: ['\udc00'] }, [{ field: 'itemId[0]', message: 'must not contain control characters or unpaired surrogates' }]],
      ['an invalid email', { email: 'ada@example' }, [{ field: 'email', message: 'must be a valid email address' }]],
      ['an email of 255 characters', { email: `${'a'.repeat(243)}@example.com` }, [{ field: 'email', message: 'must be at most 254 characters' }]],
      ['a locale with an underscore', { locale: 'de_DE' }, [{ field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }]],
      ['a locale of 36 characters', { locale: `de-${'x'.repeat(8)}-${'y'.repeat(8)}-${'z'.repeat(8)}-abcdefg` }, [{ field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }]],
      ['a locale with a dangling singleton', { locale: 'en-a' }, [{ field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }]],
      ['a locale repeating a variant', { locale: 'de-1996-1996' }, [{ field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }]],
      ['a locale that is a language\'s name', { locale: 'german' }, [{ field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }]],
      ['a locale that is a sentence', { locale: 'Deutsch bitte' }, [{ field: 'locale', message: 'must be a BCP 47 language tag such as de or de-DE' }]],
    ];
    for (const [what, input, problems] of cases)
      it(`says what is wrong with ${what}`, () => {
        expect(Order.check(input)).to.deep.equal(problems);
      });

    it('counts characters as JSON Schema does: 128 emoji are 128 characters, 129 are too many', () => {
      expect(Order.check({ orderId: '\u{1f600}'.repeat(128), itemIds: ['\u{1f600}'.repeat(128)] })).to.deep.equal([]);
      expect(Order.check({ orderId: '\u{1f600}'.repeat(129) })).to.deep.equal([{ field: 'orderId', message: 'must be at most 128 characters' }]);
    });

    it('accepts exactly the addresses of the email format the event schema asserts: ASCII atoms, a host name with a dot', () => {
      for (const email of ['ada@example.com', "o'hara+shop@mail.example.co.uk", 'A.B@EXAMPLE.IO']) expect(Order.check({ email }), email).to.deep.equal([]);
      for (const email of ['ü@example.com', 'a..b@example.com', '.a@example.com', 'a@-example.com', 'a@example', 'a b@example.com', '"a"@example.com'])
        expect(Order.check({ email }), email).to.have.length(1);
    });

    it('checks only the fields it is given: whether one may be left out is the caller\'s shape', () => {
      expect(Order.check({})).to.deep.equal([]);
    });
  });

  it('records order.created when it is created, handed over once; a restored order records nothing', () => {
    const order = Order.create({ orderId: 'A', itemIds: ['a'] }, 'id-1', at);
    expect(order.pullEvents()).to.deep.equal([{ type: 'order.created', version: 1, aggregateId: 'A', payload: orderCreated(order) }]);
    expect(order.pullEvents()).to.deep.equal([]);
    expect(Order.restore({ internalId: 'id-1', orderId: 'A', itemIds: ['a'], createdAt: at }).pullEvents()).to.deep.equal([]);
  });

  it('copies its items so the caller cannot change them afterwards', () => {
    const items = ['a'];
    const order = Order.create({ orderId: 'A', itemIds: items }, 'id', at);
    items.push('b');
    expect(order.itemIds).to.deep.equal(['a']);
  });
});

describe('OrderCreated', () => {
  it('is version 1 and carries id, orderId, itemId, email and createdAt', () => {
    const order = Order.create({ orderId: 'A', itemIds: ['a'], email: 'ada@example.com' }, 'id-1', at);
    expect(ORDER_CREATED_SCHEMA_VERSION).to.equal(1);
    expect(orderCreated(order)).to.deep.equal({ id: 'id-1', orderId: 'A', itemId: ['a'], email: 'ada@example.com', createdAt: '2026-11-24T12:00:00.000Z' });
  });

  it('leaves email out when the order has none', () => {
    expect(orderCreated(Order.create({ orderId: 'A', itemIds: ['a'] }, 'id-1', at))).to.not.have.property('email');
  });
});

describe('domain errors', () => {
  it('carry stable codes', () => {
    expect(new OrderDuplicateError('A').code).to.equal('ORDER_DUPLICATE');
    expect(new ValidationError([]).code).to.equal('VALIDATION_FAILED');
  });
});
