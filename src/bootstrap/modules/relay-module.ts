import { ContainerModule } from 'inversify';
import { relayHealthCheck } from '../../application/relay-health-check.js';
import { RelayService } from '../../application/relay-service.js';
import { HOUSEKEEPING_EVERY_MS, PeriodicService } from '../periodic-service.js';
import { provide, T } from '../tokens.js';
import { registerOutboxGauges } from './metrics-gauges.js';

/** Runs the outbox relay loop as a service of the role. */
export function relayModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Service, [T.RelayOutbox, T.Outbox, T.MetricsRegistry, T.Config, T.Logger], (relay, outbox, metrics, config, logger) => {
      registerOutboxGauges(metrics, outbox);
      return new RelayService(relay, config.relay.batchSize, logger.child({ component: 'relay' }));
    });
    // Outbox retention, beside the relay loop: publishing never waits for it.
    provide(bind, T.Service, [T.RelayOutbox, T.Logger], (relay, logger) =>
      new PeriodicService('outbox-retention', HOUSEKEEPING_EVERY_MS, async () => void (await relay.prune()), logger.child({ component: 'relay' })),
    );
    provide(bind, T.HealthCheck, [T.RelayOutbox, T.Outbox, T.Clock], (relay, outbox, clock) => relayHealthCheck(relay, outbox, clock));
  });
}
