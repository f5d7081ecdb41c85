import { ContainerModule } from 'inversify';
import type { OrderCreated } from '../../domain/order-created.js';
import { InProcessEventChannel } from '../../adapters/memory/in-process-event-channel.js';
import { requeueUnclaimedEvents } from '../../adapters/postgres/embedded-recovery.js';
import { PgDeadLetters } from '../../adapters/postgres/pg-dead-letters.js';
import { provide, T } from '../tokens.js';

/** Kafka's stand-in in the single-process mode: relay → in-process queue → notifier; dead letters in a table. */
export function inProcessChannelModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Channel, [T.Logger], (logger) => new InProcessEventChannel(logger.child({ component: 'channel' })));
    provide(bind, T.EventPublisher, [T.Channel], (channel) => channel);
    provide(bind, T.DeadLetters, [T.Database], (database) => new PgDeadLetters(database));
    provide(bind, T.ConsumerLag, [T.Channel], (channel) => ({ total: async () => channel.depth }));
    provide(bind, T.Service, [T.Channel, T.NotifyOrderCreated, T.Database, T.Config, T.Logger], (channel, notify, database, config, logger) => ({
      name: 'channel',
      start: async () => {
        const requeued = await requeueUnclaimedEvents(database, config.kafka.topic);
        if (requeued > 0) logger.info('events handed to the channel before the last stop are relayed again', { count: requeued });
        channel.consume(async (event) => {
          const correlationId = event.headers['correlation-id'];
          // Written by CreateOrder in this same process: already an order-created v1 event. Handled as the
          // Kafka consumer handles it, so a failure of its own (a bug) is dead-lettered, not redelivered for ever.
          const message = { key: event.key, value: Buffer.from(JSON.stringify(event.payload)), headers: event.headers };
          await notify.handleMessage(message, { ok: true, event: event.payload as OrderCreated, ...(correlationId ? { correlationId } : {}) });
        });
      },
      stop: () => channel.stop(),
    }));
  });
}
