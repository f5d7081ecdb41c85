import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from '../application/ports/logger.js';
import type { Service } from './tokens.js';

/** An HTTP server as a role's service: stops taking connections, then lets in-flight requests finish. */
export class HttpServerService implements Service {
  private server?: Server;

  constructor(
    readonly name: string,
    private readonly handler: RequestListener,
    private readonly requestedPort: number,
    private readonly logger: Logger,
  ) {}

  /** The port actually bound (0 picks a free one). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.requestedPort;
  }

  async start(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, this.handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, () => resolve());
    });
    this.logger.info(`${this.name} server listening`, { port: this.port, url: `http://localhost:${this.port}` });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  }
}
