import { expect } from 'chai';
import { InvalidTransitionError, ValidationError } from '../../src/domain/errors.js';
import { Order } from '../../src/domain/order.js';
import { ORDER_STATUS_CHANGED } from '../../src/domain/order-status-changed.js';
import { checkStatusChange, ORDER_STATUSES, STATUS_CHANGE_LIMITS, transition, type OrderStatus, type TargetStatus } from '../../src/domain/order-status.js';

const at = new Date('2026-11-25T09:30:00.000Z');
const anOrder = (status: OrderStatus = 'created', version = 1, email: string | null = 'ada@example.com'): Order =>
  Order.restore({ internalId: '5b0e7d3a-58f4-4f6b-9a55-0f0e1d2c3b4a', orderId: 'A-1', itemIds: ['sku-1'], ...(email ? { email } : {}), createdAt: new Date('2026-11-24T12:00:00Z'), status, version });

const ALLOWED = new Set(['created→shipped', 'created→cancelled', 'shipped→delivered', 'shipped→cancelled']);

describe('The order status rule', () => {
  for (const from of ORDER_STATUSES)
    for (const to of ORDER_STATUSES) {
      const expected = from === to ? 'same' : ALLOWED.has(`${from}→${to}`) ? 'allowed' : 'invalid';
      it(`calls ${from} → ${to} ${expected}`, () => expect(transition(from, to)).to.equal(expected));
    }
});

describe('Order.changeStatus', () => {
  for (const from of ORDER_STATUSES)
    for (const to of ORDER_STATUSES.filter((s): s is TargetStatus => s !== 'created')) {
      const verdict = transition(from, to);
      it(`${verdict === 'allowed' ? 'moves' : verdict === 'same' ? 'leaves' : 'refuses to move'} a ${from} order ${verdict === 'same' ? 'as it is when asked for' : 'to'} ${to}`, () => {
        const order = anOrder(from, 3);
        if (verdict === 'invalid') {
          const error = (() => {
            try {
              order.changeStatus({ status: to }, 'c-1', at);
            } catch (thrown) {
              return thrown;
            }
            return undefined;
          })();
          expect(error).to.be.instanceOf(InvalidTransitionError);
          expect(error).to.include({ code: 'INVALID_TRANSITION', currentStatus: from, requestedStatus: to });
          expect((error as Error).message).to.contain(from);
          expect(order.status).to.equal(from);
          expect(order.version).to.equal(3);
          expect(order.pullEvents()).to.deep.equal([]);
        } else if (verdict === 'same') {
          expect(order.changeStatus({ status: to, note: 'again' }, 'c-1', at)).to.deep.equal({ changed: false });
          expect(order.version).to.equal(3);
          expect(order.pullEvents(), 'no second event').to.deep.equal([]);
        } else {
          const outcome = order.changeStatus({ status: to }, 'c-1', at);
          expect(outcome).to.deep.equal({ changed: true, change: { id: 'c-1', status: to, previousStatus: from, sequence: 4, changedAt: at } });
          expect(order.status).to.equal(to);
          expect(order.version).to.equal(4);
        }
      });
    }

  it('records order.status-changed v1 with the order\'s email and the trimmed details, handed over once', () => {
    const order = anOrder();
    order.changeStatus({ status: 'shipped', note: ' On its way ', trackingUrl: 'https://track.example.com/p/1?x=1', carrier: ' DHL ' }, 'c-1', at);
    expect(order.pullEvents()).to.deep.equal([
      {
        ...ORDER_STATUS_CHANGED,
        aggregateId: 'A-1',
        payload: {
          id: 'c-1',
          orderId: 'A-1',
          internalId: order.internalId,
          status: 'shipped',
          previousStatus: 'created',
          sequence: 2,
          changedAt: '2026-11-25T09:30:00.000Z',
          email: 'ada@example.com',
          note: 'On its way',
          trackingUrl: 'https://track.example.com/p/1?x=1',
          carrier: 'DHL',
        },
      },
    ]);
    expect(order.pullEvents()).to.deep.equal([]);
  });

  it('leaves email out of the event of an order without one', () => {
    const order = anOrder('created', 1, null);
    order.changeStatus({ status: 'cancelled' }, 'c-1', at);
    expect(order.pullEvents()[0]?.payload).to.not.have.property('email');
  });

  it('goes created → shipped → delivered, one version each', () => {
    const order = anOrder();
    order.changeStatus({ status: 'shipped' }, 'c-1', at);
    order.changeStatus({ status: 'delivered' }, 'c-2', at);
    expect(order.pullEvents().map((e) => (e.payload as { sequence: number }).sequence)).to.deep.equal([2, 3]);
    expect(order.snapshot()).to.deep.include({ status: 'delivered', version: 3 });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['an unknown status', { status: 'lost' }, 'status'],
    ['created as a target', { status: 'created' }, 'status'],
    ['an empty note', { note: '  ' }, 'note'],
    [`a note of ${STATUS_CHANGE_LIMITS.noteMaxLength + 1} characters`, { note: 'x'.repeat(STATUS_CHANGE_LIMITS.noteMaxLength + 1) }, 'note'],
    ['a note with a line break', { note: 'a\nb' }, 'note'],
    ['a carrier with U+0000', { carrier: 'D\u0000HL' }, 'carrier'],
    ['a carrier with an unpaired surrogate', { carrier: 'D\ud800' }, 'carrier'],
    ['an http tracking URL', { trackingUrl: 'http://track.example.com/1' }, 'trackingUrl'],
    ['a javascript: tracking URL', { trackingUrl: 'javascript:alert(1)' }, 'trackingUrl'],
    ['a tracking URL with user info', { trackingUrl: 'https://bank.example.com@evil.example/' }, 'trackingUrl'],
    ['a tracking URL with a quote', { trackingUrl: 'https://track.example.com/"><script>' }, 'trackingUrl'],
    ['a tracking URL with a space', { trackingUrl: 'https://track.example.com/a b' }, 'trackingUrl'],
    ['a tracking URL without a dotted host', { trackingUrl: 'https://localhost/1' }, 'trackingUrl'],
    [`a tracking URL of ${STATUS_CHANGE_LIMITS.trackingUrlMaxLength + 1} characters`, { trackingUrl: `https://t.example.com/${'x'.repeat(STATUS_CHANGE_LIMITS.trackingUrlMaxLength)}` }, 'trackingUrl'],
  ];
  for (const [what, override, field] of invalid)
    it(`refuses ${what}, naming ${field}, and changes nothing`, () => {
      const order = anOrder();
      expect(() => order.changeStatus({ status: 'shipped', ...override } as never, 'c-1', at))
        .to.throw(ValidationError)
        .with.property('details')
        .that.satisfies((details: { field: string }[]) => details.some((d) => d.field === field));
      expect(order.status).to.equal('created');
      expect(order.pullEvents()).to.deep.equal([]);
    });

  const messages: [string, Parameters<typeof checkStatusChange>[0], { field: string; message: string }[]][] = [
    ['an unknown status', { status: 'lost' }, [{ field: 'status', message: 'must be one of shipped, delivered, cancelled' }]],
    ['a note of spaces', { note: '   ' }, [{ field: 'note', message: 'must not be empty' }]],
    ['a note of 501 characters', { note: 'n'.repeat(501) }, [{ field: 'note', message: 'must be at most 500 characters' }]],
    ['a carrier of 101 characters', { carrier: 'c'.repeat(101) }, [{ field: 'carrier', message: 'must be at most 100 characters' }]],
    ['a carrier with a control character', { carrier: 'D\u0085HL' }, [{ field: 'carrier', message: 'must not contain control characters or unpaired surrogates' }]],
    ['an http tracking URL', { trackingUrl: 'http://track.example.com/1' }, [{ field: 'trackingUrl', message: 'must be an https:// URL with a host name, without spaces or quotes' }]],
    ['a tracking URL of 2049 characters', { trackingUrl: `https://t.example.com/${'x'.repeat(2027)}` }, [{ field: 'trackingUrl', message: 'must be at most 2048 characters' }]],
  ];
  for (const [what, change, problems] of messages)
    it(`says what is wrong with ${what}, one message per rule`, () => {
      expect(checkStatusChange(change)).to.deep.equal(problems);
    });

  it('is restored with its status and version, and a restored order without them is created at version 1', () => {
    expect(anOrder('shipped', 2).snapshot()).to.deep.include({ status: 'shipped', version: 2 });
    const plain = Order.restore({ internalId: 'id', orderId: 'A', itemIds: ['a'], createdAt: at });
    expect([plain.status, plain.version]).to.deep.equal(['created', 1]);
  });
});
