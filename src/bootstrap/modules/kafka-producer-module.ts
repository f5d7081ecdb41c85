import { ContainerModule } from 'inversify';
import { createKafka } from '../../adapters/kafka/kafka-client.js';
import { KafkaEventPublisher } from '../../adapters/kafka/kafka-event-publisher.js';
import { provide, T } from '../tokens.js';

/** Kafka as the event publisher; the topics are created on first connect. */
export function kafkaProducerModule(brokers: readonly string[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Kafka, [T.Config, T.Logger], (config, logger) => createKafka({ brokers, clientId: config.kafka.clientId }, logger));
    provide(
      bind,
      T.EventPublisher,
      [T.Kafka, T.Config],
      (kafka, config) =>
        new KafkaEventPublisher(kafka, [
          { topic: config.kafka.topic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
          { topic: config.kafka.deadLetterTopic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
        ]),
    ).onDeactivation((publisher) => (publisher as KafkaEventPublisher).close());
    provide(bind, T.HealthCheck, [T.EventPublisher], (publisher) => (publisher as KafkaEventPublisher).healthCheck());
  });
}
