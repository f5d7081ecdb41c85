import { createServer, type Server } from 'node:http';
import { ContainerModule } from 'inversify';
import type { Logger } from '../../application/ports/logger.js';
import { createHttpApp } from '../../adapters/http/http-app.js';
import type { Config } from '../config.js';
import { all, provide, T, type Service } from '../tokens.js';

export function httpModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(
      bind,
      T.Service,
      [T.Config, T.Logger, T.CreateOrder, T.GetOrder, all(T.HealthCheck)],
      (config, logger, createOrder, getOrder, healthChecks) =>
        new HttpService(createHttpApp({ createOrder, getOrder, healthChecks, logger }).callback(), config, logger),
    );
  });
}

class HttpService implements Service {
  readonly name = 'http';
  private server?: Server;

  constructor(
    private readonly handler: Parameters<typeof createServer>[1],
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** The port actually bound (PORT=0 picks a free one). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  async start(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, this.handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, () => resolve());
    });
    this.logger.info('http server listening', { port: this.port, url: `http://localhost:${this.port}` });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  }
}
