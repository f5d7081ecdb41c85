import { ContainerModule } from 'inversify';
import { InMemoryEventPublisher } from '../../adapters/memory/in-memory-event-publisher.js';
import { InMemoryNotificationLedger } from '../../adapters/memory/in-memory-notification-ledger.js';
import { InMemoryOrderRepository } from '../../adapters/memory/in-memory-order-repository.js';
import { InMemoryOutbox } from '../../adapters/memory/in-memory-outbox.js';
import { InMemoryStore } from '../../adapters/memory/in-memory-store.js';
import { T } from '../tokens.js';

/** In-process stand-ins for storage and the broker: nothing survives a restart. */
export function memoryModule(): ContainerModule {
  const store = new InMemoryStore();
  return new ContainerModule(({ bind }) => {
    bind(T.OrderRepository).toConstantValue(new InMemoryOrderRepository(store));
    bind(T.Outbox).toConstantValue(new InMemoryOutbox(store));
    bind(T.EventPublisher).toConstantValue(new InMemoryEventPublisher());
    bind(T.NotificationLedger).toConstantValue(new InMemoryNotificationLedger());
    bind(T.HealthCheck).toConstantValue({
      name: 'storage',
      critical: true,
      check: async () => ({ kind: 'in-memory', orders: store.orders.size }),
    });
  });
}
