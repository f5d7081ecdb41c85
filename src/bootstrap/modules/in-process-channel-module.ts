import { ContainerModule } from 'inversify';
import { InProcessEventChannel } from '../../adapters/memory/in-process-event-channel.js';
import { requeueUnclaimedEvents } from '../../adapters/postgres/embedded-recovery.js';
import { PgDeadLetters } from '../../adapters/postgres/pg-dead-letters.js';
import { provide, T } from '../tokens.js';

/** Kafka's stand-in in the single-process mode: relay → in-process queue → dispatch table; dead letters in a table. */
export function inProcessChannelModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Channel, [T.Logger], (logger) => new InProcessEventChannel(logger.child({ component: 'channel' })));
    provide(bind, T.EventPublisher, [T.Channel], (channel) => channel);
    provide(bind, T.DeadLetters, [T.Database], (database) => new PgDeadLetters(database));
    provide(bind, T.Service, [T.Channel, T.DispatchEvent, T.Database, T.Logger], (channel, dispatch, database, logger) => ({
      name: 'channel',
      start: async () => {
        const requeued = await requeueUnclaimedEvents(database);
        if (requeued > 0) logger.info('events handed to the channel before the last stop are relayed again', { count: requeued });
        // Handled as the Kafka consumer handles them, so a failure of the event's own (a bug) is dead-lettered, not redelivered for ever.
        // Never held back by the mail circuit: the queue lives in memory only, while an event that reaches the
        // ledger is deferred there durably (and its outbox row may be pruned meanwhile).
        channel.consume(dispatch);
      },
      stop: () => channel.stop(),
    }));
  });
}
