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

  it('refuses control characters in identifiers', () => {
    expect(Order.check({ orderId: 'A\u0007', itemIds: ['x\u0085'] }).map((p) => p.field)).to.deep.equal(['orderId', 'itemId[0]']);
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
