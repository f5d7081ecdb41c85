import { ContainerModule } from 'inversify';
import { ReplayDeadLetter, type ReplayOutcome } from '../../application/replay-dead-letter.js';
import { readDeadLetters } from '../../adapters/kafka/kafka-dead-letter-reader.js';
import { provide, T } from '../tokens.js';

/** --role=dlq-replay [--order-id ID]: puts dead-lettered orders back in the notifier's retry queue. */
export function dlqReplayModule(orderId?: string): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Task, [T.Kafka, T.NotificationLedger, T.Config, T.Logger], (kafka, ledger, config, logger) => ({
      name: 'dlq-replay',
      run: async () => {
        const replay = new ReplayDeadLetter(ledger, logger.child({ component: 'dlq-replay' }));
        const outcomes: Record<ReplayOutcome, number> = { reset: 0, 'not-dead': 0, poison: 0 };
        const read = await readDeadLetters(kafka, config.kafka.deadLetterTopic, async (letter) => {
          if (orderId !== undefined && (letter.event?.orderId ?? letter.key) !== orderId) return;
          outcomes[await replay.execute(letter)] += 1;
        });
        logger.info('dead-letter replay finished', { read, ...outcomes, ...(orderId ? { orderId } : {}) });
      },
    }));
  });
}
