import { ContainerModule } from 'inversify';
import { deadLetterKey } from '../../application/ports/dead-letters.js';
import { ReplayDeadLetter, type ReplayOutcome } from '../../application/replay-dead-letter.js';
import { readDeadLetters } from '../../adapters/kafka/kafka-dead-letter-reader.js';
import { provide, T } from '../tokens.js';

/** --role=dlq-replay [--order-id ID]: puts dead-lettered orders back in the notifier's retry queue. */
export function dlqReplayModule(orderId?: string): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Task, [T.Kafka, T.EventCodecs, T.NotificationLedger, T.Config, T.Logger], (kafka, codecs, ledger, config, logger) => ({
      name: 'dlq-replay',
      run: async () => {
        const replay = new ReplayDeadLetter(ledger, logger.child({ component: 'dlq-replay' }));
        const outcomes: Record<ReplayOutcome, number> = { reset: 0, 'not-dead': 0, poison: 0 };
        const read = await readDeadLetters(kafka, config.kafka.deadLetterTopic, { codecs, eventTopic: config.kafka.topic }, async (letter) => {
          if (orderId !== undefined && deadLetterKey(letter) !== orderId) return;
          outcomes[await replay.execute(letter)] += 1;
        });
        logger.info('dead-letter replay finished', { read, ...outcomes, ...(orderId ? { orderId } : {}) });
      },
    }));
  });
}
