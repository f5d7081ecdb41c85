import { ContainerModule } from 'inversify';
import { createHttpApp } from '../../adapters/http/http-app.js';
import { HttpServerService } from '../http-server-service.js';
import { registerHealthGauge } from './metrics-gauges.js';
import { all, provide, T } from '../tokens.js';

/** The public order API on PORT. */
export function httpModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.Service,
      [T.Config, T.Logger, T.CreateOrder, T.GetOrder, all(T.HealthCheck), T.Metrics],
      (config, logger, createOrder, getOrder, healthChecks, metrics) => {
        registerHealthGauge(metrics, healthChecks);
        return new HttpServerService('http', createHttpApp({ createOrder, getOrder, healthChecks, logger, metrics }).callback(), config.port, logger);
      },
    );
  });
}
