import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the server answers one request, once its body has arrived. */
export type Answer = (request: IncomingMessage, response: ServerResponse) => void;

/** Answers with a status, headers and a body. */
export const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Answer =>
  (_request, response) => {
    response.writeHead(code, headers);
    response.end(body);
  };

/** Never answers. */
export const silence: Answer = () => undefined;

/** Drops the connection without answering. */
export const hangUp: Answer = (request) => request.socket.destroy();

/** Sends the status line (200 unless given) and headers, then a byte every `everyMs`, never ending. */
export const dribble =
  (everyMs: number, code = 200): Answer =>
  (_request, response) => {
    response.writeHead(code, { 'content-type': 'text/plain' });
    const timer = setInterval(() => response.write('.'), everyMs);
    response.on('close', () => clearInterval(timer));
  };

/** A 200 whose body never ends: 64 KiB chunks as fast as the reader takes them, until it goes away. */
export const endlessBody: Answer = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const pump = (): void => {
    while (!response.destroyed && response.write(chunk));
  };
  response.on('drain', pump);
  pump();
};

/** A real HTTP server on 127.0.0.1 for the webhook sender's tests: records each request, answers as scripted (204 by default). */
export class WebhookTestServer {
  readonly received: ReceivedWebhook[] = [];
  /** Answers still queued, oldest first. */
  private readonly answers: Answer[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<WebhookTestServer> {
    const server = http.createServer();
    const subject = new WebhookTestServer(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        subject.received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        (subject.answers.shift() ?? status(204))(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return subject;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/webhooks', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** The next requests are answered so, in order; then 204 again. */
  answerNext(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 where nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
