import { ContainerModule } from 'inversify';
import { createKafka } from '../../adapters/kafka/kafka-client.js';
import { KafkaDeadLetters } from '../../adapters/kafka/kafka-dead-letters.js';
import { KafkaEventPublisher } from '../../adapters/kafka/kafka-event-publisher.js';
import { provide, T } from '../tokens.js';

/** Kafka as the event publisher and the dead-letter store; the topics are created on first connect. */
export function kafkaProducerModule(brokers: readonly string[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Kafka, [T.Config, T.Logger], (config, logger) => createKafka({ brokers, clientId: config.kafka.clientId }, logger));
    provide(
      bind,
      T.KafkaPublisher,
      [T.Kafka, T.Config],
      (kafka, config) =>
        new KafkaEventPublisher(kafka, [
          { topic: config.kafka.topic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
          { topic: config.kafka.deadLetterTopic, numPartitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor },
        ]),
    ).onDeactivation((publisher) => publisher.close());
    provide(bind, T.EventPublisher, [T.KafkaPublisher], (publisher) => publisher);
    provide(bind, T.DeadLetters, [T.KafkaPublisher, T.Config], (publisher, config) => new KafkaDeadLetters(() => publisher.producer(), config.kafka.deadLetterTopic));
    provide(bind, T.HealthCheck, [T.KafkaPublisher], (publisher) => publisher.healthCheck());
  });
}
