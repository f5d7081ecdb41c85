import { ContainerModule } from 'inversify';
import { ChangeOrderStatus } from '../../application/change-order-status.js';
import { CreateOrder } from '../../application/create-order.js';
import { GetOrder } from '../../application/get-order.js';
import { RelayOutbox } from '../../application/relay-outbox.js';
import { provide, T } from '../tokens.js';

export function useCasesModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.CreateOrder,
      [T.OrderRepository, T.IdGenerator, T.Clock, T.Metrics],
      (orders, ids, clock, metrics) => new CreateOrder(orders, ids, clock, metrics),
    );
    provide(bind, T.GetOrder, [T.OrderRepository, T.NotificationLedger], (orders, ledger) => new GetOrder(orders, ledger));
    provide(bind, T.ChangeOrderStatus, [T.OrderRepository, T.IdGenerator, T.Clock], (orders, ids, clock) => new ChangeOrderStatus(orders, ids, clock));
    provide(
      bind,
      T.RelayOutbox,
      [T.Outbox, T.EventPublisher, T.Clock, T.Logger, T.Config, T.Metrics],
      (outbox, publisher, clock, logger, config, metrics) =>
        new RelayOutbox(outbox, publisher, clock, logger.child({ component: 'relay' }), {
          batchSize: config.relay.batchSize,
          pollIntervalMs: config.relay.pollIntervalMs,
          minBackoffMs: 200,
          maxBackoffMs: 10_000,
          lingerMs: config.relay.lingerMs,
          ...(config.relay.retentionMs > 0 ? { retentionMs: config.relay.retentionMs } : {}),
        }, metrics),
    );
  });
}
