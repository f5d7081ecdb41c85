import type { HealthCheck } from '../../application/ports/health-check.js';
import type { Outbox } from '../../application/ports/outbox.js';
import { HEALTH_CHECK_TIMEOUT_MS, runHealthChecks } from '../../adapters/http/health-route.js';
import type { KafkaConsumerLag } from '../../adapters/kafka/kafka-consumer-lag.js';
import type { PrometheusMetrics } from '../../adapters/metrics/prometheus-metrics.js';

/** ordermail_health_check_up{check}: 1 while a dependency check passes, 0 while it fails. */
export function registerHealthGauge(metrics: PrometheusMetrics, checks: readonly HealthCheck[]): void {
  metrics.gauge('ordermail_health_check_up', 'Dependency health checks: 1 passing, 0 failing', ['check'], async () => {
    const report = await runHealthChecks(checks);
    return Object.entries(report.checks).map(([check, result]) => ({ labels: { check }, value: result.status === 'ok' ? 1 : 0 }));
  });
}

export function registerOutboxGauges(metrics: PrometheusMetrics, outbox: Outbox): void {
  metrics.gauge('ordermail_outbox_backlog', 'Outbox events not yet published to Kafka', [], async () => [{ value: (await outbox.backlog()).count }]);
  metrics.gauge('ordermail_outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox event', [], async () => {
    const { oldestCreatedAt } = await outbox.backlog();
    return [{ value: oldestCreatedAt ? (Date.now() - oldestCreatedAt.getTime()) / 1000 : 0 }];
  });
  metrics.gauge('ordermail_outbox_parked', 'Outbox events the broker refused for good, waiting for an operator', [], async () => [{ value: (await outbox.backlog()).parked }]);
}

/** ordermail_kafka_consumer_lag{topic,partition}; a broker that does not answer within 2 s leaves the series out rather than hang the scrape. */
export function registerLagGauge(metrics: PrometheusMetrics, lag: KafkaConsumerLag): void {
  metrics.gauge('ordermail_kafka_consumer_lag', 'Messages of the topic not yet committed by the notifier group', ['topic', 'partition'], async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<[]>((resolve) => (timer = setTimeout(() => resolve([]), HEALTH_CHECK_TIMEOUT_MS)));
    const partitions = await Promise.race([lag.read().catch(() => []), timeout]).finally(() => clearTimeout(timer));
    return partitions.map(({ topic, partition, lag: value }) => ({ labels: { topic, partition }, value }));
  });
}
