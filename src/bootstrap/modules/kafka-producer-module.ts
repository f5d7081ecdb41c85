import { ContainerModule } from 'inversify';
import { createKafka, type TopicSpec } from '../../adapters/kafka/kafka-client.js';
import type { Config } from '../config.js';
import { KafkaConsumerLag } from '../../adapters/kafka/kafka-consumer-lag.js';
import { KafkaDeadLetters } from '../../adapters/kafka/kafka-dead-letters.js';
import { KafkaEventPublisher } from '../../adapters/kafka/kafka-event-publisher.js';
import { EventCodecs } from '../../adapters/kafka/event-codec.js';
import { orderCreatedCodec } from '../../adapters/kafka/order-created-codec.js';
import { orderStatusChangedCodec } from '../../adapters/kafka/order-status-changed-codec.js';
import { provide, T } from '../tokens.js';

/** The topics ordermail owns: created at start-up when missing. */
export function topicsOf(config: Config): TopicSpec[] {
  const { partitions: numPartitions, replicationFactor } = config.kafka;
  return [config.kafka.topic, config.kafka.deadLetterTopic].map((topic) => ({ topic, numPartitions, replicationFactor }));
}

/** Kafka as the event publisher and the dead-letter store; connects and creates the topics at start-up. */
export function kafkaProducerModule(brokers: readonly string[]): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Kafka, [T.Config, T.Logger], (config, logger) => createKafka({ brokers, clientId: config.kafka.clientId }, logger));
    // One codec per event kind: its topic, key, headers and schema. A new kind adds its codec here.
    provide(bind, T.EventCodecs, [T.Config], (config) => new EventCodecs([orderCreatedCodec(config.kafka.topic), orderStatusChangedCodec(config.kafka.topic)]));
    provide(
      bind,
      T.KafkaPublisher,
      [T.Kafka, T.EventCodecs, T.Config],
      (kafka, codecs, config) => new KafkaEventPublisher(kafka, codecs, topicsOf(config), { maxRequestBytes: config.kafka.maxRequestBytes, compression: config.kafka.compression }),
    ).onDeactivation((publisher) => publisher.close());
    provide(bind, T.EventPublisher, [T.KafkaPublisher], (publisher) => publisher);
    provide(bind, T.DeadLetters, [T.KafkaPublisher, T.Config, T.EventCodecs], (publisher, config, codecs) => new KafkaDeadLetters(() => publisher.producer(), config.kafka.deadLetterTopic, codecs));
    provide(bind, T.HealthCheck, [T.KafkaPublisher], (publisher) => publisher.healthCheck());
    // The notifier group's lag, for /metrics and the admin page of whichever role serves them.
    provide(bind, T.KafkaConsumerLag, [T.Kafka, T.Config], (kafka, config) => new KafkaConsumerLag(kafka, config.kafka.groupId, config.kafka.topic)).onDeactivation((lag) => lag.close());
    provide(bind, T.Service, [T.KafkaPublisher], (publisher) => ({
      name: 'kafka-producer',
      // In the background: a broker that is down must not hold up start-up (orders wait in the outbox).
      start: async () => void publisher.connect(),
      stop: async () => undefined,
    }));
  });
}
