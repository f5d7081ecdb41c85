import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../application/ports/logger.js';
import { beforeDeadline, PAST_DEADLINE } from '../application/deadline.js';
import type { Service } from './tokens.js';

/**
 * An HTTP server as a role's service. Stopping it drains it: every answer from then on closes its
 * connection, idle connections close at once, and a request already read is answered whenever possible.
 */
export class HttpServerService implements Service {
  private server?: Server;
  private draining = false;
  /** Per connection, the requests read and not answered yet. */
  private readonly inFlight = new Map<Socket, Set<ServerResponse>>();

  constructor(
    readonly name: string,
    private readonly handler: RequestListener,
    private readonly requestedPort: number,
    private readonly logger: Logger,
    /** How long keep-alive clients may go on finishing requests after stop() before idle connections are closed. */
    private readonly drainMs = 5000,
  ) {}

  /** The port actually bound (0 picks a free one). */
  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.requestedPort;
  }

  /** True from stop() on: the readiness check fails, so a load balancer stops sending. */
  get isDraining(): boolean {
    return this.draining;
  }

  async start(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, (request, response) => {
      const pending = this.inFlight.get(request.socket);
      pending?.add(response);
      response.once('close', () => pending?.delete(response));
      // Node then answers with `Connection: close` and closes the connection after this answer.
      if (this.draining) response.shouldKeepAlive = false;
      this.handler(request, response);
    });
    server.on('connection', (socket: Socket) => {
      this.inFlight.set(socket, new Set());
      socket.once('close', () => this.inFlight.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, () => resolve());
    });
    this.logger.info(`${this.name} server listening`, { port: this.port, url: `http://localhost:${this.port}` });
  }

  /**
   * Stops accepting, closes each connection after its answer in flight, then, at the drain deadline, the
   * connections with no request being handled (nothing of theirs was read); requests being handled get
   * half of the time left before `deadline` to be answered, then their connections are closed too.
   */
  async stop(deadline: number): Promise<void> {
    const server = this.server;
    if (!server || this.draining) return;
    this.draining = true;
    for (const responses of this.inFlight.values()) for (const response of responses) if (!response.headersSent) response.shouldKeepAlive = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drainDeadline = Math.min(Date.now() + this.drainMs, deadline);
    if ((await beforeDeadline(closed, drainDeadline)) !== PAST_DEADLINE) return;
    const waiting = [...this.inFlight.values()].filter((responses) => responses.size > 0).length;
    this.logger.warn(`${this.name} server drain deadline passed: closing connections without a request in flight`, {
      connections: this.inFlight.size,
      waitingForAnswers: waiting,
    });
    for (const [socket, responses] of this.inFlight) if (responses.size === 0) socket.destroy();
    if ((await beforeDeadline(closed, drainDeadline + (deadline - drainDeadline) / 2)) !== PAST_DEADLINE) return;
    this.logger.error(`${this.name} server closing connections whose requests were not answered in time`, { connections: this.inFlight.size });
    server.closeAllConnections();
    await closed;
  }
}
