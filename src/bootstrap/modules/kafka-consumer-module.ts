import { ContainerModule } from 'inversify';
import { BATCH_CONCURRENCY, KafkaEventConsumer } from '../../adapters/kafka/kafka-event-consumer.js';
import { provide, T } from '../tokens.js';
import { topicsOf } from './kafka-producer-module.js';

/** The notifier's Kafka consumer, with its health check. */
export function kafkaConsumerModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.EventConsumer,
      [T.Kafka, T.EventCodecs, T.DispatchEvent, T.NotifierGate, T.Config, T.Logger],
      (kafka, codecs, dispatch, gate, config, logger) =>
        new KafkaEventConsumer(
          kafka,
          codecs,
          dispatch,
          gate,
          { groupId: config.kafka.groupId, concurrency: config.kafka.partitions, batchConcurrency: BATCH_CONCURRENCY, topics: topicsOf(config) },
          logger.child({ component: 'consumer' }),
        ),
    );
    provide(bind, T.Service, [T.EventConsumer], (consumer) => ({ name: 'consumer', start: () => consumer.start(), stop: () => consumer.stop() }));
    provide(bind, T.HealthCheck, [T.EventConsumer], (consumer) => ({ ...consumer.healthCheck(), requiredForReady: true }));
  });
}
