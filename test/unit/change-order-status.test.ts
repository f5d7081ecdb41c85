import { expect } from 'chai';
import { InMemoryOrderRepository } from '../../src/adapters/memory/in-memory-order-repository.js';
import { InMemoryStore } from '../../src/adapters/memory/in-memory-store.js';
import { ChangeOrderStatus } from '../../src/application/change-order-status.js';
import { ConcurrentChangeError } from '../../src/application/errors.js';
import { CreateOrder } from '../../src/application/create-order.js';
import type { OrderRepository } from '../../src/application/ports/order-repository.js';
import { InvalidTransitionError, OrderNotFoundError, ValidationError } from '../../src/domain/errors.js';
import type { Order } from '../../src/domain/order.js';
import type { StatusChangeRequest } from '../../src/domain/order-status.js';
import { fixedClock } from '../support/builders.js';

/** Ids in the order they are handed out, so a test can tell which change got which. */
const sequentialIds = () => {
  let n = 0;
  return { next: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` };
};

/** The in-memory repository, where another request stores `competing` just before each of the first `races` saves. */
class RacedRepository extends InMemoryOrderRepository {
  saves = 0;
  constructor(
    store: InMemoryStore,
    private readonly competing: StatusChangeRequest[],
  ) {
    super(store);
  }

  override async saveStatusChange(...args: Parameters<OrderRepository['saveStatusChange']>): Promise<void> {
    this.saves += 1;
    const next = this.competing.shift();
    if (next) {
      const other = (await this.findByOrderId(args[0].orderId)) as Order;
      const outcome = other.changeStatus(next, `competitor-${this.saves}`, new Date('2026-11-25T07:00:00.000Z'));
      if (outcome.changed) await super.saveStatusChange(other, outcome.change, other.pullEvents(), { correlationId: 'other' });
    }
    return super.saveStatusChange(...args);
  }
}

describe('ChangeOrderStatus', () => {
  let store: InMemoryStore;
  let changeStatus: ChangeOrderStatus;

  beforeEach(async () => {
    store = new InMemoryStore();
    await new CreateOrder(new InMemoryOrderRepository(store), sequentialIds(), fixedClock()).execute({ orderId: 'A-1', itemIds: ['x'], email: 'ada@example.com', correlationId: 'c-0' });
    store.outbox.splice(0);
    changeStatus = new ChangeOrderStatus(new InMemoryOrderRepository(store), sequentialIds(), fixedClock('2026-11-25T09:00:00.000Z'));
  });

  const statusEvents = () => store.outbox.map(({ event, metadata }) => ({ status: (event.payload as { status: string }).status, type: event.type, metadata }));

  it('stores a valid change with its order.status-changed event, carrying the correlation id, ids and time from its ports', async () => {
    const state = await changeStatus.execute({ orderId: 'A-1', status: 'shipped', carrier: 'DHL', trackingUrl: 'https://track.example.com/1', correlationId: 'c-1' });
    expect(state.changed).to.equal(true);
    expect([state.order.status, state.order.version]).to.deep.equal(['shipped', 2]);
    const entry = { id: '00000000-0000-4000-8000-000000000001', status: 'shipped', previousStatus: 'created', sequence: 2, changedAt: new Date('2026-11-25T09:00:00.000Z'), carrier: 'DHL', trackingUrl: 'https://track.example.com/1' };
    expect(state.statusHistory).to.deep.equal([entry]);
    expect(store.outbox).to.have.length(1);
    expect(store.outbox[0]?.event).to.deep.include({ type: 'order.status-changed', version: 1, aggregateId: 'A-1' });
    expect(store.outbox[0]?.event.payload).to.deep.include({ id: entry.id, status: 'shipped', previousStatus: 'created', sequence: 2, email: 'ada@example.com', changedAt: '2026-11-25T09:00:00.000Z' });
    expect(store.outbox[0]?.metadata).to.deep.equal({ correlationId: 'c-1' });
    expect(store.orders.get('A-1')?.status).to.equal('shipped');
  });

  it('answers the current state with changed: false for the status the order has, storing no event', async () => {
    await changeStatus.execute({ orderId: 'A-1', status: 'shipped', correlationId: 'c-1' });
    const again = await changeStatus.execute({ orderId: 'A-1', status: 'shipped', note: 'again', correlationId: 'c-2' });
    expect(again.changed).to.equal(false);
    expect([again.order.status, again.order.version]).to.deep.equal(['shipped', 2]);
    expect(again.statusHistory.map((c) => c.status)).to.deep.equal(['shipped']);
    expect(statusEvents()).to.have.length(1);
  });

  it('refuses a transition the rule forbids with INVALID_TRANSITION naming the current status, storing nothing', async () => {
    await changeStatus.execute({ orderId: 'A-1', status: 'cancelled', correlationId: 'c-1' });
    const error = await changeStatus.execute({ orderId: 'A-1', status: 'shipped', correlationId: 'c-2' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidTransitionError).and.include({ code: 'INVALID_TRANSITION', currentStatus: 'cancelled' });
    expect(statusEvents().map((e) => e.status)).to.deep.equal(['cancelled']);
  });

  it('answers OrderNotFoundError for an unknown orderId, and for one no order could have', async () => {
    for (const orderId of ['nope', '', 'A\u0000'])
      expect(await changeStatus.execute({ orderId, status: 'shipped', correlationId: 'c' }).catch((e: unknown) => e)).to.be.instanceOf(OrderNotFoundError);
  });

  it('finds the order by its trimmed orderId', async () => {
    expect((await changeStatus.execute({ orderId: ' A-1 ', status: 'shipped', correlationId: 'c' })).changed).to.equal(true);
  });

  it('refuses a change breaking a field rule with ValidationError, storing nothing', async () => {
    const error = await changeStatus.execute({ orderId: 'A-1', status: 'shipped', trackingUrl: 'http://track.example.com/1', correlationId: 'c' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ValidationError);
    expect(store.outbox).to.have.length(0);
  });

  it('checks the request before it looks for the order: a bad request to an unknown order is a ValidationError too', async () => {
    for (const orderId of ['nope', 'A\u0000']) {
      const error = await changeStatus.execute({ orderId, status: 'lost', correlationId: 'c' }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ValidationError).with.property('details').that.deep.equals([{ field: 'status', message: 'must be one of shipped, delivered, cancelled' }]);
    }
  });

  describe('after losing a race, it reads the order again and decides anew', () => {
    const raced = (competing: StatusChangeRequest[]) => {
      const repository = new RacedRepository(store, competing);
      return { repository, useCase: new ChangeOrderStatus(repository, sequentialIds(), fixedClock('2026-11-25T09:00:00.000Z')) };
    };

    it('stores its change on the winner\'s version when it still follows', async () => {
      const { useCase } = raced([{ status: 'shipped' }]);
      const state = await useCase.execute({ orderId: 'A-1', status: 'cancelled', correlationId: 'c-1' });
      expect([state.changed, state.order.status, state.order.version]).to.deep.equal([true, 'cancelled', 3]);
      expect(state.statusHistory.map((c) => [c.status, c.previousStatus, c.sequence])).to.deep.equal([['shipped', 'created', 2], ['cancelled', 'shipped', 3]]);
      expect(statusEvents()).to.deep.equal([
        { status: 'shipped', type: 'order.status-changed', metadata: { correlationId: 'other' } },
        { status: 'cancelled', type: 'order.status-changed', metadata: { correlationId: 'c-1' } },
      ]);
    });

    it('answers changed: false when the winner set the same status', async () => {
      const { useCase } = raced([{ status: 'shipped' }]);
      const state = await useCase.execute({ orderId: 'A-1', status: 'shipped', correlationId: 'c-1' });
      expect([state.changed, state.order.version]).to.deep.equal([false, 2]);
      expect(statusEvents()).to.have.length(1);
    });

    it('answers INVALID_TRANSITION when the winner made its change impossible', async () => {
      const { useCase } = raced([{ status: 'cancelled' }]);
      const error = await useCase.execute({ orderId: 'A-1', status: 'shipped', correlationId: 'c-1' }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InvalidTransitionError).and.include({ currentStatus: 'cancelled' });
    });

    it('gives up with ConcurrentChangeError only after losing every one of its tries', async () => {
      const repository = new RacedRepository(store, []);
      repository.saveStatusChange = async (order) => {
        repository.saves += 1;
        throw new ConcurrentChangeError(order.orderId);
      };
      const useCase = new ChangeOrderStatus(repository, sequentialIds(), fixedClock());
      expect(await useCase.execute({ orderId: 'A-1', status: 'shipped', correlationId: 'c' }).catch((e: unknown) => e)).to.be.instanceOf(ConcurrentChangeError);
      expect(repository.saves).to.equal(4);
      expect(store.outbox).to.have.length(0);
    });
  });
});
