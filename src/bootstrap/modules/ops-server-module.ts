import { ContainerModule } from 'inversify';
import { createOpsApp } from '../../adapters/http/ops-app.js';
import { HttpServerService } from '../http-server-service.js';
import { all, provide, T } from '../tokens.js';
import { registerHealthGauge, registerLagGauge } from './metrics-gauges.js';

/** The notifier role's small HTTP server: /health, /ready, /metrics (with consumer lag per partition). */
export function opsServerModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Service, [T.Config, T.Logger, all(T.HealthCheck), T.MetricsRegistry, T.KafkaConsumerLag], (config, logger, healthChecks, metrics, lag) => {
      registerHealthGauge(metrics, healthChecks);
      registerLagGauge(metrics, lag);
      return new HttpServerService('ops', createOpsApp({ healthChecks, logger, metrics }).callback(), config.notifier.opsPort, logger, config.httpDrainMs);
    });
  });
}
