import { readFileSync } from 'node:fs';
import { ContainerModule } from 'inversify';
import { createHttpApp } from '../../adapters/http/http-app.js';
import { HttpServerService } from '../http-server-service.js';
import { registerHealthGauge } from './metrics-gauges.js';
import { all, provide, T } from '../tokens.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The public order API on PORT. */
export function httpModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.Service,
      [T.Config, T.Logger, T.CreateOrder, T.GetOrder, all(T.HealthCheck), T.Metrics],
      (config, logger, createOrder, getOrder, healthChecks, metrics) => {
        registerHealthGauge(metrics, healthChecks);
        const app = createHttpApp({ createOrder, getOrder, healthChecks, logger, metrics, version: PACKAGE_VERSION });
        return new HttpServerService('http', app.callback(), config.port, logger);
      },
    );
  });
}
